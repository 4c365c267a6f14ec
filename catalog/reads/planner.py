"""Keep the databases' query planners informed, so that list pages use their indexes.

SQLite plans without statistics until ``ANALYZE`` runs, and then prefers an OR of index
lookups plus a sort over walking the list index in order: a member's first page of 100,000
images took 75 ms instead of 0.3 ms (bench/list.py). Its own ``PRAGMA optimize`` analyzes
never-analyzed tables only from SQLite 3.46 on, so each process refreshes the statistics
itself, approximately (``analysis_limit``) and at most every few minutes.

PostgreSQL analyzes by itself (autovacuum); its planner costs are set by configuration
(``CATALOG_PG_RANDOM_PAGE_COST`` in the settings).
"""

import logging
import time

from django.db import DatabaseError
from django.db.backends.signals import connection_created

logger = logging.getLogger("catalog.reads.planner")

REFRESH_SECONDS = 600
# Rows sampled per index. 1,000 left the bad plan in place at 100,000 images; 10,000 finds the
# good one and costs about 25 ms there (a full ANALYZE: 200 ms).
ANALYSIS_LIMIT = 10_000
_last_refresh = {"at": float("-inf")}


def refresh_sqlite_statistics(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite" or connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        return
    now = time.monotonic()
    if now - _last_refresh["at"] < REFRESH_SECONDS:
        return
    _last_refresh["at"] = now
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            cursor.execute("ANALYZE")
    except DatabaseError:
        # Busy or read-only: the statistics simply stay as they were until the next try.
        logger.info("Could not refresh SQLite statistics", exc_info=True)


def connect_planner_upkeep() -> None:
    connection_created.connect(refresh_sqlite_statistics, dispatch_uid="catalog.reads.planner")
