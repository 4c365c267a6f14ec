"""The databases' planners get what list pages need (catalog/reads/planner.py, settings)."""

import pytest
from django.db import connection

from catalog.reads import planner


def test_sqlite_statistics_are_refreshed_at_most_every_few_minutes(db, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL analyzes by itself (autovacuum)")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    monkeypatch.setitem(planner._last_refresh, "at", float("-inf"))
    planner.refresh_sqlite_statistics(None, connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1
        cursor.execute("DROP TABLE sqlite_stat1")
    planner.refresh_sqlite_statistics(None, connection)  # too soon: nothing happens
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 0


@pytest.mark.postgres_only
def test_postgresql_sessions_use_ssd_planner_costs(db, settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == float(settings.CATALOG_PG_RANDOM_PAGE_COST)
