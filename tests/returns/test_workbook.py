"""The return as a workbook to fill in offline: downloaded, filled in, read back as changes to
check, with conflicts and bad values shown, and refused when it is not this return's."""

from __future__ import annotations

import io
import zipfile

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import select

from app.directory.models import Role
from app.returns import answers, workbook_upload
from app.returns import service as returns_service
from app.returns.models import Answer, AnswerRevision, ReturnStatus
from app.returns.workbook_upload import WorkbookRefused
from tests.conftest import lead_of, person_with_role, sign_in


@pytest.fixture
def lead(db, nspcc_return):
    return lead_of(db, "NSPCC")


def download(client, agency_return) -> bytes:
    response = client.get(f"/returns/{agency_return.id}/workbook")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    return response.content


def rows_by_id(sheet) -> dict[str, int]:
    return {row[0].value: row[0].row for row in sheet.iter_rows(min_row=2) if row[0].value}


def fill(data: bytes, answers_by_id: dict[str, object]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book[book.sheetnames[1]]
    rows = rows_by_id(sheet)
    for question_id, value in answers_by_id.items():
        sheet[f"D{rows[question_id]}"] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def view_for(db, person, agency_return):
    view = returns_service.return_for(db, person=person, return_id=agency_return.id)
    assert view is not None
    return view


def test_the_workbook_has_open_answer_cells_drop_downs_and_a_hidden_signed_sheet(
    client, db, nspcc_return, lead
):
    sign_in(client, lead)
    book = load_workbook(io.BytesIO(download(client, nspcc_return)))
    assert book.sheetnames[0] == "Instructions"
    assert book["s11"].sheet_state == "veryHidden"
    sheet = book[book.sheetnames[1]]
    assert sheet.protection.sheet
    rows = rows_by_id(sheet)
    rating = sheet[f"D{rows['accountability']}"]
    assert not rating.protection.locked
    assert sheet[f"C{rows['accountability']}"].protection.locked
    assert sheet.column_dimensions["A"].hidden
    listed = [
        v
        for v in sheet.data_validations.dataValidation
        if f"D{rows['accountability']}" in str(v.sqref)
    ]
    assert listed and listed[0].prompt  # the level descriptors, in the input message
    assert "training#0" in rows  # a table's rows


def test_table_drop_downs_several_choices_explained_and_questions_an_answer_would_show_are_there(
    client, db, nspcc_return, lead, settings
):
    sign_in(client, lead)
    data = download(client, nspcc_return)
    sheet = load_workbook(io.BytesIO(data)).worksheets[1]
    rows = rows_by_id(sheet)
    header = {
        cell.value: cell.column_letter for cell in sheet[rows["training#0"] - 1] if cell.value
    }

    def validation_of(ref: str):
        return next(v for v in sheet.data_validations.dataValidation if ref in v.sqref)

    mandatory = validation_of(f"{header['Mandatory']}{rows['training#3']}")
    assert mandatory.type == "list" and mandatory.formula1 == '"yes,no"'
    level = validation_of(f"{header['Level']}{rows['training#0']}")
    assert level.type == "list" and level.prompt
    channels = validation_of(f"D{rows['channels']}")
    assert "separated by commas" in channels.prompt
    # Hidden online until an answer shows it: offline it is there, with its rule.
    assert sheet[f"G{rows['channels']}"].value.startswith("Only if (the answer to")
    # What the drop-downs offer reads back as the row stores it.
    first = level.formula1.strip('"').split(",")[0]
    book = load_workbook(io.BytesIO(data))
    table = book.worksheets[1]
    table[f"{header['Mandatory']}{rows['training#0']}"] = "yes"
    table[f"{header['Level']}{rows['training#0']}"] = first
    out = io.BytesIO()
    book.save(out)
    preview = workbook_upload.read_workbook(
        out.getvalue(), view=view_for(db, lead, nspcc_return), secret=settings.secret
    )
    [change] = [c for c in preview.changes if c.question_id == "training"]
    assert change.new[0]["mandatory"] == "yes" and change.new[0]["level"] == first


def test_a_filled_workbook_reads_back_as_changes_and_applies_as_revisions_from_the_workbook(
    client, db, nspcc_return, lead, settings
):
    sign_in(client, lead)
    filled = fill(
        download(client, nspcc_return),
        {
            "lead-name": "Sam Jones",
            "accountability": "2",
            "narrative": "We audit.",
            "has-policy": "Yes",
        },
    )
    view = view_for(db, lead, nspcc_return)
    preview = workbook_upload.read_workbook(filled, view=view, secret=settings.secret)
    assert {c.question_id for c in preview.clean} == {
        "lead-name",
        "accountability",
        "narrative",
        "has-policy",
    }
    assert not preview.conflicts and not preview.invalid
    applied = workbook_upload.apply_changes(
        db, view=view, preview=preview, keep_mine=set(), actor=lead
    )
    assert len(applied.saved) == 4
    sources = db.scalars(
        select(AnswerRevision.source)
        .join(Answer, Answer.id == AnswerRevision.answer_id)
        .where(Answer.return_id == nspcc_return.id)
    ).all()
    assert sources == ["workbook"] * 4


def test_an_answer_changed_online_after_the_download_is_a_conflict_with_both_texts(
    client, db, nspcc_return, lead, settings
):
    sign_in(client, lead)
    data = download(client, nspcc_return)
    view = view_for(db, lead, nspcc_return)
    answers.save_answer(
        db, agency_return=nspcc_return, questionnaire=view.questionnaire,
        question_id="lead-name", value="Online text", based_on_version=0, actor=lead,
    )  # fmt: skip
    filled = fill(data, {"lead-name": "Offline text"})
    view = view_for(db, lead, nspcc_return)
    preview = workbook_upload.read_workbook(filled, view=view, secret=settings.secret)
    [conflict] = preview.conflicts
    assert (conflict.old, conflict.new) == ("Online text", "Offline text")
    workbook_upload.apply_changes(db, view=view, preview=preview, keep_mine=set(), actor=lead)
    assert returns_service.answers_of(db, agency_return=nspcc_return)["lead-name"].value == (
        "Online text"
    )


def test_values_that_break_the_rules_are_listed_with_their_cell_and_not_applied(
    client, db, nspcc_return, lead, settings
):
    sign_in(client, lead)
    filled = fill(
        download(client, nspcc_return), {"accountability": "9 - Superb", "lead-name": "x" * 500}
    )
    preview = workbook_upload.read_workbook(
        filled, view=view_for(db, lead, nspcc_return), secret=settings.secret
    )
    assert not preview.changes
    cells = {i.question_id: i.cell for i in preview.invalid}
    assert set(cells) == {"accountability", "lead-name"}
    assert cells["accountability"].startswith(
        f"{load_workbook(io.BytesIO(filled)).sheetnames[1]}!D"
    )


def test_a_formula_is_kept_as_the_text_typed_and_never_run(
    client, db, nspcc_return, lead, settings
):
    sign_in(client, lead)
    filled = fill(download(client, nspcc_return), {"lead-name": '=HYPERLINK("http://x","y")'})
    preview = workbook_upload.read_workbook(
        filled, view=view_for(db, lead, nspcc_return), secret=settings.secret
    )
    [change] = preview.changes
    assert change.new == '=HYPERLINK("http://x","y")'


def test_an_edited_hidden_sheet_is_refused(client, db, nspcc_return, lead, settings):
    sign_in(client, lead)
    book = load_workbook(io.BytesIO(download(client, nspcc_return)))
    # One character of the signed identity changed (not of the signature's last character,
    # whose low bits are base64 padding a decoder may ignore): any edit must be refused.
    token = book["s11"]["A1"].value
    book["s11"]["A1"] = token[:5] + ("B" if token[5] == "A" else "A") + token[6:]
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(WorkbookRefused, match="hidden s11 sheet has been changed"):
        workbook_upload.read_workbook(
            out.getvalue(), view=view_for(db, lead, nspcc_return), secret=settings.secret
        )


def test_a_csv_renamed_a_zip_bomb_and_macros_are_refused(client, db, nspcc_return, lead, settings):
    sign_in(client, lead)
    view = view_for(db, lead, nspcc_return)
    with pytest.raises(WorkbookRefused, match="not an Excel workbook"):
        workbook_upload.read_workbook(b"a,b\n1,2\n", view=view, secret=settings.secret)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/big.xml", b"0" * 5_000_000)
    with pytest.raises(WorkbookRefused, match="packed in a way no Office program"):
        workbook_upload.read_workbook(bomb.getvalue(), view=view, secret=settings.secret)
    macros = io.BytesIO()
    with zipfile.ZipFile(macros, "w") as archive:
        archive.writestr("xl/vbaProject.bin", b"x" * 100)
    with pytest.raises(WorkbookRefused, match="macros"):
        workbook_upload.read_workbook(macros.getvalue(), view=view, secret=settings.secret)


def test_uploading_shows_each_change_and_applies_only_what_the_person_chose(
    client, db, nspcc_return, lead
):
    sign_in(client, lead)
    data = download(client, nspcc_return)
    view = view_for(db, lead, nspcc_return)
    answers.save_answer(
        db, agency_return=nspcc_return, questionnaire=view.questionnaire,
        question_id="narrative", value="A colleague's words", based_on_version=0, actor=lead,
    )  # fmt: skip
    filled = fill(data, {"lead-name": "Sam Jones", "narrative": "My words", "accountability": "x"})
    url = f"/returns/{nspcc_return.id}/workbook/upload"
    token = client.csrf_token(url)
    response = client.post(
        url, data={"csrf_token": token}, files={"workbook": ("return.xlsx", filled)}
    )
    assert response.status_code == 200, response.text
    page = response.text
    assert "A colleague&#39;s words" in page and "My words" in page and "Sam Jones" in page
    assert "is not one of the levels" in page
    form = BeautifulSoup(page, "html.parser").select_one("form[action$='/workbook/confirm']")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    done = client.post(
        f"/returns/{nspcc_return.id}/workbook/confirm", data=fields | {"choice-narrative": "online"}
    )
    assert done.status_code == 200, done.text
    assert "1 change applied" in done.text
    now = returns_service.answers_of(db, agency_return=nspcc_return)
    assert now["lead-name"].value == "Sam Jones"
    assert now["narrative"].value == "A colleague's words"
    history = client.get(f"/returns/{nspcc_return.id}/answers/lead-name/history").text
    assert "From workbook, uploaded by" in history


def test_a_refused_upload_names_the_problem_and_changes_nothing(client, db, nspcc_return, lead):
    sign_in(client, lead)
    url = f"/returns/{nspcc_return.id}/workbook/upload"
    token = client.csrf_token(url)
    response = client.post(
        url, data={"csrf_token": token}, files={"workbook": ("return.xlsx", b"a,b\n1,2\n")}
    )
    assert response.status_code == 400
    assert "not an Excel workbook" in response.text
    assert not returns_service.answers_of(db, agency_return=nspcc_return)


def test_a_workbook_for_a_submitted_return_is_refused(client, db, nspcc_return, lead, settings):
    sign_in(client, lead)
    data = download(client, nspcc_return)
    nspcc_return.status = ReturnStatus.SUBMITTED
    db.flush()
    with pytest.raises(WorkbookRefused, match="submitted"):
        workbook_upload.read_workbook(
            data, view=view_for(db, lead, nspcc_return), secret=settings.secret
        )


def test_a_coordinator_answers_by_workbook_for_an_agency_and_its_lead_is_emailed(
    mail_client, db, nspcc_return, lead, mailbox
):
    coordinator = person_with_role(db, Role.COORDINATOR)
    sign_in(mail_client, coordinator)
    listed = mail_client.get("/round/returns").text
    assert f"/round/returns/{nspcc_return.id}/workbook/upload" in listed
    base = f"/round/returns/{nspcc_return.id}/workbook"
    data = mail_client.get(base).content
    filled = fill(data, {"lead-name": "Sam Jones"})
    token = mail_client.csrf_token(f"{base}/upload")
    preview = mail_client.post(
        f"{base}/upload", data={"csrf_token": token}, files={"workbook": ("r.xlsx", filled)}
    )
    assert preview.status_code == 200, preview.text
    form = BeautifulSoup(preview.text, "html.parser").select_one(f"form[action='{base}/confirm']")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    done = mail_client.post(f"{base}/confirm", data=fields)
    assert done.status_code == 200, done.text
    assert "1 change applied" in done.text and "emailed the agency" in done.text
    saved = returns_service.answers_of(db, agency_return=nspcc_return)["lead-name"]
    assert saved.value == "Sam Jones"
    revision = returns_service.history_of(db, answer=saved)[-1]
    assert revision.source == "workbook" and revision.changed_by_id == coordinator.id
    message = mailbox.to(lead.email)[-1]
    assert "Answers from a workbook" in message["Subject"]
    label = returns_service.view_of(db, nspcc_return).questionnaire.question("lead-name").label
    assert coordinator.name in message.get_content() and f"- {label}" in message.get_content()


def test_a_coordinator_of_another_partnership_cannot_reach_an_agencys_workbook(
    client, db, nspcc_return
):
    from app.directory.models import Membership, Partnership, Person

    other = Partnership(name="Elsewhere", short_name="EW", slug="elsewhere")
    outsider = Person(name="Outside Coordinator", email="outside@example.org")
    db.add_all([other, outsider])
    db.flush()
    db.add(Membership(person_id=outsider.id, partnership_id=other.id, role=Role.COORDINATOR))
    db.flush()
    sign_in(client, outsider)
    assert client.get(f"/round/returns/{nspcc_return.id}/workbook").status_code == 404
    assert client.get(f"/round/returns/{nspcc_return.id}/workbook/upload").status_code == 404


def test_a_date_given_for_a_question_the_workbooks_no_skips_is_listed_as_not_used_with_why(
    client, db, nspcc_return, lead
):
    sign_in(client, lead)
    filled = fill(download(client, nspcc_return), {"has-policy": "No", "policy-date": "01/04/2026"})
    url = f"/returns/{nspcc_return.id}/workbook/upload"
    token = client.csrf_token(url)
    response = client.post(
        url, data={"csrf_token": token}, files={"workbook": ("return.xlsx", filled)}
    )
    assert response.status_code == 200, response.text
    page = BeautifulSoup(response.text, "html.parser")
    unused = next(
        t
        for t in page.select("table")
        if "Answers to questions that are not asked" in t.caption.get_text()
    )
    row = unused.select_one("tbody tr").get_text(" ", strip=True)
    assert "When was the policy last reviewed?" in row
    assert "Asked only if the answer to “Do you have a whistleblowing policy?” is yes" in row
    form = page.select_one("form[action$='/workbook/confirm']")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    done = client.post(f"/returns/{nspcc_return.id}/workbook/confirm", data=fields)
    assert done.status_code == 200, done.text
    now = returns_service.answers_of(db, agency_return=nspcc_return)
    assert now["has-policy"].value == "no" and "policy-date" not in now


def test_a_date_given_with_the_yes_that_asks_for_it_is_used(
    client, db, nspcc_return, lead, settings
):
    sign_in(client, lead)
    filled = fill(
        download(client, nspcc_return), {"has-policy": "Yes", "policy-date": "01/04/2026"}
    )
    preview = workbook_upload.read_workbook(
        filled, view=view_for(db, lead, nspcc_return), secret=settings.secret
    )
    assert {c.question_id for c in preview.changes} == {"has-policy", "policy-date"}
    assert preview.unused == []
