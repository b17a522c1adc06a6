"""The partnership and signed-in coordinator the set-up pages' tests work in."""

from __future__ import annotations

import pytest

from app.directory import service as directory_service
from app.directory.models import Role
from tests.conftest import sign_in


@pytest.fixture
def partnership(db):
    return directory_service.ensure_partnership(
        db, slug="breckland", name="Breckland Partnership", short_name="BP", colour="#1d4f91"
    )


@pytest.fixture
def coordinator(client, db, partnership):
    person = directory_service.ensure_person(db, email="cora@example.org", name="Cora Ordinator")
    directory_service.ensure_membership(
        db, person=person, partnership=partnership, role=Role.COORDINATOR
    )
    sign_in(client, person)
    return person
