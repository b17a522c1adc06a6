"""What the library's tests share: a coordinator of a partnership of one's own, and the upload
and publish steps as a browser takes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.directory import service as directory_service
from app.directory.models import Role
from tests.conftest import sign_in

FIXTURE = (Path(__file__).resolve().parents[1] / "fixtures" / "every-type.yaml").read_text()


def ours(text: str, *, version: str = "1") -> str:
    """The test questionnaire under an id of the partnership's own."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("id:"):
            lines[i] = "id: breckland-s11"
        elif line.startswith("version:"):
            lines[i] = f'version: "{version}"'
    return "\n".join(lines) + "\n"


@pytest.fixture
def coordinator(client, db):
    def of(slug: str):
        partnership = directory_service.ensure_partnership(
            db, slug=slug, name=slug.title(), short_name=slug[:4].upper(), colour="#1d4f91"
        )
        person = directory_service.ensure_person(db, email=f"cora@{slug}.example.org", name="Cora")
        directory_service.ensure_membership(
            db, person=person, partnership=partnership, role=Role.COORDINATOR
        )
        sign_in(client, person)
        return partnership

    return of


def upload(client, text: str | bytes, name: str = "ours.yaml"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        "/questionnaires/new",
        data={"csrf_token": client.csrf_token("/questionnaires/new")},
        files={"file": (name, data, "application/yaml")},
    )


def publish_from(client, page_html: str):
    from bs4 import BeautifulSoup

    form = BeautifulSoup(page_html, "html.parser").select_one(
        "form[action='/questionnaires/publish']"
    )
    assert form is not None, "the check offers no publish button"
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    return client.post("/questionnaires/publish", data=data, follow_redirects=False)
