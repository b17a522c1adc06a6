"""Deadline reminders: one email per reminder point to the leads of returns not yet submitted,
never twice, even from two `s11 send-reminders` runs at the same moment."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.audit.models import AuditEvent
from app.cycle_models import Cycle, ReminderSent
from app.cycles import deadlines
from app.cycles import service as cycles_service
from app.cycles.reminders import send_reminders
from app.db import make_sessionmaker, utcnow
from app.directory import service as directory_service
from app.directory.models import Agency, AgencyDuty, AgencySector, Partnership, Person, Role
from app.notifications import queue as mail_queue
from app.notifications.models import SendStatus, SentEmail
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.returns.models import AgencyReturn, ReturnStatus
from tests.conftest import free_port, test_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EVERY_TYPE = PROJECT_ROOT / "tests" / "fixtures" / "every-type.yaml"
TODAY = date(2031, 3, 3)  # a Monday, after every demo deadline


@dataclass
class Round:
    partnership: Partnership
    cycle: Cycle
    returns: list[AgencyReturn]
    leads: list[Person]


def make_round(
    session: Session, version: QuestionnaireVersion, *, slug: str, agencies: int = 3
) -> Round:
    """A cycle due a week after TODAY, reminding 14, 7 and 1 days before, with one lead for
    each of its agencies."""
    partnership = directory_service.ensure_partnership(
        session, slug=slug, name=f"{slug} partnership", short_name=slug, colour="#1d70b8"
    )
    cycle = cycles_service.ensure_cycle(
        session,
        slug=f"{slug}-2031",
        name="Section 11 2031",
        version=version,
        partnerships=[partnership],
        opens_on=TODAY - timedelta(days=60),
        deadline_on=TODAY + timedelta(days=7),
        reminder_days=[14, 7, 1],
    )
    found, leads = [], []
    for n in range(agencies):
        agency = directory_service.ensure_agency(
            session,
            name=f"{slug} agency {n} <&>",
            sector=AgencySector.VOLUNTARY,
            duty=AgencyDuty.EQUIVALENT_STANDARDS,
            partnership=partnership,
        )
        lead = directory_service.ensure_person(
            session, email=f"lead{n}@{slug}.example.org", name=f"Lead {n}"
        )
        directory_service.ensure_membership(
            session, person=lead, partnership=partnership, role=Role.AGENCY_LEAD, agency=agency
        )
        found.append(agency)
        leads.append(lead)
    returns = cycles_service.open_returns(session, cycle=cycle, agencies=found)
    return Round(partnership, cycle, returns, leads)


@pytest.fixture
def reminder_round(db, every_type) -> Round:
    """Agencies 0 and 1 have not submitted; agency 2 has."""
    made = make_round(db, every_type, slug="reminders")
    made.returns[2].status = ReturnStatus.SUBMITTED
    db.commit()
    return made


@pytest.fixture
def sessions(db) -> sessionmaker[Session]:
    """Sessions inside the test's transaction, each committing only as far as it."""
    return sessionmaker(
        bind=db.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def mail_settings(database_url, var_dir, smtp_server):
    return test_settings(database_url, var_dir, smtp_host="127.0.0.1", smtp_port=smtp_server[1])


def remind(sessions, settings, *, today):  # type: ignore[no-untyped-def]
    """`s11 send-reminders`: queue the reminders due, then hand over what is due."""
    queued = send_reminders(sessions, settings, today=today)
    with sessions() as session:
        mail_queue.drain(session, settings)
    return queued


def test_each_lead_not_yet_submitted_is_reminded_once_a_week_before_and_again_the_day_before(
    db, reminder_round, sessions, mail_settings, mailbox
):
    first, second, submitted = reminder_round.leads
    assert remind(sessions, mail_settings, today=TODAY) == 2
    [message] = mailbox.to(first.email)
    assert message["Subject"] == (
        "Reminder: reminders agency 0 <&>'s Section 11 return is due in 7 days"
    )
    text = message.get_body(("plain",)).get_content()
    assert "Section 11 2031" in text and "Monday 10 March 2031" in text
    assert f"{mail_settings.base_url}/returns/{reminder_round.returns[0].id}" in text
    html = message.get_body(("html",)).get_content()
    assert "reminders agency 0 &lt;&amp;&gt;" in html and "<&>" not in html
    assert len(mailbox.to(second.email)) == 1
    assert mailbox.to(submitted.email) == []

    # Both the 14-day and the 7-day point were reached: one email covered them, and a run
    # later the same day (or a missed run caught up) sends nothing.
    assert remind(sessions, mail_settings, today=TODAY) == 0
    assert remind(sessions, mail_settings, today=TODAY + timedelta(days=3)) == 0
    assert len(mailbox.messages) == 2

    assert remind(sessions, mail_settings, today=TODAY + timedelta(days=6)) == 2
    assert "is due tomorrow" in mailbox.to(first.email)[-1]["Subject"]
    sent = db.scalars(select(SentEmail).where(SentEmail.kind == "reminder")).all()
    assert {email.partnership_id for email in sent} == {reminder_round.partnership.id}
    assert all(email.status is SendStatus.SENT for email in sent)


def test_an_agency_given_longer_is_reminded_against_its_new_deadline(
    db, reminder_round, sessions, mail_settings, mailbox
):
    given_longer, on_time, _ = reminder_round.leads
    deadlines.extend_deadline(
        db,
        agency_return=reminder_round.returns[0],
        cycle=reminder_round.cycle,
        to=TODAY + timedelta(days=20),
        reason="Their office flooded",
        actor=given_longer,
    )
    db.commit()
    assert remind(sessions, mail_settings, today=TODAY) == 1
    assert mailbox.to(given_longer.email) == []
    assert remind(sessions, mail_settings, today=TODAY + timedelta(days=6)) == 2
    assert "is due in 14 days" in mailbox.to(given_longer.email)[-1]["Subject"]
    assert "is due tomorrow" in mailbox.to(on_time.email)[-1]["Subject"]


def test_a_reminder_the_mail_server_refuses_waits_for_the_retry_and_is_not_sent_twice(
    db, reminder_round, sessions, database_url, var_dir, mail_settings, mailbox
):
    down = test_settings(database_url, var_dir, smtp_host="127.0.0.1", smtp_port=free_port())
    assert remind(sessions, down, today=TODAY) == 2  # queued; the mail server refuses both
    refused = db.scalars(select(SentEmail).where(SentEmail.kind == "reminder")).all()
    assert [email.status for email in refused] == [SendStatus.FAILED] * 2
    assert remind(sessions, mail_settings, today=TODAY) == 0  # the points are taken
    for email in refused:
        email.next_attempt_at = utcnow() - timedelta(seconds=1)  # their backoff has passed
    db.commit()
    assert mail_queue.drain(db, mail_settings) == 2
    assert len(mailbox.to(reminder_round.leads[0].email)) == 1
    assert len(mailbox.to(reminder_round.leads[1].email)) == 1


# Two hosts' cron jobs at the same moment ------------------------------------------------------


@pytest.fixture
def committed_round(engine):
    """A round really in the database, where other processes see it; removed afterwards."""
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        version, published = questionnaire_service.publish_file(
            session, path=EVERY_TYPE, actor=None
        )
        made = make_round(session, version, slug="race", agencies=4)
    try:
        yield made
    finally:
        with sessions.begin() as session:
            addresses = [lead.email for lead in made.leads]
            session.execute(delete(SentEmail).where(SentEmail.to.in_(addresses)))
            session.execute(delete(Cycle).where(Cycle.id == made.cycle.id))
            session.execute(delete(Person).where(Person.email.in_(addresses)))
            agency_ids = [r.agency_id for r in made.returns]
            session.execute(delete(Agency).where(Agency.id.in_(agency_ids)))
            session.execute(delete(Partnership).where(Partnership.id == made.partnership.id))
            if published:
                session.execute(
                    delete(AuditEvent).where(
                        AuditEvent.object_type == "questionnaire_version",
                        AuditEvent.object_id == str(version.id),
                    )
                )
                session.execute(
                    delete(QuestionnaireVersion).where(QuestionnaireVersion.id == version.id)
                )


def test_two_send_reminders_runs_at_once_deliver_each_reminder_exactly_once(
    engine, database_url, var_dir, smtp_server, mailbox, committed_round
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("S11_")}
    env.update(
        S11_DATABASE_URL=database_url,
        S11_VAR_DIR=str(var_dir),
        S11_SMTP_HOST="127.0.0.1",
        S11_SMTP_PORT=str(smtp_server[1]),
    )
    command = [sys.executable, "-m", "app.cli", "send-reminders", "--today", TODAY.isoformat()]
    runs = [
        subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    reminded = [int(out.split()[0]) for out, _ in results]
    assert sum(reminded) == 4, results
    for lead in committed_round.leads:
        assert len(mailbox.to(lead.email)) == 1, lead.email
    with make_sessionmaker(engine)() as session:
        points = session.scalars(
            select(ReminderSent.days_before).where(
                ReminderSent.return_id.in_([r.id for r in committed_round.returns])
            )
        ).all()
    assert sorted(points) == [7, 7, 7, 7, 14, 14, 14, 14]
