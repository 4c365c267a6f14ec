"""A cluster on one machine: two API nodes (gunicorn, each on its own loopback address with
its own local folders) and two workers (`manage.py run_worker`), sharing one PostgreSQL
database of their own, the session's Ceph (S3 through RGW as the default store, RBD as a
second store) and Redis (the task queue, and the cache that counts failed logins).

Everything a node may keep to itself (var/, staging, its image cache) is under its own
folder: ``node_env`` is the one place that gives a node its local settings (its address as
``CATALOG_NODE_URL``, the key of its cache entries in the shared database).
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.livesrv import (
    BIN,
    ROOT,
    drop_live_database,
    free_port,
    gunicorn_available,
    live_database_env,
)
from tests.support import ceph_cluster

REDIS_URL = os.environ.get("CATALOG_TEST_CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/11")
LEASE, SWEEP = 3, 1
MAX_LOGIN_FAILURES = 4

_ACCOUNTS = """
import json
from catalog.choices import Role
from catalog.identity import services
from catalog.identity.models import Project
out = {}
for name in ("owner", "member"):
    project = Project.objects.create(name="cluster-" + name)
    user, _ = services.ensure_user(name, "pw-" + name)
    services.assign_role(user, project, Role.MEMBER)
    raw, _ = services.issue_token(user, project, ttl=86400)
    out[name] = {"token": raw, "project": project.id}
admins = Project.objects.create(name="cluster-admins")
user, _ = services.ensure_user("operator", "pw-operator")
services.assign_role(user, admins, Role.ADMIN)
raw, _ = services.issue_token(user, admins, ttl=86400)
out["admin"] = {"token": raw, "project": admins.id}
print(json.dumps(out))
"""


def _skip_reason(ceph_missing: list[str]) -> str | None:
    if connection.vendor != "postgresql":
        return "the cluster runs on PostgreSQL: run with DATABASE_URL=postgres://..."
    if not gunicorn_available():
        return "gunicorn is not installed"
    if ceph_missing:
        return f"Ceph is not installed ({', '.join(ceph_missing)} missing)"
    try:
        import django_rq  # noqa: F401
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        return f"no Redis queue ({type(exc).__name__}: {exc})"
    return None


def node_env(name: str, workdir: Path, address: str, port: int) -> dict:
    """What is local to one node: its folders, its image cache and its address."""
    return {
        "CATALOG_VAR_DIR": str(workdir),
        "CATALOG_STAGING_DIR": str(workdir / "staging"),
        "CATALOG_NODE_URL": f"http://{address}:{port}",
        "CATALOG_IMAGE_CACHE_DIR": str(workdir / "cache"),
        "CATALOG_NODE_NAME": name,
    }


class Node:
    """One process of the cluster: an API node (gunicorn) or a worker."""

    def __init__(self, name: str, env: dict, workdir: Path, address: str = "127.0.0.1"):
        self.name = name
        self.workdir = workdir
        self.address = address
        self.port = free_port()
        self.env = {**env, **node_env(name, workdir, address, self.port)}
        self.process: subprocess.Popen | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    def start_api(self) -> "Node":
        self.log = open(self.workdir / f"{self.name}.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi:application",
             "--bind", f"{self.address}:{self.port}", "--worker-class", "gthread",
             "--workers", "1", "--threads", "8", "--timeout", "0", "--graceful-timeout", "1"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.workdir}")
            try:
                urllib.request.urlopen(self.url + "/healthcheck", timeout=1)
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start")

    def start_worker(self) -> "Node":
        self.log = open(self.workdir / f"{self.name}.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        return self

    @property
    def pids(self) -> list[int]:
        """The process and its children (gunicorn's worker)."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        extra = children.read_text().split() if children.exists() else []
        return [self.process.pid, *map(int, extra)]

    def kill(self) -> None:
        for pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process is not None:
            self.process.wait(10)
            self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Cluster:
    def __init__(self, workdir: Path, env: dict):
        self.workdir = workdir
        self.env = env
        self.a = Node("api-a", env, workdir / "a", "127.0.0.2")
        self.b = Node("api-b", env, workdir / "b", "127.0.0.3")
        self.workers = [Node(f"worker-{n}", env, workdir / f"w{n}") for n in (1, 2)]

    def manage(self, *args: str) -> str:
        env = {**self.env, "CATALOG_VAR_DIR": str(self.workdir / "admin")}
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code).strip().splitlines()[-1]

    def stop(self) -> None:
        for node in [self.a, self.b, *self.workers]:
            node.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, ceph):
    reason = _skip_reason(ceph_cluster.missing_binaries())
    if reason:
        pytest.skip(reason)
    import django_rq  # noqa: F401
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # the cluster test's own Redis database
    workdir = tmp_path_factory.mktemp("cluster")
    database = live_database_env("cluster16")
    stores = {
        "rgw": ceph.s3_store_options("vitrine-cluster", description="Ceph RGW"),
        "rbd": ceph.rbd_store_options("vitrine-cluster", description="Ceph RBD"),
    }
    env = {
        **os.environ,
        **database,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "cluster-test-" + "k" * 40,
        "ALLOWED_HOSTS": "*",
        "LOG_LEVEL": "WARNING",
        "CATALOG_STORES": json.dumps(stores),
        "CATALOG_DEFAULT_STORE": "rgw",
        "CATALOG_TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "CATALOG_REDIS_URL": REDIS_URL,
        "CATALOG_CACHE_URL": REDIS_URL,
        "CATALOG_LEASE_TIMEOUT": str(LEASE),
        "CATALOG_RECOVERY_INTERVAL": str(SWEEP),
        "CATALOG_IMPORT_ALLOWED_HOSTS": "127.0.0.1",
        "CATALOG_IMPORT_ALLOWED_PORTS": "",
        "CATALOG_LOGIN_MAX_FAILURES": str(MAX_LOGIN_FAILURES),
    }
    for key in ("CATALOG_STORE_DIR",):
        env.pop(key, None)
    built = Cluster(workdir, env)
    try:
        built.manage("migrate", "--noinput", "-v", "0")
        built.accounts = json.loads(built.shell(_ACCOUNTS))
        built.a.start_api()
        built.b.start_api()
        for worker in built.workers:
            worker.start_worker()
        yield built
    finally:
        built.stop()
        drop_live_database(database)
        redis.Redis.from_url(REDIS_URL).flushdb()
