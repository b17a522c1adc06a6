"""The Composite Action Plan and the actions needing attention in a large round: searched by
agency, filtered, sorted and paged, without JavaScript and as an HTMX swap, bad values refused."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from app.actions import composite
from app.actions.models import Action, ActionPlan, ActionStatus, PlanStatus, Recommendation
from app.actions.plans import AFTER_FEEDBACK
from app.cycle_models import Cycle
from app.directory.models import Agency, Role
from app.returns.models import AgencyReturn
from tests.conftest import person_by_email, person_with_role, sign_in

COORDINATOR = "coordinator@nscp.example.org"
PLAN = "/action-plans/cycles/s11-2020"
EXTRA = 70  # past one page of 50


def _grow_plan(db) -> tuple[str, int]:
    """70 more recommendations for one agency of the 2020 round; its name and the plan's size."""
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2020")).one()
    agency_return, agency = db.execute(
        select(AgencyReturn, Agency)
        .join(Agency, Agency.id == AgencyReturn.agency_id)
        .where(AgencyReturn.cycle_id == cycle.id, AgencyReturn.status.in_(AFTER_FEEDBACK))
        .order_by(Agency.name)
    ).first()
    for n in range(EXTRA):
        db.add(
            Recommendation(
                return_id=agency_return.id,
                worry_statement=f"Listing worry {n:03d}",
                safety_goal="Staff know the escalation route.",
                next_steps="Train the team.",
                priority=cycle.priorities[0],
                theme="Zulu listing theme" if n == 0 else "Training",
            )
        )
    db.commit()
    coordinator = person_by_email(db, COORDINATOR)
    partnership = next(m.partnership for m in coordinator.memberships if m.role is Role.COORDINATOR)
    total = len(composite.composite_plan(db, cycle=cycle, partnership=partnership).recommendations)
    assert total >= EXTRA
    return agency.name, total


def _count(html: str) -> tuple[int, int, int]:
    found = re.search(r"Showing ([\d,]+) to ([\d,]+) of ([\d,]+)", html)
    assert found, "the count of the whole filtered set is above the list"
    return tuple(int(part.replace(",", "")) for part in found.groups())  # type: ignore[return-value]


def test_the_composite_action_plan_pages_its_recommendations_and_counts_the_whole_set(
    client, db, demo
):
    name, total = _grow_plan(db)
    sign_in(client, person_by_email(db, COORDINATOR))
    first = client.get(PLAN)
    assert first.status_code == 200
    assert _count(first.text) == (1, 50, total)
    assert 'aria-label="Pages of the list"' in first.text
    last_page = -(-total // 50)
    past_the_end = client.get(f"{PLAN}?page=999999")
    assert past_the_end.status_code == 200
    assert _count(past_the_end.text) == ((last_page - 1) * 50 + 1, total, total)
    assert _count(client.get(f"{PLAN}?page=-1").text)[0] == 1
    # The theme counts above still count every open action, whatever page is shown.
    assert "Open actions by theme" in past_the_end.text


def test_the_composite_action_plan_is_searched_by_agency_and_filtered_by_theme(client, db, demo):
    name, _total = _grow_plan(db)
    sign_in(client, person_by_email(db, COORDINATOR))
    theme = client.get(f"{PLAN}?theme=Zulu+listing+theme")
    assert _count(theme.text) == (1, 1, 1)
    assert "Listing worry 000" in theme.text and "Listing worry 001" not in theme.text
    searched = client.get(f"{PLAN}?q={name[:12].lower()}&sort=agency")
    first, last, shown = _count(searched.text)
    assert shown >= EXTRA
    rows = re.findall(
        r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">([^<]+)</td>',
        searched.text.split('id="other-sources"')[0],
    )
    assert rows and all(name[:12].lower() in row.lower() for row in rows)
    nothing = client.get(f"{PLAN}?q=no+agency+is+called+this")
    assert "No recommendations match" in nothing.text
    no_actions = client.get(f"{PLAN}?actions=none&q={name[:12]}")
    assert "Listing worry" in no_actions.text  # the new ones have no actions yet
    attention = client.get(f"{PLAN}?actions=attention").text.split('id="other-sources"')[0]
    rows = attention.split("<tbody")[-1].split('<tr class="govuk-table__row">')[1:]
    assert "Listing worry" not in attention
    assert rows and all("Overdue" in row or "At risk" in row for row in rows)


def test_a_composite_plan_filter_it_does_not_offer_is_named_not_a_500(client, db, demo):
    sign_in(client, person_by_email(db, COORDINATOR))
    page = client.get(f"{PLAN}?theme=<script>x</script>&sort=drop+table&sector=nowhere")
    assert page.status_code == 200
    assert "is not one of the choices" in page.text
    assert "cannot be sorted that way" in page.text
    assert "<script>x</script>" not in page.text


def test_filtering_the_plan_with_htmx_swaps_only_the_results(client, db, demo):
    _grow_plan(db)
    sign_in(client, person_by_email(db, COORDINATOR))
    swapped = client.get(
        f"{PLAN}?theme=Training", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith('<div id="results">')
    assert "<html" not in swapped.text and "Open actions by theme" not in swapped.text
    assert _count(swapped.text)[2] >= EXTRA - 1


def test_the_actions_needing_attention_are_paged_and_filtered_by_status_and_round(client, db, demo):
    chair = person_with_role(db, Role.CHAIR)
    # 60 more overdue actions in one agreed plan, so the list runs to two pages.
    plan = db.scalars(select(ActionPlan).where(ActionPlan.status == PlanStatus.AGREED)).first()
    recommendation = db.scalars(
        select(Recommendation).where(Recommendation.return_id == plan.return_id)
    ).first()
    agency_return = db.get(AgencyReturn, plan.return_id)
    for n in range(60):
        db.add(
            Action(
                plan_id=plan.id,
                recommendation_id=recommendation.id,
                cycle_id=agency_return.cycle_id,
                description=f"Overdue listing action {n:02d}",
                owner="Head of Service",
                due_on=date.today() - timedelta(days=30 + n),
                success_measure="Done.",
                status=ActionStatus.ON_TRACK,
            )
        )
    db.commit()
    sign_in(client, chair)
    page = client.get("/action-plans")
    assert page.status_code == 200
    first, last, total = _count(page.text)
    assert (first, last) == (1, 50) and total > 60
    # The longest overdue first: the oldest of the new ones leads.
    text = page.text
    assert text.index("Overdue listing action 59") < text.index("Overdue listing action 58")
    assert _count(client.get("/action-plans?page=2").text)[0] == 51
    at_risk = client.get("/action-plans?status=at_risk")
    assert "Overdue listing action" not in at_risk.text
    assert "At risk" in at_risk.text
    cycle = db.get(Cycle, agency_return.cycle_id)
    other_round = db.scalars(select(Cycle).where(Cycle.id != cycle.id)).first()
    elsewhere = client.get(f"/action-plans?cycle={other_round.slug}")
    assert "Overdue listing action" not in elsewhere.text
    refused = client.get("/action-plans?cycle=another-partnerships-round&page=abc")
    assert refused.status_code == 200
    assert "is not one of the choices" in refused.text
