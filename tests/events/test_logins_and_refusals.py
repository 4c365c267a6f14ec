"""Events a rolled-back transaction or the identity code produce: quota refusals, logins,
failed logins and lock-outs (with the client address, through a trusted proxy too)."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from catalog.models import AuditRecord
from tests.api.test_identity import TOKENS, by_name, password_auth
from tests.conftest import assert_status


@pytest.fixture(autouse=True)
def limits(settings, db):
    settings.CATALOG_LOGIN_MAX_FAILURES = 2
    settings.CATALOG_LOGIN_ADDRESS_MAX_FAILURES = 10
    settings.CATALOG_TRUSTED_PROXIES = ["10.9.0.0/16"]
    cache.clear()
    yield
    cache.clear()


def api_login(password, **meta):
    return Client(**meta).post(
        TOKENS,
        json.dumps(password_auth(by_name("alice", password))),
        content_type="application/json",
    )


def test_logins_failures_and_lockout_are_recorded(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert_status(api_login("pw-alice", REMOTE_ADDR="10.1.2.3"), 201)
        for _ in range(2):
            api_login("wrong", REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_FOR="192.0.2.44")
        assert_status(
            api_login("pw-alice", REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_FOR="192.0.2.44"), 429
        )
    rows = list(
        AuditRecord.objects.filter(event_type__startswith="identity.")
        .order_by("id")
        .values_list("event_type", "target_id", "client_address")
    )
    assert rows == [
        ("identity.login", "alice", "10.1.2.3"),
        ("identity.login_failed", "alice", "192.0.2.44"),
        ("identity.login_failed", "alice", "192.0.2.44"),
        ("identity.lockout", "alice", "192.0.2.44"),
    ]


def test_quota_refusal_recorded_although_its_transaction_rolls_back(
    alice, settings, django_capture_on_commit_callbacks
):
    settings.CATALOG_QUOTA_IMAGE_COUNT_TOTAL = 1
    with django_capture_on_commit_callbacks(execute=True):
        alice.create_image(name="one")
        assert_status(alice.post("/v2/images", {"name": "two"}), 413)
    refusal = AuditRecord.objects.get(event_type="quota.refused")
    assert refusal.owner == alice.project_id
    assert refusal.detail["quota"] == "image_count_total"
    assert refusal.priority == "ERROR"
    assert AuditRecord.objects.filter(event_type="image.create").count() == 1
