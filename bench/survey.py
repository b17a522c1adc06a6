"""Benchmark, not a test: anonymous survey submissions per second against the bare FastAPI
UPDATE + COMMIT, and the results page's time and SQL statements at 10 and 5,000 responses.
Usage: .venv/bin/python -m bench.survey [--seconds 8] [--clients 4] [--no-write]
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import statistics
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, insert, select

from bench.pages import RESULTS, demo_env, free_port, start
from bench.returns import code_version

AGENCY = "Great Yarmouth Borough Council"
ANSWERS = {
    "practitioner-sector": "district_council",
    "practitioner-role": "practitioner",
    "clear-responsibilities": "4",
    "leaders-value-safeguarding": "5",
    "know-safeguarding-lead": "4",
    "safe-to-raise-concerns": "2",
    "know-whistleblowing-procedure": "yes",
    "colleague-concerns": "4",
    "child-voice-makes-a-difference": "3",
    "information-sharing-confidence": "4",
    "escalation-confidence": "4",
    "escalation-used": "no",
    "supervision-regular": "2",
    "training-up-to-date": "yes",
    "what-works-well": "Supervision is regular and my manager makes time for it. " * 4,
}


def post_load(port: int, path: str, bodies: list[str], cookie: str, *, seconds: float) -> dict:
    """Closed-loop POSTs, one keep-alive connection per body (client), for `seconds`."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        nonlocal failures
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        mine = []
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            connection.request(
                "POST", path.format(index=index), body=bodies[index], headers=headers
            )
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - began)
            if response.status not in (200, 303):
                with lock:
                    failures += 1
        with lock:
            latencies.extend(mine)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "errors": failures,
    }


def survey_token(database_url: str) -> str:
    from app.directory.models import Agency
    from app.surveys.models import SurveyLink

    engine = create_engine(database_url)
    with engine.connect() as connection:
        token = connection.scalar(
            select(SurveyLink.token)
            .join(Agency, Agency.id == SurveyLink.agency_id)
            .where(Agency.name == AGENCY, SurveyLink.replaced_at.is_(None))
        )
    engine.dispose()
    return token


def respondent_cookie(port: int, token: str) -> tuple[str, str]:
    """The session cookie and CSRF token a browser gets from the survey's start page."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", f"/survey/{token}")
    response = connection.getresponse()
    html = response.read().decode()
    cookie = response.getheader("set-cookie", "").split(";")[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return cookie, csrf


def submissions(seconds: float, clients: int) -> tuple[dict, dict]:
    var_dir = tempfile.mkdtemp(prefix="s11-bench-survey-")
    env = demo_env(var_dir) | {"S11_SURVEY_SUBMISSIONS_PER_MINUTE": "1000000"}
    database_url = f"sqlite:///{var_dir}/s11.db"
    token = survey_token(database_url)
    port, bare_port = free_port(), free_port()
    log = Path(var_dir) / "server.log"
    server = start(["app.main:create_app", "--factory"], env, port, log)
    bare_env = {k: v for k, v in env.items() if not k.startswith("S11_")}
    bare_env["BASELINE_DATABASE_URL"] = f"sqlite:///{var_dir}/bare.db"
    bare = start(["bench.baseline_app:app"], bare_env, bare_port, log)
    try:
        cookie, csrf = respondent_cookie(port, token)
        body = urllib.parse.urlencode(ANSWERS | {"csrf_token": csrf})
        s11 = post_load(port, f"/survey/{token}/submit", [body] * clients, cookie, seconds=seconds)
        value = urllib.parse.urlencode({"value": ANSWERS["what-works-well"]})
        baseline = post_load(bare_port, "/update/{index}", [value] * clients, "", seconds=seconds)
    finally:
        server.terminate()
        bare.terminate()
        server.wait()
        bare.wait()
    return s11, baseline


def results_page(responses: list[int]) -> list[dict]:
    """The coordinator's results page in-process, its statements counted, at each size."""
    from fastapi.testclient import TestClient

    from app.config import load_settings
    from app.db import make_engine
    from app.main import create_app
    from app.surveys.models import SurveyAnswer, SurveyResponse

    var_dir = tempfile.mkdtemp(prefix="s11-bench-results-")
    env = demo_env(var_dir)
    os.environ.update({k: v for k, v in env.items() if k.startswith("S11_")})
    settings = load_settings()
    engine = make_engine(settings.database_url)
    token = survey_token(settings.database_url)
    from app.surveys.models import SurveyLink

    with engine.begin() as connection:
        link = connection.execute(select(SurveyLink).where(SurveyLink.token == token)).one()
        survey_id, agency_id = link.survey_id, link.agency_id
        connection.execute(SurveyResponse.__table__.delete())
    counted = []
    event.listen(engine, "before_cursor_execute", lambda *a: counted.append(1))
    client = TestClient(create_app(settings, engine=engine), base_url="http://localhost")
    html = client.get("/dev/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    person = re.search(r'value="(\d+)"[^>]*>\s*<label[^>]*>\s*Priya Shah\s*<', html).group(1)
    client.post("/dev/sign-in", data={"csrf_token": csrf, "person_id": person, "next": "/"})
    rows = []
    have = 0
    for size in responses:
        with engine.begin() as connection:
            for _ in range(size - have):
                response_id = connection.execute(
                    insert(SurveyResponse.__table__).values(
                        survey_id=survey_id, agency_id=agency_id, submitted_on=date.today()
                    )
                ).inserted_primary_key[0]
                connection.execute(
                    insert(SurveyAnswer.__table__),
                    [
                        {"response_id": response_id, "question_id": q, "choice": v[:60]}
                        for q, v in ANSWERS.items()
                        if q != "what-works-well"
                    ],
                )
                connection.execute(
                    insert(SurveyAnswer.__table__).values(
                        response_id=response_id, question_id="what-works-well", text="x"
                    )
                )
        have = size
        path = "/round/cycles/s11-2021/survey/results"
        assert client.get(path).status_code == 200
        times = []
        for _ in range(5):
            counted.clear()
            began = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append((time.perf_counter() - began) * 1000)
        rows.append({"responses": size, "ms": statistics.median(times), "statements": len(counted)})
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    s11, baseline = submissions(args.seconds, args.clients)
    pages = results_page([10, 5000])
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"\n### {when} — survey: {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, code {code_version()}\n",
        f"`.venv/bin/python -m bench.survey --seconds {args.seconds:g} --clients {args.clients}`"
        " (SQLite demo, one uvicorn worker per server, Python load clients on the same cores)\n",
        "| row | requests/s | p50 ms | p95 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: |",
        "| s11 anonymous survey submission (15 answers, CSRF, rate limit, 1 response + 15 "
        f"answer rows) | {s11['rps']:.0f} | {s11['p50']:.1f} | {s11['p95']:.1f} | "
        f"{s11['errors']} |",
        f"| bare FastAPI UPDATE + COMMIT | {baseline['rps']:.0f} | {baseline['p50']:.1f} | "
        f"{baseline['p95']:.1f} | {baseline['errors']} |",
        "",
        "| results page (coordinator, one agency's responses) | median ms of 5 | SQL statements |",
        "| --- | ---: | ---: |",
        *[
            f"| {row['responses']:,} responses | {row['ms']:.0f} | {row['statements']} |"
            for row in pages
        ],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        with RESULTS.open("a") as file:
            file.write(text)


if __name__ == "__main__":
    main()
