"""A periodic job's outcome is logged only when it did something: a sweep every 15 s that
found nothing must not fill the worker's log."""

import logging
from collections import Counter

from catalog.worker import runtime
from catalog.worker.jobs import PeriodicJob


def run_and_log(caplog, outcome) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=runtime.logger.name):
        runtime.run_periodic(PeriodicJob("sweep", lambda: outcome, lambda: 1.0))
    return [record.getMessage() for record in caplog.records]


def test_a_sweep_that_found_nothing_logs_nothing(caplog):
    assert run_and_log(caplog, Counter({"deleted blobs": 0})) == []
    assert run_and_log(caplog, None) == []


def test_a_sweep_that_recovered_something_says_what(caplog):
    logged = run_and_log(caplog, Counter({"deleted blobs": 0, "uploads requeued": 2}))
    assert logged == ["Periodic job sweep: {'uploads requeued': 2}"]


def test_a_failing_job_is_logged_and_does_not_raise(caplog):
    def boom():
        raise RuntimeError("store unreachable")

    with caplog.at_level(logging.INFO, logger=runtime.logger.name):
        runtime.run_periodic(PeriodicJob("sweep", boom, lambda: 1.0))
    assert [r.getMessage() for r in caplog.records] == ["Periodic job sweep failed"]
