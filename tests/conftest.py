"""The fixed cast of callers and the HTTP helpers every API test uses.

Personas: an admin (admin of its own project), alice (member of A),
bob (member of B), carol (reader of A), and anonymous (no token).
"""

import json
import os
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client

from catalog.choices import Role
from catalog.identity import services as identity
from catalog.identity.models import Project
from tests.support import ceph_cluster

PATCH21 = "application/openstack-images-v2.1-json-patch"
PATCH20 = "application/openstack-images-v2.0-json-patch"


def pytest_configure(config):
    """Settings create nothing at import (config/settings.py): the run makes the folder of
    the SQLite test database and STATIC_ROOT (WhiteNoise warns on every client without it),
    and signs with a key of its own when there is none yet (no SECRET_KEY, no
    var/secret_key: a fresh checkout)."""
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    settings.STATIC_ROOT.mkdir(exist_ok=True)
    try:
        settings.SECRET_KEY  # noqa: B018 (Django refuses an empty key on access)
    except ImproperlyConfigured:
        settings.SECRET_KEY = secrets.token_urlsafe(50)


# The suite's costly groups, by place (pyproject.toml describes the markers; postgres_only is
# set on each test). `.ci/run` runs every group once, on PostgreSQL, and the rest of the suite
# on SQLite and on PostgreSQL; `make test PYTEST_ARGS='-m "not slow"'` leaves one out.
TESTS = Path(__file__).resolve().parent
GROUPS = {
    "browser": "browser",  # Chromium against a live server and an import worker
    "e2e": "slow",  # the OpenStack clients against live servers
    "imports/test_worker_restart.py": "slow",  # live server, workers killed and restarted
    "imports/test_worker_runtime.py": "slow",  # live server, workers signalled
    "test_crash_recovery.py": "slow",  # gunicorn and workers killed mid-write
    "imports/test_glance_download.py": "slow",  # two live regions
    "api/test_external_keystone.py": "slow",  # a live stand-in Keystone
    "ui/test_keystone_login.py": "slow",  # a live stand-in Keystone
    "stores/test_rbd_store.py": "ceph",  # the RBD store on the session's Ceph
    "cluster": "cluster",  # two API nodes and two workers on PostgreSQL, Ceph and Redis
    "events/test_notifications_live.py": "slow",  # live server, workers, RabbitMQ
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these markers
def pytest_collection_modifyitems(config, items):
    on_postgresql = connection.vendor == "postgresql"
    for item in items:
        place = item.path.relative_to(TESTS)
        for prefix, marker in GROUPS.items():
            if place.is_relative_to(prefix):
                item.add_marker(marker)
        if not on_postgresql and item.get_closest_marker("postgres_only"):
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
            )


def assert_status(response, expected: int):
    """Assert the status code, showing the body when it is not the expected one."""
    body = b"" if getattr(response, "streaming", False) else response.content
    assert response.status_code == expected, (
        f"expected {expected}, got {response.status_code}: {body[:2000]!r}"
    )
    return response


class ApiClient:
    """A Django test client that sends a persona's token on every request."""

    def __init__(self, token: str | None, project: Project | None, name: str):
        self.client = Client()
        self.token = token
        self.project = project
        self.name = name

    @property
    def project_id(self) -> str | None:
        return self.project.id if self.project else None

    def _headers(self, extra):
        headers = {}
        if self.token:
            headers["X-Auth-Token"] = self.token
        headers.update(extra or {})
        return headers

    def request(
        self, method, path, body=None, content_type="application/json", headers=None, raw=None
    ):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.generic(
            method, path, data=data, content_type=content_type, headers=self._headers(headers)
        )

    def get(self, path, headers=None, **params):
        return self.client.get(path, data=params or None, headers=self._headers(headers))

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path, ops, content_type=PATCH21, **kwargs):
        return self.request("PATCH", path, ops, content_type=content_type, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def create_image(self, **body):
        response = assert_status(self.post("/v2/images", body), 201)
        return response.json()

    def __repr__(self) -> str:
        return f"<{self.name}>"


def make_persona(name: str, project: Project | None, role: str | None, superuser=False):
    user, _ = identity.ensure_user(name, "pw-" + name, is_superuser=superuser, is_staff=superuser)
    if project is None:
        return ApiClient(None, None, name)
    identity.assign_role(user, project, role)
    raw, _ = identity.issue_token(user, project)
    return ApiClient(raw, project, name)


@pytest.fixture
def project_a(db):
    return Project.objects.create(name="project-a")


@pytest.fixture
def project_b(db):
    return Project.objects.create(name="project-b")


@pytest.fixture
def admin_project(db):
    return Project.objects.create(name="admin")


@pytest.fixture
def admin(admin_project):
    return make_persona("admin", admin_project, Role.ADMIN, superuser=True)


@pytest.fixture
def alice(project_a):
    return make_persona("alice", project_a, Role.MEMBER)


@pytest.fixture
def bob(project_b):
    return make_persona("bob", project_b, Role.MEMBER)


@pytest.fixture
def carol(project_a):
    return make_persona("carol", project_a, Role.READER)


@pytest.fixture
def anonymous(db):
    return ApiClient(None, None, "anonymous")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~100 ms a password; the tests check behaviour, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def image_store_dir(settings, tmp_path):
    """Every test gets an empty filesystem store of its own (the default configuration)."""
    settings.CATALOG_STORES = {}
    settings.CATALOG_DEFAULT_STORE = ""
    settings.CATALOG_STORE_DIR = tmp_path / "images"
    settings.CATALOG_STAGING_DIR = tmp_path / "staging"
    return settings.CATALOG_STORE_DIR


@pytest.fixture
def staging_dir(settings, image_store_dir):
    return settings.CATALOG_STAGING_DIR


@pytest.fixture(scope="session")
def ceph(tmp_path_factory):
    """A single-node Ceph (monitor, memstore OSD, RADOS gateway with an S3 user) for the whole
    session, started on first use (~3 s) and killed at the end: tests/support/ceph_cluster.py.
    Tests using it carry the ``ceph`` marker (by place in GROUPS, or a param's marks)."""
    missing = ceph_cluster.missing_binaries()
    if missing:
        pytest.skip(
            f"Ceph is not installed ({', '.join(missing)} missing): install the Debian "
            "packages in .ci/system-packages"
        )
    with ceph_cluster.ceph_cluster(tmp_path_factory.mktemp("ceph")) as cluster:
        yield cluster


@pytest.fixture
def sync_events(monkeypatch):
    """The order of a write's durability steps: ``("fsync", path)`` and ``("replace",
    target)`` as they happen (the calls still go through)."""
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(source, target):
        events.append(("replace", str(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return events
