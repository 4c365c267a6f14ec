"""Shared fixtures of the event tests."""

import pytest


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run a call as if its transaction committed: the events it emitted are recorded (a
    test's own transaction never commits, so on_commit callbacks would never run)."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run
