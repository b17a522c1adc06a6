"""The suite's own promise for `make test`'s parallel workers: each works in a PostgreSQL
database of its own, so what one test makes and drops never reaches another worker's.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests import conftest
from tests.conftest import demo_database_url, fresh_database_beside


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_parallel_worker_never_shares_its_postgresql_database(database_url, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw_check")
    monkeypatch.setenv("S11_TEST_POSTGRES_URL", database_url)
    conftest.pytest_configure(None)  # as each worker starts
    given = os.environ["S11_TEST_POSTGRES_URL"]
    assert make_url(given).database == f"{make_url(database_url).database}_gw_check"
    engine = create_engine(given)
    with engine.connect() as connection:
        assert inspect(connection).get_table_names() == []
    engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_database_made_beside_the_test_one_starts_empty_with_the_same_options(database_url):
    first = fresh_database_beside(demo_database_url(database_url), "beside_check")
    engine = create_engine(first)
    with engine.begin() as connection:
        connection.execute(text("CREATE SCHEMA demo"))
        connection.execute(text("CREATE TABLE left_behind (id integer)"))
    engine.dispose()

    again = fresh_database_beside(demo_database_url(database_url), "beside_check")
    assert again == first  # the same name again
    assert "search_path%3Ddemo" in again  # and the options kept
    engine = create_engine(again)
    with engine.connect() as connection:
        assert inspect(connection).get_schema_names().count("demo") == 0
    engine.dispose()
