"""Benchmark, not a test: a deadline-day soak. Contributors autosave every 5-15 s and load a
page every minute, a coordinator refreshes the round's dashboard and an export keeps running,
against PostgreSQL and two app workers; then every acknowledged save is looked for in the
database. Usage (about 12 minutes in all, once):
  .venv/bin/python -m bench.soak --postgres-url URL [--contributors 450] [--minutes 10]
URL as for bench/fair.py (a *bench* database or schema, emptied first).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import random
import re
import shutil
import statistics
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select

from bench.fair import reset
from bench.pages import RESULTS, demo_env, sign_in_cookie
from bench.returns import (
    Browser,
    Server,
    agency_leads,
    code_version,
    cpu_seconds,
    machine_load,
    token_on,
)

SCRAPE_TOKEN = "soak-metrics-token"
COORDINATOR = "Priya Shah"
DASHBOARD = "/round/cycles/s11-2021"
EXPORT = "/exports/s11-2021/scored-returns"
PARAGRAPH = "On deadline day our lead checked the policy against the partnership's standard. "


@dataclass
class Answerer:
    """One simulated contributor: their own session, and one long-text answer they own."""

    lead: str
    section: str
    question: str
    cookie: str = ""
    version: int = 0
    token: str = ""
    acknowledged: str | None = None
    saves: int = 0


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def took(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds * 1000)

    def failed(self, kind: str, note: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.notes) < 20:
            self.notes.append(f"{kind}: {note}")


def editable_sections(browser: Browser) -> list[str]:
    """Every section path of the person's returns still open for answers."""
    html = browser.get("/returns")
    paths = []
    for return_id, status in re.findall(
        r'href="/returns/(\d+)".*?govuk-tag[^>]*>\s*([^<]+?)\s*<', html, re.S
    ):
        if status in ("Not started", "In progress"):
            task_list = browser.get(f"/returns/{return_id}")
            found = re.findall(rf'href="(/returns/{return_id}/sections/[\w-]+)"', task_list)
            paths += list(dict.fromkeys(found))
    return paths


def text_questions(html: str) -> list[str]:
    blocks = re.split(r'(?=<div class="s11-question" hx-post=")', html)[1:]
    found = []
    for block in blocks:
        question = re.match(r'<div[^>]*hx-post="[^"]+/autosave/([^"/]+)"', block)[1]
        if re.search(rf'<textarea[^>]*name="{re.escape(question)}"', block):
            found.append(question)
    return found


def answerers(port: int, wanted: int) -> list[Answerer]:
    """`wanted` distinct long-text answers across the demo's open returns, round robin over
    the agencies so that every return is busy, each with a session of its own."""
    per_lead: list[list[Answerer]] = []
    for name in agency_leads(port):
        browser = Browser(port, name)
        owned = []
        for section in editable_sections(browser):
            for question in text_questions(browser.get(section)):
                owned.append(Answerer(name, section, question))
        if owned:
            per_lead.append(owned)
    flat = [row[i] for i in range(max(map(len, per_lead))) for row in per_lead if i < len(row)]
    seen, chosen = set(), []
    for item in flat:
        key = (item.section.split("/")[2], item.question)  # one answer per return and question
        if key not in seen:
            seen.add(key)
            chosen.append(item)
    if len(chosen) < wanted:
        raise SystemExit(f"only {len(chosen)} distinct text answers for {wanted} contributors")
    chosen = chosen[:wanted]
    for item in chosen:
        item.cookie = sign_in_cookie(port, item.lead)
    return chosen


VERSION = re.compile(r'<input[^>]*id="version-([\w-]+)"[^>]*value="(\d+)"')


def keep_cookie(who: Answerer, response: httpx.Response) -> None:
    """The session cookie carries the CSRF token once a page has made one: keep the latest,
    as a browser does (an explicit Cookie header keeps httpx's own jar out of it)."""
    if cookie := response.headers.get("set-cookie"):
        who.cookie = cookie.split(";")[0]


async def load_page(client: httpx.AsyncClient, who: Answerer, tally: Tally) -> None:
    began = time.monotonic()
    try:
        response = await client.get(who.section, headers={"Cookie": who.cookie})
    except httpx.HTTPError as error:
        tally.failed("page", type(error).__name__)
        return
    keep_cookie(who, response)
    tally.took("page", time.monotonic() - began)
    if response.status_code != 200:
        tally.failed("page", str(response.status_code))
        return
    who.token = token_on(response.text)
    for question, version in VERSION.findall(response.text):
        if question == who.question:
            who.version = int(version)


async def autosave(client: httpx.AsyncClient, who: Answerer, tally: Tally) -> None:
    who.saves += 1
    value = f"{PARAGRAPH}Save {who.saves} of {who.question}."
    body = {
        "csrf_token": who.token,
        who.question: value,
        f"__version__{who.question}": str(who.version),
        f"__original__{who.question}": "soak",
    }
    path = f"{who.section}/autosave/{who.question}"
    began = time.monotonic()
    try:
        response = await client.post(
            path,
            data=body,
            headers={"HX-Request": "true", "X-CSRF-Token": who.token, "Cookie": who.cookie},
        )
    except httpx.HTTPError as error:
        tally.failed("autosave", type(error).__name__)
        return
    keep_cookie(who, response)
    tally.took("autosave", time.monotonic() - began)
    if response.status_code != 200 or "Saved at" not in response.text:
        tally.failed("autosave", f"{response.status_code} {response.text[:120]!r}")
        return
    who.acknowledged = value
    for question, version in VERSION.findall(response.text):
        if question == who.question:
            who.version = int(version)


async def contributor(port: int, who: Answerer, until: float, tally: Tally) -> None:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        timeout=30,
        limits=httpx.Limits(max_connections=1),
    ) as client:
        await asyncio.sleep(random.uniform(0, 15))  # people arrive over the first seconds
        await load_page(client, who, tally)
        next_page = time.monotonic() + 60
        while True:
            await asyncio.sleep(random.uniform(5, 15))
            if time.monotonic() >= until:
                return
            if time.monotonic() >= next_page:
                await load_page(client, who, tally)
                next_page += 60
            await autosave(client, who, tally)


async def coordinator(
    port: int, cookie: str, until: float, tally: Tally, path: str, kind: str, pause: float
) -> None:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Cookie": cookie}, timeout=120
    ) as client:
        while time.monotonic() < until:
            began = time.monotonic()
            try:
                response = await client.get(path)
                if response.status_code != 200:
                    tally.failed(kind, str(response.status_code))
                else:
                    tally.took(kind, time.monotonic() - began)
            except httpx.HTTPError as error:
                tally.failed(kind, type(error).__name__)
            await asyncio.sleep(pause)


async def pool_watch(port: int, until: float, seen: list[float]) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        while time.monotonic() < until:
            try:
                text = (
                    await client.get(
                        "/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}
                    )
                ).text
                found = re.search(r"^s11_db_connections_in_use(?:\{[^}]*\})? (\S+)$", text, re.M)
                if found:
                    seen.append(float(found[1]))
            except httpx.HTTPError:
                pass
            await asyncio.sleep(2)


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (the app's workers)."""
    total = cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += cpu_seconds(int(stat.parent.name))
    return total


async def soak(port: int, people: list[Answerer], coordinator_cookie: str, seconds: float):
    tally, pool = Tally(), []
    until = time.monotonic() + seconds
    tasks = [contributor(port, who, until, tally) for who in people]
    tasks.append(coordinator(port, coordinator_cookie, until, tally, DASHBOARD, "dashboard", 5))
    tasks.append(coordinator(port, coordinator_cookie, until, tally, EXPORT, "export", 2))
    tasks.append(pool_watch(port, until, pool))
    await asyncio.gather(*tasks)
    return tally, pool


def lost_saves(database_url: str, people: list[Answerer]) -> int:
    from app import models  # noqa: F401  # every table, so foreign keys resolve
    from app.returns.models import Answer

    engine = create_engine(database_url)
    lost = 0
    with engine.connect() as connection:
        for who in people:
            if who.acknowledged is None:
                continue
            stored = connection.scalar(
                select(Answer.value).where(
                    Answer.return_id == int(who.section.split("/")[2]),
                    Answer.question_id == who.question,
                )
            )
            lost += stored != who.acknowledged
    engine.dispose()
    return lost


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", default=os.environ.get("S11_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--contributors", type=int, default=450)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()
    if not options.postgres_url:
        raise SystemExit("the soak runs on PostgreSQL: give --postgres-url")
    random.seed(23)
    load_before = os.getloadavg()[0]
    var_dir = tempfile.mkdtemp(prefix="s11-soak-")
    metrics_dir = Path(var_dir) / "metrics"
    metrics_dir.mkdir()
    reset(options.postgres_url)
    env = demo_env(var_dir, options.postgres_url)
    log = Path(var_dir) / "servers.log"
    print(f"setting up; server log {log}", flush=True)
    args = ["app.main:create_app", "--factory", "--workers", str(options.workers)]
    server = Server(args, env, log)
    try:
        people = answerers(server.port, options.contributors)
        coordinator_cookie = sign_in_cookie(server.port, COORDINATOR)
        secret = (Path(var_dir) / "secret_key").read_text().strip()
        server.restart(
            {
                **env,
                "S11_ENV": "production",
                "S11_SECRET_KEY": secret,
                "S11_METRICS_TOKEN": SCRAPE_TOKEN,
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            }
        )
        time.sleep(3)  # both workers up
        # Warm both workers (templates compiled, pools filled), as a server is on the day.
        for path, cookie in (
            [(DASHBOARD, coordinator_cookie)] * 6
            + [(EXPORT, coordinator_cookie)] * 2
            + [(people[0].section, people[0].cookie)] * 8
        ):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            connection.request("GET", path, headers={"Cookie": cookie})
            assert connection.getresponse().read() and True
            connection.close()
        print(f"soaking: {len(people)} contributors for {options.minutes:g} min", flush=True)
        cpu_before, began = process_tree_cpu(server.process.pid), time.monotonic()
        tally, pool = asyncio.run(
            soak(server.port, people, coordinator_cookie, options.minutes * 60)
        )
        wall = time.monotonic() - began
        app_cpu = process_tree_cpu(server.process.pid) - cpu_before
    finally:
        server.stop()
    lost = lost_saves(options.postgres_url, people)
    acknowledged = sum(1 for who in people if who.acknowledged is not None)
    shown_url = urllib.parse.unquote(
        re.sub(r"://([^:]+):[^@]+@", r"://\1:***@", options.postgres_url)
    )
    rows = []
    for kind in ("autosave", "page", "dashboard", "export"):
        values = tally.latencies.get(kind, [])
        rows.append(
            f"| {kind} | {len(values)} | {len(values) / wall:.1f} | "
            f"{percentile(values, 50):.1f} | {percentile(values, 95):.1f} | "
            f"{percentile(values, 99):.1f} | {tally.errors.get(kind, 0)} |"
        )
    requests = sum(len(v) for v in tally.latencies.values())
    out = "\n".join(
        [
            f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — deadline-day soak (issue 23): "
            f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"code {code_version()}",
            "",
            f"`.venv/bin/python -m bench.soak --postgres-url {shown_url} --contributors "
            f"{options.contributors} --minutes {options.minutes:g} --workers {options.workers}`",
            "",
            f"{len(people)} simulated contributors (httpx, asyncio, one connection and one "
            "signed-in session each, each owning one long-text answer across the demo's open "
            "returns), each autosaving every 5–15 s and reloading its section page every minute; "
            "a coordinator reloading the round's dashboard every 5 s; the scored-returns export "
            "downloaded again 2 s after each one finished, throughout. s11: uvicorn, "
            f"{options.workers} workers, S11_ENV="
            "production, PostgreSQL 15 on the same machine; the load generator shared the same "
            "2 cores. " + machine_load(load_before),
            "",
            "| request | count | per second | p50 ms | p95 ms | p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            f"- errors: **{sum(tally.errors.values())}** (goal 0)"
            + (f"; first: {'; '.join(tally.notes[:5])}" if tally.notes else ""),
            f"- acknowledged saves found in the database afterwards: "
            f"**{acknowledged - lost} of {acknowledged}** contributors' last acknowledged save "
            f"({lost} missing)",
            f"- app CPU (both workers): {app_cpu:.0f} s over {wall:.0f} s = "
            f"{app_cpu / wall:.2f} cores, {app_cpu / max(requests, 1) * 1000:.1f} ms per request",
            f"- database connections in use (from /metrics, every 2 s): max "
            f"{max(pool) if pool else float('nan'):.0f}, mean "
            f"{statistics.mean(pool) if pool else float('nan'):.1f}",
        ]
    )
    print(out)
    print(json.dumps({"errors": tally.errors, "notes": tally.notes}))
    shutil.rmtree(var_dir, ignore_errors=True)
    if not options.no_write:
        with RESULTS.open("a") as results:
            results.write("\n" + out + "\n")


if __name__ == "__main__":
    main()
