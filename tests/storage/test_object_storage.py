"""Evidence in an S3 bucket (moto's real S3 server): start-up, moving files between stores,
and two app processes that share a bucket but not a disk."""

from __future__ import annotations

import hashlib
import io
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from app.cli import main
from app.storage.backends import LocalStorage, open_storage
from app.storage.migrating import ChecksumMismatch, copy_files
from tests.browser.conftest import PROJECT_ROOT, _server_env
from tests.conftest import S3_BUCKET, S3_REGION, SMALL_PDF, demo_database_url, free_port
from tests.test_config import assert_one_sentence_naming, run_s11


def test_an_unreachable_bucket_stops_start_naming_the_setting(tmp_path, s3_server):
    result = run_s11(
        "serve",
        S11_VAR_DIR=str(tmp_path),
        S11_STORAGE_URL="s3://s11-evidence/norfolk",
        S11_STORAGE_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
        S11_STORAGE_REGION=S3_REGION,
    )
    assert_one_sentence_naming(result, "S11_STORAGE_URL")
    assert "cannot be reached" in result.stderr


def test_a_storage_url_that_is_neither_a_directory_nor_a_bucket_stops_start(tmp_path):
    result = run_s11("migrate", S11_VAR_DIR=str(tmp_path), S11_STORAGE_URL="ftp://host/files")
    assert_one_sentence_naming(result, "S11_STORAGE_URL")


def _bucket(s3_server, prefix: str):  # type: ignore[no-untyped-def]
    return open_storage(
        f"s3://{S3_BUCKET}/{prefix}",
        endpoint_url=s3_server.endpoint,
        region=S3_REGION,
        staging=Path("/tmp"),
    )


def test_migrating_to_a_bucket_copies_every_file_and_checks_each_checksum(tmp_path, s3_server):
    local = LocalStorage(tmp_path / "uploads")
    contents = {f"{n:032x}": f"evidence {n}".encode() * (n + 1) for n in range(3)}
    for name, data in contents.items():
        local.put(name, io.BytesIO(data))
    checksums = {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
    bucket = _bucket(s3_server, "migrated")

    copied = copy_files(local, bucket, checksums=checksums)
    assert (copied.files, copied.already_there) == (3, 0)
    assert sorted(bucket.names()) == sorted(contents)
    for name, data in contents.items():
        assert bucket.open(name).read() == data
    # Run again (after an interruption, say): nothing is copied twice.
    assert copy_files(local, bucket, checksums=checksums).already_there == 3

    # A file changed on disk since it was uploaded is refused, named, and not left behind.
    tampered = f"{7:032x}"
    local.put(tampered, io.BytesIO(b"not what was uploaded"))
    checksums[tampered] = hashlib.sha256(b"what was uploaded").hexdigest()
    with pytest.raises(ChecksumMismatch, match=tampered):
        copy_files(local, _bucket(s3_server, "second"), checksums=checksums)
    assert tampered not in set(_bucket(s3_server, "second").names())


def test_s11_storage_migrate_says_what_it_copied(tmp_path, s3_server, monkeypatch, capsys):
    monkeypatch.setenv("S11_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("S11_STORAGE_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("S11_STORAGE_REGION", S3_REGION)
    assert main(["migrate"]) == 0
    LocalStorage(tmp_path / "uploads").put("a" * 32, io.BytesIO(b"unrecorded file"))
    assert main(["storage", "migrate", "--to", f"s3://{S3_BUCKET}/cli"]) == 0
    said = capsys.readouterr().out
    assert "Copied 1 evidence files" in said and "Every checksum matched" in said
    assert f"S11_STORAGE_URL=s3://{S3_BUCKET}/cli" in said
    assert main(["storage", "migrate", "--to", "s3://"]) == 2


def _signed_in(url: str, person_id: int) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    page = BeautifulSoup(client.get("/dev/sign-in").text, "html.parser")
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(
        "/dev/sign-in", data={"person_id": str(person_id), "next": "/", "csrf_token": token}
    )
    assert response.status_code in (200, 303), response.text
    return client


def _section_taking_files(client: httpx.Client, return_id: int) -> str:
    page = BeautifulSoup(client.get(f"/returns/{return_id}").text, "html.parser")
    for link in page.find_all("a", href=re.compile(rf"^/returns/{return_id}/sections/[^/]+$")):
        if 'type="file"' in client.get(link["href"]).text:
            return link["href"]
    raise AssertionError("no section of the return takes evidence files")


def _upload_and_fetch(uploader: httpx.Client, reader: httpx.Client, path: str) -> int:
    """Attach a PDF through one app process; the status the other answers for its download."""
    page = BeautifulSoup(uploader.get(path).text, "html.parser")
    form = page.select_one("form[method=post][enctype]")
    data = {f["name"]: f.get("value", "") for f in form.select("input[type=hidden]")}
    field = form.select_one("input[type=file]")["name"]
    response = uploader.post(
        path, data=data, files=[(field, ("Minutes.pdf", SMALL_PDF, "application/pdf"))]
    )
    assert response.status_code in (200, 303), response.text
    page = BeautifulSoup(uploader.get(path).text, "html.parser")
    href = page.find_all("a", href=re.compile(r"/evidence/\d+$"))[-1]["href"]
    assert uploader.get(href).content == SMALL_PDF
    return reader.get(href).status_code


def _start(var: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
        + ["--host", "127.0.0.1", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=(var / "server.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


# Two processes on a copy of the demo: the SQLite run shows it, a PostgreSQL one adds nothing.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_app_hosts_share_evidence_only_through_a_bucket(
    request, database_url, tmp_path, s3_server
):
    request.getfixturevalue("demo_database")
    # A copy of the demo both processes share, as two hosts share one database.
    shared = tmp_path / "s11.db"
    with (
        sqlite3.connect(demo_database_url(database_url).removeprefix("sqlite:///")) as source,
        sqlite3.connect(shared) as target,
    ):
        source.backup(target)
    with sqlite3.connect(shared) as connection:
        lead_id, return_id = connection.execute(
            "SELECT m.person_id, r.id FROM membership m JOIN agency_return r "
            "ON r.agency_id = m.agency_id "
            "WHERE m.role = 'agency_lead' AND r.status IN ('not_started', 'in_progress') "
            "ORDER BY r.id LIMIT 1"
        ).fetchone()

    bucket = {
        "S11_STORAGE_URL": f"s3://{S3_BUCKET}/two-hosts",
        "S11_STORAGE_ENDPOINT_URL": s3_server.endpoint,
        "S11_STORAGE_REGION": S3_REGION,
    }
    hosts = {}
    # Started together: four imports of the app one after another cost half a minute.
    for name in ("disk-a", "disk-b", "bucket-a", "bucket-b"):
        var = tmp_path / name
        var.mkdir()
        env = _server_env(var) | {
            "S11_DATABASE_URL": f"sqlite:///{shared}",
            "S11_SECRET_KEY": "two-hosts-one-secret",
        }
        env |= bucket if name.startswith("bucket") else {"S11_UPLOAD_DIR": str(var / "uploads")}
        hosts[name] = _start(var, env)
    try:
        deadline = time.monotonic() + 60
        for name, (process, url) in hosts.items():
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                log = (tmp_path / name / "server.log").read_text
                assert process.poll() is None and time.monotonic() < deadline, log()
                time.sleep(0.2)
        url = {name: address for name, (_process, address) in hosts.items()}
        a, b = _signed_in(url["disk-a"], lead_id), _signed_in(url["disk-b"], lead_id)
        section = _section_taking_files(a, return_id)
        # On two disks, a file one host kept is not found by the other.
        assert _upload_and_fetch(a, b, section) == 404
        # In one bucket, each host serves what the other kept.
        a, b = _signed_in(url["bucket-a"], lead_id), _signed_in(url["bucket-b"], lead_id)
        assert _upload_and_fetch(a, b, section) == 200
        assert _upload_and_fetch(b, a, section) == 200
    finally:
        for process, _url in hosts.values():
            process.terminate()
        for process, _url in hosts.values():
            process.wait(timeout=10)
