"""The YAML writer: what it writes passes `check`, reads like a hand-written file, and loads back
as the very questionnaire it was written from, whatever a coordinator typed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import PROJECT_ROOT
from app.questionnaires.checks import check_file, check_text
from app.questionnaires.schema import Questionnaire
from app.questionnaires.service import content_hash
from app.questionnaires.writing import KEY_ORDER, SCHEMA_LINE, questionnaire_yaml

SHIPPED = sorted((PROJECT_ROOT / "questionnaires").glob("*.yaml"))
EVERY_TYPE = Path(__file__).resolve().parent.parent / "fixtures" / "every-type.yaml"

HOSTILE = [
    'She said "no" and left',
    "It's the agency's policy",
    "Key: value",
    "key:value: more",
    "# not a comment",
    "text # with a hash",
    "- looks like a list item",
    "= SUM(A1:A9)",
    "+44 1603 000000",
    "@mention",
    "<script>alert(1)</script><b>bold</b> & &amp;",
    "Ünïcödé — “quotes” · 安全 · 🙂",
    "yes",
    "no",
    "Yes",
    "NO",
    "on",
    "off",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "1.0",
    "1",
    "0o17",
    "0x1F",
    "1e3",
    ".inf",
    "-.nan",
    "2021-09-30",
    "12:30:00",
    "*anchor",
    "&anchor",
    "!!python/object:os.system",
    "%YAML 1.1",
    "---",
    "...",
    "{not: a mapping}",
    "[not, a, list]",
    "|",
    ">",
    "?",
    "`code`",
    "  leading and trailing spaces  ",
    "tab\there",
    "two  spaces  between",
    "a very long line " * 200,
    "x" * 5000,
    "ends with a backslash \\",
    "control \x07 bell and \x1b escape",
    "line one\nline two",
    "line one\n\n  indented line three\n",
    "trailing spaces before a break   \nnext line",
    "\nstarts with a line break",
    "ends with two line breaks\n\n",
    "windows\r\nline breaks\r\n",
    "unicode breaks\u2028and\u2029and\x85next",
    "byte order mark \ufeff inside",
]


def round_trip(questionnaire: Questionnaire) -> str:
    text = questionnaire_yaml(questionnaire)
    result = check_text(text, source="written.yaml")
    assert result.ok, "\n".join(str(problem) for problem in result.problems)
    assert result.questionnaire == questionnaire
    assert content_hash(result.questionnaire) == content_hash(questionnaire)
    return text


def shipped(path: Path) -> Questionnaire:
    result = check_file(path)
    assert result.ok and result.questionnaire is not None
    return result.questionnaire


def with_text(text: str, *, multiline_ok: bool = True) -> Questionnaire:
    """The every-type fixture with the text in each place a coordinator writes words."""
    base = shipped(EVERY_TYPE).model_dump(mode="json", exclude_defaults=True)
    base["title"] = text
    base["version"] = text[:40]
    base["introduction"] = text
    base["scales"]["compliance"]["label"] = text
    base["scales"]["compliance"]["levels"][0]["label"] = text
    base["scales"]["compliance"]["levels"][0]["descriptor"] = text
    section = base["sections"][0]
    section["title"] = text
    section["guidance"] = text
    for question in section["questions"]:
        question["label"] = text
        question["hint"] = text
        for option in question.get("options", []):
            option["label"] = option["hint"] = text
        for column in question.get("columns", []):
            column["label"] = text
            for option in column.get("options", []):
                option["label"] = text
    rating = section["questions"][0]
    rating["descriptors"] = {"1": text}
    rating["evidence_prompts"] = [text, text]
    rating["equivalent_standards"] = {"label": text, "hint": text}
    # A number's answer may be compared with any words at all.
    section["questions"].append(
        {
            "id": "after-staff-count",
            "type": "text",
            "label": text,
            "show_if": {"question": "staff-count", "equals": text},
        }
    )
    return Questionnaire.model_validate(base)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_questionnaire_written_out_loads_as_the_same_questionnaire(path):
    round_trip(shipped(path))


def test_every_question_type_written_out_loads_as_the_same_questionnaire():
    round_trip(shipped(EVERY_TYPE))


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_awkward_words_in_every_field_come_back_exactly_as_typed(text):
    round_trip(with_text(text))


# Pieces that YAML treats specially, so that generated text meets them often and side by side.
AWKWARD_PIECES = st.sampled_from(
    [*"ab  \n\t:#-'\"|>?*&!%@`{}[],.\\\r\x85\u2028\x00\ufeffé🙂"]
    + ["yes", "null", "~", "1.0", "- ", ": ", " #", "\n\n", "  \n"]
)
PROPERTIES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=400))
def test_any_words_a_coordinator_types_come_back_exactly(text):
    round_trip(with_text(text))


@PROPERTIES
@given(st.lists(AWKWARD_PIECES, min_size=1, max_size=300).map("".join))
def test_spaces_breaks_and_yaml_punctuation_in_any_order_come_back_exactly(text):
    round_trip(with_text(text))


def test_an_editor_offers_schema_checking_from_the_first_line():
    text = questionnaire_yaml(shipped(EVERY_TYPE))
    assert text.splitlines()[0] == SCHEMA_LINE


def test_each_section_is_announced_by_a_comment_naming_it():
    questionnaire = shipped(PROJECT_ROOT / "questionnaires" / "norfolk-2021.yaml")
    lines = questionnaire_yaml(questionnaire).splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith("  - id: ")]
    assert len(starts) == len(questionnaire.sections)
    for index, section in zip(starts, questionnaire.sections, strict=True):
        assert (
            lines[index - 1].strip()
            == f"# Section {questionnaire.sections.index(section) + 1}: {section.title}"
        )
        assert lines[index] == f"  - id: {section.id}"


def test_a_section_title_cannot_break_out_of_its_comment():
    questionnaire = with_text("Title\nid: injected\n- id: evil # \x07 \u2028 more")
    text = round_trip(questionnaire)
    comment = next(line for line in text.splitlines() if line.startswith("  # Section 1"))
    assert comment == "  # Section 1: Title id: injected - id: evil # more"


# What each mapping is, from the key it sits under.
KIND_UNDER = {
    "scales": "RatingScale",
    "levels": "Level",
    "percentage": "PercentageSteps",
    "sections": "Section",
    "questions": "Question",
    "columns": "Column",
    "options": "Option",
    "show_if": "Condition",
    "all": "Condition",
    "any": "Condition",
    "equivalent_standards": "EquivalentWording",
}


def key_orders(node, kind: str | None) -> list[tuple[str, list[str]]]:
    """Every mapping's keys in the order written, with the kind of part it is."""
    found = []
    if isinstance(node, yaml.MappingNode):
        keys = [key.value for key, _ in node.value]
        if kind is None:  # a fragment of a file, as the README's examples are
            whole = "sections" in keys or "version" in keys
            kind = "Questionnaire" if whole else "Section" if "title" in keys else "Question"
        if kind in KEY_ORDER:
            found.append((kind, keys))
        for key, value in node.value:
            inner = KIND_UNDER.get(key.value)
            if key.value == "scales" and isinstance(value, yaml.MappingNode):
                for _, scale in value.value:
                    found += key_orders(scale, "RatingScale")
            elif inner is not None or isinstance(value, yaml.MappingNode):
                found += key_orders(value, inner or "")
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += key_orders(item, kind)
    return found


def out_of_order(orders: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    def place(kind: str, key: str) -> int:
        return KEY_ORDER[kind].index(key) if key in KEY_ORDER[kind] else -1

    return [
        (kind, keys)
        for kind, keys in orders
        if keys != sorted(keys, key=lambda key, kind=kind: place(kind, key))
    ]


def test_the_written_order_is_the_order_of_the_readmes_examples():
    readme = (PROJECT_ROOT / "questionnaires" / "README.md").read_text(encoding="utf-8")
    examples = [block.split("```", 1)[0] for block in readme.split("```yaml\n")[1:]]
    orders = [
        order
        for example in examples
        for order in key_orders(yaml.compose(example, Loader=yaml.SafeLoader), None)
    ]
    assert {kind for kind, _ in orders} >= {"Questionnaire", "Section", "Question", "Level"}
    assert out_of_order(orders) == []


@pytest.mark.parametrize("path", [*SHIPPED, EVERY_TYPE], ids=lambda path: path.name)
def test_keys_come_in_the_order_the_readme_documents(path):
    orders = key_orders(
        yaml.compose(questionnaire_yaml(shipped(path)), Loader=yaml.SafeLoader), None
    )
    assert {kind for kind, _ in orders} >= {"Questionnaire", "Section", "Question"}
    assert out_of_order(orders) == []
    assert orders[0][1][:3] == ["id", "version", "title"]


def test_defaults_are_left_out_and_markdown_keeps_its_lines():
    text = questionnaire_yaml(shipped(PROJECT_ROOT / "questionnaires" / "norfolk-2021.yaml"))
    assert "required: true" not in text
    assert "weight: 1.0" not in text and "weight: 1\n" not in text
    assert "audience: agency_return" not in text
    assert "board: children" not in text
    assert "introduction: |\n  Section 11 of the Children Act 2004" in text
    assert "    guidance: |\n" in text


def test_every_field_of_the_format_has_its_place_in_the_written_order():
    from app.questionnaires import schema

    for kind, model in [
        ("Questionnaire", schema.Questionnaire),
        ("Section", schema.Section),
        ("RatingScale", schema.RatingScale),
        ("Level", schema.Level),
        ("PercentageSteps", schema.PercentageSteps),
        ("Condition", schema.Condition),
        ("Option", schema.Option),
        ("Column", schema.Column),
        ("EquivalentWording", schema.EquivalentWording),
    ]:
        assert set(model.model_fields) <= set(KEY_ORDER[kind]), kind
    question_fields = set()
    for model in schema.Question.__origin__.__args__:
        question_fields |= set(model.model_fields)
    assert question_fields <= set(KEY_ORDER["Question"])


def test_show_if_answers_keep_their_type_and_whole_numbers_read_as_numbers():
    questionnaire = Questionnaire.model_validate(
        {
            "id": "typed",
            "version": "1",
            "title": "Typed answers",
            "sections": [
                {
                    "id": "only",
                    "title": "Only",
                    "weight": 2.0,
                    "questions": [
                        {"id": "count", "type": "number", "label": "How many?", "min": 0.0},
                        {"id": "policy", "type": "yes_no", "label": "A policy?"},
                        {
                            "id": "a",
                            "type": "text",
                            "label": "A",
                            "show_if": {"question": "count", "equals": 1.0},
                        },
                        {
                            "id": "b",
                            "type": "text",
                            "label": "B",
                            "show_if": {"question": "count", "equals": 1},
                        },
                        {
                            "id": "c",
                            "type": "text",
                            "label": "C",
                            "show_if": {"question": "policy", "equals": True},
                        },
                        {
                            "id": "d",
                            "type": "text",
                            "label": "D",
                            "show_if": {"question": "policy", "equals": "yes"},
                        },
                    ],
                }
            ],
        }
    )
    text = round_trip(questionnaire)
    assert "weight: 2\n" in text and "min: 0\n" in text
    assert "{question: count, equals: 1.0}" in text
    assert "{question: count, equals: 1}" in text
    assert "{question: policy, equals: true}" in text
    assert "{question: policy, equals: 'yes'}" in text


def minimal(**section: object) -> dict:
    return {"id": "edge", "version": "1", "title": "Edges", "sections": [section]}


@pytest.mark.parametrize(
    ("low", "high", "weight"),
    [
        (-0.0, 1e300, 0.5),
        (1e16, 1e17, 1e-7),
        (-5.0, 2.5, 3.0),
        (float("-inf"), float("inf"), 1e308),
        (None, 7.0, 1.0),
    ],
)
def test_numbers_at_the_edges_keep_their_value_and_fingerprint(low, high, weight):
    question = {"id": "count", "type": "number", "label": "How many?", "min": low, "max": high}
    round_trip(
        Questionnaire.model_validate(
            minimal(id="only", title="Only", weight=weight, questions=[question])
        )
    )


def test_ids_that_read_as_yaml_words_stay_text():
    words = ["yes", "no", "on", "off", "true", "false", "null"]
    questionnaire = Questionnaire.model_validate(
        {
            "id": "null",
            "version": "1",
            "title": "true",
            "scales": {
                word: {
                    "label": word,
                    "levels": [
                        {"value": 1, "label": "no", "colour": "red", "descriptor": "off"},
                        {"value": 2, "label": "yes", "colour": "green", "descriptor": "on"},
                    ],
                }
                for word in words
            },
            "sections": [
                {
                    "id": word,
                    "title": word,
                    "scored_by_panel": True,
                    "scale": word,
                    "questions": [
                        {"id": f"{word}-rating", "type": "rating", "scale": word, "label": word},
                        {
                            "id": f"{word}-choice",
                            "type": "single_choice",
                            "label": word,
                            "options": [{"value": w, "label": w} for w in words],
                        },
                        {
                            "id": f"{word}-follow-up",
                            "type": "text",
                            "label": word,
                            "show_if": {"question": f"{word}-choice", "one_of": words},
                        },
                    ],
                }
                for word in words
            ],
        }
    )
    round_trip(questionnaire)
