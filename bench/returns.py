"""Benchmark, not a test: return section page and autosave vs bare FastAPI, SQLite and PostgreSQL.
Usage: .venv/bin/python -m bench.returns [--seconds 8] [--postgres-url URL] [--no-write]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.pages import RESULTS, ROOT, demo_env, free_port, sign_in_cookie, start

# wrk, in its own process, is the load generator: C and epoll, so at 50 clients it takes a few
# per cent of a core where Python clients would take a core from the servers being measured.
# bench/returns.lua is its client script. Results are appended to bench/RESULTS.md.
LUA = ROOT / "bench" / "returns.lua"
CLIENT_COUNTS = (10, 50)
WARM_UP_SECONDS = 2
# The largest section of the demo questionnaire (norfolk-2021.yaml): 16 questions, 15 of them
# shown to a police agency once the two follow-ups are opened. No section has 20.
SECTION = "nscp-priorities"
PAGE_LEAD = "Ben Khan"  # Norfolk Constabulary: a not-started return, kept for the page rows
OPEN_FOLLOW_UPS = {"exploitation-screening-tool": "yes", "trauma-senior-leaders": "no"}
PARAGRAPH = (
    "Our designated safeguarding lead reviews neglect cases every quarter with the named "
    "nurse and the MASH manager. Staff complete the partnership's neglect training within six "
    "months of starting, and supervisors check the graded care profile is used at every "
    "strategy discussion. We audited twelve cases this year and found that the voice of the "
    "child was recorded in ten; the two that were not have been discussed with the teams. "
)
TARGETS = {"page": 0.5, "autosave": 0.6, "autosave_p95_ms": 50.0}


@dataclass
class Slot:
    """One wrk client: what it requests, as whom, and (for autosave) which answer it edits."""

    mode: str  # get, autosave or update
    path: str
    cookie: str = ""
    token: str = ""
    question_id: str = ""
    version: int = 0
    text: str = ""
    marker: str = ""

    def line(self) -> str:
        fields = (self.mode, self.path, self.cookie, self.token, self.question_id)
        rest = (str(self.version), self.text, self.marker)
        return "\t".join((*fields, *rest))


class Browser:
    """A signed-in person's requests while setting up (never for measuring)."""

    def __init__(self, port: int, name: str) -> None:
        self.port = port
        self.cookie = sign_in_cookie(port, name)

    def _connect(self) -> http.client.HTTPConnection:
        # A new connection each time: uvicorn closes idle keep-alive ones after 5 s.
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        return self.connection

    def get(self, path: str) -> str:
        self._connect().request("GET", path, headers={"Cookie": self.cookie})
        return self._read(path, expect=200)

    def post(self, path: str, fields: list[tuple[str, str]], token: str) -> str:
        self._connect().request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields),
            headers={
                "Cookie": self.cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true",
                "X-CSRF-Token": token,
            },
        )
        return self._read(path)

    def _read(self, path: str, expect: int | None = None) -> str:
        response = self.connection.getresponse()
        body = response.read().decode()
        self.connection.close()
        assert expect is None or response.status == expect, (path, response.status)
        # The session cookie carries the CSRF token once a page has made one: keep the latest.
        if cookie := response.getheader("set-cookie"):
            self.cookie = cookie.split(";")[0]
        return body


def agency_leads(port: int) -> list[str]:
    """The names the development sign-in page offers as agency leads, in its order."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/dev/sign-in")
    html = connection.getresponse().read().decode()
    people = re.findall(
        r'type="radio" value="\d+"[^>]*>\s*<label[^>]*>\s*([^<]+?)\s*</label>\s*'
        r"<div[^>]*>\s*([^<]+?)\s*</div>",
        html,
    )
    return [name for name, role in people if role.startswith("Agency lead")]


def not_started_section(browser: Browser) -> str | None:
    """The path of the bench section in the person's first return that is not started."""
    html = browser.get("/returns")
    for return_id, status in re.findall(
        r'href="/returns/(\d+)".*?govuk-tag[^>]*>\s*([^<]+?)\s*<', html, re.S
    ):
        if status == "Not started":
            return f"/returns/{return_id}/sections/{SECTION}"
    return None


def questions_on(html: str) -> dict[str, tuple[str, str]]:
    """Each question's autosave path and its part of the section page, by question id."""
    blocks = re.split(r'(?=<div class="s11-question" hx-post=")', html)[1:]
    found = {}
    for block in blocks:
        path, question_id = re.match(
            r'<div[^>]*hx-post="([^"]+/autosave/([^"/]+))"', block
        ).groups()
        found[question_id] = (path, block)
    return found


def version_in(block: str, question_id: str) -> int:
    return int(re.search(rf'id="version-{re.escape(question_id)}"[^>]*value="(\d+)"', block)[1])


def token_on(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def answer_everything(browser: Browser, section_path: str) -> int:
    """Fill in the section as its lead would, through autosave, opening the follow-ups, so the
    page carries answers, versions and who changed them. Returns how many questions it shows."""
    for _ in range(3):  # an answer can reveal more questions; answer those on the next pass
        html = browser.get(section_path)
        token = token_on(html)
        answered = 0
        for question_id, (path, block) in questions_on(html).items():
            if version_in(block, question_id):
                continue
            fields = []
            names = re.findall(r'<(input|textarea|select)[^>]*name="([^"]+)"[^>]*>', block)
            for element, name in names:
                tag = re.search(rf'<{element}[^>]*name="{re.escape(name)}"[^>]*>', block)[0]
                kind = re.search(r'type="(\w+)"', tag)
                kind = kind[1] if kind else element
                if name.startswith("__") or name.endswith(("__na", "__na_reason")):
                    continue
                if kind in ("file", "select"):
                    continue
                if name == question_id and kind in ("radio", "checkbox"):
                    if any(field[0] == name for field in fields):
                        continue  # the first option will do
                    value = OPEN_FOLLOW_UPS.get(name) or re.search(r'value="([^"]*)"', tag)[1]
                    fields.append((name, value))
                elif name == question_id or name.startswith(f"{question_id}__0__"):
                    fields.append((name, PARAGRAPH if element == "textarea" else "12"))
            if not fields:
                continue  # evidence is uploaded, not typed
            fields += [("csrf_token", token), (f"__version__{question_id}", "0")]
            reply = browser.post(path, fields, token)
            assert "Saved at" in reply, (question_id, reply)
            answered += 1
        if not answered:
            return html.count('<div class="s11-question"')
    raise SystemExit("the section kept revealing questions")


def autosave_slots(port: int, clients: int) -> list[tuple[Browser, str, str]]:
    """(person, section path, text question) for each client: round robin over the leads of
    not-started returns, so 10 clients are 10 people in 10 returns, each editing one answer."""
    per_lead = []
    for name in agency_leads(port):
        if name == PAGE_LEAD:
            continue
        browser = Browser(port, name)
        section_path = not_started_section(browser)
        if section_path is None:
            continue
        questions = questions_on(browser.get(section_path))
        texts = [
            qid
            for qid, (_, block) in questions.items()
            if re.search(rf'<textarea[^>]*name="{re.escape(qid)}"', block)
        ]
        per_lead.append([(browser, section_path, qid) for qid in texts])
    slots = [row[i] for i in range(max(map(len, per_lead))) for row in per_lead if i < len(row)]
    if len(slots) < clients:
        raise SystemExit(f"only {len(slots)} text answers to share among {clients} clients")
    return slots[:clients]


def current_autosave_slots(picked: list[tuple[Browser, str, str]], run: str) -> list[Slot]:
    """Slots with each answer's version as the page shows it now, as a browser would load it."""
    pages: dict[tuple[int, str], str] = {}
    slots = []
    for index, (browser, section_path, question_id) in enumerate(picked):
        key = (id(browser), section_path)
        if key not in pages:
            pages[key] = browser.get(section_path)
        html = pages[key]
        path, block = questions_on(html)[question_id]
        words = f"{PARAGRAPH} Run {run}, client {index}, save"
        slots.append(
            Slot(
                "autosave",
                path,
                browser.cookie,
                token_on(html),
                question_id,
                version_in(block, question_id),
                urllib.parse.quote_plus(words),
                "Saved at",
            )
        )
    return slots


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port: int, slots: list[Slot], *, seconds: float, clients: int, pid: int) -> dict:
    """Run wrk with one thread and one connection per client; its script reports one JSON line.
    Also how much of one core the server process (`pid`) and wrk itself used meanwhile."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as file:
        file.write("\n".join(slot.line() for slot in slots) + "\n")
    server_before = cpu_seconds(pid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    try:
        completed = subprocess.run(
            [
                "wrk",
                f"--threads={clients}",
                f"--connections={clients}",
                f"--duration={seconds:g}s",
                "--timeout=10s",
                f"--script={LUA}",
                f"http://127.0.0.1:{port}",
            ],
            env={**os.environ, "BENCH_SLOTS": file.name},
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(file.name)
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    line = next(x for x in completed.stdout.splitlines() if x.startswith("BENCH "))
    result = json.loads(line.removeprefix("BENCH "))
    result["rps"] = result["requests"] / result["seconds"]
    result["server_cpu"] = (cpu_seconds(pid) - server_before) / wall
    result["wrk_cpu"] = wrk_cpu / wall
    result["errors"] = result["refused"] + result["socket_errors"] + result["timeouts"]
    return result


class Server:
    """A uvicorn process on its own port, restarted there when it stalls."""

    # A healthy server drains 50 clients' requests in a second or two. One whose worker threads
    # all wait for a database connection answers again only as its pool's 30 s timeouts run
    # out, and with wrk's clients still queued that can take minutes (see RESULTS.md).
    STALL_SECONDS = 10

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.port = free_port()
        self.probe = ("/", "")  # a path that answers 200, and the cookie it needs
        self.process = start(args, env, self.port, log)

    def answering(self) -> bool:
        began = time.monotonic()
        while time.monotonic() - began < self.STALL_SECONDS:
            path, cookie = self.probe
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                if connection.getresponse().status == 200:
                    return True
            except OSError:  # a timeout or a refused connection: still stalled
                pass
            finally:
                connection.close()
            time.sleep(0.5)
        return False

    def ready(self) -> bool:
        """True if the server answers; False if it had stalled and was restarted."""
        if self.answering():
            return True
        self.stop()
        self.process = start(self.args, self.env, self.port, self.log)
        return False

    def restart(self, env: dict[str, str]) -> None:
        self.stop()
        self.env = env
        self.process = start(self.args, self.env, self.port, self.log)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # still waiting on a stalled request
            self.process.kill()
            self.process.wait()


def measure(
    server: Server, make_slots: Callable[[str], list[Slot]], *, seconds: float, clients: int
) -> dict:
    """A short warm-up (first saves insert the answers; pools and caches fill), then the row,
    each on a server that answers, so a row never measures the one before."""
    server.ready()
    pid = server.process.pid
    wrk(server.port, make_slots("warm"), seconds=WARM_UP_SECONDS, clients=clients, pid=pid)
    if not server.ready():
        pid = server.process.pid
    result = wrk(server.port, make_slots("row"), seconds=seconds, clients=clients, pid=pid)
    result["stalled"] = not server.ready()
    return result


def reset_postgres(url: str) -> None:
    """Empty the bench database, so migrate and demo start from nothing every run."""
    # Dropping a schema is not undoable: only ever in a database that says it is for benches.
    database = make_url(url).database or ""
    if "bench" not in database:
        raise SystemExit(f"refusing to empty {database!r}: use a database named *bench*")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run_database(label: str, database_url: str | None, *, seconds: float) -> tuple[list, dict]:
    """All rows for one database: s11 and the bare app side by side, at each client count."""
    var_dir = tempfile.mkdtemp(prefix="s11-bench-")
    if database_url:
        reset_postgres(database_url)
    env = demo_env(var_dir, database_url)
    url = database_url or f"sqlite:///{var_dir}/s11.db"
    log = Path(var_dir) / "servers.log"
    print(f"{label}: server logs in {log}", flush=True)
    s11 = Server(["app.main:create_app", "--factory"], env, log)
    servers = [s11]
    rows = []
    try:
        page_lead = Browser(s11.port, PAGE_LEAD)
        section_path = not_started_section(page_lead)
        shown = answer_everything(page_lead, section_path)
        page_bytes = len(page_lead.get(section_path).encode())
        picked = autosave_slots(s11.port, max(CLIENT_COUNTS))
        s11.probe = (section_path, page_lead.cookie)  # answers only when the database does
        # Signed in above through the development sign-in page; measured as s11 runs for real
        # (production: templates never re-read from disk), with the same secret, so those
        # sign-ins carry on.
        secret = (Path(var_dir) / "secret_key").read_text().strip()
        s11.restart({**env, "S11_ENV": "production", "S11_SECRET_KEY": secret})

        base_env = {**env, "BASELINE_PAGE_BYTES": str(page_bytes), "BASELINE_DATABASE_URL": url}
        bare = Server(["bench.baseline_app:app"], base_env, log)
        servers.append(bare)
        bare.probe = ("/page", "")

        for clients in CLIENT_COUNTS:
            runs = (
                (
                    f"s11 section page ({shown} questions)",
                    s11,
                    lambda _run: [Slot("get", section_path, page_lead.cookie)],
                ),
                (
                    "bare FastAPI + Jinja2 page, same size",
                    bare,
                    lambda _run: [Slot("get", "/page")],
                ),
                (
                    "s11 autosave (one answer)",
                    s11,
                    lambda run, clients=clients: current_autosave_slots(picked[:clients], run),
                ),
                (
                    "bare FastAPI UPDATE + COMMIT",
                    bare,
                    lambda run, clients=clients: [
                        Slot("update", f"/update/{i}", text=f"bench+{run}+{i}", marker="Saved")
                        for i in range(clients)
                    ],
                ),
            )
            for name, server, make_slots in runs:
                result = measure(server, make_slots, seconds=seconds, clients=clients)
                rows.append((label, clients, name, result))
                print(
                    f"{label:10} {clients:3} {name:40} {result['rps']:7.0f}/s "
                    f"p95 {result['p95']:6.1f} ms errors {result['errors']}"
                    + (" (stalled: restarted)" if result["stalled"] else ""),
                    flush=True,
                )
    finally:
        for server in servers:
            server.stop()
    return rows, {"shown": shown}


def code_version() -> str:
    """The commit measured, and whether app/ or templates/ had changes on top of it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    dirty = git("status", "--porcelain", "app", "templates").strip()
    return git("rev-parse", "--short", "HEAD").strip() + (" + uncommitted changes" if dirty else "")


def machine_load(before: float) -> str:
    """Whether other work shared the machine: its 1-minute load average before the run began
    (the run's own servers and load generator raise it afterwards, so only before is said)."""
    return (
        f"The machine's 1-minute load average was {before:.2f} before the run began "
        f"({'quiet' if before < 1 else 'busy: other work, or a run that had just ended'})."
    )


def stalled(row: dict) -> str:
    return " (stalled)" if row["stalled"] or row["requests"] < 20 else ""


def ratios(rows: list) -> list[str]:
    """The issue's targets as ratios within each (database, clients) group of rows."""
    lines = [
        "| database | clients | section page ÷ bare page (≥ 0.50) "
        "| autosave ÷ bare UPDATE (≥ 0.60) | autosave p95 (< 50 ms) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    groups: dict[tuple[str, int], list] = {}
    for database, clients, _name, result in rows:
        groups.setdefault((database, clients), []).append(result)
    for (database, clients), (page, bare_page, autosave, bare_update) in groups.items():
        page_ratio = page["rps"] / bare_page["rps"]
        save_ratio = autosave["rps"] / bare_update["rps"]
        p95_met = not stalled(autosave) and autosave["p95"] < TARGETS["autosave_p95_ms"]
        p95 = "stalled" if stalled(autosave) else f"{autosave['p95']:.1f} ms"
        met = (
            page_ratio >= TARGETS["page"],
            save_ratio >= TARGETS["autosave"],
            p95_met,
        )
        # The targets are set at 10 clients; 50 is reported, not judged.
        verdicts = [(" met" if ok else " **missed**") if clients == 10 else "" for ok in met]
        lines.append(
            f"| {database} | {clients} "
            f"| {page_ratio:.2f}{stalled(page)}{verdicts[0]} "
            f"| {save_ratio:.2f}{stalled(autosave)}{verdicts[1]} "
            f"| {p95}{verdicts[2]} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("S11_BENCH_POSTGRES_URL", ""),
        help="postgresql+psycopg://user:password@127.0.0.1:5432/s11_bench (emptied first)",
    )
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/returns.py needs wrk: apt-get install -y wrk")

    began = time.monotonic()
    rows, info = run_database("SQLite", None, seconds=options.seconds)
    if options.postgres_url:
        rows += run_database("PostgreSQL", options.postgres_url, seconds=options.seconds)[0]
    else:
        print("No --postgres-url (or S11_BENCH_POSTGRES_URL): PostgreSQL rows skipped.")
    shown_url = (
        make_url(options.postgres_url).render_as_string(hide_password=True)
        if options.postgres_url
        else ""
    )
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    wrk_version = wrk_version.split(" Copyright")[0].strip()

    table = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — returns: {platform.node()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {wrk_version}, "
        f"code {code_version()}",
        "",
        f"`.venv/bin/python -m bench.returns --seconds {options.seconds:g}"
        + (f" --postgres-url {shown_url}`" if options.postgres_url else "`"),
        "",
        "One uvicorn worker per server (s11 with S11_ENV=production, and the bare app, both up "
        f"throughout); wrk on the "
        f"same 2 cores, one keep-alive connection per client, {WARM_UP_SECONDS} s warm-up then "
        f"{options.seconds:g} s per row. Section page: {SECTION} of Norfolk Constabulary's "
        f"return, every shown question answered ({info['shown']} of the section's 16: no "
        "section has 20). Autosave: each client edits its own long-text answer (10 clients: "
        "10 leads in 10 returns), a different ~460-character text each time, sending back the "
        "version the last save returned; only a 200 saying 'Saved at' counts. CPU: share of "
        "one core used by the server's uvicorn process (not PostgreSQL's) and by wrk.",
        "",
        "| database | clients | row | bytes | requests/s | p50 ms | p95 ms | p99 ms | errors "
        "| server CPU | wrk CPU |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for database, clients, name, r in rows:
        # Percentiles of a handful of requests from a stalled server would mean nothing.
        few = r["requests"] < 20
        latency = " | ".join("–" if few else f"{r[p]:.1f}" for p in ("p50", "p95", "p99"))
        table.append(
            f"| {database} | {clients} | {name} | {r['bytes']} | {r['rps']:.0f} | {latency} | "
            f"{r['errors']}{', stalled: restarted' if r['stalled'] else ''} | "
            f"{r['server_cpu']:.0%} | {r['wrk_cpu']:.0%} |"
        )
    table += ["", *ratios(rows)]
    text_out = "\n".join(table) + "\n"
    print(text_out)
    print(f"({time.monotonic() - began:.0f} s in all)")
    if not options.no_write:
        with RESULTS.open("a") as results:
            results.write("\n" + text_out)


if __name__ == "__main__":
    main()
