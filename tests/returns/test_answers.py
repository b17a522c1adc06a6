"""Saving answers never loses a word: versions, conflicts, history, and the status model."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.cycle_models import Cycle
from app.db import make_sessionmaker
from app.directory import service as directory_service
from app.directory.models import AgencyDuty, AgencySector
from app.questionnaires import service as questionnaire_service
from app.returns import answers
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, Answer, ReturnStatus

EVERY_TYPE = Path(__file__).resolve().parent.parent / "fixtures" / "every-type.yaml"


def make_return(session, *, slug: str = "test-cycle"):
    """A small factory: one agency's return in a cycle on the every-type questionnaire."""
    version, _ = questionnaire_service.publish_file(session, path=EVERY_TYPE, actor=None)
    agency = directory_service.ensure_agency(
        session, name=f"Agency for {slug}", sector=AgencySector.POLICE, duty=AgencyDuty.SECTION_11
    )
    lead = directory_service.ensure_person(session, email=f"lead@{slug}.example.org", name="Lead")
    colleague = directory_service.ensure_person(
        session, email=f"colleague@{slug}.example.org", name="Colleague"
    )
    cycle = Cycle(
        slug=slug,
        name=slug,
        questionnaire_version_id=version.id,
        opens_on=date(2026, 9, 1),
        deadline_on=date(2026, 12, 1),
    )
    session.add(cycle)
    session.flush()
    agency_return = AgencyReturn(
        cycle_id=cycle.id, agency_id=agency.id, questionnaire_version_id=version.id
    )
    session.add(agency_return)
    session.flush()
    return agency_return, questionnaire_service.snapshot(version), lead, colleague


@pytest.fixture
def setup(db):
    return make_return(db)


def save(db, setup, question_id, value, based_on, who=None):
    agency_return, questionnaire, lead, _ = setup
    return answers.save_answer(
        db,
        agency_return=agency_return,
        questionnaire=questionnaire,
        question_id=question_id,
        value=value,
        based_on_version=based_on,
        actor=who or lead,
    )


def test_a_first_save_creates_version_1_and_starts_the_return(db, setup):
    saved = save(db, setup, "narrative", "We audit every case.", 0)
    assert (saved.version, saved.changed) == (1, True)
    assert setup[0].status is ReturnStatus.IN_PROGRESS


def test_saving_the_same_value_twice_changes_nothing(db, setup):
    save(db, setup, "narrative", "Same words.", 0)
    again = save(db, setup, "narrative", "Same words.", 1)
    assert (again.version, again.changed) == (1, False)
    answer = db.scalars(select(Answer)).one()
    assert len(returns_service.history_of(db, answer=answer)) == 1


def test_a_save_based_on_an_old_version_is_refused_with_both_texts(db, setup):
    agency_return, questionnaire, lead, colleague = setup
    save(db, setup, "narrative", "First draft.", 0)
    save(db, setup, "narrative", "The colleague's better text.", 1, who=colleague)
    with pytest.raises(answers.SaveConflict) as conflict:
        save(db, setup, "narrative", "The lead's text, typed meanwhile.", 1)
    assert conflict.value.yours == "The lead's text, typed meanwhile."
    assert conflict.value.current == "The colleague's better text."
    assert conflict.value.current_version == 2
    assert conflict.value.changed_by_id == colleague.id
    answer = db.scalars(select(Answer)).one()
    assert answer.value == "The colleague's better text."  # nothing overwritten


def test_every_change_is_kept_in_the_answers_history(db, setup):
    _, _, lead, colleague = setup
    save(db, setup, "narrative", "One.", 0)
    save(db, setup, "narrative", "Two.", 1, who=colleague)
    save(db, setup, "narrative", "Three.", 2)
    answer = db.scalars(select(Answer)).one()
    history = [
        (r.version, r.old_value, r.new_value, r.changed_by_id)
        for r in returns_service.history_of(db, answer=answer)
    ]
    assert history == [
        (1, None, "One.", lead.id),
        (2, "One.", "Two.", colleague.id),
        (3, "Two.", "Three.", lead.id),
    ]


def test_a_save_after_submission_is_refused_and_changes_nothing(db, setup):
    agency_return, _, lead, _ = setup
    save(db, setup, "narrative", "Final words.", 0)
    returns_service.move_return(
        db, agency_return=agency_return, to=ReturnStatus.SUBMITTED, actor=lead
    )
    with pytest.raises(returns_service.ReturnError, match="has been submitted"):
        save(db, setup, "narrative", "Too late.", 1)
    assert db.scalars(select(Answer)).one().value == "Final words."


def test_an_unknown_question_is_refused(db, setup):
    with pytest.raises(returns_service.ReturnError, match="no question 'q99'"):
        save(db, setup, "q99", "x", 0)


def test_the_status_model_allows_only_its_moves(db, setup):
    agency_return, _, lead, _ = setup
    with pytest.raises(returns_service.ReturnError, match="cannot become closed"):
        returns_service.move_return(
            db, agency_return=agency_return, to=ReturnStatus.CLOSED, actor=lead
        )
    for status in (
        ReturnStatus.IN_PROGRESS,
        ReturnStatus.SUBMITTED,
        ReturnStatus.IN_PROGRESS,
        ReturnStatus.SUBMITTED,
        ReturnStatus.AT_PANEL,
        ReturnStatus.FEEDBACK_ISSUED,
        ReturnStatus.ACTION_PLAN_AGREED,
        ReturnStatus.CLOSED,
    ):
        returns_service.move_return(db, agency_return=agency_return, to=status, actor=lead)
    assert agency_return.status is ReturnStatus.CLOSED


def test_twenty_people_autosaving_different_answers_at_once_lose_nothing(engine):
    """Real concurrent transactions on the test database, each committed."""
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        agency_return, questionnaire, lead, _ = make_return(session, slug="concurrent-saves")
        return_id, lead_id = agency_return.id, lead.id
    question_ids = [q.id for _, q in questionnaire.questions()]
    acknowledged: list[tuple[str, str]] = []
    failures: list[BaseException] = []

    def autosave(n: int) -> None:
        question_id = question_ids[n % len(question_ids)]
        value = f"answer {n}"
        try:
            with sessions.begin() as session:
                from app.directory.models import Person

                answers.save_answer(
                    session,
                    agency_return=session.get(AgencyReturn, return_id),
                    questionnaire=questionnaire,
                    question_id=f"{question_id}",
                    value=value,
                    based_on_version=0,
                    actor=session.get(Person, lead_id),
                )
            acknowledged.append((question_id, value))
        except answers.SaveConflict:
            pass  # the same question saved by another thread first: refused, not lost
        except BaseException as error:  # noqa: BLE001
            failures.append(error)

    try:
        threads = [threading.Thread(target=autosave, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not failures, failures
        with sessions() as session:
            stored = {
                (a.question_id, a.value)
                for a in session.scalars(select(Answer).where(Answer.return_id == return_id))
            }
        assert set(acknowledged) <= stored
        assert len(acknowledged) >= len(question_ids)  # each question saved by someone
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM agency_return WHERE id = :id"), {"id": return_id})
            connection.execute(text("DELETE FROM cycle WHERE slug = 'concurrent-saves'"))
            connection.execute(text("DELETE FROM questionnaire_version"))
            connection.execute(text("DELETE FROM audit_event"))
            connection.execute(
                text("DELETE FROM agency WHERE name = 'Agency for concurrent-saves'")
            )
            connection.execute(
                text("DELETE FROM person WHERE email LIKE '%@concurrent-saves.example.org'")
            )
