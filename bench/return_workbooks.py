"""Benchmark, not a test: reading back a filled-in return workbook (issue 21) of 200 answers, and
of one 5,000-row repeating table, against bare openpyxl (read-only) reading the same file.
Usage: .venv/bin/python -m bench.return_workbooks   (appends its figures to bench/RESULTS.md)
"""

from __future__ import annotations

import io
import platform
import time
import tracemalloc
from datetime import UTC, datetime
from types import SimpleNamespace

from openpyxl import load_workbook

from app.questionnaires.schema import Questionnaire
from app.returns import fillable_workbook, workbook_upload
from app.returns.models import ReturnStatus
from app.returns.service import ReturnView
from bench.pages import RESULTS

SECRET = "bench-secret"
SCALE = {"label": "Compliance", "levels": [
    {"value": v, "label": label, "colour": colour, "descriptor": f"{label}: what it looks like."}
    for v, label, colour in ((1, "Not met", "red"), (2, "Partially met", "amber"),
                             (3, "Fully met", "green"), (4, "Exceeds", "blue"))
]}  # fmt: skip


def view_of(questionnaire: Questionnaire) -> ReturnView:
    return ReturnView(
        agency_return=SimpleNamespace(
            id=1, questionnaire_version_id=1, status=ReturnStatus.IN_PROGRESS
        ),
        cycle=SimpleNamespace(id=1, name="Bench round"),
        agency=SimpleNamespace(name="Bench agency", sector="police"),
        questionnaire=questionnaire,
        answers={},
        is_lead=True,
    )  # type: ignore[arg-type]


def answers_200() -> tuple[ReturnView, bytes]:
    questions = []
    for n in range(200):
        if n % 4 == 0:
            questions.append(
                {"id": f"q{n}", "type": "rating", "scale": "compliance", "label": f"Rated {n}"}
            )
        else:
            questions.append({"id": f"q{n}", "type": "long_text", "label": f"Question {n}"})
    sections = [
        {"id": f"s{s}", "title": f"Section {s + 1}", "questions": questions[s * 20 : s * 20 + 20]}
        for s in range(10)
    ]
    q = Questionnaire.model_validate(
        {
            "id": "bench",
            "version": "1",
            "title": "Bench",
            "scales": {"compliance": SCALE},
            "sections": sections,
        }
    )
    view = view_of(q)
    data = _written(view)
    book = load_workbook(io.BytesIO(data))
    for title in book.sheetnames[1:-1]:
        sheet = book[title]
        for row in sheet.iter_rows(min_row=2):
            if str(row[0].value or "").startswith("q"):
                n = int(row[0].value[1:])
                row[3].value = "3 - Fully met" if n % 4 == 0 else "We audited twelve cases. " * 20
    return view, _saved(book)


def table_5000() -> tuple[ReturnView, bytes]:
    table = {"id": "cases", "type": "table", "label": "Cases", "max_rows": 200,
             "columns": [{"id": "ref", "label": "Reference"}, {"id": "note", "label": "Note"},
                         {"id": "count", "label": "Count", "type": "number"}]}  # fmt: skip
    q = Questionnaire.model_validate(
        {
            "id": "bench",
            "version": "1",
            "title": "Bench",
            "sections": [{"id": "s", "title": "Cases", "questions": [table]}],
        }  # fmt: skip
    )
    # The schema allows 200 rows; the benchmark stretches it past validation to 5,000.
    question = q.sections[0].questions[0]
    object.__setattr__(question, "max_rows", 5_000)
    view = view_of(q)
    data = _written(view)
    book = load_workbook(io.BytesIO(data))
    sheet = book[book.sheetnames[1]]
    for row in sheet.iter_rows(min_row=4):
        row[3].value, row[4].value, row[5].value = f"C-{row[0].row}", "Seen within 24 hours", 3
    return view, _saved(book)


def _written(view: ReturnView) -> bytes:
    out = io.BytesIO()
    fillable_workbook.write_fillable(view, secret=SECRET, last_year={}, target=out)
    return out.getvalue()


def _saved(book) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(run) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Best of 3 wall times (s), and the peak of Python allocations (MB) in one run."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(times), peak / 1024 / 1024


def bare(data: bytes) -> None:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    for sheet in book.worksheets:
        for _ in sheet.iter_rows(values_only=True):
            pass
    book.close()


def main() -> None:
    lines = [
        f"\n### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — return workbooks read back (issue 21), "
        f"{platform.node()}, Python {platform.python_version()}\n",
        "Best of 3 runs; peak is Python's allocations (tracemalloc).\n",
        "| workbook | bytes | s11 read + compare s | s11 peak MB | bare openpyxl s | bare peak MB "
        "| changes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, (view, data) in (("200 answers", answers_200()), ("5,000-row table", table_5000())):
        found = workbook_upload.read_workbook(data, view=view, secret=SECRET)
        ours = measure(lambda: workbook_upload.read_workbook(data, view=view, secret=SECRET))  # noqa: B023
        theirs = measure(lambda: bare(data))  # noqa: B023
        rows = sum(len(c.new) if isinstance(c.new, list) else 1 for c in found.changes)
        lines.append(
            f"| {name} | {len(data):,} | {ours[0]:.3f} | {ours[1]:.1f} | {theirs[0]:.3f} | "
            f"{theirs[1]:.1f} | {len(found.changes)} ({rows} values) |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    with RESULTS.open("a") as results:
        results.write(text)


if __name__ == "__main__":
    main()
