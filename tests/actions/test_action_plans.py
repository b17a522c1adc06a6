"""Action plans through the pages: the agency writes and submits its plan, the coordinator
returns or agrees it, progress is recorded through the year, last year's actions come back in
this year's return, and the Composite Action Plan counts open actions at past dates."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from app.actions import composite, plans, progress, recommendations
from app.actions.models import Action, ActionPlan, ActionStatus, ActionUpdate, PlanStatus
from app.actions.reminders import send_action_reminders
from app.cycle_models import Cycle
from app.directory.models import Agency, Role
from app.returns import service as returns_service
from app.returns.models import AgencyReturn, ReturnStatus
from app.storage.backends import storage_for
from tests.conftest import (
    SMALL_PDF,
    lead_of,
    person_by_email,
    person_with_role,
    sign_in,
    test_settings,
)
from tests.returns.test_evidence import zip_bomb

COORDINATOR = "coordinator@nscp.example.org"
YOUTH_JUSTICE = "Norfolk Youth Justice Service"  # the demo's 2021 return with feedback issued


def _return_of(db, agency_name: str, cycle: str = "s11-2021") -> AgencyReturn:
    return db.scalars(
        select(AgencyReturn)
        .join(Cycle)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(Agency.name == agency_name, Cycle.slug == cycle)
    ).one()


def _plan(db, agency_return) -> plans.PlanView:
    lead = lead_of(db, db.get(Agency, agency_return.agency_id).name)
    view = returns_service.return_for(db, person=lead, return_id=agency_return.id)
    return plans.plan_view(db, view=view)


def _action_form(client, url: str, recommendation_id: int, **fields) -> dict[str, str]:
    due = date.today() + timedelta(days=90)
    form = {
        "csrf_token": client.csrf_token(url),
        "recommendation": str(recommendation_id),
        "description": "Name an exploitation lead who attends the monthly meeting.",
        "owner": "Head of Service",
        "due-day": str(due.day),
        "due-month": str(due.month),
        "due-year": str(due.year),
        "success_measure": "Minutes show the lead at every meeting; referrals within a week.",
    }
    return form | fields


def _add_action(client, agency_return, recommendation_id, **fields):
    base = f"/returns/{agency_return.id}/action-plan"
    return client.post(
        f"{base}/actions",
        data=_action_form(client, base, recommendation_id, **fields),
        follow_redirects=False,
    )


def test_a_plan_returned_with_comments_is_changed_resubmitted_and_agreed(
    mail_client, db, demo, mailbox
):
    client = mail_client
    youth_justice = _return_of(db, YOUTH_JUSTICE)
    lead = lead_of(db, YOUTH_JUSTICE)
    sign_in(client, lead)
    page = client.get(f"/returns/{youth_justice.id}")
    assert "Your action plan" in page.text
    plan = _plan(db, youth_justice)
    first, second = plan.recommendations
    # The demo's draft answers the first recommendation only: submitting now is refused.
    base = f"/returns/{youth_justice.id}/action-plan"
    refused = client.post(
        f"{base}/submit", data={"csrf_token": client.csrf_token(base)}, follow_redirects=False
    )
    assert refused.status_code == 409
    assert "Add at least one action for each recommendation: 1 has none yet" in refused.text
    assert _add_action(client, youth_justice, second.id).status_code == 303
    submitted = client.post(
        f"{base}/submit", data={"csrf_token": client.csrf_token(base)}, follow_redirects=False
    )
    assert submitted.status_code == 303
    assert "Waiting for agreement" in client.get(base).text

    # The coordinator returns it: comments are needed, and the lead is told.
    sign_in(client, person_by_email(db, COORDINATOR))
    review = f"/round/returns/{youth_justice.id}/action-plan"
    assert "Name an exploitation lead" in client.get(review).text
    no_comments = client.post(
        f"{review}/review",
        data={"csrf_token": client.csrf_token(review), "decision": "return", "comments": " "},
    )
    assert no_comments.status_code == 400
    assert "Enter comments saying what the agency should change" in no_comments.text
    returned = client.post(
        f"{review}/review",
        data={
            "csrf_token": client.csrf_token(review),
            "decision": "return",
            "comments": "Say who checks the training has changed practice.",
        },
        follow_redirects=False,
    )
    assert returned.status_code == 303
    [email] = mailbox.to(lead.email)
    assert "returned with comments" in email["Subject"]
    assert "Say who checks the training has changed practice." in email.get_content()

    # The lead sees the comments, changes an action, submits again.
    sign_in(client, lead)
    page = client.get(base)
    assert "Returned with comments" in page.text
    assert "Say who checks the training has changed practice." in page.text
    action = _plan(db, youth_justice).actions[first.id][0]
    edit = f"{base}/actions/{action.id}/edit"
    changed = client.post(
        edit,
        data=_action_form(
            client, edit, first.id, success_measure="The practice lead audits 10 cases."
        ),
        follow_redirects=False,
    )
    assert changed.status_code == 303
    client.post(f"{base}/submit", data={"csrf_token": client.csrf_token(base)})

    sign_in(client, person_by_email(db, COORDINATOR))
    agreed = client.post(
        f"{review}/review",
        data={"csrf_token": client.csrf_token(review), "decision": "agree", "comments": ""},
        follow_redirects=False,
    )
    assert agreed.status_code == 303
    db.refresh(youth_justice)
    assert youth_justice.status is ReturnStatus.ACTION_PLAN_AGREED
    plan = _plan(db, youth_justice)
    assert plan.status is PlanStatus.AGREED
    assert [r.agreed for r in plan.reviews] == [True, False]
    assert plan.actions[first.id][0].success_measure == "The practice lead audits 10 cases."
    assert "Action plan agreed" in mailbox.to(lead.email)[-1]["Subject"]
    # Agreed, the plan's actions no longer change.
    sign_in(client, lead)
    assert _add_action(client, youth_justice, first.id).status_code == 409


def test_an_action_with_no_owner_and_a_due_date_gone_by_is_refused_keeping_what_was_typed(
    client, db, demo
):
    youth_justice = _return_of(db, YOUTH_JUSTICE)
    sign_in(client, lead_of(db, YOUTH_JUSTICE))
    [_first, second] = _plan(db, youth_justice).recommendations
    gone = date.today() - timedelta(days=1)
    response = _add_action(
        client,
        youth_justice,
        second.id,
        owner="",
        description="Brief every team manager <script>alert(1)</script>",
        **{"due-day": str(gone.day), "due-month": str(gone.month), "due-year": str(gone.year)},
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Enter who owns the action" in response.text
    assert "The due date must be today or later" in response.text
    assert "Brief every team manager &lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert not _plan(db, youth_justice).actions.get(second.id)
    not_a_date = _add_action(client, youth_justice, second.id, **{"due-month": "13"})
    assert "Enter a real date" in not_a_date.text


def test_another_agencys_plan_actions_and_evidence_are_not_found(client, db, demo, settings):
    last_year = _return_of(db, "Norfolk Constabulary", "s11-2020")
    plan = _plan(db, last_year)
    action = next(iter(plan.actions.values()))[0]
    lead = lead_of(db, "Norfolk Constabulary")
    progress.record_progress(
        db,
        action=action,
        progress=progress.Progress("on_track", "Audit under way."),
        actor=lead,
        upload=progress.Upload(io.BytesIO(SMALL_PDF), "Audit.pdf"),
        storage=storage_for(settings),
        max_bytes=1024 * 1024,
    )
    file = progress.history_of(db, action=action)[0].files[0]
    base = f"/returns/{last_year.id}/action-plan"
    sign_in(client, lead)
    download = client.get(f"{base}/actions/{action.id}/evidence/{file.id}")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    sign_in(client, lead_of(db, "NSPCC"))
    for url in (
        base,
        f"{base}/actions/{action.id}",
        f"{base}/actions/{action.id}/evidence/{file.id}",
    ):
        assert client.get(url).status_code == 404, url
    # NSPCC's own plan does not open Norfolk Constabulary's action either.
    nspcc = _return_of(db, "NSPCC", "s11-2020")
    assert client.get(f"/returns/{nspcc.id}/action-plan/actions/{action.id}").status_code == 404


def test_progress_with_evidence_shows_in_the_history_and_a_disguised_program_is_refused(
    client, db, demo
):
    last_year = _return_of(db, "NSPCC", "s11-2020")
    action = next(iter(_plan(db, last_year).actions.values()))[0]
    sign_in(client, lead_of(db, "NSPCC"))
    url = f"/returns/{last_year.id}/action-plan/actions/{action.id}"
    before = len(progress.history_of(db, action=action))
    refused = client.post(
        f"{url}/progress",
        data={"csrf_token": client.csrf_token(url), "status": "complete", "note": "Done."},
        files={"evidence": ("report.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")},
    )
    assert refused.status_code == 400
    assert "report.pdf" in refused.text
    assert "Done." in refused.text  # what was typed is still there
    db.refresh(action)
    assert action.status is not ActionStatus.COMPLETE
    assert len(progress.history_of(db, action=action)) == before
    saved = client.post(
        f"{url}/progress",
        data={"csrf_token": client.csrf_token(url), "status": "complete", "note": "Done."},
        files={"evidence": ("Audit report.pdf", SMALL_PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get(url)
    assert "Complete" in page.text and "Audit report.pdf" in page.text
    db.refresh(action)
    assert action.status is ActionStatus.COMPLETE
    # The same status again with no note says nothing new, and is refused as such.
    again = client.post(
        f"{url}/progress",
        data={"csrf_token": client.csrf_token(url), "status": "complete", "note": ""},
    )
    assert "Enter a progress note, or choose a new status" in again.text


def test_open_actions_by_theme_at_past_dates_are_counted_from_the_recorded_history(db, demo):
    from app.directory.models import Partnership

    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    coordinator = person_by_email(db, COORDINATOR)
    day = date(2021, 4, 1)

    def at(when: date) -> datetime:
        return datetime(when.year, when.month, when.day, 12, tzinfo=UTC)

    def item(theme: str, added: date, completed: date | None) -> Action:
        action = composite.add_item(
            db,
            cycle=cycle,
            partnership=norfolk,
            draft=composite.ItemDraft(
                "multi_agency_audit",
                "Audit",
                theme,
                cycle.priorities[0],
                "Group",
                day + timedelta(days=400),
                "Report",
            ),
            actor=coordinator,
        )
        action.created_at = at(added)
        for update in db.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action.id)):
            update.made_at = at(added)
        if completed:
            done = progress.record_progress(
                db,
                action=action,
                progress=progress.Progress("complete", "Done"),
                actor=coordinator,
            )
            done.made_at = at(completed)
        db.flush()
        return action

    curiosity, sharing = cycle.themes[0], cycle.themes[1]
    item(curiosity, day, None)  # open from April
    item(curiosity, day, date(2021, 6, 30))  # closed at the end of June
    item(sharing, date(2021, 9, 1), None)  # added in September
    plan = composite.composite_plan(db, cycle=cycle, partnership=norfolk)
    counts, totals = composite.open_by_theme(
        db,
        plan=plan,
        dates=[date(2021, 3, 31), date(2021, 4, 1), date(2021, 7, 1), date(2021, 10, 1)],
    )
    by_theme = {row.theme: row.open_at for row in counts}
    # The demo's own 2021 actions were added today, so they count at none of these dates.
    assert by_theme[curiosity] == [0, 2, 1, 1]
    assert by_theme[sharing] == [0, 0, 0, 1]
    assert totals == [0, 2, 1, 2]


def test_the_composite_action_plan_page_counts_at_chosen_dates_and_takes_items_from_other_sources(
    client, db, demo
):
    sign_in(client, person_by_email(db, COORDINATOR))
    page = client.get("/action-plans/cycles/s11-2020")
    assert page.status_code == 200
    assert "Child A safeguarding practice review" in page.text
    assert "Open actions by theme" in page.text
    chosen = client.get("/action-plans/cycles/s11-2020?at=2000-01-01&at=not-a-date")
    assert chosen.status_code == 400
    assert "“not-a-date” is not a date" in chosen.text
    assert "1 Jan 2000" in chosen.text
    url = "/action-plans/cycles/s11-2020/items/new"
    due = date.today() + timedelta(days=100)
    form = {
        "csrf_token": client.csrf_token(url),
        "source": "independent_scrutiny",
        "description": 'Act on the scrutineer\'s report on =HYPERLINK("x") information sharing',
        "theme": "Collaborative working",
        "priority": "",
        "owner": "Business Unit",
        "due-day": str(due.day),
        "due-month": str(due.month),
        "due-year": str(due.year),
        "success_measure": "Report to the executive group.",
    }
    refused = client.post("/action-plans/cycles/s11-2020/items", data=form)
    assert refused.status_code == 400
    assert "Select the partnership priority it belongs to" in refused.text
    assert "Act on the scrutineer" in refused.text
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2020")).one()
    form["priority"] = cycle.priorities[0]
    added = client.post("/action-plans/cycles/s11-2020/items", data=form, follow_redirects=False)
    assert added.status_code == 303
    page = client.get("/action-plans/cycles/s11-2020")
    assert "Independent scrutiny" in page.text and "Act on the scrutineer" in page.text


def test_the_chair_sees_overdue_and_at_risk_actions_across_all_agencies(client, db, demo):
    chair = person_with_role(db, Role.CHAIR)
    sign_in(client, chair)
    page = client.get("/action-plans")
    assert page.status_code == 200
    rows = composite.needing_attention(
        db, partnership=chair.memberships[0].partnership, today=date.today()
    )
    assert {row.shown.key for row in rows} == {"overdue", "at_risk"}
    assert len({row.item.agency.name for row in rows if row.item.agency}) >= 2
    for row in rows:
        assert str(escape(row.item.action.description)) in page.text
    # The longest overdue first, then those at risk.
    keys = [row.shown.key for row in rows]
    assert keys == sorted(keys, key=lambda key: key != "overdue")
    assert "Overdue" in page.text and "At risk" in page.text
    # Agency people and panel members have no such page.
    sign_in(client, lead_of(db, "NSPCC"))
    assert client.get("/action-plans").status_code == 404


def test_last_years_actions_come_back_in_this_years_return_for_a_final_update(client, db, demo):
    this_year = _return_of(db, "NSPCC")
    last_year = _return_of(db, "NSPCC", "s11-2020")
    actions = [a for group in _plan(db, last_year).actions.values() for a in group]
    sign_in(client, lead_of(db, "NSPCC"))
    url = f"/returns/{this_year.id}/sections/action-plan-progress"
    page = client.get(url)
    for action in actions:
        assert action.description in page.text
    target = actions[0]
    missing = client.post(
        f"{url}/last-years-actions/{target.id}",
        data={"csrf_token": client.csrf_token(url), "status": "", "note": "Half done"},
    )
    assert missing.status_code == 400
    assert "Select how the action is going" in missing.text
    assert "Half done" in missing.text
    done = client.post(
        f"{url}/last-years-actions/{target.id}",
        data={
            "csrf_token": client.csrf_token(url),
            "status": "complete",
            "note": "Audit found 17 of 20 cases good.",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(url)
    assert "Your final update" in page.text and "Audit found 17 of 20 cases good." in page.text
    [given] = db.scalars(
        select(ActionUpdate).where(
            ActionUpdate.action_id == target.id, ActionUpdate.return_id == this_year.id
        )
    ).all()
    assert given.status is ActionStatus.COMPLETE
    # Another agency's action is not in NSPCC's list.
    other = next(
        iter(_plan(db, _return_of(db, "Norfolk Constabulary", "s11-2020")).actions.values())
    )[0]
    refused = client.post(
        f"{url}/last-years-actions/{other.id}",
        data={"csrf_token": client.csrf_token(url), "status": "complete", "note": "x"},
    )
    assert refused.status_code == 400
    assert "That action is not in last year" in refused.text


def test_the_lead_is_reminded_once_of_an_agreed_action_due_soon(
    db, demo, database_url, var_dir, smtp_server, mailbox
):
    mail_settings = test_settings(
        database_url, var_dir, smtp_host="127.0.0.1", smtp_port=smtp_server[1]
    )
    sessions = sessionmaker(
        bind=db.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    last_year = _return_of(db, "Break", "s11-2020")
    action = next(iter(_plan(db, last_year).actions.values()))[0]
    action.due_on = date.today() + timedelta(days=10)
    action.status = ActionStatus.ON_TRACK
    db.commit()
    lead = lead_of(db, "Break")
    assert send_action_reminders(sessions, mail_settings) >= 1  # queued, as cron does
    assert send_action_reminders(sessions, mail_settings) == 0
    from app.notifications import queue as mail_queue

    mail_queue.drain(db, mail_settings)  # then handed over, as the same cron run does
    mine = [m for m in mailbox.to(lead.email) if "in 10 days" in m["Subject"]]
    assert len(mine) == 1
    assert f"/returns/{last_year.id}/action-plan/actions/{action.id}" in mine[0].get_content()
    assert action.description in mine[0].get_content()


def test_the_demo_has_plans_in_every_state_with_a_year_of_progress(db, demo):
    statuses = set(db.scalars(select(ActionPlan.status)))
    assert statuses == set(PlanStatus)
    oldest = db.scalar(select(ActionUpdate.made_at).order_by(ActionUpdate.made_at))
    assert oldest.date() < date.today() - timedelta(days=250)


def test_plans_not_yet_agreed_stay_out_of_the_composite_action_plan(db, demo):
    from app.directory.models import Partnership

    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2020")).one()
    plan = composite.composite_plan(db, cycle=cycle, partnership=norfolk)
    agencies = {item.agency.name for item in plan.items if item.agency}
    # Great Yarmouth's plan was returned with comments; Fire and Rescue's waits for agreement.
    assert "Great Yarmouth Borough Council" not in agencies
    assert "Norfolk Fire and Rescue Service" not in agencies
    assert len(agencies) == 5
    # Counted from the day each plan was agreed, not from when its actions were drafted.
    day_before = min(item.starts_at for item in plan.items if item.agency).date() - timedelta(1)
    counts, totals = composite.open_by_theme(db, plan=plan, dates=[day_before])
    assert totals == [sum(1 for item in plan.others if item.starts_at.date() <= day_before)]


def test_a_date_out_of_range_or_not_a_date_is_refused_next_to_its_own_box(client, db, demo):
    sign_in(client, person_by_email(db, COORDINATOR))
    page = client.get("/action-plans/cycles/s11-2020?at=2021-04-01&at=9999-12-31&at=nonsense")
    assert page.status_code == 400
    assert 'href="#at-1"' in page.text and "Choose a date from 2000 to" in page.text
    assert 'href="#at-2"' in page.text and "“nonsense” is not a date" in page.text
    assert 'value="nonsense"' in page.text  # what was typed stays in its box


def test_a_plan_decided_twice_is_decided_once(client, db, demo):
    waiting = _return_of(db, "Norfolk Fire and Rescue Service", "s11-2020")  # submitted plan
    sign_in(client, person_by_email(db, COORDINATOR))
    review = f"/round/returns/{waiting.id}/action-plan"
    form = {"csrf_token": client.csrf_token(review), "decision": "agree", "comments": ""}
    first = client.post(f"{review}/review", data=form, follow_redirects=False)
    assert first.status_code == 303
    second = client.post(
        f"{review}/review", data=form | {"decision": "return", "comments": "Too late"}
    )
    assert second.status_code == 400
    assert "Only a submitted action plan can be agreed or returned" in second.text
    plan = _plan(db, waiting)
    assert plan.status is PlanStatus.AGREED and len(plan.reviews) == 1


def test_a_return_whose_panel_made_no_recommendations_can_still_close(client, db, demo):
    returned = _return_of(db, "Great Yarmouth Borough Council", "s11-2020")
    lead = lead_of(db, "Great Yarmouth Borough Council")
    for recommendation in _plan(db, returned).recommendations:
        recommendations.remove_recommendation(
            db, return_id=returned.id, recommendation_id=recommendation.id, actor=lead
        )
    sign_in(client, lead)
    base = f"/returns/{returned.id}/action-plan"
    assert "The panel made no recommendations" in client.get(base).text
    submitted = client.post(
        f"{base}/submit", data={"csrf_token": client.csrf_token(base)}, follow_redirects=False
    )
    assert submitted.status_code == 303
    sign_in(client, person_by_email(db, COORDINATOR))
    review = f"/round/returns/{returned.id}/action-plan"
    client.post(
        f"{review}/review",
        data={"csrf_token": client.csrf_token(review), "decision": "agree", "comments": ""},
    )
    db.refresh(returned)
    assert returned.status is ReturnStatus.ACTION_PLAN_AGREED


def test_a_refused_evidence_file_is_reported_on_the_file_field(client, db, demo):
    last_year = _return_of(db, "NSPCC", "s11-2020")
    action = next(iter(_plan(db, last_year).actions.values()))[0]
    sign_in(client, lead_of(db, "NSPCC"))
    url = f"/returns/{last_year.id}/action-plan/actions/{action.id}"
    refused = client.post(
        f"{url}/progress",
        data={"csrf_token": client.csrf_token(url), "status": "on_track", "note": "Going well"},
        files={"evidence": ("page.html", b"<html><script>x</script></html>", "text/html")},
    )
    assert refused.status_code == 400
    assert 'href="#progress-evidence"' in refused.text
    assert 'id="progress-evidence-error"' in refused.text


def test_progress_evidence_that_would_unpack_too_far_is_refused_on_the_file_field(
    client, db, demo, settings
):
    last_year = _return_of(db, "NSPCC", "s11-2020")
    action = next(iter(_plan(db, last_year).actions.values()))[0]
    sign_in(client, lead_of(db, "NSPCC"))
    url = f"/returns/{last_year.id}/action-plan/actions/{action.id}"
    before = len(progress.history_of(db, action=action))
    kept = set(settings.uploads.glob("*")) if settings.uploads.exists() else set()
    refused = client.post(
        f"{url}/progress",
        data={"csrf_token": client.csrf_token(url), "status": "on_track", "note": "Going well"},
        files={"evidence": ("report.docx", zip_bomb(400), "application/octet-stream")},
    )
    assert refused.status_code == 400
    assert "The file unpacks to more than 20 MB" in refused.text
    assert 'id="progress-evidence-error"' in refused.text
    assert len(progress.history_of(db, action=action)) == before
    assert (set(settings.uploads.glob("*")) if settings.uploads.exists() else set()) == kept
