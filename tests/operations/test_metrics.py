"""/metrics and the request log as an operator meets them on deadline day: off until set up,
then counting requests by route, autosaves and conflicts; one JSON line per request that
never holds what people typed, their tokens or their addresses."""

from __future__ import annotations

import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from tests.conftest import client_for, lead_of, sign_in, test_settings
from tests.returns.conftest import form_of, section_url
from tests.returns.test_pages import autosave

TOKEN = "scrape-token-for-tests-0123456789"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client, token: str = TOKEN):
    return client.get("/metrics", headers={"Authorization": f"Bearer {token}"})


def test_metrics_are_off_unless_set_up_and_need_the_token(
    client, database_url, var_dir, engine, db
):
    assert client.get("/metrics").status_code == 404  # the default: no page at all
    settings = test_settings(database_url, var_dir, metrics_token=TOKEN)
    with client_for(settings, engine, db) as scraper:
        assert scraper.get("/metrics").status_code == 404
        assert scrape(scraper, "wrong").status_code == 404
        response = scrape(scraper)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert "s11_db_connections_in_use" in response.text


def test_metrics_allow_list_lets_in_the_monitoring_network_only(database_url, var_dir, engine, db):
    settings = test_settings(database_url, var_dir, metrics_allow=["10.0.0.0/8"])
    with client_for(settings, engine, db, ("10.1.2.3", 50000)) as inside:
        assert inside.get("/metrics").status_code == 200
    with client_for(settings, engine, db, ("192.0.2.9", 50000)) as outside:
        assert outside.get("/metrics").status_code == 404


def test_autosaves_conflicts_and_requests_by_route_are_counted(
    database_url,
    var_dir,
    engine,
    db,
    nspcc_return,
):
    settings: Settings = test_settings(database_url, var_dir, metrics_token=TOKEN)
    with client_for(settings, engine, db) as client:
        before = scrape(client).text
        sign_in(client, lead_of(db, "NSPCC"))
        url = section_url(nspcc_return)
        stale = form_of(client, url)
        autosave(client, nspcc_return, "lead-name", {"lead-name": "First"})
        client.post(
            f"{url}/autosave/lead-name",
            data={k: v for k, v in stale.items() if k.endswith("lead-name") or k == "csrf_token"}
            | {"lead-name": "Mine"},
            headers={"HX-Request": "true"},
        )
        after = scrape(client).text
    route = "/returns/{return_id}/sections/{section_id}"
    autosave_route = route + "/autosave/{question_id}"
    grew = {
        "page": ("s11_requests_total", {"method": "GET", "route": route, "status": "200"}),
        "saves": (
            "s11_requests_total",
            {"method": "POST", "route": autosave_route, "status": "200"},
        ),
        "saved": ("s11_autosaves_total", {"outcome": "saved"}),
        "conflict": ("s11_autosaves_total", {"outcome": "conflict"}),
        "conflicts": ("s11_answer_conflicts_total", {}),
        "timed": (
            "s11_request_duration_seconds_count",
            {"method": "POST", "route": autosave_route},
        ),
    }
    changes = {
        key: value(after, name, **labels) - value(before, name, **labels)
        for key, (name, labels) in grew.items()
    }
    assert changes == {
        "page": 2,  # the stale copy, and the page autosave() reads its fields from
        "saves": 2,
        "saved": 1,
        "conflict": 1,
        "conflicts": 1,
        "timed": 2,
    }
    # Paths are never labels: no return id appears, only templates.
    assert f"/returns/{nspcc_return.id}/" not in after


def test_request_log_is_one_json_line_without_answers_tokens_or_addresses(
    client,
    db,
    nspcc_return,
    caplog,
):
    sign_in(client, lead_of(db, "NSPCC"))
    secret_answer = "Our named nurse is Jo Bloggs and she says the child disclosed"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="s11.requests"):
        response = autosave(
            client,
            nspcc_return,
            "lead-name",
            {"lead-name": secret_answer, "email": "jo.bloggs@nhs.example.org"},
        )
        client.get("/sign-in/email/a-sign-in-token-that-must-not-be-logged?next=jo@example.org")
    text = caplog.text
    for leaked in (secret_answer, "jo.bloggs@nhs.example.org", "a-sign-in-token", "jo@example.org"):
        assert leaked not in text
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "s11.requests"]
    saved = next(r for r in records if r["method"] == "POST")
    assert saved["request_id"] == response.headers["x-request-id"]
    assert saved["route"].endswith("/autosave/{question_id}") and saved["status"] == 200
    assert saved["duration_ms"] > 0
    assert records[-1]["route"] == "/sign-in/email/{token}"
