"""The `s11` command a newcomer runs: migrate, demo, create-admin (on a fresh SQLite file)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import make_engine, make_sessionmaker
from app.directory.models import Agency, Person
from tests.test_config import run_s11


def test_migrate_then_demo_twice_gives_one_set_of_demo_data(tmp_path):
    env = {"S11_VAR_DIR": str(tmp_path)}
    assert run_s11("migrate", **env).returncode == 0
    first = run_s11("demo", **env)
    second = run_s11("demo", **env)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "38 agencies in Norfolk (13 voluntary sector)" in second.stdout
    engine = make_engine(f"sqlite:///{tmp_path / 's11.db'}")
    with make_sessionmaker(engine)() as session:
        # Norfolk's, and the four of Suffolk's own in this year's joint round.
        assert session.scalar(select(func.count()).select_from(Agency)) == 38 + 4
    engine.dispose()


def test_create_admin_makes_a_site_administrator_and_audits_it(tmp_path):
    env = {"S11_VAR_DIR": str(tmp_path)}
    assert run_s11("migrate", **env).returncode == 0
    result = run_s11("create-admin", "  Admin@Example.ORG ", **env)
    assert result.returncode == 0, result.stderr
    assert "admin@example.org is a site administrator." in result.stdout
    # Where the first sign-in link went, so the operator can follow it.
    assert f"A sign-in link was written to {tmp_path / 'outbox'}" in result.stdout
    [mail] = (tmp_path / "outbox").glob("*.eml")
    assert "/sign-in/email/" in mail.read_text() and "admin@example.org" in mail.read_text()
    engine = make_engine(f"sqlite:///{tmp_path / 's11.db'}")
    with make_sessionmaker(engine)() as session:
        person = session.scalars(select(Person)).one()
        assert person.is_admin and person.email == "admin@example.org"
        event = session.scalars(select(AuditEvent)).one()
        assert event.action == "role_change" and event.object_id == str(person.id)
    engine.dispose()


def test_create_admin_refuses_an_address_that_is_not_an_email(tmp_path):
    env = {"S11_VAR_DIR": str(tmp_path)}
    assert run_s11("migrate", **env).returncode == 0
    result = run_s11("create-admin", "not-an-address", **env)
    assert result.returncode == 2
    assert "Enter an email address in the correct format" in result.stderr
    assert "Traceback" not in result.stderr
