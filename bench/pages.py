"""Benchmark: s11's pages against a bare FastAPI + Jinja2 page of the same size, in one run.

Starts both servers on loopback (one uvicorn worker each), drives each with the same bounded
keep-alive load, prints a Markdown table and appends it to bench/RESULTS.md. Not a test.
Usage: .venv/bin/python bench/pages.py [--seconds 10] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(
    args: list[str], env: dict[str, str], port: int, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start uvicorn and wait until it listens; its warnings and errors go to `log`, if given."""
    errors = log.open("ab") if log else subprocess.DEVNULL
    server = subprocess.Popen(
        [
            sys.executable,
            "-X",
            "faulthandler",  # SIGABRT then dumps every thread's stack to the log
            "-m",
            "uvicorn",
            *args,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    if log:
        errors.close()  # the server has its own copy
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"server {args} did not start")


def demo_env(var_dir: str, database_url: str | None = None) -> dict[str, str]:
    """The environment of a development s11 on `var_dir` (SQLite there unless a URL is given),
    with the demo data loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("S11_")}
    env.update({"S11_ENV": "development", "S11_VAR_DIR": var_dir})
    if database_url:
        env["S11_DATABASE_URL"] = database_url
    for command in ("migrate", "demo"):
        subprocess.run(
            [sys.executable, "-m", "app.cli", command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    return env


def sign_in_cookie(port: int, name: str = "Priya Shah") -> str:
    """Sign in as a demo person (the coordinator unless named) through the development
    sign-in page."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/dev/sign-in")
    response = connection.getresponse()
    html = response.read().decode()
    cookie = response.getheader("set-cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    pattern = r'value="(\d+)"[^>]*>\s*<label[^>]*>\s*' + re.escape(name) + r"\s*<"
    person_id = re.search(pattern, html).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "person_id": person_id, "next": "/"})
    connection.request(
        "POST",
        "/dev/sign-in",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 303, response.status
    return response.getheader("set-cookie").split(";")[0]


def load(port: int, path: str, *, seconds: float, clients: int, cookie: str = "") -> dict:
    """Bounded closed-loop load: `clients` keep-alive connections for `seconds`."""
    latencies: list[float] = []
    sizes: list[int] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        headers = {"Cookie": cookie} if cookie else {}
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 200:
                with lock:
                    errors += 1
            sizes.append(len(body))
        with lock:
            latencies.extend(mine)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p95": pct(0.95),
        "p99": pct(0.99),
        "bytes": int(statistics.median(sizes)),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()

    env = demo_env(tempfile.mkdtemp(prefix="s11-bench-"))

    s11_port = free_port()
    s11 = start(["app.main:create_app", "--factory"], env, s11_port)
    servers = [s11]
    rows = []
    try:
        cookie = sign_in_cookie(s11_port)
        for label, path, kwargs in (
            ("s11 sign-in page (anonymous)", "/sign-in", {}),
            ("s11 home page (signed in: person + memberships query)", "/", {"cookie": cookie}),
        ):
            load(s11_port, path, seconds=1, clients=options.clients, **kwargs)  # warm up
            rows.append(
                (
                    label,
                    load(
                        s11_port, path, seconds=options.seconds, clients=options.clients, **kwargs
                    ),
                )
            )

        size = rows[-1][1]["bytes"]
        base_port = free_port()
        servers.append(
            start(["bench.baseline_app:app"], {**env, "BASELINE_PAGE_BYTES": str(size)}, base_port)
        )
        load(base_port, "/page", seconds=1, clients=options.clients)
        rows.append(
            (
                "bare FastAPI + Jinja2, same page size",
                load(base_port, "/page", seconds=options.seconds, clients=options.clients),
            )
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)

    table = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "",
        f"One uvicorn worker per server, SQLite demo data; {options.clients} keep-alive clients "
        f"for {options.seconds:g} s per row, the load generator on the same 2 cores.",
        "",
        "| page | bytes | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, r in rows:
        table.append(
            f"| {label} | {r['bytes']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['p99']:.1f} | {r['errors']} |"
        )
    text = "\n".join(table) + "\n"
    print(text)
    if not options.no_write:
        with RESULTS.open("a") as results:
            results.write("\n" + text)


if __name__ == "__main__":
    main()
