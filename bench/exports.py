"""Benchmark, not a test: the scored returns workbook of a cycle of 10,000 returns × 100 questions
(one million answer rows) against bare openpyxl write-only mode writing the same cells, in one run.
Usage: .venv/bin/python -m bench.exports [--returns 10000] [--postgres-url URL] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import child
from bench.pages import RESULTS
from bench.returns import code_version

SECTIONS = 5
PER_SECTION = 20  # 100 questions: 4 rated by the panel, 8 long text, 4 choices, 4 yes or no
MEMBERS = 3
CYCLE = "bench-2021"
LEVELS = ((1, "Inadequate", "red"), (2, "Requires improvement", "amber"), (3, "Good", "green"))
LEVELS += ((4, "Outstanding", "blue"),)
OPTIONS = (("increased", "Increased"), ("same", "About the same"), ("decreased", "Decreased"))
SECTORS = ("police", "health_provider", "education", "district_council", "voluntary", "other")
PARAGRAPHS = tuple(
    f"{n}. Our designated safeguarding lead reviews these cases every quarter with the named "
    "nurse and the MASH manager; staff complete the partnership's training within six months "
    "of starting, and supervisors check the tools are used at every strategy discussion. "
    + "We audited twelve cases this year and found the child's voice recorded in ten. "
    * (n % 3)
    for n in range(1, 9)
)
TARGETS = {"ratio": 1.5, "peak_mb": 200}
LONDON = ZoneInfo("Europe/London")
CHANGED = datetime(2021, 11, 1, 9, 30, tzinfo=UTC)


def kind_of(q: int) -> str:
    place = q % PER_SECTION
    if place < 4:
        return "rating"
    if place < 12:
        return "long_text"
    return "single_choice" if place < 16 else "yes_no"


def question_id(q: int) -> str:
    return f"q{q:03d}"


def question_label(q: int) -> str:
    return f"{q + 1}. How well does your organisation meet standard {q + 1} of the bench tool?"


def value_of(r: int, q: int) -> object:
    """The answer of return r to question q: the same every time, so both writers agree."""
    kind = kind_of(q)
    if kind == "rating":
        return (r * 7 + q) % 4 + 1
    if kind == "long_text":
        return PARAGRAPHS[(r + q) % len(PARAGRAPHS)]
    if kind == "single_choice":
        return OPTIONS[(r + q) % 3][0]
    return "yes" if (r + q) % 2 else "no"


def agreed_of(r: int, q: int) -> int:
    return (r + q) % 4 + 1


def scored_by(r: int, q: int, member: int) -> int:
    return (r + q + member) % 4 + 1


def questionnaire() -> dict:
    sections = []
    for s in range(SECTIONS):
        questions = []
        for q in range(s * PER_SECTION, (s + 1) * PER_SECTION):
            question: dict = {"id": question_id(q), "type": kind_of(q), "label": question_label(q)}
            if kind_of(q) == "rating":
                question |= {"scale": "ofsted", "scored_by_panel": True}
            if kind_of(q) == "single_choice":
                question["options"] = [{"value": v, "label": label} for v, label in OPTIONS]
            questions.append(question)
        sections.append(
            {"id": f"s{s}", "title": f"Section {s + 1} of the bench tool", "questions": questions}
        )
    levels = [
        {"value": v, "label": label, "colour": colour, "descriptor": label}
        for v, label, colour in LEVELS
    ]
    return {
        "id": "bench-tool",
        "version": "1",
        "title": "Bench tool",
        "scales": {"ofsted": {"label": "Ofsted-style", "levels": levels}},
        "sections": sections,
    }


def populate(database_url: str, returns: int) -> None:
    """A cycle of `returns` submitted returns, every question answered, each rated question
    agreed by the panel and scored by three members who submitted, one evidence file each."""
    from sqlalchemy import func, insert, select

    from app.cli import migrate
    from app.config import load_settings
    from app.cycles import service as cycles_service
    from app.db import make_engine, make_sessionmaker
    from app.directory import service as directory_service
    from app.directory.models import Agency, PartnershipAgency, Person
    from app.panels.models import AgreedRating, PanelScore, ScoreSheet
    from app.questionnaires import service as questionnaire_service
    from app.questionnaires.schema import Questionnaire
    from app.returns.models import AgencyReturn, Answer, EvidenceFile

    settings = load_settings(database_url=database_url)
    migrate(settings)
    engine = make_engine(database_url)
    with make_sessionmaker(engine).begin() as session:
        partnership = directory_service.ensure_partnership(
            session,
            slug="bench",
            name="Bench Safeguarding Partnership",
            short_name="BSP",
            colour="#4c2c92",
        )
        version, _ = questionnaire_service.publish(
            session,
            questionnaire=Questionnaire.model_validate(questionnaire()),
            source_name="bench",
            actor=None,
        )
        cycle = cycles_service.ensure_cycle(
            session,
            slug=CYCLE,
            name="Bench cycle",
            version=version,
            partnerships=[partnership],
            opens_on=date(2021, 9, 1),
            deadline_on=date(2021, 11, 30),
        )
        first = (session.scalar(select(func.max(Agency.id))) or 0) + 1
        session.execute(
            insert(Agency),
            [
                {
                    "id": first + r,
                    "name": f"Bench agency {r:05d}",
                    "sector": SECTORS[r % len(SECTORS)],
                    "duty": "section_11",
                }
                for r in range(returns)
            ],
        )
        session.execute(
            insert(PartnershipAgency),
            [{"partnership_id": partnership.id, "agency_id": first + r} for r in range(returns)],
        )
        members = []
        for m in range(MEMBERS):
            person = Person(email=f"bench.member{m}@example.org", name=f"Bench Member {m + 1}")
            session.add(person)
            members.append(person)
        session.flush()
        submitted = datetime(2021, 11, 20, 16, 0, tzinfo=UTC)
        session.execute(
            insert(AgencyReturn),
            [
                {
                    "id": first + r,
                    "cycle_id": cycle.id,
                    "agency_id": first + r,
                    "questionnaire_version_id": version.id,
                    "status": "at_panel",
                    "submitted_at": submitted,
                }
                for r in range(returns)
            ],
        )
        questions = SECTIONS * PER_SECTION
        rated = [q for q in range(questions) if kind_of(q) == "rating"]
        batch = 50_000
        rows = (
            {
                "return_id": first + r,
                "question_id": question_id(q),
                "value": value_of(r, q),
                "version": 1,
                "updated_at": CHANGED,
            }
            for r in range(returns)
            for q in range(questions)
        )
        _insert_in_batches(session, Answer, rows, batch)
        _insert_in_batches(
            session,
            AgreedRating,
            (
                {
                    "return_id": first + r,
                    "item": f"question:{question_id(q)}",
                    "rating": agreed_of(r, q),
                }
                for r in range(returns)
                for q in rated
            ),
            batch,
        )
        _insert_in_batches(
            session,
            PanelScore,
            (
                {
                    "return_id": first + r,
                    "person_id": member.id,
                    "item": f"question:{question_id(q)}",
                    "rating": scored_by(r, q, m),
                    "updated_at": CHANGED,
                }
                for r in range(returns)
                for m, member in enumerate(members)
                for q in rated
            ),
            batch,
        )
        _insert_in_batches(
            session,
            ScoreSheet,
            (
                {"return_id": first + r, "person_id": member.id}
                for r in range(returns)
                for member in members
            ),
            batch,
        )
        _insert_in_batches(
            session,
            EvidenceFile,
            (
                {
                    "return_id": first + r,
                    "question_id": question_id(0),
                    "stored_name": f"bench-{first + r}",
                    "file_name": f"Audit findings {r}.pdf",
                    "kind": "PDF",
                    "size": 1000,
                    "sha256": "0" * 64,
                    "uploaded_at": CHANGED,
                }
                for r in range(returns)
            ),
            batch,
        )
    engine.dispose()


def _insert_in_batches(session, table, rows, size: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            session.execute(insert(table), chunk)
            chunk = []
    if chunk:
        session.execute(insert(table), chunk)


def memory_mb(field: str) -> float:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), from Linux's own
    count: getrusage's maxrss would carry over the forking parent's size across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_mb() -> float:
    return memory_mb("VmHWM")


def child_s11(database_url: str, out: str) -> dict:
    """s11's export, as `s11 export scored-returns` runs it."""
    from app.db import make_engine, make_sessionmaker
    from app.exports import exporting
    from app.exports import scope as scopes

    engine = make_engine(database_url)
    with make_sessionmaker(engine).begin() as session:
        scope = scopes.operator_scope(session, slug=CYCLE, generated_by="bench")
        assert scope is not None
        before = memory_mb("VmRSS")
        began, cpu = time.perf_counter(), time.process_time()
        made = exporting.export(session, scope=scope, kind_name="scored-returns", target=out)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    assert made is not None
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb(), "before_mb": before}


def child_bare(returns: int, out: str) -> dict:
    """The same cells (the same sheets, rows and values) with bare openpyxl write-only mode:
    no database, no styles, no checks."""
    from openpyxl import Workbook

    from app.directory.models import AgencySector

    labels = {v: label for v, label, _colour in LEVELS}
    options = dict(OPTIONS)
    changed = CHANGED.astimezone(LONDON).replace(tzinfo=None)
    submitted = datetime(2021, 11, 20, 16, 0, tzinfo=UTC).astimezone(LONDON).replace(tzinfo=None)
    before = memory_mb("VmRSS")
    began, cpu = time.perf_counter(), time.process_time()
    book = Workbook(write_only=True)
    cover = book.create_sheet("Cover")
    summary = book.create_sheet("Summary")
    summary.append(["Agency", "Sector", "Status", "Submitted", *(f"S{s}" for s in range(SECTIONS))])
    sheets = []
    for s in range(SECTIONS):
        sheet = book.create_sheet(f"Section {s + 1} of the bench tool")
        sheet.append(
            ["Agency", "Sector", "Question", "Self rating", "Agreed panel rating"]
            + [f"Rating by Bench Member {m + 1}" for m in range(MEMBERS)]
            + ["Not applicable because", "Answer", "Evidence files", "Last changed (UK time)"]
        )
        sheets.append(sheet)
    for r in range(returns):
        agency = f"Bench agency {r:05d}"
        sector = AgencySector(SECTORS[r % len(SECTORS)]).label
        lowest = []
        for s, sheet in enumerate(sheets):
            rated = []
            for q in range(s * PER_SECTION, (s + 1) * PER_SECTION):
                value, kind = value_of(r, q), kind_of(q)
                if kind == "rating":
                    rated.append(agreed_of(r, q))
                    row = [
                        agency, sector, question_label(q), labels[value], labels[agreed_of(r, q)],
                        *(labels[scored_by(r, q, m)] for m in range(MEMBERS)),
                        None, None, f"Audit findings {r}.pdf" if q == 0 else None, changed,
                    ]  # fmt: skip
                else:
                    shown = options[value] if kind == "single_choice" else value
                    if kind == "yes_no":
                        shown = "Yes" if value == "yes" else "No"
                    row = [agency, sector, question_label(q), None, None, *([None] * MEMBERS)]
                    row += [None, shown, None, changed]
                sheet.append(row)
            lowest.append(labels[min(rated)])
        summary.append([agency, sector, "At panel", submitted, *lowest])
    cover.append(["Scored returns: bench"])
    book.save(out)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb(), "before_mb": before}


def run_child(*args: str) -> dict:
    return child.run_child("bench.exports", *args)


def measure(label: str, database_url: str, returns: int, repeats: int) -> list[tuple]:
    work = Path(tempfile.mkdtemp(prefix="s11-bench-exports-"))
    began = time.monotonic()
    populate(database_url, returns)
    print(f"{label}: {returns} returns loaded in {time.monotonic() - began:.0f} s", flush=True)
    rows = []
    for attempt in range(repeats):
        bare = run_child("bare", str(returns), str(work / "bare.xlsx"))
        bare["bytes"] = (work / "bare.xlsx").stat().st_size
        s11 = run_child("s11", database_url, str(work / "s11.xlsx"))
        s11["bytes"] = (work / "s11.xlsx").stat().st_size
        print(
            f"{label} #{attempt + 1}: bare {bare['seconds']:.1f} s, s11 {s11['seconds']:.1f} s",
            flush=True,
        )
        rows.append((label, attempt + 1, bare, s11))
    shutil.rmtree(work)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--returns", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("S11_BENCH_POSTGRES_URL", ""),
        help="postgresql+psycopg://user:password@127.0.0.1:5432/db (its tables are replaced)",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        mode, *rest = options.child
        result = child_s11(*rest) if mode == "s11" else child_bare(int(rest[0]), rest[1])
        print(json.dumps(result))
        return

    from sqlalchemy.engine import make_url

    began = time.monotonic()
    var_dir = Path(tempfile.mkdtemp(prefix="s11-bench-sqlite-"))
    rows = measure("SQLite", f"sqlite:///{var_dir / 's11.db'}", options.returns, options.repeats)
    shutil.rmtree(var_dir)
    if options.postgres_url:
        _empty(options.postgres_url)
        rows += measure("PostgreSQL", options.postgres_url, options.returns, options.repeats)
    shown_url = (
        make_url(options.postgres_url).render_as_string(hide_password=True)
        if options.postgres_url
        else ""
    )
    cells = options.returns * SECTIONS * PER_SECTION
    table = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — exports: {platform.node()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, code {code_version()}",
        "",
        f"`.venv/bin/python -m bench.exports --returns {options.returns}"
        + (f" --repeats {options.repeats}" if options.repeats != 1 else "")
        + (f" --postgres-url {shown_url}`" if options.postgres_url else "`"),
        "",
        f"The scored returns workbook of one cycle: {options.returns:,} submitted returns × "
        f"{SECTIONS * PER_SECTION} questions = {cells:,} answer rows of 12 cells (agency, sector, "
        "question, self rating, agreed rating, three members' ratings, not-applicable reason, "
        "answer, evidence file, last changed) in five section sheets, plus a summary row per "
        "agency; each rated question agreed by the panel and scored by three members who "
        "submitted. s11: `exporting.export` as `s11 export scored-returns` runs it, reading "
        "the database in a fixed number of streamed queries. Bare: openpyxl write-only mode "
        "appending the same sheets, rows and values from memory: no database, styles or checks. "
        "Each in a fresh process, bare then s11 in turn; seconds is the export alone, wall "
        "clock, and CPU its process's CPU time (on PostgreSQL the server's work is not in it); "
        "peak is the process's peak RSS (interpreter and imports included; 'before' is its RSS "
        "when the export started). The machine has 2 cores and was shared with other work "
        "during the run, so compare rows of one run.",
        "",
        "| database | run | writer | seconds | CPU seconds | peak RSS MB | RSS before MB "
        "| file MB |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for database, attempt, bare, s11 in rows:
        for name, result in (("bare openpyxl write-only", bare), ("s11 export", s11)):
            table.append(
                f"| {database} | {attempt} | {name} | {result['seconds']:.1f} | "
                f"{result['cpu']:.1f} | {result['peak_mb']:.0f} | {result['before_mb']:.0f} | "
                f"{result['bytes'] / 1e6:.1f} |"
            )
    table += [
        "",
        f"| database | run | s11 ÷ bare, wall clock (≤ {TARGETS['ratio']}) | s11 ÷ bare, CPU "
        f"| s11 peak (< {TARGETS['peak_mb']} MB) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for database, attempt, bare, s11 in rows:
        ratio = s11["seconds"] / bare["seconds"]
        met = ratio <= TARGETS["ratio"], s11["peak_mb"] < TARGETS["peak_mb"]
        table.append(
            f"| {database} | {attempt} | {ratio:.2f}{' met' if met[0] else ' **missed**'} | "
            f"{s11['cpu'] / bare['cpu']:.2f} | "
            f"{s11['peak_mb']:.0f} MB{' met' if met[1] else ' **missed**'} |"
        )
    text_out = "\n".join(table) + "\n"
    print(text_out)
    print(f"({time.monotonic() - began:.0f} s in all)")
    if not options.no_write:
        with RESULTS.open("a") as results:
            results.write("\n" + text_out)


def _empty(database_url: str) -> None:
    """Start PostgreSQL from an empty schema, as the tests do."""
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
