"""A return on the every-type questionnaire for NSPCC (a voluntary-sector agency) to fill in."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cycles import service as cycles_service
from app.directory.models import Agency, Partnership
from app.questionnaires import service as questionnaire_service

EVERY_TYPE = Path(__file__).resolve().parent.parent / "fixtures" / "every-type.yaml"


def nspccs_return_on(db, path: Path, *, slug: str = "test-round", name: str = "Test round"):  # type: ignore[no-untyped-def]
    """NSPCC's return, due in ten days, in a new Norfolk round on the questionnaire at path."""
    version, _ = questionnaire_service.publish_file(db, path=path, actor=None)
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    nspcc = db.scalars(select(Agency).where(Agency.name == "NSPCC")).one()
    cycle = cycles_service.ensure_cycle(
        db,
        slug=slug,
        name=name,
        version=version,
        partnerships=[norfolk],
        opens_on=date.today(),
        deadline_on=date.today() + timedelta(days=10),
    )
    [agency_return] = cycles_service.open_returns(db, cycle=cycle, agencies=[nspcc])
    return agency_return


@pytest.fixture
def nspcc_return(db, demo):
    return nspccs_return_on(db, EVERY_TYPE)


def section_url(agency_return) -> str:
    return f"/returns/{agency_return.id}/sections/all-types"


def form_of(client, url: str) -> dict[str, str]:
    """The hidden fields a browser would send back with the form (never a disabled one)."""
    page = client.page(url)
    return {
        field["name"]: field.get("value", "")
        for field in page.select("form[method=post] input[type=hidden]:not([disabled])")
    }


def answer_everything(client, agency_return):
    url = section_url(agency_return)
    client.post(url, data=form_of(client, url) | {"has-policy": "no"})
    required = {
        "accountability": "2",
        "trained-share": "50",
        "lead-name": "Sam",
        "narrative": "We know because we audit.",
        "sector": "voluntary",
        "training__0__course": "Basics",
        "channels": "survey",
    }
    response = client.post(
        url, data=form_of(client, url) | {"has-policy": "no"} | required, follow_redirects=False
    )
    assert response.status_code == 303, response.text
