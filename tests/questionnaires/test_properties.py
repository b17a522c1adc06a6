"""Property-based: no document, however malformed, makes `check` raise instead of report."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.questionnaires.checks import check_text

FIXTURE = (Path(__file__).resolve().parent.parent / "fixtures" / "every-type.yaml").read_text()
KEYS = [
    "id",
    "version",
    "title",
    "sections",
    "questions",
    "type",
    "label",
    "scale",
    "scales",
    "levels",
    "value",
    "colour",
    "descriptor",
    "show_if",
    "question",
    "equals",
    "one_of",
    "all",
    "any",
    "answered",
    "options",
    "columns",
    "sectors",
    "required",
    "percentage",
    "step",
    "descriptors",
    "min",
    "max",
    "max_length",
    "rating",
    "table",
    "carry_forward",
    "weight",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(KEYS),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=6
        ),
    ),
    max_leaves=40,
)
CHECK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_reports(text: str) -> None:
    result = check_text(text, source="generated.yaml")
    assert result.ok or result.problems
    for problem in result.problems:
        assert str(problem).startswith("generated.yaml:")


@CHECK
@given(st.text(max_size=300))
def test_any_text_gets_problems_not_a_traceback(text):
    assert_reports(text)


@CHECK
@given(DOCUMENTS)
def test_any_yaml_document_gets_problems_not_a_traceback(document):
    assert_reports(yaml.safe_dump(document, allow_unicode=True))


@CHECK
@given(st.data())
def test_a_valid_questionnaire_with_any_part_replaced_gets_problems_not_a_traceback(data):
    document = yaml.safe_load(FIXTURE)
    # Walk down a random path of the real questionnaire and replace what is there.
    node = document
    for _ in range(data.draw(st.integers(0, 6))):
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node, key=str)))
            if not isinstance(node[key], dict | list) or not node[key]:
                node[key] = data.draw(DOCUMENTS)
                break
            node = node[key]
        elif isinstance(node, list) and node:
            index = data.draw(st.integers(0, len(node) - 1))
            if not isinstance(node[index], dict | list) or not node[index]:
                node[index] = data.draw(DOCUMENTS)
                break
            node = node[index]
    assert_reports(yaml.safe_dump(document, allow_unicode=True))


@CHECK
@given(st.integers(0, len(FIXTURE)), st.text(max_size=10))
def test_a_valid_file_with_text_spliced_in_gets_problems_not_a_traceback(position, insert):
    assert_reports(FIXTURE[:position] + insert + FIXTURE[position:])
