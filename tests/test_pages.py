"""The pages every person meets first: home, sign-in, errors, health and the brand."""

from __future__ import annotations

import logging

from sqlalchemy import create_engine

from app.colours import readable_text_on as text_colour_on
from app.main import create_app
from tests.conftest import lead_of, person_by_email, sign_in
from tests.pages import CheckingClient


def test_home_sends_a_visitor_who_is_not_signed_in_to_sign_in(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/"


def test_home_lists_the_partnerships_and_roles_of_the_signed_in_person(client, db, demo):
    lead = lead_of(db, "Norfolk Constabulary")
    sign_in(client, lead)
    page = client.page("/")
    text = page.get_text(" ", strip=True)
    assert "Norfolk Safeguarding Children Partnership" in text
    assert "Agency lead, Norfolk Constabulary" in text
    assert "Nothing needs your attention right now." in text
    assert "Suffolk" not in text  # Norfolk Constabulary answers to Norfolk only


def test_agency_shared_by_two_partnerships_shows_both_on_its_leads_home_page(client, db, demo):
    lead = lead_of(db, "Norfolk and Suffolk NHS Foundation Trust")
    sign_in(client, lead)
    text = client.page("/").get_text(" ", strip=True)
    assert "Norfolk Safeguarding Children Partnership" in text
    assert "Suffolk Safeguarding Partnership" in text


def test_header_carries_the_partnership_name_and_colour_not_the_crown(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    html = client.get("/").text
    assert "NSCP" in html
    assert "background-color: #4c2c92" in html
    assert "govuk-crest" not in html and "govuk-header__logotype" not in html


def test_header_text_stays_readable_on_light_and_dark_partnership_colours():
    assert text_colour_on("#4c2c92") == "#ffffff"
    assert text_colour_on("#ffdd00") == "#0b0c0c"
    assert text_colour_on("#28313b") == "#ffffff"


def test_unknown_address_shows_the_friendly_not_found_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_an_unexpected_error_shows_the_500_page_with_a_reference_and_no_traceback(
    settings, engine, caplog
):
    app = create_app(settings, engine=engine)

    @app.get("/explode")
    def explode() -> None:
        raise RuntimeError("secret internal detail")

    with (
        CheckingClient(app, raise_server_exceptions=False) as client,
        caplog.at_level(logging.ERROR, logger="s11"),
    ):
        response = client.get("/explode")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    request_id = response.text.split("reference: <strong>")[1].split("<")[0]
    assert len(request_id) == 16
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_a_browser_that_leaves_mid_upload_is_not_logged_as_a_server_error(settings, engine, caplog):
    from starlette.requests import ClientDisconnect

    app = create_app(settings, engine=engine)

    @app.post("/leave")
    def leave() -> None:
        raise ClientDisconnect()

    with (
        CheckingClient(app, raise_server_exceptions=False) as client,
        caplog.at_level(logging.ERROR, logger="s11"),
    ):
        response = client.post("/leave")
    assert response.status_code == 400
    assert not [r for r in caplog.records if "Unhandled error" in r.getMessage()]


def test_templates_are_reread_from_disk_only_in_development(settings, engine):
    from app.config import Environment
    from app.templating import templates
    from tests.conftest import test_settings

    production = test_settings(settings.database_url, settings.var_dir, env=Environment.PRODUCTION)
    create_app(production, engine=engine)
    assert templates.env.auto_reload is False
    development = test_settings(
        settings.database_url, settings.var_dir, env=Environment.DEVELOPMENT
    )
    create_app(development, engine=engine)
    assert templates.env.auto_reload is True


def test_health_check_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_check_answers_503_when_the_database_is_unreachable(settings, tmp_path):
    broken = create_engine(f"sqlite:///{tmp_path}/missing-dir/never.db")
    with CheckingClient(create_app(settings, engine=broken)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_pages_send_security_headers_and_a_request_id(client):
    response = client.get("/sign-in")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self';" in response.headers["content-security-policy"]
    assert len(response.headers["x-request-id"]) == 16


def test_vendored_styles_scripts_and_their_licences_are_served(client):
    for path in (
        "/static/govuk/app.min.css",
        "/static/govuk/govuk-frontend.min.js",
        "/static/htmx/htmx.min.js",
        "/static/govuk/LICENSE.txt",
        "/static/htmx/LICENSE",
        "/static/app.css",
    ):
        assert client.get(path).status_code == 200, path
    css = client.get("/static/govuk/app.min.css").text
    assert "arial" in css.lower() and "GDS Transport" not in css


def test_every_page_loads_htmx_and_govuk_frontend_scripts(client):
    html = client.get("/sign-in").text
    assert '<script src="/static/htmx/htmx.min.js"' in html
    assert '<script type="module" src="/static/app.js">' in html
