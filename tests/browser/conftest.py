"""Chromium (Debian's, driven by Playwright) against a live gunicorn and import worker.

Skips with a reason when Playwright or /usr/bin/chromium is missing (`make install-test`
installs Playwright; `.ci/system-packages` installs Chromium). Screenshots of every page
go to ``var/test-artifacts/browser/``.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.livesrv import ROOT, LiveServer, gunicorn_available

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "browser"
PASSWORDS = {"alice": "pw-alice-live", "bob": "pw-bob-live", "admin": "pw-admin-live"}

_SEED = f"""
import json
from catalog.choices import Role
from catalog.identity import services
from catalog.identity.models import Project
a = Project.objects.create(name="project-a")
b = Project.objects.create(name="project-b")
adm = Project.objects.create(name="admin")
cast = [("alice", a, Role.MEMBER, False), ("bob", b, Role.MEMBER, False),
        ("admin", adm, Role.ADMIN, True)]
tokens = {{}}
for name, project, role, superuser in cast:
    user, _ = services.ensure_user(name, {PASSWORDS!r}[name], is_superuser=superuser,
                                   is_staff=superuser)
    services.assign_role(user, project, role)
    tokens[name] = services.issue_token(user, project, ttl=86400)[0]
from catalog.services.quotas import set_project_quota
set_project_quota(a.id, image_size_total=400, image_count_total=25)
print(json.dumps({{"tokens": tokens, "projects": {{"a": a.id, "b": b.id}}}}))
"""


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (make install-test installs the test extra)")
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing at /usr/bin/chromium (.ci/system-packages)")
    return sync_playwright


class CatalogServer(LiveServer):
    """The live server with the cast of the UI tests, static files and an import worker."""

    def seed(self) -> str:
        self._manage("collectstatic", "--noinput", "-v", "0")
        seeded = json.loads(self._manage("shell", "-c", _SEED).strip().splitlines()[-1])
        self.tokens, self.projects = seeded["tokens"], seeded["projects"]
        return self.tokens["alice"]

    def start(self):
        super().start()
        self.worker_log = open(self.workdir / "worker.log", "wb")
        self.worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.3"],
            cwd=ROOT,
            env=self.env,
            stdout=self.worker_log,
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self):
        worker = getattr(self, "worker", None)
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=15)
        super().stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, persona: str, method: str, path: str, body=None) -> tuple[int, dict]:
        """One API call as ``persona``: (status, JSON body or {})."""
        headers = {"X-Auth-Token": self.tokens[persona]}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        return response.status, (json.loads(data) if data.strip() else {})

    def upload(self, persona: str, image_id: str, data: bytes = b"\0" * 512) -> None:
        """Give an image its data (it becomes active)."""
        headers = {"X-Auth-Token": self.tokens[persona]}
        headers["Content-Type"] = "application/octet-stream"
        conn = self.connection()
        try:
            conn.request("PUT", f"/v2/images/{image_id}/file", body=data, headers=headers)
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        assert response.status == 204, response.status


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    _playwright()
    if not gunicorn_available():
        pytest.skip("gunicorn is not installed in this environment (make install-test)")
    env = {"CATALOG_IMPORT_ALLOWED_HOSTS": "127.0.0.1", "CATALOG_IMPORT_ALLOWED_PORTS": ""}
    server = CatalogServer(tmp_path_factory.mktemp("browser"), threads=8, extra_env=env)
    with server:
        yield server


@pytest.fixture(scope="module")
def chromium():
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class Session:
    """One persona's browser context (its own cookies), logged in through the form."""

    def __init__(self, browser, live: CatalogServer, artifacts: Path, persona: str):
        self.live, self.artifacts, self.persona = live, artifacts, persona
        self.context = browser.new_context(
            base_url=live.url, viewport={"width": 1280, "height": 900}
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        # Browsers ask every site for /favicon.ico; the Django admin's pages name no icon.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(message.text)

    def login(self, path="/catalog/login/"):
        self.page.goto(path)
        self.page.fill("#id_username", self.persona)
        self.page.fill("#id_password", PASSWORDS[self.persona])
        self.page.click("button[type=submit], input[type=submit]")
        self.page.wait_for_load_state()
        return self

    def shot(self, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def sessions(chromium, live, artifacts):
    opened: dict[str, Session] = {}

    def open_session(persona: str) -> Session:
        if persona not in opened:
            opened[persona] = Session(chromium, live, artifacts, persona).login(
                "/admin/login/?next=/admin/" if persona == "admin" else "/catalog/login/"
            )
        return opened[persona]

    yield open_session
    for session in opened.values():
        session.close()


@pytest.fixture(scope="session")
def big_file(tmp_path_factory) -> Path:
    """50 MiB of incompressible data, written in chunks."""
    from tests.livesrv import random_chunks

    path = tmp_path_factory.mktemp("upload") / "disk.raw"
    with open(path, "wb") as out:
        for chunk in random_chunks(50 * 1024 * 1024):
            out.write(chunk)
    return path
