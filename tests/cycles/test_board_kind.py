"""A questionnaire is for a children's partnership or a safeguarding adults board: the cycle form
offers a coordinator only their kind's, and refuses the other kind's if it is posted."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update

from app.actions.models import Action
from app.actions.reminders import action_due_email
from app.cycle_models import Cycle
from app.directory.models import Agency, BoardKind, Partnership
from app.directory.terms import terms_for
from app.panels import invitations
from app.panels.models import PanelSession, PanelSlot
from app.panels.sessions import Member
from app.returns import service as returns_service
from app.returns.models import AgencyReturn
from tests.conftest import person_by_email, sign_in
from tests.cycles.test_round import COORDINATOR, _cycle_form, _version


def _offered(client) -> set[str]:
    page = client.page("/round/cycles/new")
    return {option.get_text() for option in page.select("#questionnaire_version_id option")}


def _cycles(db) -> int:
    return db.scalar(select(func.count()).select_from(Cycle).where(Cycle.slug == "section-11-2022"))


def test_a_childrens_partnership_is_not_offered_the_adults_board_tool_and_cannot_post_it(
    client, db, demo
):
    sign_in(client, person_by_email(db, COORDINATOR))
    offered = _offered(client)
    assert any("Section 11 audit in eight standards" in text for text in offered), offered
    assert not any("Safeguarding Adults Board" in text for text in offered)
    adults = _version(db, "sab-self-assessment", "2025.1")
    assert adults.board == "adults"
    response = client.post("/round/cycles/new", data=_cycle_form(client, adults.id))
    assert response.status_code == 400
    assert (
        "Safeguarding Adults Board partner self-assessment is for a safeguarding adults board: "
        "select one for a safeguarding children partnership"
    ) in response.text
    assert _cycles(db) == 0


def test_an_adults_board_is_offered_only_adults_questionnaires_and_sets_up_a_cycle_on_one(
    client, db, demo
):
    db.execute(
        update(Partnership).where(Partnership.slug == "norfolk").values(kind=BoardKind.ADULTS)
    )
    db.commit()
    sign_in(client, person_by_email(db, COORDINATOR))
    offered = _offered(client)
    assert any("Safeguarding Adults Board" in text for text in offered), offered
    assert not any("Section 11" in text or "Schools" in text for text in offered), offered
    childrens = _version(db, "norfolk-section11", "2021")
    refused = client.post("/round/cycles/new", data=_cycle_form(client, childrens.id))
    assert refused.status_code == 400
    assert "is for a safeguarding children partnership: select one for a safeguarding adults" in (
        refused.text
    )
    adults = _version(db, "sab-self-assessment", "2025.1")
    response = client.post(
        "/round/cycles/new", data=_cycle_form(client, adults.id), follow_redirects=False
    )
    assert response.status_code == 303
    assert _cycles(db) == 1


def test_an_adults_boards_panel_reopen_and_action_emails_use_its_own_words(db, demo):
    db.execute(
        update(Partnership).where(Partnership.slug == "norfolk").values(kind=BoardKind.ADULTS)
    )
    db.commit()
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    terms = terms_for(norfolk)
    coordinator = person_by_email(db, COORDINATOR)
    slot, panel = db.execute(
        select(PanelSlot, PanelSession)
        .join(PanelSession, PanelSession.id == PanelSlot.session_id)
        .where(PanelSession.partnership_id == norfolk.id, PanelSlot.return_id.is_not(None))
    ).first()
    to_lead = invitations.lead_message(
        db, panel, slot, coordinator, "https://s11.test", cancel=False
    )
    member = Member(coordinator.id, coordinator.name, coordinator.email, None, None, True)
    to_member = invitations.member_message(
        db, panel, coordinator, "https://s11.test", [member], cancel=False
    )
    agency_return = db.get(AgencyReturn, slot.return_id)
    reopened = returns_service.reopened_email(
        returns_service.view_of(db, agency_return),
        to=coordinator,
        reason="Add the training figures.",
        base_url="https://s11.test",
        terms=terms,
    )
    action = db.scalars(select(Action)).first()
    agency = db.get(Agency, agency_return.agency_id)
    due = action_due_email(
        "Ana", "ana@example.org", agency, action, date.today(), "https://s11.test/x", terms=terms
    )
    assert "safeguarding adults self-assessment return" in to_lead[0].body
    assert "SUMMARY:Safeguarding adults challenge and support meeting" in to_lead[0].calendar
    assert "SUMMARY:Safeguarding adults challenge and support panel" in to_member[0].calendar
    assert "safeguarding adults board has reopened" in reopened.body
    assert "safeguarding adults action plan" in due.subject
    cycle_names = [c.name for c in db.scalars(select(Cycle))]  # the demo's are "Section 11 …"
    for email in [*to_lead, *to_member, reopened, due]:
        text = email.subject + email.body + (email.calendar or "")
        for name in cycle_names:
            text = text.replace(name, "")
        assert "Section 11" not in text
