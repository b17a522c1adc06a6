"""Site administration as a site administrator on an empty installation uses it: partnerships
set up, changed, archived and restored, and their first coordinator appointed by invitation."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Invitation
from app.directory import service as directory_service
from app.directory.models import Partnership, Role
from app.notifications.models import SentEmail
from tests.conftest import SMALL_PNG, person_by_email, sign_in

FORM = {
    "name": "Breckland Safeguarding Children Partnership",
    "short_name": "BSCP",
    "slug": "breckland",
    "colour": "#1d4f91",
}


def post_form(client, url, data, files=None):
    token = client.csrf_token("/admin" if url.startswith("/admin") else "/")
    return client.post(url, data={"csrf_token": token, **data}, files=files, follow_redirects=False)


def admin_signed_in(client, db):
    admin = directory_service.make_admin(db, email="it@council.example.org", name="IT Team")
    sign_in(client, admin)
    return admin


def test_site_administrator_with_nothing_yet_is_told_to_set_up_a_partnership(client, db):
    admin_signed_in(client, db)
    page = client.page("/")
    assert "Set up a partnership" in page.get_text()
    menu = [a.get_text(strip=True) for a in page.select(".govuk-service-navigation__item a")]
    assert menu == ["Home", "Site administration"]  # no Round or People answering 404


def mail_in_outbox(settings, address: str) -> list[str]:
    """The bodies of the mail written to the outbox for `address`, oldest first."""
    from email import message_from_bytes
    from email.policy import default

    messages = [
        message_from_bytes(eml.read_bytes(), policy=default)
        for eml in sorted(
            (settings.var_dir / "outbox").glob("*.eml"), key=lambda p: p.stat().st_mtime
        )
    ]
    bodies = [m.get_content() for m in messages if m["To"] == address]
    assert bodies, f"no mail for {address} in the outbox"
    return bodies


def link_in_outbox(settings, address: str, path: str) -> str:
    """The token of the newest link to `path` in mail written to the outbox for `address`."""
    return mail_in_outbox(settings, address)[-1].split(path, 1)[1].split()[0]


def test_site_administrator_sets_up_a_partnership_and_appoints_its_first_coordinator(
    client, db, settings
):
    admin_signed_in(client, db)
    response = post_form(
        client,
        "/admin/partnerships/new",
        FORM,
        files={"logo": ("logo.png", SMALL_PNG, "image/png")},
    )
    assert response.status_code == 303, response.text
    partnership = db.scalars(select(Partnership).where(Partnership.slug == "breckland")).one()
    assert partnership.logo == SMALL_PNG and partnership.logo_type == "image/png"

    response = post_form(
        client,
        "/admin/partnerships/breckland/appointments",
        {"name": "Cora Ordinator", "email": "cora@breckland.example.org", "role": "coordinator"},
    )
    assert response.status_code == 303
    [invitation] = db.scalars(select(Invitation).where(Invitation.partnership_id == partnership.id))
    assert invitation.role is Role.COORDINATOR
    assert db.scalars(select(SentEmail).where(SentEmail.to == "cora@breckland.example.org")).one()
    token = link_in_outbox(settings, "cora@breckland.example.org", "/join/")
    listing = client.page("/admin").get_text()
    assert "Breckland Safeguarding Children Partnership" in listing

    client.cookies.clear()
    accepted = client.post(
        f"/join/{token}", data={"csrf_token": client.csrf_token(f"/join/{token}")},
        follow_redirects=False,
    )  # fmt: skip
    assert accepted.status_code == 303
    home = client.page("/")
    assert "Set up your partnership" in home.get_text()
    assert home.select_one("img.s11-brand__logo")["alt"] == FORM["name"]
    assert client.get("/partnerships/breckland/logo").content == SMALL_PNG
    events = set(db.scalars(select(AuditEvent.action)))
    assert {"partnership_created", "invitation_sent", "invitation_accepted"} <= events


def test_a_colour_white_text_cannot_be_read_on_is_refused_with_a_darker_shade(client, db):
    admin_signed_in(client, db)
    for colour, says in (
        ("#ffdd00", "try a darker shade such as #"),
        ("red", "hex code"),
        ("#fff", "hex code"),
    ):
        response = post_form(client, "/admin/partnerships/new", {**FORM, "colour": colour})
        assert response.status_code == 400
        assert says in response.text
        assert f'value="{colour}"' in response.text  # what was typed stays
    assert db.scalar(select(func.count()).select_from(Partnership)) == 0


def test_duplicate_names_whatever_their_case_and_spacing_and_duplicate_slugs_are_refused(
    client, db
):
    admin_signed_in(client, db)
    assert post_form(client, "/admin/partnerships/new", FORM).status_code == 303
    again = post_form(
        client,
        "/admin/partnerships/new",
        {**FORM, "name": "  breckland   SAFEGUARDING children partnership ", "slug": "breck"},
    )
    assert again.status_code == 400 and "already exists" in again.text
    same_slug = post_form(client, "/admin/partnerships/new", {**FORM, "name": "Other"})
    assert same_slug.status_code == 400 and "already uses the web-address name" in same_slug.text
    assert db.scalar(select(func.count()).select_from(Partnership)) == 1


def test_a_logo_that_is_not_a_png_or_jpeg_is_refused_whatever_it_is_called(client, db):
    admin_signed_in(client, db)
    for name, data in (
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("logo.png", b"<html><body>hello</body></html>"),
        ("logo.jpg", b"MZ\x90\x00" + b"\x00" * 200),
        ("logo.png", SMALL_PNG + b"\x00" * 205_000),
    ):
        response = post_form(
            client, "/admin/partnerships/new", FORM, files={"logo": (name, data, "image/png")}
        )
        assert response.status_code == 400
        assert "PNG or JPEG" in response.text or "200 KB" in response.text
    assert db.scalar(select(func.count()).select_from(Partnership)) == 0


def test_a_partnership_with_a_running_cycle_cannot_be_archived(client, db, demo):
    admin_signed_in(client, db)
    response = post_form(client, "/admin/partnerships/norfolk/archive", {})
    assert response.status_code == 409
    assert "has a cycle still running" in response.text
    assert (
        db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one().archived_at
        is None
    )


def test_an_archived_partnership_is_read_only_for_its_people_until_restored(client, db):
    admin = admin_signed_in(client, db)
    assert post_form(client, "/admin/partnerships/new", FORM).status_code == 303
    partnership = db.scalars(select(Partnership).where(Partnership.slug == "breckland")).one()
    coordinator = directory_service.ensure_person(db, email="cora@example.org", name="Cora")
    directory_service.ensure_membership(
        db, person=coordinator, partnership=partnership, role=Role.COORDINATOR
    )
    assert post_form(client, "/admin/partnerships/breckland/archive", {}).status_code == 303

    sign_in(client, coordinator)
    page = client.page("/agencies")
    assert "is archived" in page.get_text()
    refused = post_form(client, "/agencies/new", {"name": "Late Agency"})
    assert refused.status_code == 409 and "archived" in refused.text

    sign_in(client, admin)
    assert post_form(client, "/admin/partnerships/breckland/restore", {}).status_code == 303
    sign_in(client, coordinator)
    assert post_form(client, "/agencies/new", {"name": "Late Agency"}).status_code == 400


def test_only_a_coordinator_or_the_chair_can_be_appointed_and_bad_addresses_are_refused(client, db):
    admin_signed_in(client, db)
    assert post_form(client, "/admin/partnerships/new", FORM).status_code == 303
    for data, says in (
        ({"name": "X", "email": "x@example.org", "role": "agency_lead"}, "Select coordinator"),
        ({"name": "X", "email": "not-an-address", "role": "chair"}, "correct format"),
    ):
        response = post_form(client, "/admin/partnerships/breckland/appointments", data)
        assert response.status_code == 400 and says in response.text
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_coordinator_is_not_a_site_administrator(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    assert client.get("/admin").status_code == 404
    assert post_form(client, "/admin/partnerships/new", FORM).status_code == 404


def test_an_adults_board_is_set_up_and_its_invitations_speak_of_adults_not_section_11(
    client, db, settings
):
    from app.directory.models import BoardKind

    admin_signed_in(client, db)
    form = {**FORM, "name": "Breckland Safeguarding Adults Board", "short_name": "BSAB"}
    refused = post_form(client, "/admin/partnerships/new", {**form, "kind": "pets"})
    assert refused.status_code == 400 and "an adults board" in refused.text
    assert (
        post_form(client, "/admin/partnerships/new", {**form, "kind": "adults"}).status_code == 303
    )
    board = db.scalars(select(Partnership).where(Partnership.slug == "breckland")).one()
    assert board.kind is BoardKind.ADULTS
    assert "Safeguarding adults board" in client.page("/admin/partnerships/breckland").get_text()
    post_form(
        client,
        "/admin/partnerships/breckland/appointments",
        {"name": "Cora Ordinator", "email": "cora@breckland.example.org", "role": "coordinator"},
    )
    text = " ".join(mail_in_outbox(settings, "cora@breckland.example.org")[-1].split())
    assert "Safeguarding Adults Board's safeguarding adults self-assessment service" in text
    assert "Section 11" not in text


def test_people_of_an_adults_board_see_its_name_for_the_service_not_section_11(client, db, demo):
    from app.directory.models import BoardKind, Membership, Person, Role

    board = Partnership(
        name="Breckland Safeguarding Adults Board",
        short_name="BSAB",
        slug="breckland",
        kind=BoardKind.ADULTS,
    )
    coordinator = Person(name="Cora Ordinator", email="cora@breckland.example.org")
    db.add_all([board, coordinator])
    db.flush()
    db.add(Membership(person_id=coordinator.id, partnership_id=board.id, role=Role.COORDINATOR))
    db.flush()
    sign_in(client, coordinator)
    home = client.page("/")
    assert home.title.get_text().endswith("Safeguarding adults self-assessment")
    assert home.h1.get_text(strip=True) == "Your safeguarding adults work"
    assert "Section 11" not in home.select_one("header").get_text()
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    assert client.page("/").h1.get_text(strip=True) == "Your Section 11 work"
