"""Benchmark, not a test: a coordinator's bulk reminder to the demo round grown to SIZE returns,
through a real aiosmtpd relay that takes 50 ms a message: the request's time, then the time until
every email is sent with 1, 2 and 4 `s11 worker` processes on PostgreSQL, messages per SMTP
connection, duplicates and losses; then a run that kills a worker with SIGKILL every 10 s.
Usage: S11_BENCH_POSTGRES_URL=postgresql+psycopg://… .venv/bin/python -m bench.mail_queue
       [--size 6000] [--workers 1,2,4] [--no-kill] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime

from bench.pages import RESULTS, ROOT, demo_env, free_port, sign_in_cookie, start
from bench.rounds import CYCLE, grow

DELAY = 0.05  # the relay's time per message
REFERENCE = re.compile(r"s11-(\d+)@")


class SlowRelay:
    """An SMTP relay (aiosmtpd) that takes DELAY a message and counts what it took, by the
    s11 record id in each Message-ID, and by connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.copies: collections.Counter[int] = collections.Counter()
            self.connections: set[tuple] = set()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        await asyncio.sleep(DELAY)
        found = REFERENCE.search(envelope.content.decode(errors="replace"))
        with self.lock:
            self.connections.add((session.peer, id(session)))
            if found:
                self.copies[int(found.group(1))] += 1
        return "250 Message accepted for delivery"


def fresh_database(base_url: str, name: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def remind_everyone_waiting(port: int, cookie: str) -> tuple[float, str]:
    """The coordinator's bulk reminder, as the confirm page posts it: (seconds, location)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    path = f"/round/cycles/{CYCLE}/bulk/remind"
    connection.request("GET", path, headers={"Cookie": cookie})
    page = connection.getresponse()
    html = page.read().decode()
    # The page gives the session its CSRF token: the cookie changes with it.
    cookie = (page.getheader("set-cookie") or cookie).split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    body = urllib.parse.urlencode({"csrf_token": token})
    started = time.perf_counter()
    connection.request(
        "POST",
        path,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = connection.getresponse()
    response.read()
    took = time.perf_counter() - started
    assert response.status == 303, response.status
    return took, response.getheader("location") or ""


def statuses(database_url: str) -> collections.Counter[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, count(*) FROM sent_email WHERE kind = 'reminder' GROUP BY status")
        ).all()
    engine.dispose()
    return collections.Counter({status: count for status, count in rows})


def requeue(database_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE sent_email SET status = 'queued', attempts = 0, sent_at = NULL, "
                "claimed_by = NULL, claimed_until = NULL, next_attempt_at = NULL "
                "WHERE kind = 'reminder'"
            )
        )
    engine.dispose()


def worker(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--name", name],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def deliver(
    env: dict[str, str],
    database_url: str,
    relay: SlowRelay,
    total: int,
    workers: int,
    *,
    kill_every: float | None = None,
) -> dict:
    """Start `workers` workers, wait until all `total` are sent; SIGKILL one every
    `kill_every` seconds (a new one replaces it), if given."""
    relay.reset()
    started = time.perf_counter()
    running = [worker(env, f"w{n}") for n in range(workers)]
    kills, next_kill, spawned = 0, started + (kill_every or 0), workers
    deadline = started + 3600
    sent = 0
    while time.perf_counter() < deadline:
        time.sleep(0.5)
        counts = statuses(database_url)
        sent = counts.get("sent", 0)
        if sent >= total:
            break
        if kill_every and time.perf_counter() >= next_kill:
            victim = running.pop(0)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            kills += 1
            running.append(worker(env, f"w{spawned}"))
            spawned += 1
            next_kill += kill_every
    took = time.perf_counter() - started
    for process in running:
        process.send_signal(signal.SIGTERM)
    clean = all(process.wait(timeout=60) == 0 for process in running)
    time.sleep(1)
    with relay.lock:
        copies = dict(relay.copies)
        connections = len(relay.connections)
    duplicates = sum(count - 1 for count in copies.values() if count > 1)
    return {
        "workers": workers,
        "seconds": took,
        "sent": sent,
        "lost": total - len(copies),
        "duplicates": duplicates,
        "connections": connections,
        "per_connection": sum(copies.values()) / max(connections, 1),
        "kills": kills,
        "stopped_cleanly": clean,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=6000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    base = os.environ.get("S11_BENCH_POSTGRES_URL") or os.environ["S11_TEST_POSTGRES_URL"]
    load_before = os.getloadavg()
    database_url = fresh_database(base, "s11_mail_bench")

    from aiosmtpd.controller import Controller

    relay = SlowRelay()
    smtp_port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as var_dir:
        env = demo_env(var_dir, database_url)
        grow(database_url, args.size)
        env.update({"S11_SMTP_HOST": "127.0.0.1", "S11_SMTP_PORT": str(smtp_port)})
        port = free_port()
        server = start(["app.main:create_app", "--factory"], env, port)
        try:
            cookie = sign_in_cookie(port)
            took, location = remind_everyone_waiting(port, cookie)
        finally:
            server.terminate()
            server.wait(timeout=30)
        total = statuses(database_url)["queued"]
        print(f"request: {took:.3f} s for {total} reminders queued -> {location}", flush=True)
        lines.append(
            f"- the bulk reminder's request: **{took * 1000:.0f} ms** for {total:,} reminders "
            f"queued (goal < 1 s); it answered with a redirect to `{location}`"
        )
        runs = []
        for count in [int(n) for n in args.workers.split(",")]:
            if runs:
                requeue(database_url)
            outcome = deliver(env, database_url, relay, total, count)
            runs.append(outcome)
            print(outcome, flush=True)
        if not args.no_kill:
            requeue(database_url)
            worker_env = {**env, "S11_MAIL_LEASE_SECONDS": "10"}
            outcome = deliver(worker_env, database_url, relay, total, 2, kill_every=10)
            outcome["killed"] = True
            runs.append(outcome)
            print(outcome, flush=True)
    controller.stop()
    load_after = os.getloadavg()
    for run in runs:
        what = (
            f"{run['workers']} workers, one SIGKILLed every 10 s ({run['kills']} kills, lease 10 s)"
            if run.get("killed")
            else f"{run['workers']} worker{'s' if run['workers'] > 1 else ''}"
        )
        lines.append(
            f"- {what}: all {run['sent']:,} sent in **{run['seconds']:.1f} s** "
            f"({run['sent'] / run['seconds']:.0f}/s); {run['connections']} SMTP connections, "
            f"{run['per_connection']:.1f} messages each; lost **{run['lost']}**, duplicates "
            f"**{run['duplicates']}**; stopped by SIGTERM cleanly: {run['stopped_cleanly']}"
        )
    report = "\n".join(
        [
            "",
            f"## Mail queue: a bulk reminder of the round grown to {args.size:,} returns "
            f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            "`S11_BENCH_POSTGRES_URL=… .venv/bin/python -m bench.mail_queue "
            f"--size {args.size} --workers {args.workers}`: PostgreSQL 15, an aiosmtpd relay "
            f"on loopback taking {DELAY * 1000:.0f} ms a message, `s11 worker` processes with "
            "batches of 50 (one SMTP connection each). Load average (1, 5, 15 min) before: "
            f"{load_before[0]:.2f}, {load_before[1]:.2f}, {load_before[2]:.2f}; after: "
            f"{load_after[0]:.2f}, {load_after[1]:.2f}, {load_after[2]:.2f} (a shared 2-core "
            "machine).",
            "",
            *lines,
            "",
        ]
    )
    print(report)
    if not args.no_write:
        with RESULTS.open("a") as results:
            results.write(report)


if __name__ == "__main__":
    main()
