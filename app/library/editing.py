"""The editor's changes to a draft's content: details, sections, questions, options and table
columns, each from a form's fields, each refused whole (with a message by field) when wrong.

Works on the format's data only: never reads the database, never stores anything itself.
"""

from __future__ import annotations

from typing import Any

from app.directory.models import AgencySector, BoardKind
from app.library.drafts import EditRefused, slug_from
from app.library.form_fields import (
    COLUMN_TYPES,
    MAX_COLUMNS,
    MAX_HINT,
    MAX_LABEL,
    MAX_MARKDOWN,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_SECTIONS,
    Form,
    all_questions,
    bounded,
    dependents,
    find_question,
    find_section,
    number,
    question_at,
    question_ids,
    refuse_if,
    required,
    rows,
    set_key,
    text,
    texts,
    unique_id,
    words,
)
from app.questionnaires.schema import QUESTION_TYPES, Audience

# Details ----------------------------------------------------------------------------------


def _sectors(form: Form, errors: dict[str, str]) -> list[str]:
    """The ticked agency sectors (none ticked: every sector)."""
    sectors = texts(form, "sectors")
    if set(sectors) - {s.value for s in AgencySector}:
        errors["sectors"] = "Choose sectors from the list"
    return sectors


def set_details(content: dict[str, Any], form: Form, *, id_editable: bool) -> None:
    errors: dict[str, str] = {}
    sectors = _sectors(form, errors)
    title = words(form, errors, "title", "The title", 300, needed="a title")
    introduction = words(form, errors, "introduction", "The introduction", MAX_MARKDOWN)
    version = required(errors, "version", text(form, "version"), "a version, like 2026")
    if len(version) > 40:
        errors["version"] = "The version must be 40 characters or fewer"
    audience = text(form, "audience") or Audience.AGENCY_RETURN.value
    if audience not in {a.value for a in Audience}:
        errors["audience"] = "Choose who answers the questionnaire"
    board = text(form, "board") or BoardKind.CHILDREN.value
    if board not in {b.value for b in BoardKind}:
        errors["board"] = "Choose the kind of board"
    if id_editable:
        wanted = text(form, "id") or slug_from(title)
        if len(wanted) > 60 or wanted != slug_from(wanted, limit=60):
            errors["id"] = (
                "The id must use lower-case letters, digits and hyphens only, start with a "
                "letter and be 60 characters or fewer"
            )
    refuse_if(errors)
    if id_editable:
        content["id"] = wanted
    content["version"] = version
    content["title"] = title
    set_key(content, "introduction", introduction)
    set_key(content, "audience", audience, Audience.AGENCY_RETURN.value)
    set_key(content, "board", board, BoardKind.CHILDREN.value)
    set_key(content, "sectors", sectors)


# Sections ---------------------------------------------------------------------------------


def add_section(content: dict[str, Any], form: Form) -> str:
    errors: dict[str, str] = {}
    title = words(form, errors, "title", "The title", 300, needed="the section's title")
    if len(content.get("sections", [])) >= MAX_SECTIONS:
        errors["title"] = f"A questionnaire can have at most {MAX_SECTIONS} sections"
    refuse_if(errors)
    taken = {section["id"] for section in content.get("sections", [])}
    section_id = unique_id(slug_from(title), taken)
    content.setdefault("sections", []).append({"id": section_id, "title": title, "questions": []})
    return section_id


def set_section(content: dict[str, Any], section_id: str, form: Form) -> None:
    section = content["sections"][find_section(content, section_id)]
    errors: dict[str, str] = {}
    title = words(form, errors, "title", "The title", 300, needed="the section's title")
    guidance = words(form, errors, "guidance", "The guidance", MAX_MARKDOWN)
    scored = text(form, "scored_by_panel") == "yes"
    scale = text(form, "scale")
    if scored and scale not in content.get("scales", {}):
        errors["scale"] = "Choose the scale the panel scores this section on"
    weight = number(errors, "weight", text(form, "weight"), "The weight", whole=False)
    if weight is not None and weight <= 0:
        errors["weight"] = "The weight must be more than 0"
    refuse_if(errors)
    section["title"] = title
    set_key(section, "guidance", guidance)
    set_key(section, "evidence_required", text(form, "evidence_required") == "yes", False)
    set_key(
        section, "carry_forward", "action_plan" if text(form, "carry_forward") == "yes" else None
    )
    set_key(section, "scored_by_panel", scored, False)
    set_key(section, "scale", scale if scored else None)
    set_key(section, "weight", weight if scored else None, 1.0)


def move(items: list[Any], index: int, step: int) -> None:
    """Swap an item with its neighbour; at either end nothing moves."""
    other = index + step
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]


def move_section(content: dict[str, Any], section_id: str, step: int) -> None:
    move(content["sections"], find_section(content, section_id), step)


def move_option(content: dict[str, Any], question_id: str, value: str, step: int) -> None:
    """An option up or down its question's list; its value (and answers) go with it."""
    options = question_at(content, question_id).get("options") or []
    values = [option["value"] for option in options]
    if value not in values:
        raise EditRefused({"_": "That option is no longer in the question: nothing was moved"})
    move(options, values.index(value), step)


def move_question(content: dict[str, Any], question_id: str, step: int) -> None:
    """Up or down within its section; past the section's edge, into the next section."""
    s, q = find_question(content, question_id)
    sections = content["sections"]
    questions = sections[s]["questions"]
    if 0 <= q + step < len(questions):
        move(questions, q, step)
    elif 0 <= s + step < len(sections):
        question = questions.pop(q)
        target = sections[s + step].setdefault("questions", [])
        if step < 0:
            target.append(question)
        else:
            target.insert(0, question)
    # A question moved above one it depends on: the check will say so beside it.


def _forget(condition: dict[str, Any] | None, gone: set[str]) -> dict[str, Any] | None:
    """The condition without its parts that read removed questions (None when nothing is left)."""
    if not condition:
        return None
    if condition.get("question") in gone:
        return None
    for group in ("all", "any"):
        if condition.get(group):
            kept = [c for c in (_forget(part, gone) for part in condition[group]) if c]
            if not kept:
                return None
            return kept[0] if len(kept) == 1 else {group: kept}
    return condition


def _remove_questions(content: dict[str, Any], gone: set[str], *, with_dependents: bool) -> None:
    if with_dependents:
        gone |= {question["id"] for question in dependents(content, gone)}
    for section in content["sections"]:
        section["questions"] = [q for q in section.get("questions", []) if q["id"] not in gone]
        for question in section["questions"]:
            set_key(question, "show_if", _forget(question.get("show_if"), gone))


def remove_question(content: dict[str, Any], question_id: str, *, with_dependents: bool) -> None:
    find_question(content, question_id)
    _remove_questions(content, {question_id}, with_dependents=with_dependents)


def remove_section(content: dict[str, Any], section_id: str, *, with_dependents: bool) -> None:
    index = find_section(content, section_id)
    if len(content["sections"]) == 1:
        raise EditRefused({"_": "A questionnaire needs at least one section: add another first"})
    ids = {q["id"] for q in content["sections"][index].get("questions", [])}
    content["sections"].pop(index)
    _remove_questions(content, ids, with_dependents=with_dependents)


# Questions --------------------------------------------------------------------------------


def add_question(
    content: dict[str, Any], section_id: str, form: Form, *, published_ids: dict[str, str]
) -> str:
    """A new question of the chosen type at the end of the section, with an id made from its
    label that no published version used for another question."""
    section = content["sections"][find_section(content, section_id)]
    errors: dict[str, str] = {}
    kind = text(form, "type")
    if kind not in QUESTION_TYPES:
        errors["type"] = "Choose the kind of answer the question asks for"
    label = words(form, errors, "label", "The question", MAX_LABEL, needed="the question")
    if kind == "rating" and not content.get("scales"):
        errors["type"] = (
            "Add a scale first (Scales, on the questionnaire's page): a rating needs one"
        )
    if len(section.get("questions", [])) >= MAX_QUESTIONS:
        errors["label"] = f"A section can have at most {MAX_QUESTIONS} questions"
    refuse_if(errors)
    question_id = unique_id(slug_from(label), question_ids(content) | set(published_ids))
    question: dict[str, Any] = {"id": question_id, "type": kind, "label": label}
    question.update(type_defaults(content, kind))
    section.setdefault("questions", []).append(question)
    return question_id


def type_defaults(content: dict[str, Any], kind: str) -> dict[str, Any]:
    """What a question of this type needs from the start, before its page is filled in."""
    if kind == "rating":
        return {"scale": next(iter(content["scales"]))}
    if kind in ("single_choice", "multiple_choice"):
        return {
            "options": [
                {"value": "option-1", "label": "Option 1"},
                {"value": "option-2", "label": "Option 2"},
            ]
        }
    if kind == "table":
        return {"columns": [{"id": "column-1", "label": "Column 1"}]}
    if kind == "evidence":
        return {"required": False}
    return {}


def set_question(
    content: dict[str, Any],
    question_id: str,
    form: Form,
    *,
    published_ids: dict[str, str],
    standards: set[str] | None = None,
) -> str:
    """Every field the question's type has, from its page; returns its (maybe new) id.
    `standards`: the return questions a survey question may test (its maps_to choices)."""
    question = question_at(content, question_id)
    kind = question["type"]
    errors: dict[str, str] = {}
    label = words(form, errors, "label", "The question", MAX_LABEL, needed="the question")
    hint = words(form, errors, "hint", "The hint", MAX_HINT)
    new_id = question_id
    if question_id not in published_ids and "id" in form:
        new_id = text(form, "id") or slug_from(label)
        if len(new_id) > 60 or new_id != slug_from(new_id, limit=60):
            errors["id"] = (
                "The id must use lower-case letters, digits and hyphens only, "
                "starting with a letter"
            )
        elif new_id != question_id and new_id in question_ids(content):
            errors["id"] = f"Another question in this questionnaire already has the id {new_id}"
        elif new_id != question_id and new_id in published_ids:
            errors["id"] = (
                f"A published version uses the id {new_id} for “{published_ids[new_id]}”: "
                "choose another, so that answers to that question are not mixed with these"
            )
    sectors = _sectors(form, errors)
    equivalent_label = bounded(
        errors, "equivalent-label", text(form, "equivalent_label"), MAX_LABEL, "The wording"
    )
    equivalent_hint = bounded(
        errors, "equivalent-hint", text(form, "equivalent_hint"), MAX_HINT, "The hint"
    )
    scored = text(form, "scored_by_panel") == "yes"
    scale = text(form, "scale") or None
    if (kind == "rating" or scored) and scale not in content.get("scales", {}):
        errors["scale"] = "Choose a scale"
    weight = number(errors, "weight", text(form, "weight"), "The weight", whole=False)
    if weight is not None and weight <= 0:
        errors["weight"] = "The weight must be more than 0"
    maps_to = None
    if standards is not None and content.get("audience") == "frontline_survey":
        # What the file already says stays choosable, whoever's standards it names.
        allowed = standards | set(question.get("maps_to") or [])
        maps_to = texts(form, "maps_to")
        if set(maps_to) - allowed or len(maps_to) > 30:
            errors["maps-to"] = "Choose the standards from the list"
    extra: dict[str, Any] = {}
    if kind in ("single_choice", "multiple_choice"):
        extra["options"] = _options(
            form, question.get("options", []), errors, published=question_id in published_ids
        )
    elif kind in ("text", "long_text"):
        longest = number(
            errors, "max-length", text(form, "max_length"), "The longest answer", whole=True
        )
        limit = 2000 if kind == "text" else 50000
        if longest is not None and not 1 <= longest <= limit:
            errors["max-length"] = f"The longest answer must be between 1 and {limit:,} characters"
        extra["max_length"] = longest
    elif kind == "number":
        low = number(errors, "min", text(form, "min"), "The smallest number", whole=False)
        high = number(errors, "max", text(form, "max"), "The largest number", whole=False)
        if low is not None and high is not None and low > high:
            errors["max"] = "The largest number must not be less than the smallest"
        extra["min"], extra["max"] = low, high
    elif kind == "table":
        extra["columns"] = _columns(
            form, question.get("columns", []), errors, published=question_id in published_ids
        )
        fewest = number(errors, "min-rows", text(form, "min_rows"), "The fewest rows", whole=True)
        most = number(errors, "max-rows", text(form, "max_rows"), "The most rows", whole=True)
        if fewest is not None and not 0 <= fewest <= 50:
            errors["min-rows"] = "The fewest rows must be between 0 and 50"
        if most is not None and not 1 <= most <= 200:
            errors["max-rows"] = "The most rows must be between 1 and 200"
        if fewest is not None and most is not None and fewest > most:
            errors["max-rows"] = "The most rows must not be fewer than the fewest"
        extra["min_rows"], extra["max_rows"] = fewest, most
    elif kind == "rating":
        prompts = [
            line.strip() for line in text(form, "evidence_prompts").splitlines() if line.strip()
        ]
        if len(prompts) > 30 or any(len(p) > MAX_LABEL for p in prompts):
            errors["evidence-prompts"] = f"Give at most 30 prompts of {MAX_LABEL} characters each"
        extra["evidence_prompts"] = prompts
        extra["descriptors"] = _descriptors(form, content, scale, errors)
    refuse_if(errors)

    question["label"] = label
    set_key(question, "hint", hint)
    if kind == "evidence":
        set_key(question, "required", text(form, "required") == "yes", False)
    else:
        set_key(question, "required", text(form, "required") != "no", True)
    set_key(question, "not_applicable", text(form, "not_applicable") == "yes", False)
    set_key(question, "sectors", sectors)
    equivalent = {k: v for k, v in (("label", equivalent_label), ("hint", equivalent_hint)) if v}
    set_key(question, "equivalent_standards", equivalent or None)
    set_key(question, "scored_by_panel", scored, False)
    set_key(question, "scale", scale if (kind == "rating" or scored) else None)
    if maps_to is not None:
        set_key(question, "maps_to", maps_to)
    set_key(question, "weight", weight if scored else None, 1.0)
    defaults = {"max_length": 200 if kind == "text" else 5000, "min_rows": 1, "max_rows": 20}
    for key, value in extra.items():
        set_key(question, key, value, defaults.get(key))
    if new_id != question_id:
        question["id"] = new_id
        _rename_in_conditions(content, question_id, new_id)
    return new_id


def _rename_in_conditions(content: dict[str, Any], old: str, new: str) -> None:
    def rename(condition: dict[str, Any]) -> None:
        if condition.get("question") == old:
            condition["question"] = new
        for part in condition.get("all") or condition.get("any") or []:
            rename(part)

    for _, _, question in all_questions(content):
        if question.get("show_if"):
            rename(question["show_if"])


def _labelled_rows(
    form: Form,
    prefix: str,
    key: str,
    existing: list[dict],
    limit: int,
    errors: dict[str, str],
    *,
    published: bool,
) -> list[tuple[int, str, str, dict]]:
    """Rows of labels (options, columns), each with the key it had before (kept when the label
    is reworded once published, so answers given to it still count) or a new one made from the
    label; with the row's saved item, if any. A label left empty drops its row."""
    kept = {item[key]: item for item in existing}
    if not published:  # no answers yet: keys follow the wording
        kept = {}
    found: list[tuple[int, str, str, dict]] = []
    for row in rows(form, prefix, limit, errors, f"{prefix}s"):
        label = text(form, f"{prefix}_{row}_label")
        if not label:
            continue
        if len(label) > MAX_LABEL:
            errors[f"{prefix}-{row}-label"] = f"Each must be {MAX_LABEL} characters or fewer"
            continue
        name = text(form, f"{prefix}_{row}_{key}")
        taken = {item_key for _, item_key, _, _ in found}
        if name not in kept or name in taken:
            name = unique_id(slug_from(label), taken | set(kept))
        found.append((row, name, label, kept.get(name, {})))
    if len(found) > limit:
        errors[f"{prefix}-0-label"] = f"Give at most {limit}"
    return found


def _options(
    form: Form, existing: list[dict], errors: dict[str, str], *, published: bool
) -> list[dict]:
    options = []
    hints = {option["label"]: option["hint"] for option in existing if option.get("hint")}
    for row, value, label, before in _labelled_rows(
        form, "option", "value", existing, MAX_OPTIONS, errors, published=published
    ):
        option = {"value": value, "label": label}
        # A form from before hints were on the page sends none: the saved hint stays.
        hint = (
            words(form, errors, f"option_{row}_hint", "The option's hint", MAX_HINT)
            if f"option_{row}_hint" in form
            else before.get("hint") or hints.get(label)
        )
        if hint:
            option["hint"] = hint
        options.append(option)
    if len(options) < 2 and "option-0-label" not in errors:
        errors["option-0-label"] = "Give at least two options"
    return options


def _columns(
    form: Form, existing: list[dict], errors: dict[str, str], *, published: bool
) -> list[dict]:
    columns = []
    before_by_label = {column["label"]: column for column in existing}
    for row, column_id, label, before in _labelled_rows(
        form, "column", "id", existing, MAX_COLUMNS, errors, published=published
    ):
        before = before or before_by_label.get(label, {})
        kind = text(form, f"column_{row}_type") or "text"
        column: dict[str, Any] = {"id": column_id, "label": label}
        if kind == "single_choice" and before.get("type") == "single_choice":
            column.update(type="single_choice", options=before["options"])
        elif kind not in COLUMN_TYPES:
            errors[f"column-{row}-type"] = "Choose what the column holds"
        elif kind != "text":
            column["type"] = kind
        columns.append(column)
    if not columns and "column-0-label" not in errors:
        errors["column-0-label"] = "Give the table at least one column"
    return columns


def _descriptors(
    form: Form, content: dict[str, Any], scale: str | None, errors: dict[str, str]
) -> dict[str, str] | None:
    """This question's own words for some levels of its scale; empty keeps the scale's."""
    scale_data = content.get("scales", {}).get(scale or "")
    if not scale_data:
        return None
    found: dict[str, str] = {}
    for level in scale_data.get("levels") or []:
        words = text(form, f"descriptor_{level['value']}")
        if len(words) > MAX_HINT:
            errors[f"descriptor-{level['value']}"] = (
                f"A descriptor must be {MAX_HINT:,} characters or fewer"
            )
        elif words:
            found[str(level["value"])] = words
    return found or None
