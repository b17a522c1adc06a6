"""Benchmark, not a test: s11's section page beside the fair yardstick (the same page rendered
by bench/section_baseline.py from the same templates and answers, no session or database),
and the autosave p95 with 10 clients, on PostgreSQL (or SQLite without a URL).
Usage: .venv/bin/python -m bench.fair --postgres-url URL [--seconds 8] [--no-write]
The URL's database is emptied first: use one named *bench*, or a schema of its own through
`?options=-csearch_path%3Dbench_...` (that schema alone is emptied).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.pages import RESULTS, demo_env
from bench.returns import (
    PAGE_LEAD,
    SECTION,
    Browser,
    Server,
    Slot,
    answer_everything,
    autosave_slots,
    code_version,
    current_autosave_slots,
    machine_load,
    measure,
    not_started_section,
    reset_postgres,
)

CLIENTS = 10
TARGETS = {"fair_ratio": 0.5, "autosave_p95_ms": 50.0}


def reset(url: str) -> None:
    """Empty the schema the URL works in (named in its search_path), else its bench database."""
    options = urllib.parse.unquote(make_url(url).query.get("options", ""))
    schema = re.search(r"search_path=(\w+)", options)
    if schema is None:
        reset_postgres(url)
        return
    if "bench" not in schema[1]:
        raise SystemExit(f"refusing to empty schema {schema[1]!r}: name it *bench*")
    engine = create_engine(url.split("?")[0], isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema[1]} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema[1]}"))
    engine.dispose()


def run(database_url: str | None, seconds: float) -> list[tuple[str, dict]]:
    var_dir = tempfile.mkdtemp(prefix="s11-bench-")
    if database_url:
        reset(database_url)
    env = demo_env(var_dir, database_url)
    url = database_url or f"sqlite:///{var_dir}/s11.db"
    log = Path(var_dir) / "servers.log"
    print(f"server logs in {log}", flush=True)
    s11 = Server(["app.main:create_app", "--factory"], env, log)
    servers = [s11]
    rows = []
    try:
        lead = Browser(s11.port, PAGE_LEAD)
        section_path = not_started_section(lead)
        shown = answer_everything(lead, section_path)
        return_id = section_path.split("/")[2]
        picked = autosave_slots(s11.port, CLIENTS)
        s11.probe = (section_path, lead.cookie)
        secret = (Path(var_dir) / "secret_key").read_text().strip()
        s11.restart({**env, "S11_ENV": "production", "S11_SECRET_KEY": secret})
        fair_env = {
            **env,
            "SECTION_DATABASE_URL": url,
            "SECTION_RETURN_ID": return_id,
            "SECTION_ID": SECTION,
            "SECTION_PERSON": PAGE_LEAD,
        }
        fair = Server(["bench.section_baseline:app"], fair_env, log)
        servers.append(fair)
        fair.probe = ("/section", "")
        bare = Server(["bench.baseline_app:app"], {**env, "BASELINE_DATABASE_URL": url}, log)
        servers.append(bare)
        bare.probe = ("/page", "")
        plan = (
            (
                f"s11 section page ({shown} questions)",
                s11,
                lambda _r: [Slot("get", section_path, lead.cookie)],
            ),
            ("fair yardstick: same page, bare FastAPI", fair, lambda _r: [Slot("get", "/section")]),
            ("s11 autosave (one answer)", s11, lambda r: current_autosave_slots(picked, r)),
            (
                "bare FastAPI UPDATE + COMMIT",
                bare,
                lambda r: [
                    Slot("update", f"/update/{i}", text=f"bench+{r}+{i}", marker="Saved")
                    for i in range(CLIENTS)
                ],
            ),
        )
        for name, server, make_slots in plan:
            result = measure(server, make_slots, seconds=seconds, clients=CLIENTS)
            rows.append((name, result))
            print(
                f"{name:45} {result['rps']:7.0f}/s p95 {result['p95']:6.1f} ms "
                f"bytes {result['bytes']} errors {result['errors']}",
                flush=True,
            )
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--postgres-url", default=os.environ.get("S11_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/fair.py needs wrk: apt-get install -y wrk")
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    rows = run(options.postgres_url or None, options.seconds)
    database = "PostgreSQL" if options.postgres_url else "SQLite"
    shown_url = (
        make_url(options.postgres_url).render_as_string(hide_password=True)
        if options.postgres_url
        else ""
    )
    page, fair, save, bare = (result for _name, result in rows)
    ratio = page["rps"] / fair["rps"]
    table = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — fair yardstick and autosave p95 "
        f"(issue 23): {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, code {code_version()}",
        "",
        f"`.venv/bin/python -m bench.fair --seconds {options.seconds:g}"
        + (f" --postgres-url {shown_url}`" if shown_url else "`"),
        "",
        f"{database}; one uvicorn worker per server (s11 with S11_ENV=production); wrk with "
        f"{CLIENTS} keep-alive clients on the same 2 cores, 2 s warm-up then "
        f"{options.seconds:g} s per row. The fair yardstick (`bench/section_baseline.py`) "
        "renders s11's own `returns/section.html` with the context s11's section page built "
        "once at its start-up (same templates, GOV.UK macros, answers and header), with no "
        "session, CSRF, access check, query or middleware per request. "
        + machine_load(load_before),
        "",
        "| row | bytes | requests/s | p50 ms | p95 ms | p99 ms | errors | server CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        table.append(
            f"| {name} | {r['bytes']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['p99']:.1f} | {r['errors']} | {r['server_cpu']:.0%} |"
        )
    met = "met" if ratio >= TARGETS["fair_ratio"] else "**missed**"
    p95_met = "met" if save["p95"] < TARGETS["autosave_p95_ms"] else "**missed**"
    table += [
        "",
        f"- s11 section page ÷ fair yardstick: **{ratio:.2f}** (goal ≥ 0.50: {met})",
        f"- s11 autosave p95 at {CLIENTS} clients on {database}: **{save['p95']:.1f} ms** "
        f"(goal < 50 ms: {p95_met}); ÷ bare UPDATE {save['rps'] / bare['rps']:.2f}",
    ]
    out = "\n".join(table) + "\n"
    print(out)
    print(f"({time.monotonic() - began:.0f} s in all)")
    if not options.no_write:
        with RESULTS.open("a") as results:
            results.write("\n" + out)


if __name__ == "__main__":
    main()
