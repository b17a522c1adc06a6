"""Benchmark, not a test: the read feed's returns and ratings collections, JSON paged by 1,000
and CSV streamed, at 1,500, 3,000 and 6,000 returns, against bare SQLAlchemy Core streaming the
same rows into the same formats, each in a fresh process with its peak memory, in one run.
Usage: .venv/bin/python -m bench.api [--sizes 1500,3000,6000] [--postgres-url URL] [--no-write]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench import child
from bench.exports import (
    CHANGED,
    MEMBERS,
    PER_SECTION,
    SECTIONS,
    SECTORS,
    agreed_of,
    kind_of,
    memory_mb,
    peak_mb,
    question_id,
    questionnaire,
    scored_by,
    value_of,
)
from bench.pages import RESULTS
from bench.returns import code_version

CYCLE = "bench-api-2021"
SCHEMA = "bench_api"  # on PostgreSQL, a schema of its own: the tests' schemas are left alone
RATED = [q for q in range(SECTIONS * PER_SECTION) if kind_of(q) == "rating"]
PAGE = 1000


def setup(database_url: str) -> str:
    """An empty database with the bench partnership, its cycle, three panel members and a
    token that reads the whole round; returns the token."""
    from app.api import tokens
    from app.api.models import TokenScope
    from app.cli import migrate
    from app.config import load_settings
    from app.cycles import service as cycles_service
    from app.db import make_engine, make_sessionmaker
    from app.directory import service as directory_service
    from app.directory.models import Membership, Person, Role
    from app.questionnaires import service as questionnaire_service
    from app.questionnaires.schema import Questionnaire

    migrate(load_settings(database_url=database_url))
    engine = make_engine(database_url)
    with make_sessionmaker(engine).begin() as session:
        partnership = directory_service.ensure_partnership(
            session, slug="bench", name="Bench Partnership", short_name="BP", colour="#4c2c92"
        )
        version, _ = questionnaire_service.publish(
            session,
            questionnaire=Questionnaire.model_validate(questionnaire()),
            source_name="bench",
            actor=None,
        )
        cycles_service.ensure_cycle(
            session,
            slug=CYCLE,
            name="Bench cycle",
            version=version,
            partnerships=[partnership],
            opens_on=date(2021, 9, 1),
            deadline_on=date(2021, 11, 30),
        )
        coordinator = Person(email="bench.coordinator@example.org", name="Bench Coordinator")
        session.add(coordinator)
        for m in range(MEMBERS):
            session.add(Person(email=f"bench.member{m}@example.org", name=f"Member {m + 1}"))
        session.flush()
        session.add(
            Membership(person=coordinator, partnership_id=partnership.id, role=Role.COORDINATOR)
        )
        session.flush()
        session.refresh(coordinator, ["memberships"])
        made = tokens.create_token(
            session,
            actor=coordinator,
            partnership=partnership,
            name="bench",
            expires_on=date.today() + timedelta(days=30),
            scope=TokenScope.ROUND,
        )
    engine.dispose()
    return made.token


def grow(database_url: str, returns: int) -> None:
    """Submitted returns up to `returns`: each with its 20 self-ratings (the rated questions'
    answers), the panel's agreed rating and three members' submitted scores of each."""
    from sqlalchemy import func, insert, select

    from app.cycle_models import Cycle
    from app.db import make_engine, make_sessionmaker
    from app.directory.models import Agency, Partnership, PartnershipAgency, Person
    from app.panels.models import AgreedRating, PanelScore, ScoreSheet
    from app.returns.models import AgencyReturn, Answer

    engine = make_engine(database_url)
    with make_sessionmaker(engine).begin() as session:
        have = session.scalar(select(func.count()).select_from(AgencyReturn)) or 0
        cycle = session.scalars(select(Cycle).where(Cycle.slug == CYCLE)).one()
        partnership = session.scalars(select(Partnership).where(Partnership.slug == "bench")).one()
        members = list(session.scalars(select(Person.id).where(Person.email.like("bench.member%"))))
        new = range(have, returns)
        first = (session.scalar(select(func.max(Agency.id))) or 0) + 1
        ids = {r: first + r - have for r in new}
        session.execute(
            insert(Agency),
            [
                {"id": ids[r], "name": f"Bench agency {r:05d}", "sector": SECTORS[r % 6]}
                | {"duty": "section_11"}
                for r in new
            ],
        )
        session.execute(
            insert(PartnershipAgency),
            [{"partnership_id": partnership.id, "agency_id": ids[r]} for r in new],
        )
        submitted = datetime(2021, 11, 20, 16, 0, tzinfo=UTC)
        session.execute(
            insert(AgencyReturn),
            [
                {
                    "id": ids[r],
                    "cycle_id": cycle.id,
                    "agency_id": ids[r],
                    "questionnaire_version_id": cycle.questionnaire_version_id,
                    "status": "at_panel",
                    "submitted_at": submitted,
                }
                for r in new
            ],
        )
        answers, agreed, scores, sheets = [], [], [], []
        for r in new:
            for q in RATED:
                item = f"question:{question_id(q)}"
                answers.append(
                    {
                        "return_id": ids[r],
                        "question_id": question_id(q),
                        "value": value_of(r, q),
                        "version": 1,
                        "updated_at": CHANGED,
                    }
                )
                agreed.append({"return_id": ids[r], "item": item, "rating": agreed_of(r, q)})
                for m, person_id in enumerate(members):
                    scores.append(
                        {
                            "return_id": ids[r],
                            "person_id": person_id,
                            "item": item,
                            "rating": scored_by(r, q, m),
                            "updated_at": CHANGED,
                        }
                    )
            sheets += [{"return_id": ids[r], "person_id": p} for p in members]
        for table, rows in (
            (Answer, answers),
            (AgreedRating, agreed),
            (PanelScore, scores),
            (ScoreSheet, sheets),
        ):
            for start in range(0, len(rows), 20_000):
                session.execute(insert(table), rows[start : start + 20_000])
    engine.dispose()


# What each child process measures ---------------------------------------------------------------


def child_s11(database_url: str, token: str, collection: str, output: str) -> dict:
    """The feed through the whole app (middleware, token check, routes) in this process:
    JSON by following each page's Link header, CSV as one streamed response."""
    from fastapi.testclient import TestClient

    from app.config import load_settings
    from app.main import create_app

    client = TestClient(create_app(load_settings(database_url=database_url)))
    headers = {"Authorization": f"Bearer {token}"}
    marker = b'"position":' if collection == "ratings" else b'"status":'
    client.get("/api/v1", headers=headers)  # warm: the first request builds what is cached
    before = memory_mb("VmRSS")
    began, cpu = time.perf_counter(), time.process_time()
    rows = size = 0
    if output == "json":
        url: str | None = f"/api/v1/{collection}?limit={PAGE}"
        while url:
            response = client.get(url, headers=headers)
            assert response.status_code == 200, response.text[:300]
            rows += response.content.count(marker)
            size += len(response.content)
            link = response.headers.get("link")
            url = link[1 : link.index(">")] if link else None
    else:
        with client.stream("GET", f"/api/v1/{collection}?format=csv", headers=headers) as streamed:
            assert streamed.status_code == 200
            for piece in streamed.iter_bytes():
                rows += piece.count(b"\n")
                size += len(piece)
        rows -= 1  # the header
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {"rows": rows, "bytes": size, "seconds": seconds, "cpu": cpu, "before_mb": before}


def child_bare(database_url: str, collection: str, output: str) -> dict:
    """Bare SQLAlchemy Core streaming the same rows (the ratings: each rated question's answer
    beside its agreed rating) into the same format: no app, token, scope or labels."""
    from sqlalchemy import and_, literal, select

    from app.db import make_engine
    from app.panels.models import AgreedRating
    from app.returns.models import AgencyReturn, Answer

    engine = make_engine(database_url)
    if collection == "returns":
        query = select(
            AgencyReturn.id,
            AgencyReturn.cycle_id,
            AgencyReturn.agency_id,
            AgencyReturn.status,
            AgencyReturn.submitted_at,
            AgencyReturn.deadline_extended_to,
        ).order_by(AgencyReturn.id)
    else:
        query = (
            select(Answer.return_id, Answer.question_id, Answer.value, AgreedRating.rating)
            .outerjoin(
                AgreedRating,
                and_(
                    AgreedRating.return_id == Answer.return_id,
                    AgreedRating.item == literal("question:") + Answer.question_id,
                ),
            )
            .where(Answer.question_id.in_([question_id(q) for q in RATED]))
            .order_by(Answer.return_id, Answer.question_id)
        )
    before = memory_mb("VmRSS")
    began, cpu = time.perf_counter(), time.process_time()
    rows = size = 0
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=PAGE).execute(query)
        names = list(result.keys())
        if output == "json":
            for part in result.partitions():
                page = [dict(zip(names, row, strict=True)) for row in part]
                size += len(json.dumps({"data": page}, default=str))
                rows += len(page)
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(names)
            for part in result.partitions():
                writer.writerows(part)
                rows += len(part)
                size += len(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    engine.dispose()
    return {"rows": rows, "bytes": size, "seconds": seconds, "cpu": cpu, "before_mb": before}


def run_child(*args: str) -> dict:
    return child.run_child("bench.api", *args)


def measure(label: str, database_url: str, sizes: list[int]) -> list[dict]:
    token = setup(database_url)
    results = []
    for size in sizes:
        began = time.monotonic()
        grow(database_url, size)
        print(f"{label}: {size} returns in {time.monotonic() - began:.0f} s", flush=True)
        for collection in ("returns", "ratings"):
            for output in ("json", "csv"):
                bare = run_child("bare", database_url, collection, output)
                s11 = run_child("s11", database_url, token, collection, output)
                assert bare["rows"] == s11["rows"], (collection, output, bare, s11)
                results.append(
                    {"database": label, "returns": size, "collection": collection}
                    | {"output": output, "bare": bare, "s11": s11}
                )
                print(
                    f"  {collection} {output}: {s11['rows']} rows, s11 "
                    f"{s11['rows'] / s11['seconds']:,.0f}/s {s11['peak_mb']:.0f} MB, bare "
                    f"{bare['rows'] / bare['seconds']:,.0f}/s {bare['peak_mb']:.0f} MB",
                    flush=True,
                )
    return results


def _fresh(database_url: str) -> str:
    """SQLite: a new file. PostgreSQL: the bench's own schema, emptied."""
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    return f"{database_url}{'&' if '?' in database_url else '?'}options=-csearch_path%3D{SCHEMA}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1500,3000,6000")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("S11_BENCH_POSTGRES_URL", ""),
        help="postgresql+psycopg://user:password@127.0.0.1:5432/db (schema bench_api replaced)",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        mode, *rest = options.child
        result = child_s11(*rest) if mode == "s11" else child_bare(*rest)
        result["peak_mb"] = peak_mb() - result.pop("before_mb", memory_mb("VmRSS"))
        print(json.dumps(result))
        return
    from sqlalchemy.engine import make_url

    sizes = [int(size) for size in options.sizes.split(",")]
    began = time.monotonic()
    var_dir = Path(tempfile.mkdtemp(prefix="s11-bench-api-"))
    results = measure("SQLite", f"sqlite:///{var_dir / 's11.db'}", sizes)
    shutil.rmtree(var_dir)
    if options.postgres_url:
        results += measure("PostgreSQL", _fresh(options.postgres_url), sizes)
    print(f"done in {time.monotonic() - began:.0f} s")
    if options.no_write:
        return
    shown = (
        make_url(options.postgres_url).render_as_string(hide_password=True)
        if options.postgres_url
        else ""
    )
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — read feed: {platform.node()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, code {code_version()}",
        "",
        f"`.venv/bin/python -m bench.api --sizes {options.sizes}"
        + (f" --postgres-url {shown}`" if options.postgres_url else "`"),
        "",
        "One cycle of submitted returns, each with 20 rated questions answered, agreed by the "
        "panel and scored by three members who submitted (a ratings row per return and rated "
        "question: 20 per return). s11: the whole app in-process through Starlette's test "
        "client with a token (middleware, token check and count, scope, labels from the "
        f"questionnaire), JSON by following each page's `Link` ({PAGE:,} rows a page), CSV as "
        "one streamed response. Bare: SQLAlchemy Core streaming the same number of rows "
        f"(`yield_per` {PAGE:,}) from the same tables into `json.dumps` pages or `csv.writer`: "
        "no app, token, scope or labels. Each in a fresh process; rows/s is wall clock; "
        "peak MB is the growth of the process's resident memory at its peak (VmHWM) over "
        "before the work, which must stay flat as the rows grow.",
        "",
        "| database | returns | collection | format | rows | s11 rows/s | bare rows/s | "
        "bare ÷ s11 | s11 peak MB | bare peak MB |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        s11, bare = r["s11"], r["bare"]
        fast, slow = bare["rows"] / bare["seconds"], s11["rows"] / s11["seconds"]
        lines.append(
            f"| {r['database']} | {r['returns']:,} | {r['collection']} | {r['output'].upper()} "
            f"| {s11['rows']:,} | {slow:,.0f} | {fast:,.0f} | {fast / slow:.1f} "
            f"| {s11['peak_mb']:.1f} | {bare['peak_mb']:.1f} |"
        )
    with RESULTS.open("a") as results_file:
        results_file.write("\n" + "\n".join(lines) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
