"""Which answers a show_if reads (autosave loads exactly those), and which follow-ups a page's
answers open, close or ask for after a save."""

from __future__ import annotations

from types import SimpleNamespace

from app.directory.models import AgencySector
from app.questionnaires.rules import controlling, follow_ups, newly_asked, questions_read, reveal
from app.questionnaires.schema import (
    Condition,
    LongTextQuestion,
    SingleChoiceQuestion,
    YesNoQuestion,
)

VOLUNTARY = SimpleNamespace(sector=AgencySector.VOLUNTARY, school_type=None, school_phase=None)


def test_an_autosave_reads_every_answer_a_nested_show_if_depends_on():
    condition = Condition.model_validate(
        {
            "all": [
                {"question": "has-policy", "equals": "yes"},
                {
                    "any": [
                        {"question": "sector", "one_of": ["statutory"]},
                        {"question": "x", "answered": True},
                    ]
                },
            ]
        }
    )
    assert questions_read(condition) == {"has-policy", "sector", "x"}
    assert questions_read(None) == set()


def _page():  # type: ignore[no-untyped-def]
    return [
        YesNoQuestion(id="lead-named", type="yes_no", label="Is an executive lead named?"),
        LongTextQuestion(
            id="why-not",
            type="long_text",
            label="Why not?",
            show_if=Condition(question="lead-named", equals="no"),
        ),
        SingleChoiceQuestion(
            id="referrals",
            type="single_choice",
            label="Referrals",
            options=[{"value": v, "label": v} for v in ("up", "same", "down")],
        ),
        LongTextQuestion(
            id="why-changed",
            type="long_text",
            label="Why?",
            show_if=Condition(question="referrals", one_of=["up", "down"]),
        ),
        LongTextQuestion(
            id="police-only",
            type="long_text",
            label="For the police",
            sectors=["police"],
            show_if=Condition(question="lead-named", equals="no"),
        ),
    ]


def test_a_page_carries_the_follow_ups_its_own_answers_open_but_not_another_sectors():
    agency = VOLUNTARY
    assert [q.id for q in follow_ups(_page(), agency=agency)] == ["why-not", "why-changed"]
    assert controlling(_page(), agency=agency) == {"lead-named", "referrals"}


def test_a_no_opens_why_not_and_a_change_of_answer_closes_it():
    agency = VOLUNTARY
    opened = reveal(_page(), agency=agency, values={"lead-named": "no"}, on_screen=set())
    assert [q.id for q in opened.shown] == ["why-not"] == [q.id for q in opened.added]
    closed = reveal(
        _page(), agency=agency, values={"lead-named": "yes", "referrals": "down"},
        on_screen={"why-not"},
    )  # fmt: skip
    assert [q.id for q in closed.shown] == ["why-changed"]
    assert [q.id for q in closed.removed] == ["why-not"]
    # Saved without the follow-up on screen: asked, unless it already holds an answer.
    values = {"lead-named": "no", "referrals": "same"}
    assert [q.id for q in newly_asked(_page(), agency=agency, values=values, on_screen=set())] == [
        "why-not"
    ]
    values["why-not"] = "Kept from before."
    assert newly_asked(_page(), agency=agency, values=values, on_screen=set()) == []
