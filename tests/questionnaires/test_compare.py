"""`s11 questionnaire diff` and the carry-over rule: what changed between two versions."""

from __future__ import annotations

import textwrap

import yaml

from app.cli import main
from app.questionnaires.checks import check_text
from app.questionnaires.compare import compare
from tests.questionnaires.test_checks import VALID

# Version 2: q1 reworded; q3 moved into section one ahead of q2; q2 changed from a rating to
# text; q4 added.
NEW = textwrap.dedent(
    """\
    id: small
    version: 2
    title: Small
    sections:
      - id: one
        title: One
        questions:
          - id: q1
            type: yes_no
            label: Do you have a written policy?
          - id: q3
            type: single_choice
            label: Which?
            options: [{value: a, label: A}, {value: b, label: B}]
          - id: q2
            type: text
            label: How well is it followed?
            show_if: {question: q1, equals: "yes"}
      - id: two
        title: Two
        questions:
          - id: q4
            type: yes_no
            label: New question?
    """
)


def versions():
    old = check_text(VALID, source="old.yaml").questionnaire
    result = check_text(NEW, source="new.yaml")
    assert result.ok, result.problems
    return old, result.questionnaire


def test_added_removed_moved_reworded_and_retyped_questions_are_listed():
    old, new = versions()
    diff = compare(old, new)
    assert [p.question.id for p in diff.added] == ["q4"]
    assert diff.removed == []
    assert {m.question_id for m in diff.moved} >= {"q3"}
    assert [(r.question_id, r.part, r.after) for r in diff.reworded] == [
        ("q1", "label", "Do you have a written policy?")
    ]
    assert [was.question.id for was, _ in diff.retyped] == ["q2"]


def test_answers_carry_over_by_id_only_when_the_question_kept_its_type():
    old, new = versions()
    assert compare(old, new).carried_over == ["q1", "q3"]


def test_a_removed_question_is_listed_and_does_not_carry_over():
    old, new = versions()
    diff = compare(new, old)
    assert [p.question.id for p in diff.removed] == ["q4"]
    assert "q4" not in diff.carried_over


def test_the_same_questionnaire_twice_shows_no_changes():
    old, _ = versions()
    diff = compare(old, old)
    assert diff.unchanged and len(diff.carried_over) == 3


def test_diff_command_prints_the_changes(tmp_path, capsys):
    old_path, new_path = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old_path.write_text(VALID)
    new_path.write_text(NEW)
    assert main(["questionnaire", "diff", str(old_path), str(new_path)]) == 0
    out = capsys.readouterr().out
    assert "Comparing small version 1 with small version 2" in out
    assert "+ q4 in two: New question?" in out
    assert '~ q1 label: "Do you have a policy?" → "Do you have a written policy?"' in out
    assert "! q2: rating → text" in out
    assert "Answers that carry over from version 1: 2 of 4 questions" in out


def test_diff_command_refuses_files_with_problems(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- not a questionnaire\n")
    good = tmp_path / "good.yaml"
    good.write_text(VALID)
    assert main(["questionnaire", "diff", str(bad), str(good)]) == 1
    assert "bad.yaml:1 must be a mapping" in capsys.readouterr().out


def _questionnaire(version: int, order: list[str]):
    document = {
        "id": "moves",
        "version": version,
        "title": "Moves",
        "sections": [
            {
                "id": "one",
                "title": "One",
                "questions": [{"id": qid, "type": "yes_no", "label": qid} for qid in order],
            }
        ],
    }
    return check_text(yaml.safe_dump(document), source="moves.yaml").questionnaire


def test_moving_one_question_past_others_reports_only_that_question():
    old = _questionnaire(1, ["a", "b", "c", "d", "e", "f"])
    new = _questionnaire(2, ["f", "a", "b", "c", "d", "e"])
    assert [m.question_id for m in compare(old, new).moved] == ["f"]
