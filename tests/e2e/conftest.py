"""Live servers for the e2e tests.

``gunicorn_server``: one Vitrine with a token, for the data-path tests.

``deployment``: live deployments for the real OpenStack clients, in both identity modes:

- ``standalone``: one Vitrine (gunicorn on a free loopback port, its own database and store)
  that is also the identity service (/identity/v3);
- ``keystone``: the Vitrine under test in external Keystone mode, plus a second, standalone
  Vitrine acting as the cloud's Keystone (a real v3 token API) whose catalog names the first.

Each deployment writes a ``clouds.yaml`` with one cloud per persona; the clients use only it.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from catalog.identity import clouds_yaml
from tests.livesrv import LiveServer, gunicorn_available

from .clients import CAPABILITIES, DRIVERS

CLIENT_MODULES = ("openstack", "openstackclient", "glanceclient", "keystoneauth1")


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory):
    """Vitrine under gunicorn (gthread worker) on a free loopback port."""
    if not gunicorn_available():
        pytest.skip("gunicorn is not installed in this environment (make install-test)")
    server = LiveServer(tmp_path_factory.mktemp("live"))
    with server:
        yield server


def require_clients() -> None:
    if not gunicorn_available():
        pytest.skip("gunicorn is not installed in this environment (make install-test)")
    for module in CLIENT_MODULES:
        pytest.importorskip(module, reason="the OpenStack clients come with the test extra")


PEOPLE = [
    ("alice", "pw-alice", "project-a", "member"),
    ("carol", "pw-carol", "project-a", "reader"),
    ("bob", "pw-bob", "project-b", "member"),
]
SERVICE_ACCOUNT = ("vitrine", "service-secret", "service", "admin")


@dataclass
class Deployment:
    mode: str
    images: LiveServer  # the Vitrine under test
    identity: LiveServer  # the server that issues tokens (the same one when standalone)
    clouds_yaml: Path
    _capabilities: dict = field(default_factory=dict)

    _tokens: dict = field(default_factory=dict)

    def token(self, name: str) -> str:
        if name not in self._tokens:
            user, password, project, _ = next(p for p in PEOPLE if p[0] == name)
            self._tokens[name] = self.identity.password_token(user, password, project)
        return self._tokens[name]

    def project_id(self, name: str) -> str:
        return self.identity.projects[name]

    def http(self, method: str, path: str, token: str, body=None, data: bytes | None = None):
        """A plain HTTP call to the image API: the oracle the clients are checked against.
        ``body`` is sent as JSON, ``data`` as application/octet-stream."""
        request = urllib.request.Request(
            f"{self.images.url}{path}",
            data=data
            if data is not None
            else json.dumps(body).encode()
            if body is not None
            else None,
            method=method,
            headers={
                "X-Auth-Token": token,
                "Content-Type": "application/octet-stream" if data else "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                raw = answer.read()
                return answer.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as refusal:
            return refusal.code, json.loads(refusal.read() or b"null")

    def has(self, capability: str) -> bool:
        if capability not in self._capabilities:
            method, path, _, missing = CAPABILITIES[capability]
            status, _ = self.http(method, path, self.token("alice"))
            self._capabilities[capability] = status not in missing
        return self._capabilities[capability]


def write_clouds_yaml(path: Path, auth_url: str, **options) -> Path:
    clouds = {
        name: {"auth_url": auth_url, "username": name, "password": password, "project": project}
        for name, password, project, _ in PEOPLE
    }
    path.write_text(clouds_yaml.render(clouds, **options))
    return path


def start(server: LiveServer, started: list, people=()) -> LiveServer:
    """Start ``server`` and note it in ``started``, so that a failure stops the others."""
    try:
        server.start()
    except BaseException:
        for other in started:
            other.stop()
        raise
    started.append(server)
    if people:
        server.add_people(people)
    return server


def standalone(workdir: Path) -> tuple[Deployment, list[LiveServer]]:
    require_clients()
    started: list[LiveServer] = []
    server = start(LiveServer(workdir / "vitrine"), started, PEOPLE)
    clouds = write_clouds_yaml(workdir / "clouds.yaml", f"{server.url}/identity/v3")
    return Deployment("standalone", server, server, clouds), started


def behind_keystone(workdir: Path, **images_env) -> tuple[Deployment, list[LiveServer]]:
    require_clients()
    keystone = LiveServer(workdir / "keystone")
    images = LiveServer(
        workdir / "vitrine",
        extra_env={
            "CATALOG_KEYSTONE_URL": f"{keystone.url}/identity/v3",
            "CATALOG_KEYSTONE_USERNAME": SERVICE_ACCOUNT[0],
            "CATALOG_KEYSTONE_PASSWORD": SERVICE_ACCOUNT[1],
            "CATALOG_KEYSTONE_PROJECT": SERVICE_ACCOUNT[2],
            **images_env,
        },
    )
    # The stand-in Keystone's catalog names the Vitrine under test as the image service.
    keystone.env["CATALOG_IDENTITY_IMAGE_ENDPOINT"] = images.url
    started: list[LiveServer] = []
    start(keystone, started, [SERVICE_ACCOUNT, *PEOPLE])
    start(images, started)
    clouds = write_clouds_yaml(workdir / "clouds.yaml", f"{keystone.url}/identity/v3")
    return Deployment("keystone", images, keystone, clouds), started


@pytest.fixture(scope="session", params=["standalone", "keystone"])
def deployment(request, tmp_path_factory):
    build = standalone if request.param == "standalone" else behind_keystone
    deployed, servers = build(tmp_path_factory.mktemp(f"e2e-{request.param}"))
    try:
        yield deployed
    finally:
        for server in servers:
            server.stop()


def client_for(deployment: Deployment, driver_name: str, persona: str):
    return DRIVERS[driver_name](deployment.clouds_yaml, persona, deployment.has)


@pytest.fixture(params=sorted(DRIVERS))
def driver_name(request):
    return request.param


@pytest.fixture
def alice(deployment, driver_name):
    return client_for(deployment, driver_name, "alice")


@pytest.fixture
def carol(deployment, driver_name):
    return client_for(deployment, driver_name, "carol")


@pytest.fixture
def bob(deployment, driver_name):
    return client_for(deployment, driver_name, "bob")
