"""Evidence files through the section page: upload, download, removal and every refusal."""

from __future__ import annotations

import functools
import io
import zipfile

import openpyxl
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.returns import evidence
from app.returns import service as returns_service
from app.returns.models import Answer, EvidenceFile, ReturnStatus
from app.storage.backends import storage_for
from tests.conftest import (
    S3_BUCKET,
    S3_REGION,
    SMALL_PDF,
    S3Server,
    client_for,
    lead_of,
    s3_settings,
    sign_in,
    test_settings,
)
from tests.returns.conftest import form_of, section_url


def upload(client, agency_return, files, **answers):
    url = section_url(agency_return)
    return client.post(
        url, data=form_of(client, url) | answers, files=files, follow_redirects=False
    )


@pytest.fixture(params=["directory", "bucket"])
def settings(request, database_url, var_dir):
    """Every test here keeps evidence in a local directory, and again in an S3 bucket."""
    if request.param == "directory":
        return test_settings(database_url, var_dir)
    return s3_settings(database_url, var_dir, request.getfixturevalue("s3_server"))


def stored_files(settings) -> set[str]:
    return set(storage_for(settings).names())


def files_of(db, agency_return) -> list[EvidenceFile]:
    return list(db.scalars(select(EvidenceFile).where(EvidenceFile.return_id == agency_return.id)))


def test_a_lead_attaches_a_pdf_to_a_standard_and_downloads_it_as_a_file(
    client, db, settings, nspcc_return
):
    sign_in(client, lead_of(db, "NSPCC"))
    response = upload(
        client,
        nspcc_return,
        [("accountability__files", ("Board minutes.pdf", SMALL_PDF, "application/pdf"))],
    )
    assert response.status_code == 303, response.text
    [file] = files_of(db, nspcc_return)
    assert (file.question_id, file.file_name, file.kind) == (
        "accountability",
        "Board minutes.pdf",
        "pdf",
    )
    assert file.stored_name in stored_files(settings)

    page = client.page(section_url(nspcc_return))
    link = page.find("a", string="Board minutes.pdf")
    download = client.get(link["href"])
    assert download.status_code == 200
    assert download.content == SMALL_PDF
    assert download.headers["content-length"] == str(len(SMALL_PDF))
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["cache-control"] == "no-store"
    assert nspcc_return.status is ReturnStatus.IN_PROGRESS
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "evidence_added")).one()


def test_an_evidence_question_counts_as_answered_once_a_file_is_attached(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    upload(
        client, nspcc_return, [("policy-file__files", ("policy.txt", b"Our policy.", "text/plain"))]
    )
    view = returns_service.return_for(db, person=lead_of(db, "NSPCC"), return_id=nspcc_return.id)
    assert view.values["policy-file"] == ["policy.txt"]
    assert "policy.txt" in client.page(f"/returns/{nspcc_return.id}/check").get_text()


def test_office_files_are_recognised_by_what_is_inside_them(client, db, nspcc_return):
    workbook = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "Training"
    book.save(workbook)
    sign_in(client, lead_of(db, "NSPCC"))
    # Named .pdf, but a workbook inside: kept as the workbook it is, with a matching name.
    upload(
        client,
        nspcc_return,
        [("accountability__files", ("training.pdf", workbook.getvalue(), "application/pdf"))],
    )
    [file] = files_of(db, nspcc_return)
    assert (file.kind, file.file_name) == ("excel", "training.xlsx")


def test_a_file_over_the_size_limit_is_refused_and_the_answers_beside_it_are_saved(
    client, db, settings, nspcc_return
):
    sign_in(client, lead_of(db, "NSPCC"))
    big = b"%PDF-1.4\n" + b"0" * (25 * 1024 * 1024)
    before = stored_files(settings)
    response = upload(
        client,
        nspcc_return,
        [("accountability__files", ("big.pdf", big, "application/pdf"))],
        **{"lead-name": "Kept while the file was refused"},
    )
    assert response.status_code == 400
    assert "“big.pdf”: The file must be smaller than 20 MB" in response.text
    assert 'href="#q-accountability-files"' in response.text  # the summary links to the input
    assert files_of(db, nspcc_return) == []
    assert stored_files(settings) == before  # no partial file left behind
    answer = db.scalars(select(Answer).where(Answer.question_id == "lead-name")).one()
    assert answer.value == "Kept while the file was refused"


def test_a_renamed_program_svg_and_html_are_refused_for_what_they_are(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    cases = [
        ("policy.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "not a type s11 accepts"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "SVG",
        ),
        ("notes.txt", b"<!DOCTYPE html><html><body onload=alert(1)>hi</body></html>", "Web pages"),
        ("page.html", b"<html><script>alert(1)</script></html>", "Web pages"),
        ("macro.docx", _office_zip("word/document.xml", "word/vbaProject.bin"), "macros"),
        ("broken.docx", b"PK\x03\x04 this is not really a zip", "damaged"),
        ("empty.pdf", b"", "empty"),
    ]
    for name, content, message in cases:
        response = upload(
            client, nspcc_return, [("accountability__files", (name, content, "application/pdf"))]
        )
        assert response.status_code == 400, name
        assert message in response.text, name
    assert files_of(db, nspcc_return) == []


def _office_zip(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for part in parts:
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


def test_a_hostile_file_name_becomes_a_safe_one_everywhere_it_appears(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    hostile = '../../etc/"evil"\r\nSet-Cookie: x=1;<img src=x onerror=alert(1)>.pdf'
    upload(
        client, nspcc_return, [("accountability__files", (hostile, SMALL_PDF, "application/pdf"))]
    )
    [file] = files_of(db, nspcc_return)
    assert "/" not in file.file_name and "\r" not in file.file_name and '"' not in file.file_name
    assert "<" not in file.file_name and file.file_name.endswith(".pdf")
    download = client.get(f"/returns/{nspcc_return.id}/evidence/{file.id}")
    disposition = download.headers["content-disposition"]
    assert (
        "\r" not in disposition and "\n" not in disposition and "Set-Cookie" not in download.headers
    )
    assert "<img" not in client.get(section_url(nspcc_return)).text


def test_a_return_holds_no_more_than_its_quota(database_url, var_dir, engine, db, nspcc_return):
    small_quota = test_settings(database_url, var_dir, evidence_quota_mb=1)
    with client_for(small_quota, engine, db) as client:
        sign_in(client, lead_of(db, "NSPCC"))
        half = b"%PDF-1.4\n" + b"0" * (600 * 1024)
        first = upload(
            client, nspcc_return, [("accountability__files", ("one.pdf", half, "application/pdf"))]
        )
        assert first.status_code == 303
        second = upload(
            client, nspcc_return, [("accountability__files", ("two.pdf", half, "application/pdf"))]
        )
        assert second.status_code == 400
        assert "this return can hold 1 MB of evidence" in second.text
        assert [f.file_name for f in files_of(db, nspcc_return)] == ["one.pdf"]
        # A body larger than the whole quota is refused before it is read.
        third = upload(
            client,
            nspcc_return,
            [
                (
                    "accountability__files",
                    ("huge.pdf", b"%PDF-" + b"0" * (3 * 1024 * 1024), "application/pdf"),
                )
            ],
        )
        assert third.status_code == 413
        assert "larger than s11 accepts at once" in third.text


def test_a_file_is_removed_after_confirmation_and_is_gone_from_disk(
    client, db, settings, nspcc_return
):
    sign_in(client, lead_of(db, "NSPCC"))
    upload(
        client, nspcc_return, [("accountability__files", ("old.pdf", SMALL_PDF, "application/pdf"))]
    )
    [file] = files_of(db, nspcc_return)
    page = client.page(section_url(nspcc_return))
    confirm = client.page(
        page.find("a", href=f"/returns/{nspcc_return.id}/evidence/{file.id}/remove")["href"]
    )
    assert "Remove this evidence file?" in confirm.get_text()
    token = confirm.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(
        f"/returns/{nspcc_return.id}/evidence/{file.id}/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert response.headers["location"].endswith("#question-accountability")
    assert files_of(db, nspcc_return) == []
    assert file.stored_name not in stored_files(settings)
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "evidence_removed")).one()


def test_after_submission_evidence_can_be_neither_added_nor_removed(client, db, nspcc_return):
    lead = lead_of(db, "NSPCC")
    sign_in(client, lead)
    upload(
        client,
        nspcc_return,
        [("accountability__files", ("kept.pdf", SMALL_PDF, "application/pdf"))],
    )
    [file] = files_of(db, nspcc_return)
    token = client.csrf_token(section_url(nspcc_return))
    returns_service.move_return(
        db, agency_return=nspcc_return, to=ReturnStatus.SUBMITTED, actor=lead
    )
    removal = client.post(
        f"/returns/{nspcc_return.id}/evidence/{file.id}/remove", data={"csrf_token": token}
    )
    assert removal.status_code == 409
    added = client.post(
        section_url(nspcc_return),
        data={"csrf_token": token},
        files=[("accountability__files", ("late.pdf", SMALL_PDF, "application/pdf"))],
    )
    assert added.status_code == 409
    assert [f.file_name for f in files_of(db, nspcc_return)] == ["kept.pdf"]
    assert client.get(f"/returns/{nspcc_return.id}/evidence/{file.id}").status_code == 200


def test_another_agencys_evidence_does_not_exist_for_them(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    upload(
        client,
        nspcc_return,
        [("accountability__files", ("private.pdf", SMALL_PDF, "application/pdf"))],
    )
    [file] = files_of(db, nspcc_return)
    sign_in(client, lead_of(db, "Barnardo's"))
    token = client.csrf_token("/returns")
    for url in (
        f"/returns/{nspcc_return.id}/evidence/{file.id}",
        f"/returns/{nspcc_return.id}/evidence/{file.id}/remove",
    ):
        assert client.get(url).status_code == 404
    removal = client.post(
        f"/returns/{nspcc_return.id}/evidence/{file.id}/remove", data={"csrf_token": token}
    )
    assert removal.status_code == 404
    assert len(files_of(db, nspcc_return)) == 1


def test_legacy_office_files_are_told_apart_from_other_containers(tmp_path):
    from app.returns.evidence import MB, EvidenceRefused, kind_of

    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    cases = {
        "minutes.doc": (ole2 + "WordDocument".encode("utf-16-le"), "word-97"),
        "budget.xls": (ole2 + "Workbook".encode("utf-16-le"), "excel-97"),
        "slides.ppt": (ole2 + "PowerPoint Document".encode("utf-16-le"), "powerpoint-97"),
        "people.csv": (b"Name,Role\nSam,Lead\n", "csv"),
    }
    for name, (content, kind) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert kind_of(path, claimed_name=name, max_unpacked=MB).name == kind
    installer = tmp_path / "setup.doc"
    installer.write_bytes(ole2 + "SummaryInformation".encode("utf-16-le"))
    utf16 = tmp_path / "notes.txt"
    utf16.write_bytes("Notes".encode("utf-16"))
    for path in (installer, utf16):
        try:
            kind_of(path, claimed_name=path.name, max_unpacked=MB)
        except EvidenceRefused:
            continue
        raise AssertionError(f"{path.name} was accepted")


def test_a_body_without_a_declared_length_is_refused_unread(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    token = client.csrf_token(section_url(nspcc_return))

    def chunks():
        yield f"csrf_token={token}&lead-name=chunked".encode()

    response = client.post(
        section_url(nspcc_return),
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 411
    assert "Send the form again from its page" in response.text
    assert db.scalars(select(Answer).where(Answer.return_id == nspcc_return.id)).all() == []


def test_the_print_view_lists_each_standards_evidence(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    upload(
        client,
        nspcc_return,
        [("accountability__files", ("audit.pdf", SMALL_PDF, "application/pdf"))],
    )
    page = client.page(f"/returns/{nspcc_return.id}/print")
    link = page.find("a", string="audit.pdf")
    assert link["href"].startswith(f"/returns/{nspcc_return.id}/evidence/")


@functools.cache
def zip_bomb(unpacked_mb: int = 400, *, part: str = "word/document.xml") -> bytes:
    """An Office file with `unpacked_mb` MB of zeros inside, a few hundred KB as sent."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
        with archive.open("media/zeros.bin", "w") as entry:
            for _ in range(unpacked_mb):
                entry.write(bytes(evidence.MB))
    return buffer.getvalue()


def many_parts(count: int, *, part: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
        for index in range(count - 2):
            archive.writestr(f"customXml/item{index}.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bomb.docx", lambda: zip_bomb(400), "The file unpacks to more than 20 MB"),
        ("tight.docx", lambda: zip_bomb(5), "packed in a way no Office program saves it"),
        ("parts.docx", lambda: many_parts(1001), "The file holds 1,001 parts"),
    ],
    ids=["400-MB-of-zeros", "packed-1000-to-1", "1001-parts"],
)
def test_an_office_file_that_would_unpack_too_far_is_refused_and_nothing_is_kept(
    client, db, settings, nspcc_return, name, content, message
):
    sign_in(client, lead_of(db, "NSPCC"))
    before = stored_files(settings)
    data = content()
    assert len(data) < 2 * evidence.MB  # small as sent: only its directory gives it away
    response = upload(
        client,
        nspcc_return,
        [("accountability__files", (name, data, "application/octet-stream"))],
    )
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    assert message in page.select_one(".govuk-error-summary").get_text()
    assert message in page.select_one("#q-accountability-files-error").get_text()
    assert files_of(db, nspcc_return) == []
    assert stored_files(settings) == before


def test_an_office_file_of_a_thousand_parts_within_the_limit_is_kept(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    response = upload(
        client,
        nspcc_return,
        [("accountability__files", ("parts.docx", many_parts(1000), "application/octet-stream"))],
    )
    assert response.status_code == 303, response.text
    [file] = files_of(db, nspcc_return)
    assert file.kind == "word"


def test_an_upload_while_the_bucket_is_down_says_so_and_keeps_the_answers_beside_it(
    database_url, var_dir, engine, db, nspcc_return, s3_server
):
    down = S3Server()  # a bucket of its own, to stop mid-test
    down.client().create_bucket(
        Bucket=S3_BUCKET, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
    )
    settings = s3_settings(database_url, var_dir, down)
    with client_for(settings, engine, db) as client:
        sign_in(client, lead_of(db, "NSPCC"))
        form = form_of(client, section_url(nspcc_return))
        down.stop()
        response = client.post(
            section_url(nspcc_return),
            data=form | {"lead-name": "Typed beside the file"},
            files=[("accountability__files", ("Minutes.pdf", SMALL_PDF, "application/pdf"))],
            follow_redirects=False,
        )
    assert response.status_code == 400
    assert "“Minutes.pdf” could not be kept: the file store is not answering" in response.text
    assert "Your answers are saved" in response.text
    assert files_of(db, nspcc_return) == []
    answer = db.scalars(
        select(Answer).where(Answer.return_id == nspcc_return.id, Answer.question_id == "lead-name")
    ).one()
    assert answer.value == "Typed beside the file"
