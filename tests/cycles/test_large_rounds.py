"""Large rounds: the round's lists searched, filtered, sorted and paged in SQL, the count of the
whole filtered set above each page, and bad paging, sorting and filters met with a message."""

from __future__ import annotations

from sqlalchemy import select

from app.demo import grow_round
from app.directory.models import Agency
from tests.conftest import person_by_email, sign_in

COORDINATOR = "coordinator@nscp.example.org"
DASHBOARD = "/round/cycles/s11-2021"


def _names(page) -> list[str]:  # type: ignore[no-untyped-def]
    table = page.select_one("#results table")
    return [row.td.contents[0].strip() for row in table.select("tbody tr")] if table else []


def _count(page) -> str:  # type: ignore[no-untyped-def]
    return " ".join(page.select_one("#results-count").get_text().split())


def test_a_coordinator_finds_one_school_among_hundreds_by_name_status_and_order(client, db, demo):
    grow_round(db, returns=238)  # 196 schools join the 42 returns of the joint demo round
    db.commit()
    sign_in(client, person_by_email(db, COORDINATOR))

    first = client.page(DASHBOARD)
    assert _count(first) == "Showing 1 to 50 of 234 returns."
    assert len(_names(first)) == 50 and first.select_one(".govuk-pagination")

    found = client.page(DASHBOARD + "?q=school+00123&status=")
    assert _names(found) == ["Grown School 00123"]
    # Schools 0, 1, 6, 7… are not started: 00123 is in progress, so the filter leaves it out.
    assert _names(client.page(DASHBOARD + "?q=school+00123&status=not_started")) == []
    not_started = client.page(DASHBOARD + "?q=grown&status=not_started&sort=name&order=desc")
    assert _count(not_started).startswith("Showing 1 to 50 of 66 returns")
    assert _names(not_started)[0] == "Grown School 00193"

    last = client.page(DASHBOARD + "?q=grown&status=not_started&sort=name&order=desc&page=2")
    assert _count(last) == "Showing 51 to 66 of 66 returns “grown”, filtered."
    assert _names(last)[-1] == "Grown School 00000"

    by_sector = client.page("/round/returns?sector=education&sort=deadline")
    grown = [int(name[-5:]) for name in _names(by_sector) if name.startswith("Grown School")]
    assert grown and all(n % 6 in (0, 1, 2) for n in grown)  # the schools, not the others
    independent = client.page(DASHBOARD + "?q=grown&school_type=independent&sort=name")
    assert _count(independent).startswith("Showing 1 to 33 of 33 returns")
    assert all(int(name[-5:]) % 6 == 2 for name in _names(independent))


def test_bad_paging_sorting_and_filters_get_a_message_or_an_empty_page_never_an_error(
    client, db, demo
):
    grow_round(db, returns=120)
    db.commit()
    sign_in(client, person_by_email(db, COORDINATOR))

    assert _count(client.page(DASHBOARD + "?page=-1")).startswith("Showing 1 to 50 of 116")
    assert _count(client.page(DASHBOARD + "?page=999999")).startswith("Showing 101 to 116 of 116")
    assert _count(client.page("/round/returns?page=" + "9" * 400)).startswith("Showing 1 to")

    unsorted = client.page(DASHBOARD + "?sort=password&order=sideways")
    assert "cannot be sorted that way" in unsorted.get_text()
    assert _names(unsorted) == sorted(_names(unsorted))  # its usual order: by name

    unknown = client.page(DASHBOARD + "?status=deleted&sector=%3Cscript%3E")
    text = unknown.get_text()
    assert "Status “deleted” is not one of the choices" in text
    assert "Sector “<script>” is not one of the choices" in text
    assert not unknown.find("script", string=True)

    # Suffolk's own agency is not among Norfolk's returns: nothing is shown, nothing leaks.
    suffolk_only = db.scalars(select(Agency.id).where(Agency.name.like("Suffolk%"))).first()
    for agency in (str(suffolk_only), "-5", "99999999999999999999", "x"):
        page = client.page(f"{DASHBOARD}?agency={agency}")
        assert _count(page) == "No returns match, filtered.", agency
    assert _count(client.page(DASHBOARD + "?q=%25%25_")) == "No returns match “%%_”."


def test_the_filter_form_swaps_only_the_results_when_htmx_asks(client, db, demo):
    sign_in(client, person_by_email(db, COORDINATOR))
    headers = {"HX-Request": "true", "HX-Target": "results"}
    swapped = client.get(DASHBOARD + "?status=submitted", headers=headers)
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith('<div id="results">') and "<html" not in swapped.text
    assert "Break" in swapped.text and "NSPCC" not in swapped.text
    assert "<html" in client.get(DASHBOARD + "?status=submitted").text  # without HTMX: the page


def test_a_coordinator_reminds_and_extends_the_filtered_set_after_seeing_how_many(client, db, demo):
    from datetime import timedelta

    from app.cycle_models import Cycle
    from app.notifications.models import SentEmail
    from app.returns.models import AgencyReturn

    grow_round(db, returns=100)  # 58 schools: 20 of them not started
    db.commit()
    sign_in(client, person_by_email(db, COORDINATOR))
    chosen = {"q": "grown", "status": "not_started"}

    confirm = client.page("/round/cycles/s11-2021/bulk/remind?q=grown&status=not_started")
    assert "20 of them are not started or in progress" in " ".join(confirm.get_text().split())
    token = client.csrf_token("/round/cycles/s11-2021/bulk/remind?q=grown")
    assert client.post("/round/cycles/s11-2021/bulk/remind", data=chosen).status_code == 403
    sent = client.post(
        "/round/cycles/s11-2021/bulk/remind",
        data={"csrf_token": token, **chosen},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/round/emails/sends/")
    reminded = db.scalars(select(SentEmail.to).where(SentEmail.kind == "reminder")).all()
    assert len(reminded) == 20 and all(to.endswith("@grown.example.org") for to in reminded)

    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2021")).one()
    early = cycle.deadline_on - timedelta(days=1)
    refused = client.post(
        "/round/cycles/s11-2021/bulk/extend",
        data={"csrf_token": token, **chosen, "reason": "Half term"}
        | {
            "extend-to-day": early.day,
            "extend-to-month": early.month,
            "extend-to-year": early.year,
        },
    )
    assert refused.status_code == 400 and "must be later than the cycle" in refused.text
    later = cycle.deadline_on + timedelta(days=14)
    extended = client.post(
        "/round/cycles/s11-2021/bulk/extend",
        data={"csrf_token": token, **chosen, "reason": "Half term"}
        | {
            "extend-to-day": later.day,
            "extend-to-month": later.month,
            "extend-to-year": later.year,
        },
        follow_redirects=False,
    )
    assert extended.status_code == 303 and "extended=20" in extended.headers["location"]
    db.expire_all()
    moved = db.scalars(
        select(AgencyReturn.id).where(AgencyReturn.deadline_extended_to == later)
    ).all()
    assert len(moved) == 20  # only the filtered set; the schools in progress keep theirs


def test_a_coordinator_exports_only_the_returns_the_filters_match(client, db, demo):
    from app.audit.models import AuditEvent

    grow_round(db, returns=100)  # 58 schools: 9 of them submitted and waiting for a panel
    db.commit()
    sign_in(client, person_by_email(db, COORDINATOR))
    everything = client.get("/exports/s11-2021/scored-returns")
    chosen = client.get("/exports/s11-2021/scored-returns?q=grown&status=submitted")
    assert everything.status_code == chosen.status_code == 200
    exported = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "workbook_exported").order_by(AuditEvent.id)
    ).all()
    assert exported[-1].detail["returns"] == 9 < exported[-2].detail["returns"]
