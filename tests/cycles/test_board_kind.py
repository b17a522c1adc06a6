"""A questionnaire is for a children's partnership or a safeguarding adults board: the cycle form
offers a coordinator only their kind's, and refuses the other kind's if it is posted."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.cycles.models import Cycle
from app.directory.models import BoardKind, Partnership
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
