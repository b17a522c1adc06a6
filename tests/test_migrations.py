"""Alembic owns the schema: one head, dated files, a clean round trip, and no drift.

A model changed without a migration fails here before it reaches anybody's database.
"""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app.cli import _alembic_config
from app.config import PROJECT_ROOT
from app.models import Base
from tests.conftest import migrate_to, test_settings


def test_migrations_have_exactly_one_head(settings):
    heads = ScriptDirectory.from_config(_alembic_config(settings)).get_heads()
    assert len(heads) == 1, heads


def test_migration_files_are_named_by_date():
    for path in (PROJECT_ROOT / "migrations" / "versions").glob("*.py"):
        assert re.match(r"^\d{8}_[0-9a-f]+_\w+\.py$", path.name), path.name


def test_models_and_migrations_describe_the_same_schema(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], differences


def test_upgrade_downgrade_upgrade_round_trip(engine, database_url, var_dir):
    # Runs on the suite's own database (no test holds a connection between tests) and
    # leaves it at head, as it found it.
    migrate_to(database_url, "base", var_dir)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    migrate_to(database_url, "head", var_dir)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_test_settings_never_point_at_the_development_database(settings):
    assert "var/s11.db" not in test_settings(settings.database_url, settings.var_dir).database_url
