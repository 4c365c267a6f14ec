"""Live Vitrine servers for tests that need a real HTTP peer: gunicorn on a free loopback
port, with its own database (a SQLite file, or a fresh PostgreSQL database when the suite
runs on PostgreSQL) and its own var directory and image store.

Used by the external Keystone tests (a standalone Vitrine is the Keystone) and by tests/e2e
(the real OpenStack clients drive one).
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent

# Python run inside the new server's Django (manage.py shell -c) to create its accounts.
# PEOPLE: (user, password, project, role); the projects are created on the way.
SEED = """
import json
from catalog.identity import services
from catalog.identity.models import Project
for user, password, project, role in {people!r}:
    target, _ = Project.objects.get_or_create(name=project)
    account, _ = services.ensure_user(user, password, is_staff=role == "admin")
    services.assign_role(account, target, role)
print(json.dumps({{p.name: p.id for p in Project.objects.all()}}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """One gunicorn serving Vitrine. ``start()`` migrates, seeds and waits until it answers;
    ``stop()`` ends the process it started and drops its database."""

    def __init__(self, workdir: Path, name: str, env: dict | None = None):
        self.workdir = workdir / name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.projects: dict[str, str] = {}
        self._pg_database = None
        self.env = self._environment(env or {})

    def _environment(self, extra: dict) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "CATALOG_"))}
        env.update(
            CATALOG_VAR_DIR=str(self.workdir / "var"),
            SECRET_KEY=f"live-test-{uuid.uuid4().hex}",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self._database_url(),
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def _database_url(self) -> str:
        parent = os.environ.get("DATABASE_URL", "")
        if parent.startswith(("postgres://", "postgresql://", "pgsql://")):
            self._pg_database = f"vitrine_live_{uuid.uuid4().hex[:12]}"
            self._postgres(f"CREATE DATABASE {self._pg_database}")
            parts = urlsplit(parent)
            return urlunsplit(parts._replace(path=f"/{self._pg_database}"))
        return f"sqlite:///{self.workdir / 'vitrine.sqlite3'}"

    def _postgres(self, statement: str) -> None:
        import psycopg

        parts = urlsplit(os.environ["DATABASE_URL"])
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(statement)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{result.stderr}")
        return result.stdout

    def start(self, people=()) -> "LiveServer":
        self.manage("migrate", "--noinput")
        if people:
            output = self.manage("shell", "-c", SEED.format(people=list(people)))
            self.projects = json.loads(output.strip().splitlines()[-1])
        self.log = open(self.workdir / "gunicorn.log", "w")  # closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}",
                "--worker-class", "gthread", "--workers", "1", "--threads", "8",
                "--timeout", "120",
            ],
            cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_until_ready()
        return self

    def _wait_until_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/versions", timeout=2):
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer in {seconds} s:\n{self.log_text()}")

    def log_text(self) -> str:
        return (self.workdir / "gunicorn.log").read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()
        if self._pg_database:
            self._postgres(f"DROP DATABASE IF EXISTS {self._pg_database} WITH (FORCE)")

    def password_token(self, user: str, password: str, project: str) -> str:
        """A token for ``user`` from this server's /identity (it must be in standalone mode)."""
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": user, "domain": {"id": "default"}, "password": password}
                    },
                },
                "scope": {"project": {"name": project, "domain": {"id": "default"}}},
            }
        }
        request = urllib.request.Request(
            f"{self.url}/identity/v3/auth/tokens",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.headers["X-Subject-Token"]
