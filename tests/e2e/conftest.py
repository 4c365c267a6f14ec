"""Live deployments for the real clients, in both identity modes:

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

for module in ("openstack", "openstackclient", "glanceclient", "keystoneauth1"):
    pytest.importorskip(module, reason="the OpenStack clients come with the test extra (make test)")

from catalog.identity import clouds_yaml  # noqa: E402
from tests.live import LiveServer  # noqa: E402

from .clients import DRIVERS  # noqa: E402

PEOPLE = [
    ("alice", "pw-alice", "project-a", "member"),
    ("carol", "pw-carol", "project-a", "reader"),
    ("bob", "pw-bob", "project-b", "member"),
]
SERVICE_ACCOUNT = ("vitrine", "service-secret", "service", "admin")

# Routes some client calls need that the server may not serve yet (they come with other
# issues): name -> (method, path, the issue that adds it). A probe that answers 404 or 405
# means "not served", and the calls that need it skip with that reason.
CAPABILITIES = {
    "image-schema": ("GET", "/v2/schemas/image", "issue 3"),
}


@dataclass
class Deployment:
    mode: str
    images: LiveServer  # the Vitrine under test
    identity: LiveServer  # the server that issues tokens (the same one when standalone)
    clouds_yaml: Path
    _capabilities: dict = field(default_factory=dict)

    def token(self, name: str) -> str:
        user, password, project, _ = next(p for p in PEOPLE if p[0] == name)
        return self.identity.password_token(user, password, project)

    def http(self, method: str, path: str, token: str, body=None):
        """A plain HTTP call to the image API: the oracle the clients are checked against."""
        request = urllib.request.Request(
            f"{self.images.url}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"X-Auth-Token": token, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                raw = answer.read()
                return answer.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as refusal:
            return refusal.code, json.loads(refusal.read() or b"null")

    def has(self, capability: str) -> bool:
        if capability not in self._capabilities:
            method, path, _ = CAPABILITIES[capability]
            status, _ = self.http(method, path, self.token("alice"))
            self._capabilities[capability] = status not in (404, 405)
        return self._capabilities[capability]


def write_clouds_yaml(path: Path, auth_url: str, **options) -> Path:
    clouds = {
        name: {"auth_url": auth_url, "username": name, "password": password, "project": project}
        for name, password, project, _ in PEOPLE
    }
    path.write_text(clouds_yaml.render(clouds, **options))
    return path


def standalone(workdir: Path) -> tuple[Deployment, list[LiveServer]]:
    server = LiveServer(workdir, "vitrine").start(people=PEOPLE)
    clouds = write_clouds_yaml(workdir / "clouds.yaml", f"{server.url}/identity/v3")
    return Deployment("standalone", server, server, clouds), [server]


def behind_keystone(workdir: Path, **images_env) -> tuple[Deployment, list[LiveServer]]:
    images = LiveServer(workdir, "vitrine", env=images_env)
    keystone = LiveServer(workdir, "keystone", env={"CATALOG_IDENTITY_IMAGE_ENDPOINT": images.url})
    images.env.update(
        CATALOG_KEYSTONE_URL=f"{keystone.url}/identity/v3",
        CATALOG_KEYSTONE_USERNAME=SERVICE_ACCOUNT[0],
        CATALOG_KEYSTONE_PASSWORD=SERVICE_ACCOUNT[1],
        CATALOG_KEYSTONE_PROJECT=SERVICE_ACCOUNT[2],
    )
    started = []
    try:
        started.append(keystone.start(people=[SERVICE_ACCOUNT, *PEOPLE]))
        started.append(images.start())
    except BaseException:
        for server in started:
            server.stop()
        raise
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
