"""The questionnaires that ship with s11 all pass `check`, load, and fit together."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.config import PROJECT_ROOT
from app.questionnaires.checks import check_file
from app.questionnaires.compare import compare
from app.questionnaires.schema import Audience, RatingQuestion, json_schema

SHIPPED = PROJECT_ROOT / "questionnaires"
EXPECTED = {
    "norfolk-2020.yaml": ("norfolk-section11", "2020"),
    "norfolk-2021.yaml": ("norfolk-section11", "2021"),
    "core-standards-2023.yaml": ("section11-core-standards", "2023.1"),
    "frontline-survey-2021.yaml": ("frontline-practitioner-survey", "2021"),
    "safeguarding-adults-board-2025.yaml": ("sab-self-assessment", "2025.1"),
    "schools-safeguarding-2025.yaml": ("schools-safeguarding-audit", "2025.1"),
    "eight-standards-2025.yaml": ("section11-eight-standards", "2025.1"),
}


def load(name: str):
    result = check_file(SHIPPED / name)
    assert result.ok, "\n".join(str(p) for p in result.problems)
    return result.questionnaire


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_shipped_questionnaire_passes_check(name):
    questionnaire = load(name)
    assert (questionnaire.id, questionnaire.version) == EXPECTED[name]


def test_no_other_yaml_file_hides_in_the_questionnaires_folder():
    assert {path.name for path in SHIPPED.glob("*.yaml")} == set(EXPECTED)


def test_norfolk_2020_has_the_four_sections_norfolk_used():
    questionnaire = load("norfolk-2020.yaml")
    assert len(questionnaire.sections) == 4
    assert questionnaire.sections[-1].carry_forward == "action_plan"
    titles = " ".join(section.title.lower() for section in questionnaire.sections)
    assert "priorities" in titles and "covid" in titles and "composite action plan" in titles


def test_core_standards_rate_every_standard_with_a_descriptor_for_every_level():
    questionnaire = load("core-standards-2023.yaml")
    ratings = [q for _, q in questionnaire.questions() if isinstance(q, RatingQuestion)]
    assert len(questionnaire.sections) >= 11
    scales_used = {q.scale for q in ratings}
    assert any(questionnaire.scales[s].percentage for s in scales_used)
    for question in ratings:
        scale = questionnaire.scales[question.scale]
        if scale.levels:
            assert set(question.descriptors or {}) == {level.value for level in scale.levels}, (
                question.id
            )
            assert question.evidence_prompts and question.scored_by_panel, question.id
            assert question.equivalent_standards, question.id


def test_the_frontline_survey_maps_its_questions_to_real_standards_of_shipped_returns():
    survey = load("frontline-survey-2021.yaml")
    returns = {
        q.id: q for q in (load(name) for name in ("core-standards-2023.yaml", "norfolk-2021.yaml"))
    }
    assert survey.audience == Audience.FRONTLINE_SURVEY
    mapped = [target for _, q in survey.questions() for target in q.maps_to or []]
    assert {target.split("/")[0] for target in mapped} == set(returns)
    for target in mapped:
        questionnaire_id, standard = target.split("/")
        found = returns[questionnaire_id]
        assert found.question(standard) or standard in {s.id for s in found.sections}, target


def test_norfolk_2021_keeps_most_answers_from_2020():
    diff = compare(load("norfolk-2020.yaml"), load("norfolk-2021.yaml"))
    assert diff.added and diff.removed and diff.reworded
    assert len(diff.carried_over) >= len(diff.new.questions()) // 2


def test_the_published_json_schema_matches_the_format():
    on_disk = json.loads((SHIPPED / "schema.json").read_text())
    assert on_disk == json_schema(), "run: s11 questionnaire schema > questionnaires/schema.json"


def test_check_command_passes_every_shipped_file():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "questionnaire",
            "check",
            *sorted(str(path) for path in SHIPPED.glob("*.yaml")),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout


def test_the_format_example_in_the_readme_passes_check():
    from app.questionnaires.checks import check_text

    readme = (SHIPPED / "README.md").read_text()
    example = readme.split("## The format", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    result = check_text(example, source="README.md")
    assert result.ok, result.problems


def _school(school_type: str | None, phase: str | None = None):
    from types import SimpleNamespace

    from app.directory.models import AgencySector, SchoolPhase, SchoolType

    return SimpleNamespace(
        sector=AgencySector.EDUCATION,
        school_type=SchoolType(school_type) if school_type else None,
        school_phase=SchoolPhase(phase) if phase else None,
    )


def _shown_ids(questionnaire, agency) -> set[str]:
    from app.questionnaires.rules import is_shown

    return {q.id for _, q in questionnaire.questions() if is_shown(q, agency=agency, values={})}


def test_the_schools_audit_words_the_duty_by_school_type():
    audit = load("schools-safeguarding-2025.yaml")
    maintained = _shown_ids(audit, _school("maintained", "primary"))
    independent = _shown_ids(audit, _school("independent", "secondary"))
    academy = _shown_ids(audit, _school("academy", "secondary"))
    assert "duty-s175" in maintained and "duty-s157" not in maintained
    assert "duty-s157" in independent and "duty-s175" not in independent
    assert "governance-maintained" in maintained and "governance-academy" in academy
    assert "governance-academy" not in maintained and "governance-maintained" not in academy
    # A primary school is not asked the secondary phase's question about online sharing.
    assert "child-on-child-online" in independent and "child-on-child-online" not in maintained
    assert any(getattr(q, "type", "") == "table" for _, q in audit.questions())


def test_the_adults_board_and_eight_standards_tools_rate_every_section():
    for name, sections in (
        ("safeguarding-adults-board-2025.yaml", 6),
        ("eight-standards-2025.yaml", 8),
    ):
        questionnaire = load(name)
        rated = [s for s in questionnaire.sections if s.scored_by_panel]
        assert len(rated) == sections, name
        assert any(s.evidence_required for s in questionnaire.sections), name
        assert questionnaire.sections[-1].carry_forward == "action_plan", name
    titles = " ".join(s.title for s in load("safeguarding-adults-board-2025.yaml").sections)
    for theme in ("six safeguarding principles", "Making Safeguarding Personal", "Mental Capacity"):
        assert theme in titles
