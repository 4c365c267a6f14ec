"""Issue 15, finding 1: password guessing is limited on the identity API, the catalog's login
and the admin's login, keyed by (account, client address) and by address."""

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, RequestFactory

from catalog.checks import unsafe_production_settings
from catalog.http import client_address
from catalog.identity import throttling
from config.settings import cache_from_url
from tests.api.test_identity import TOKENS, by_name, keystone_error, password_auth
from tests.conftest import assert_status

HOME = "10.0.0.7"
ELSEWHERE = "10.0.0.8"


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.CATALOG_LOGIN_MAX_FAILURES = 3
    settings.CATALOG_LOGIN_LOCKOUT_SECONDS = 300
    settings.CATALOG_LOGIN_ADDRESS_MAX_FAILURES = 5


def api_login(password: str, address=HOME, name="alice"):
    return Client(REMOTE_ADDR=address).post(
        TOKENS,
        json.dumps(password_auth(by_name(name, password))),
        content_type="application/json",
    )


def catalog_login(password: str, address=HOME, name="alice"):
    return Client(REMOTE_ADDR=address).post(
        "/catalog/login/", {"username": name, "password": password}
    )


def admin_login(password: str, address=HOME, name="admin"):
    return Client(REMOTE_ADDR=address).post(
        "/admin/login/", {"username": name, "password": password, "next": "/admin/"}
    )


def test_api_locks_the_account_for_that_address_only(alice):
    for _ in range(3):
        keystone_error(api_login("wrong"), 401)
    locked = api_login("pw-alice")
    error = keystone_error(locked, 429)
    assert error["title"] == "Too Many Requests"
    assert 290 <= int(locked["Retry-After"]) <= 300
    assert_status(api_login("pw-alice", address=ELSEWHERE), 201)


def test_a_lockout_is_logged_once(alice, caplog):
    with caplog.at_level(logging.WARNING, logger="catalog.identity"):
        for _ in range(3):
            api_login("wrong")
    lines = [r.getMessage() for r in caplog.records if "locked out" in r.getMessage()]
    assert len(lines) == 1 and "'alice'" in lines[0] and HOME in lines[0]


def test_by_id_and_by_name_count_as_one_account(alice):
    user_id = str(get_user_model().objects.get(username="alice").pk)
    for _ in range(2):
        api_login("wrong")
    by_id = password_auth({"id": user_id, "password": "wrong"})
    Client(REMOTE_ADDR=HOME).post(TOKENS, json.dumps(by_id), content_type="application/json")
    keystone_error(api_login("pw-alice"), 429)


def test_the_per_address_limit_covers_many_accounts(alice, bob):
    for name in ("u1", "u2", "u3", "u4", "u5"):
        keystone_error(api_login("wrong", name=name), 401)
    keystone_error(api_login("pw-bob", name="bob"), 429)
    assert_status(api_login("pw-bob", address=ELSEWHERE, name="bob"), 201)


def test_a_success_clears_the_accounts_count(alice):
    for _ in range(2):
        api_login("wrong")
    assert_status(api_login("pw-alice"), 201)
    for _ in range(2):
        keystone_error(api_login("wrong"), 401)
    assert_status(api_login("pw-alice"), 201)


def test_the_lock_ends_with_the_window(alice, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttling.FailureWindow, "timer", lambda self: now[0])
    for _ in range(3):
        api_login("wrong")
    keystone_error(api_login("pw-alice"), 429)
    now[0] += 301
    assert_status(api_login("pw-alice"), 201)


def test_catalog_login_is_limited(alice):
    for _ in range(3):
        assert_status(catalog_login("wrong"), 200)
    refused = assert_status(catalog_login("pw-alice"), 200)
    assert b"Too many failed logins" in refused.content
    assert "_auth_user_id" not in refused.client.session
    assert_status(catalog_login("pw-alice", address=ELSEWHERE), 302)


def test_admin_login_is_limited(admin):
    for _ in range(3):
        assert_status(admin_login("wrong"), 200)
    refused = assert_status(admin_login("pw-admin"), 200)
    assert b"Too many failed logins" in refused.content
    assert_status(admin_login("pw-admin", address=ELSEWHERE), 302)


def test_failures_count_across_the_three_entry_points(alice):
    api_login("wrong")
    catalog_login("wrong")
    admin_login("wrong", name="alice")
    keystone_error(api_login("pw-alice"), 429)


def test_counters_live_in_the_shared_cache(settings, alice):
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    api_login("wrong")
    assert cache.get(throttling.Attempt("alice", HOME).pair.key)


def test_cache_url_forms():
    assert cache_from_url("")["BACKEND"].endswith("db.DatabaseCache")
    redis = cache_from_url("redis://127.0.0.1:6379/1")
    assert redis == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
    assert cache_from_url("locmem://")["BACKEND"].endswith("LocMemCache")
    with pytest.raises(Exception, match="CATALOG_CACHE_URL"):
        cache_from_url("memcached://x")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("10.0.0.1", "", [], "10.0.0.1"),
        ("10.0.0.1", "203.0.113.9", [], "10.0.0.1"),  # untrusted peer: the header is ignored
        ("10.0.0.1", "203.0.113.9", ["10.0.0.0/8"], "203.0.113.9"),
        # The client wrote the left-most entry itself: the right-most untrusted one counts.
        ("10.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.5", ["10.0.0.0/8"], "203.0.113.9"),
        ("10.0.0.1", "10.0.0.3, 10.0.0.5", ["10.0.0.0/8"], "10.0.0.3"),
        ("10.0.0.1", "", ["10.0.0.1/32"], "10.0.0.1"),
        ("::1", "2001:db8::7", ["::1/128"], "2001:db8::7"),
        ("10.0.0.1", "garbage", ["10.0.0.0/8"], "garbage"),
    ],
)
def test_client_address_believes_only_trusted_proxies(settings, peer, forwarded, trusted, expected):
    settings.CATALOG_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_behind_a_trusted_proxy_clients_are_told_apart(settings, alice):
    settings.CATALOG_TRUSTED_PROXIES = ["10.9.0.0/16"]

    def via_proxy(password, client):
        return Client(REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_FOR=client).post(
            TOKENS,
            json.dumps(password_auth(by_name("alice", password))),
            content_type="application/json",
        )

    for _ in range(3):
        via_proxy("wrong", "198.51.100.1")
    keystone_error(via_proxy("pw-alice", "198.51.100.1"), 429)
    assert_status(via_proxy("pw-alice", "198.51.100.2"), 201)


def redis_reachable(url: str) -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.mark.skipif(not redis_reachable(REDIS_URL), reason="no Redis at 127.0.0.1:6379")
def test_counters_in_redis(settings, alice):
    """CATALOG_CACHE_URL=redis://...: the same limits, counted in Redis (the redis extra)."""
    settings.CACHES = {"default": cache_from_url(REDIS_URL)}
    cache.clear()
    try:
        for _ in range(3):
            keystone_error(api_login("wrong"), 401)
        keystone_error(api_login("pw-alice"), 429)
        assert cache.get(throttling.Attempt("alice", HOME).pair.key)
    finally:
        cache.clear()


def test_deploy_check_warns_about_a_per_process_cache(settings):
    settings.CACHES = {"default": cache_from_url("locmem://")}
    assert "catalog.W006" in {w.id for w in unsafe_production_settings(None)}
    settings.CACHES = {"default": cache_from_url("")}
    assert "catalog.W006" not in {w.id for w in unsafe_production_settings(None)}
