"""The OpenStack clients' location and cache commands against a live Vitrine with the http
store, location management and the image cache on: ``glance add-location`` (the new API,
hashed by the worker), ``glance location-add`` (the legacy PATCH), ``openstack image show``
with locations, and ``openstack cached image queue/list/delete``."""

import hashlib
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from catalog.identity import clouds_yaml
from tests.imports.conftest import LOCATION_DATA as DATA
from tests.imports.conftest import RangeServer
from tests.livesrv import LiveServer

from .clients import OpenStackCLI, flatten_properties
from .conftest import require_clients

PEOPLE = [("alice", "pw-alice", "project-a", "member"), ("cacheadmin", "pw-ca", "ops", "admin")]
GLANCE = Path(sys.executable).with_name("glance")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_clients()
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeServer)
    web.files = {"/small.img": DATA, "/other.img": DATA}
    web.gets = 0
    threading.Thread(target=web.serve_forever, daemon=True).start()
    workdir = tmp_path_factory.mktemp("loc-cache")
    server = LiveServer(
        workdir,
        extra_env={
            "CATALOG_HTTP_STORE": "true",
            "CATALOG_SHOW_MULTIPLE_LOCATIONS": "true",
            "CATALOG_SHOW_IMAGE_DIRECT_URL": "true",
            "CATALOG_IMAGE_CACHE_DIR": str(workdir / "cache"),
            "CATALOG_NODE_URL": "http://node-e2e.test",
            "CATALOG_IMPORT_ALLOWED_HOSTS": "127.0.0.1",
            "CATALOG_IMPORT_ALLOWED_PORTS": str(web.server_address[1]),
        },
    )
    server.start()
    try:
        server.add_people(PEOPLE)
        clouds = {
            name: {
                "auth_url": f"{server.url}/identity/v3",
                "username": name,
                "password": password,
                "project": project,
            }
            for name, password, project, _ in PEOPLE
        }
        path = workdir / "clouds.yaml"
        path.write_text(clouds_yaml.render(clouds))
        yield server, path, f"http://127.0.0.1:{web.server_address[1]}"
    finally:
        server.stop()
        web.shutdown()


def glance(server: LiveServer, user: str, *args: str) -> str:
    name, password, project, _ = next(p for p in PEOPLE if p[0] == user)
    env = {
        **os.environ,
        "OS_AUTH_URL": f"{server.url}/identity/v3",
        "OS_USERNAME": name,
        "OS_PASSWORD": password,
        "OS_PROJECT_NAME": project,
        "OS_USER_DOMAIN_ID": "default",
        "OS_PROJECT_DOMAIN_ID": "default",
        "OS_IMAGE_API_VERSION": "2",
    }
    result = subprocess.run(
        [str(GLANCE), *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr or result.stdout
    return result.stdout


def run_worker(server: LiveServer) -> None:
    server.manage("run_worker", "--batch", "-v", "0")


def test_add_location_then_show_and_cache_commands(site):
    server, clouds, web = site
    alice = OpenStackCLI(clouds, "alice", lambda capability: True)
    admin = OpenStackCLI(clouds, "cacheadmin", lambda capability: True)
    image = alice.run(
        "image", "create", "--disk-format", "raw", "--container-format", "bare", "by-url"
    )
    glance(server, "alice", "add-location", "--url", f"{web}/small.img", image["id"])
    run_worker(server)
    shown = flatten_properties(alice.run("image", "show", image["id"]))
    assert shown["status"] == "active"
    assert shown["checksum"] == hashlib.md5(DATA).hexdigest()
    assert shown["direct_url"] == f"{web}/small.img"
    assert f"{web}/small.img" in str(shown["locations"])

    admin.run("cached", "image", "queue", image["id"], json_output=False)
    run_worker(server)
    cached = admin.run("cached", "image", "list")
    assert image["id"] in str(cached)
    alice.run(
        "image", "save", "--file", str(server.workdir / "saved"), image["id"], json_output=False
    )
    assert (server.workdir / "saved").read_bytes() == DATA
    admin.run("cached", "image", "delete", image["id"], json_output=False)
    assert image["id"] not in str(admin.run("cached", "image", "list"))
    nodes = glance(server, "cacheadmin", "cache-nodes-list", image["id"])
    assert "node-e2e" not in nodes


def test_legacy_location_add(site):
    server, clouds, web = site
    alice = OpenStackCLI(clouds, "alice", lambda capability: True)
    image = alice.run(
        "image", "create", "--disk-format", "raw", "--container-format", "bare", "legacy"
    )
    glance(server, "alice", "location-add", "--url", f"{web}/other.img", image["id"])
    shown = flatten_properties(alice.run("image", "show", image["id"]))
    assert shown["status"] == "active" and shown["size"] == len(DATA)
    assert f"{web}/other.img" in str(shown["locations"])
