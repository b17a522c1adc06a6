"""Reading and checking a questionnaire file: every problem with its file, line and path.

Whatever the input — broken YAML, a list, a billion laughs — the result is a list of problems,
never an exception: `check_text` is the only way files become Questionnaire objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.directory.models import AgencySector, SchoolPhase, SchoolType
from app.questionnaires.schema import (
    QUESTION_TYPES,
    AgencyAttribute,
    Audience,
    ColumnType,
    Condition,
    EvidenceQuestion,
    MultipleChoiceQuestion,
    QuestionBase,
    Questionnaire,
    RatingQuestion,
    SingleChoiceQuestion,
    YesNoQuestion,
)

MAX_FILE_BYTES = 1_000_000
# Aliases (*name) let a short file expand enormously; nothing real comes near this.
MAX_EXPANDED_NODES = 100_000

PathParts = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line if self.line is not None else '?'}"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where} {self.message}"


@dataclass
class CheckResult:
    source: str
    questionnaire: Questionnaire | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.questionnaire is not None and not self.problems


def format_path(parts: PathParts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Lines:
    """Where each path of the document starts, from PyYAML's composed node tree."""

    def __init__(self, root: yaml.Node) -> None:
        self._lines: dict[PathParts, int] = {(): root.start_mark.line + 1}
        self._walk(root, ())

    def _walk(self, node: yaml.Node, path: PathParts, depth: int = 0) -> None:
        if depth > 60:
            return
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                child = (*path, key)
                self._lines.setdefault(child, key_node.start_mark.line + 1)
                self._walk(value_node, child, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, index)
                self._lines.setdefault(child, item.start_mark.line + 1)
                self._walk(item, child, depth + 1)

    def line(self, path: PathParts) -> int:
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            # Mapping keys are kept as their text; `descriptors: {1: …}` has number keys.
            found = self._lines.get(prefix)
            if end and found is None:
                found = self._lines.get((*prefix[:-1], str(prefix[-1])))
            if found is not None:
                return found
        return 1


def _expanded_size(root: yaml.Node) -> int | None:
    """Nodes after alias expansion, or None when an alias refers to itself."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise RecursionError
        in_progress.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
                if total > MAX_EXPANDED_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
                if total > MAX_EXPANDED_NODES:
                    break
        in_progress.discard(key)
        sizes[key] = total
        return total

    try:
        return size(root)
    except RecursionError:
        return None


def check_file(path: str | Path) -> CheckResult:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return _fail(path.name, None, f"is larger than {MAX_FILE_BYTES // 1000} kB")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return _fail(path.name, None, "is not UTF-8 text")
    except OSError as error:
        return _fail(path.name, None, f"cannot be read: {error.strerror or error}")
    return check_text(text, source=path.name)


def _fail(source: str, line: int | None, message: str) -> CheckResult:
    return CheckResult(source=source, problems=[Problem(source, line, "", message)])


def check_text(text: str, *, source: str = "<text>") -> CheckResult:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return _fail(source, None, f"is larger than {MAX_FILE_BYTES // 1000} kB")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        return _yaml_failure(source, error)
    if root is None:
        return _fail(source, 1, "is empty: a questionnaire needs id, version, title and sections")
    expanded = _expanded_size(root)
    if expanded is None:
        return _fail(source, root.start_mark.line + 1, "has an alias that refers to itself")
    if expanded > MAX_EXPANDED_NODES:
        return _fail(source, 1, "is too large once its aliases (*name) are expanded")
    try:
        data = yaml.SafeLoader(text).get_single_data()
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as error:
        return _yaml_failure(source, error)

    lines = _Lines(root)
    if not isinstance(data, dict):
        return _fail(
            source,
            1,
            "must be a mapping of keys (id, version, title, sections…), not a list or text",
        )
    try:
        questionnaire = Questionnaire.model_validate(data)
    except ValidationError as error:
        problems = [_from_pydantic(item, source, lines) for item in error.errors()]
        return CheckResult(source=source, problems=_unique(problems))
    except (RecursionError, ValueError, TypeError) as error:
        return _fail(source, None, f"could not be checked: {type(error).__name__}")
    problems = [
        Problem(source, lines.line(path), format_path(path), message)
        for path, message in document_problems(questionnaire)
    ]
    return CheckResult(source=source, questionnaire=questionnaire, problems=problems)


def _yaml_failure(source: str, error: Exception) -> CheckResult:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        reason = error.problem or error.context or "unreadable"
        return _fail(source, mark.line + 1 if mark else None, f"is not valid YAML: {reason}")
    return _fail(source, None, f"is not valid YAML ({type(error).__name__})")


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    return [p for p in problems if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


def _clean_location(location: tuple[Any, ...]) -> PathParts:
    """Drop the tags Pydantic adds for tagged unions (`questions[3].rating.scale`)."""
    parts: list[str | int] = []
    for index, part in enumerate(location):
        after_index = index > 0 and isinstance(location[index - 1], int)
        if after_index and isinstance(part, str) and part in QUESTION_TYPES:
            continue
        if isinstance(part, str) and part.startswith("function-"):
            continue
        parts.append(part if isinstance(part, int | str) else str(part))
    return tuple(parts)


def _from_pydantic(error: Any, source: str, lines: _Lines) -> Problem:
    path = _clean_location(error["loc"])
    kind = error["type"]
    message = error["msg"]
    if kind == "extra_forbidden":
        message = f"unknown key '{path[-1]}'"
        parent = path[:-1]
        return Problem(source, lines.line(path), format_path(parent), message)
    if kind == "missing":
        message = f"'{path[-1]}' is required"
    elif kind == "union_tag_invalid":
        got = error.get("ctx", {}).get("tag", "?")
        message = f"unknown question type '{got}'; use one of {', '.join(sorted(QUESTION_TYPES))}"
    elif kind == "union_tag_not_found":
        message = f"'type' is required; use one of {', '.join(sorted(QUESTION_TYPES))}"
    elif kind == "string_pattern_mismatch":
        message = "use lower-case letters, digits, - and _ only, starting with a letter"
    elif kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        message = f"'{error.get('input')}' is not one of {expected}"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return Problem(source, lines.line(path), format_path(path), message)


def _condition_problems(
    condition: Condition,
    path: PathParts,
    *,
    question: QuestionBase,
    earlier: dict[str, QuestionBase],
    everywhere: set[str],
) -> Iterator[tuple[PathParts, str]]:
    if condition.all or condition.any:
        group = "all" if condition.all else "any"
        for index, part in enumerate(condition.all or condition.any or []):
            yield from _condition_problems(
                part,
                (*path, group, index),
                question=question,
                earlier=earlier,
                everywhere=everywhere,
            )
        return
    if condition.agency is not None:
        allowed = AGENCY_VALUES[condition.agency]
        for value in [condition.equals] if condition.equals is not None else condition.one_of or []:
            if str(value) not in allowed:
                yield (
                    path,
                    f"'{value}' is not a {condition.agency.value} an agency can have "
                    f"({', '.join(sorted(allowed))})",
                )
        return
    target_id = condition.question
    assert target_id is not None
    if target_id == question.id:
        yield path, f"question '{target_id}' depends on itself (a cycle)"
        return
    if target_id not in earlier:
        if target_id in everywhere:
            yield (
                path,
                (
                    f"question '{target_id}' comes later; show_if may only look at "
                    "earlier questions (this also rules out cycles)"
                ),
            )
        else:
            yield path, f"unknown question '{target_id}'"
        return
    target = earlier[target_id]
    allowed = _answer_values(target)
    if allowed is None:
        return
    for value in [condition.equals] if condition.equals is not None else condition.one_of or []:
        if str(value).lower() not in allowed:
            yield (
                path,
                (
                    f"'{value}' is not an answer question '{target_id}' can have "
                    f"({', '.join(sorted(allowed))})"
                ),
            )


AGENCY_VALUES = {
    AgencyAttribute.SECTOR: {s.value for s in AgencySector},
    AgencyAttribute.SCHOOL_TYPE: {t.value for t in SchoolType},
    AgencyAttribute.SCHOOL_PHASE: {p.value for p in SchoolPhase},
}


def _answer_values(question: QuestionBase) -> set[str] | None:
    if isinstance(question, YesNoQuestion):
        return {"yes", "no", "true", "false"}
    if isinstance(question, SingleChoiceQuestion | MultipleChoiceQuestion):
        return {option.value for option in question.options}
    return None


# Survey answers that triangulate a self-rating: a level, yes/no, a choice, or free text read
# beside it. Table, date, number and evidence answers have no "agreeing" to count.
MAPPABLE_TYPES = frozenset({"rating", "yes_no", "single_choice", "text", "long_text"})


def _maps_to_problems(
    question: QuestionBase, path: PathParts, *, survey: bool
) -> Iterator[tuple[PathParts, str]]:
    """maps_to: only in a frontline survey, on a question whose answers can be counted, each
    standard named once (as questionnaire-id/question-or-section-id)."""
    if not question.maps_to:
        return
    if not survey:
        yield path, "only a frontline survey maps its questions to the standards they test"
        return
    if getattr(question, "type", "") not in MAPPABLE_TYPES:
        yield path, f"a {getattr(question, 'type', '')} question cannot test a standard"
    seen: set[str] = set()
    for index, target in enumerate(question.maps_to):
        if target in seen:
            yield (*path, index), f"'{target}' is named twice"
        seen.add(target)


def document_problems(questionnaire: Questionnaire) -> Iterator[tuple[PathParts, str]]:
    """Rules across the document: ids, scales, conditions, scoring, audience."""
    scales = questionnaire.scales
    everywhere = {q.id for _, q in questionnaire.questions()}
    first_seen: dict[str, PathParts] = {}
    section_ids: dict[str, int] = {}
    earlier: dict[str, QuestionBase] = {}
    survey = questionnaire.audience == Audience.FRONTLINE_SURVEY

    for s_index, section in enumerate(questionnaire.sections):
        s_path: PathParts = ("sections", s_index)
        if section.id in section_ids:
            yield (
                (*s_path, "id"),
                (f"duplicate section id '{section.id}' (also sections[{section_ids[section.id]}])"),
            )
        section_ids.setdefault(section.id, s_index)
        if not section.questions and section.carry_forward is None:
            yield s_path, f"section '{section.id}' has no questions"
        if section.scored_by_panel:
            if section.scale is None:
                yield s_path, "a section scored by the panel needs a scale"
            elif section.scale not in scales:
                yield (*s_path, "scale"), f"unknown scale '{section.scale}'"
        if survey and section.carry_forward:
            yield (*s_path, "carry_forward"), "a frontline survey has no action plan to carry"
        if section.evidence_required:
            if survey:
                yield (
                    (*s_path, "evidence_required"),
                    "a frontline survey is anonymous: it cannot ask for evidence files",
                )
            elif not any(isinstance(q, EvidenceQuestion) for q in section.questions):
                yield (
                    (*s_path, "evidence_required"),
                    f"section '{section.id}' requires evidence but has no evidence question "
                    "to attach it to",
                )

        for q_index, question in enumerate(section.questions):
            q_path: PathParts = (*s_path, "questions", q_index)
            if question.id in first_seen:
                yield (
                    (*q_path, "id"),
                    (
                        f"duplicate question id '{question.id}' "
                        f"(first used at {format_path(first_seen[question.id])})"
                    ),
                )
            first_seen.setdefault(question.id, q_path)

            if question.show_if is not None:
                yield from _condition_problems(
                    question.show_if,
                    (*q_path, "show_if"),
                    question=question,
                    earlier=earlier,
                    everywhere=everywhere,
                )
            if question.scale is not None and question.scale not in scales:
                yield (*q_path, "scale"), f"unknown scale '{question.scale}'"
            elif isinstance(question, RatingQuestion) and question.descriptors:
                values = {level.value for level in scales[question.scale].all_levels()}
                for value in question.descriptors:
                    if value not in values:
                        yield (
                            (*q_path, "descriptors", value),
                            (f"scale '{question.scale}' has no level {value}"),
                        )
            if question.scored_by_panel and question.scale is None:
                yield q_path, "a question scored by the panel needs a scale"
            if survey and question.scored_by_panel:
                yield (*q_path, "scored_by_panel"), "a frontline survey is not scored by a panel"
            if survey and isinstance(question, EvidenceQuestion):
                yield q_path, "a frontline survey is anonymous: it cannot ask for evidence files"
            yield from _maps_to_problems(question, (*q_path, "maps_to"), survey=survey)
            if questionnaire.sectors and question.sectors:
                outside = set(question.sectors) - set(questionnaire.sectors)
                if outside:
                    yield (
                        (*q_path, "sectors"),
                        (
                            "sectors the questionnaire is not meant for: "
                            + ", ".join(sorted(outside))
                        ),
                    )
            earlier[question.id] = question

    for name, scale in scales.items():
        if scale.levels and any(level.label == "" for level in scale.levels):
            yield ("scales", name), "every level needs a label"


__all__ = ["CheckResult", "ColumnType", "Problem", "check_file", "check_text"]
