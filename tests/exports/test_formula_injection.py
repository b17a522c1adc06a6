"""Whatever someone types, a workbook shows it as text: no formula ever reaches the sheet XML,
so opening an export never runs anything."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from app.questionnaires.schema import LevelColour
from app.returns import answers
from app.returns import service as returns_service
from app.spreadsheets import CELL_TEXT_LIMIT, Book, Column, Rated, safe_text
from tests.conftest import attach_pdf, lead_of, sign_in
from tests.exports.conftest import return_of, sheet_xml, workbook_of

PAYLOADS = {
    "covid-service-changes": '=HYPERLINK("https://evil.example/","Click for the report")',
    "staff-wellbeing-narrative": "+1",
    "covid-learning": "-1",
    "cap-professional-curiosity": "@SUM(1+1)*cmd|' /C calc'!A0",
    "cap-information-sharing": "\tx",
    "cap-collaborative-working": "\rx",
    "cap-accountability": "#N/A",
}


def test_answers_that_look_like_formulas_are_written_as_text_in_the_agencys_workbook(
    client, db, settings, demo
):
    nspcc = return_of(db, "NSPCC")
    lead = lead_of(db, "NSPCC")
    view = returns_service.return_for(db, person=lead, return_id=nspcc.id)
    for question_id, text in PAYLOADS.items():
        answers.save_answer(
            db,
            agency_return=nspcc,
            questionnaire=view.questionnaire,
            question_id=question_id,
            value=text,
            based_on_version=0,
            actor=lead,
        )
    answers.save_answer(
        db,
        agency_return=nspcc,
        questionnaire=view.questionnaire,
        question_id="cap-sector-recommendations",
        value={"not_applicable": True, "reason": "=1+1"},
        based_on_version=0,
        actor=lead,
    )
    # A file name may start with @ too (s11 already turns = and + into _).
    db.commit()
    file_id = attach_pdf(db, settings, lead, nspcc.id, question_id="cap-evidence")
    from app.returns.models import EvidenceFile

    db.get(EvidenceFile, file_id).file_name = "@SUM(A1).pdf"
    db.flush()

    sign_in(client, lead)
    response = client.get(f"/returns/{nspcc.id}/export")
    book = workbook_of(response)

    for name, xml in sheet_xml(response.content).items():
        assert "<f>" not in xml and "<f " not in xml, f"a formula in {name}"
    shown = {
        row[0]: row
        for sheet in book.worksheets[1:]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    for question_id, text in PAYLOADS.items():
        label = view.questionnaire.question(question_id).label
        answer = shown[label][1]
        # XML reads a lone carriage return back as a line feed; the text is otherwise intact.
        assert answer == "'" + text.replace("\r", "\n"), question_id
    reason_row = shown[view.questionnaire.question("cap-sector-recommendations").label]
    assert reason_row[4] == "'=1+1"
    evidence_row = shown[view.questionnaire.question("cap-evidence").label]
    assert evidence_row[5] == "'@SUM(A1).pdf"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 1603 222222", "'+44 1603 222222"),
        ("- a bullet", "'- a bullet"),
        ("@user", "'@user"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("#DIV/0!", "'#DIV/0!"),
        ("A plain answer = fine", "A plain answer = fine"),
        ("bell\x07 and\x00 null", "bell and null"),
    ],
)
def test_risky_text_gets_an_apostrophe_and_plain_text_stays_as_typed(typed, written):
    assert safe_text(typed) == written


def test_text_longer_than_a_cell_holds_is_cut_saying_so():
    text = safe_text("=" + "x" * 40_000)
    assert len(text) <= CELL_TEXT_LIMIT and text.startswith("'=x")
    assert text.endswith("a cell holds 32,767 characters]")


def test_no_cell_of_any_kind_is_ever_written_as_a_formula():
    book = Book()
    sheet = book.sheet("=Sheet", [Column("=header", 10), Column("+wrapped", 20, wrap=True)])
    sheet.add(["=A1", "=B1"])
    sheet.add([Rated("=red label", LevelColour.RED), "@x"])
    book.cover().write("=heading", [("=label", "=value"), ("-n", 5)])
    target = io.BytesIO()
    book.save(target)

    for name, xml in sheet_xml(target.getvalue()).items():
        assert "<f>" not in xml and "<f " not in xml, name
    loaded = load_workbook(io.BytesIO(target.getvalue()))
    sheet = loaded["=Sheet"]  # a sheet name is never a formula
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert values == ["'=header", "'+wrapped", "'=A1", "'=B1", "'=red label", "'@x"]
    assert sheet.cell(3, 1).fill.fgColor.rgb == "00F4CDC6"
