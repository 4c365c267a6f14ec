"""A real gunicorn serving Vitrine on a free loopback port, for e2e tests and benchmarks.

It runs the production configuration (gthread workers, WSGI) against a database and a store
of its own under ``workdir``, so the process under test is measured alone.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

_MAKE_TOKEN = """
from catalog.choices import Role
from catalog.identity import services
from catalog.identity.models import Project
project, _ = Project.objects.get_or_create(name="live")  # a restart reuses it
user, _ = services.ensure_user("live", "pw-live")
services.assign_role(user, project, Role.MEMBER)
raw, _ = services.issue_token(user, project, ttl=86400)
print(raw)
"""


# (user, password, project, role) accounts for the OpenStack clients; prints project ids.
_ADD_PEOPLE = """
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_available() -> bool:
    return (BIN / "gunicorn").exists()


class LiveServer:
    def __init__(self, workdir: Path, *, threads: int = 4, extra_env: dict | None = None):
        self.workdir = Path(workdir)
        self.threads = threads
        self.port = free_port()
        self.env = {
            **os.environ,
            "CATALOG_VAR_DIR": str(self.workdir),
            "CATALOG_STORE_DIR": str(self.workdir / "images"),
            "DATABASE_URL": f"sqlite:///{self.workdir / 'live.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.token = ""

    def _manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def seed(self) -> str:
        """Create the data the tests need (after migrate); returns the API token to use."""
        return self._manage("shell", "-c", _MAKE_TOKEN).strip().splitlines()[-1]

    def start(self) -> "LiveServer":
        self._manage("ensure_var")  # as `make run`: the workdir and the key its processes share
        self._manage("migrate", "--noinput", "-v", "0")
        self.token = self.seed()
        self.log = open(self.workdir / "gunicorn.log", "wb")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--worker-class",
                "gthread",
                "--workers",
                "1",
                "--threads",
                str(self.threads),
                "--timeout",
                "0",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.workdir / 'gunicorn.log'}")
            try:
                if self.request("GET", "/versions").status == 200 and self.worker_pid():
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()
        self.process = None

    def worker_pid(self) -> int | None:
        """The one worker process (it serves every request; the master only supervises)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        return int(pids[0]) if pids else None

    def connection(self, timeout: float = 600) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def headers(self, **extra) -> dict:
        return {"X-Auth-Token": self.token, **extra}

    def request(self, method: str, path: str, body=None, headers=None):
        """One request on a fresh connection; the response is read whole (small bodies)."""
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=self.headers(**(headers or {})))
            response = conn.getresponse()
            response.data = response.read()
            return response
        finally:
            conn.close()

    def create_image(self, **fields) -> str:
        import json

        body = {"disk_format": "raw", "container_format": "bare", **fields}
        response = self.request(
            "POST", "/v2/images", json.dumps(body), {"Content-Type": "application/json"}
        )
        assert response.status == 201, response.data
        return json.loads(response.data)["id"]

    # --- Accounts and identity (the OpenStack clients in tests/e2e) -----------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        return self._manage(*args)

    def add_people(self, people) -> dict[str, str]:
        """Create ``(user, password, project, role)`` accounts; returns project name -> id."""
        output = self._manage("shell", "-c", _ADD_PEOPLE.format(people=list(people)))
        self.projects = json.loads(output.strip().splitlines()[-1])
        return self.projects

    def password_token(self, user: str, password: str, project: str) -> str:
        """A token from this server's built-in identity (``POST /identity/v3/auth/tokens``)."""
        scope = {"project": {"name": project, "domain": {"id": "default"}}}
        user_ref = {"name": user, "domain": {"id": "default"}, "password": password}
        body = {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": user_ref}},
                "scope": scope,
            }
        }
        request = urllib.request.Request(
            f"{self.url}/identity/v3/auth/tokens",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.headers["X-Subject-Token"]

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- A database of its own on PostgreSQL ------------------------------------------------------


def live_database_env(name: str) -> dict:
    """When the suite runs on PostgreSQL, a fresh database for a live server on the same
    PostgreSQL server (``{"DATABASE_URL": ...}``); on SQLite nothing (the live server's own
    file). ``drop_live_database`` removes it."""
    if connection.vendor != "postgresql":
        return {}
    params = connection.settings_dict
    dbname = re.sub(r"[^a-z0-9_]", "_", f"{params['NAME']}_live_{name}".lower())[:63]
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        admin.execute(f'CREATE DATABASE "{dbname}"')
    auth = params["USER"] + (f":{quote(params['PASSWORD'])}" if params.get("PASSWORD") else "")
    host = f"{params.get('HOST') or '127.0.0.1'}:{params.get('PORT') or 5432}"
    return {"DATABASE_URL": f"postgres://{auth}@{host}/{dbname}"}


def drop_live_database(env: dict) -> None:
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _admin_connection():
    params = connection.settings_dict
    return psycopg.connect(
        host=params.get("HOST") or "127.0.0.1",
        port=params.get("PORT") or 5432,
        user=params["USER"],
        password=params.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


# --- A source for web-download ----------------------------------------------------------------


def serve_bytes(data: bytes):
    """Serve ``data`` at any path of a loopback HTTP server (for web-download tests).

    Returns ``(url, server)``; call ``server.shutdown()`` when done.
    """
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/image", httpd


# --- Memory of a process ---------------------------------------------------------------------


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak_rss(pid: int) -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of ``pid`` to its current RSS."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


# --- Streaming data -------------------------------------------------------------------------


def random_chunks(total: int, chunk: int = 1024 * 1024, seed_block: bytes | None = None):
    """``total`` bytes of incompressible data in chunks, made on the fly (never held whole):
    a random block with each chunk's index stamped over its start."""
    block = seed_block or os.urandom(chunk)
    sent = 0
    index = 0
    while sent < total:
        size = min(chunk, total - sent)
        yield index.to_bytes(8, "little") + block[8:size] if size > 8 else block[:size]
        sent += size
        index += 1
