"""`s11 questionnaire check`: each class of mistake is caught with its file, line and path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.cli import main
from app.questionnaires.checks import check_file, check_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

VALID = textwrap.dedent(
    """\
    id: small
    version: 1
    title: Small
    scales:
      compliance:
        label: Compliance
        levels:
          - {value: 1, label: Not met, colour: red, descriptor: Not in place.}
          - {value: 2, label: Met, colour: green, descriptor: In place.}
    sections:
      - id: one
        title: One
        questions:
          - id: q1
            type: yes_no
            label: Do you have a policy?
          - id: q2
            type: rating
            scale: compliance
            label: How well is it followed?
            show_if: {question: q1, equals: "yes"}
      - id: two
        title: Two
        questions:
          - id: q3
            type: single_choice
            label: Which?
            options: [{value: a, label: A}, {value: b, label: B}]
    """
)


def problems(text: str) -> list[str]:
    return [str(problem) for problem in check_text(text, source="s11.yaml").problems]


def test_a_valid_questionnaire_has_no_problems():
    result = check_text(VALID, source="s11.yaml")
    assert result.ok, result.problems
    assert result.questionnaire is not None and result.questionnaire.version == "1"


def test_a_condition_on_a_missing_question_names_file_line_and_path():
    text = VALID.replace("show_if: {question: q1", "show_if: {question: q9")
    assert problems(text) == ["s11.yaml:21 sections[0].questions[1].show_if: unknown question 'q9'"]


def test_a_condition_on_a_later_question_is_refused():
    text = VALID.replace("show_if: {question: q1", "show_if: {question: q3")
    [problem] = problems(text)
    assert "sections[0].questions[1].show_if: question 'q3' comes later" in problem


def test_a_question_depending_on_itself_is_reported_as_a_cycle():
    text = VALID.replace("show_if: {question: q1", "show_if: {question: q2")
    [problem] = problems(text)
    assert "depends on itself (a cycle)" in problem


def test_a_condition_inside_all_or_any_is_checked_too():
    text = VALID.replace(
        'show_if: {question: q1, equals: "yes"}',
        "show_if: {any: [{question: q1, answered: true}, {all: [{question: zz, equals: 1}]}]}",
    )
    [problem] = problems(text)
    assert "show_if.any[1].all[0]: unknown question 'zz'" in problem


def test_a_condition_value_the_question_cannot_have_is_refused():
    text = VALID.replace('equals: "yes"', 'equals: "maybe"')
    [problem] = problems(text)
    assert "'maybe' is not an answer question 'q1' can have" in problem


def test_unknown_keys_are_named_at_their_own_line():
    text = VALID.replace(
        "label: Do you have a policy?", "label: Do you have a policy?\n        lable: typo"
    )
    [problem] = problems(text)
    assert problem == "s11.yaml:17 sections[0].questions[0]: unknown key 'lable'"


def test_duplicate_question_ids_are_refused_with_where_the_first_is():
    text = VALID.replace("id: q3", "id: q1")
    [problem] = problems(text)
    assert "sections[1].questions[0].id: duplicate question id 'q1'" in problem
    assert "first used at sections[0].questions[0]" in problem


def test_duplicate_section_ids_are_refused():
    text = VALID.replace("id: two", "id: one")
    assert any("duplicate section id 'one'" in p for p in problems(text))


def test_an_unknown_scale_is_refused():
    text = VALID.replace("scale: compliance", "scale: ofsted")
    [problem] = problems(text)
    assert "sections[0].questions[1].scale: unknown scale 'ofsted'" in problem


def test_a_descriptor_for_a_level_the_scale_lacks_is_refused():
    text = VALID.replace(
        "scale: compliance\n", "scale: compliance\n        descriptors: {7: Seven}\n"
    )
    [problem] = problems(text)
    assert "descriptors[7]: scale 'compliance' has no level 7" in problem


def test_an_empty_section_is_refused_unless_it_carries_the_action_plan_forward():
    empty = VALID + "  - id: three\n    title: Three\n"
    assert any("section 'three' has no questions" in p for p in problems(empty))
    carried = empty + "    carry_forward: action_plan\n"
    assert problems(carried) == []


def test_wrong_types_are_refused_with_their_path():
    text = VALID.replace(
        "label: Do you have a policy?", "label: Do you have a policy?\n        required: often"
    )
    [problem] = problems(text)
    assert "sections[0].questions[0].required: Input should be a valid boolean" in problem


def test_an_unknown_question_type_lists_the_types_there_are():
    text = VALID.replace("type: yes_no", "type: essay")
    [problem] = problems(text)
    assert "unknown question type 'essay'; use one of date, evidence" in problem


def test_a_missing_required_key_is_named():
    text = VALID.replace("title: Small\n", "")
    assert problems(text) == ["s11.yaml:1 title: 'title' is required"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "s11.yaml:1 is empty"),
        ("- one\n- two\n", "s11.yaml:1 must be a mapping"),
        ("just words", "s11.yaml:1 must be a mapping"),
        ("id: [unclosed\n", "s11.yaml:2 is not valid YAML"),
        ("a: &a [*a]\n", "has an alias that refers to itself"),
        ("x: !!python/object:os.system ls\n", "s11.yaml:1 is not valid YAML"),
        ("---\na: 1\n---\nb: 2\n", "is not valid YAML"),
    ],
)
def test_yaml_that_is_not_a_questionnaire_mapping_gets_one_clear_problem(text, expected):
    [problem] = problems(text)
    assert problem.startswith(expected) or expected in problem


def test_a_billion_laughs_is_refused_without_expanding_it():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    [problem] = problems("\n".join(lines))
    assert "too large once its aliases" in problem


def test_a_frontline_survey_never_asks_for_evidence_or_panel_scores():
    text = VALID.replace("title: Small", "title: Small\naudience: frontline_survey").replace(
        "        label: Do you have a policy?",
        "        label: Do you have a policy?\n"
        "        scored_by_panel: true\n        scale: compliance",
    )
    found = problems(text)
    assert any("a frontline survey is not scored by a panel" in p for p in found)


def test_a_percentage_scale_must_step_evenly_to_100():
    text = VALID.replace(
        "  compliance:\n", "  percent:\n    label: P\n    percentage: {step: 30}\n  compliance:\n"
    )
    [problem] = problems(text)
    assert "scales.percent.percentage: step must divide 100 exactly" in problem


def test_check_command_prints_every_problem_and_exits_1(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(VALID)
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("id: q3", "id: q1").replace("scale: compliance", "scale: nope"))
    assert main(["questionnaire", "check", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{good}: ok (small version 1, 2 sections, 3 questions)" in out
    assert "bad.yaml:19 sections[0].questions[1].scale: unknown scale 'nope'" in out
    assert "duplicate question id 'q1'" in out


def test_check_command_exits_0_when_every_file_is_fine(tmp_path, capsys):
    assert main(["questionnaire", "check", str(FIXTURES / "every-type.yaml")]) == 0


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9".encode("latin-1"))
    [problem] = check_file(path).problems
    assert str(problem).startswith("latin1.yaml:? is not UTF-8 text")


AGENCY_RULES = textwrap.dedent(
    """\
    id: small
    version: 1
    title: Small
    sections:
      - id: one
        title: One
        evidence_required: true
        questions:
          - id: q1
            type: yes_no
            label: Is this a school?
            show_if: {agency: school_type, one_of: [academy, grammar]}
          - id: q2
            type: yes_no
            label: Phase?
            show_if: {agency: school_phase, equals: primary}
    """
)


def test_check_locates_an_unknown_school_type_and_a_section_needing_evidence_it_cannot_hold():
    found = problems(AGENCY_RULES)
    assert any(
        p.startswith("s11.yaml:12 sections[0].questions[0].show_if")
        and "'grammar' is not a school_type" in p
        for p in found
    ), found
    assert any(
        p.startswith("s11.yaml:7 sections[0].evidence_required") and "no evidence question" in p
        for p in found
    ), found
    assert len(found) == 2, found


def test_a_board_other_than_children_or_adults_is_refused_at_its_line():
    assert check_text(VALID.replace("title: Small\n", "title: Small\nboard: adults\n")).ok
    assert check_text(VALID, source="s11.yaml").questionnaire.board == "children"
    text = VALID.replace("title: Small\n", "title: Small\nboard: grown-ups\n")
    assert problems(text) == ["s11.yaml:4 board: 'grown-ups' is not one of 'children' or 'adults'"]
