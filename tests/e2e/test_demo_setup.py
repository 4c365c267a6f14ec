"""The README's promise: after `make run`, `openstack --os-cloud vitrine image list` works
with the clouds.yaml that the demo set-up writes."""

import pytest

from tests.livesrv import LiveServer

from .clients import OpenStackCLI
from .conftest import require_clients


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    require_clients()
    with LiveServer(tmp_path_factory.mktemp("demo")) as server:
        yield server


def test_demo_clouds_yaml_works_with_the_cli(demo_server):
    output = demo_server.manage("ensure_demo", "--url", demo_server.url)
    clouds_yaml = demo_server.workdir / "clouds.yaml"  # the server's CATALOG_VAR_DIR
    assert f"OS_CLIENT_CONFIG_FILE={clouds_yaml}" in output
    assert clouds_yaml.stat().st_mode & 0o077 == 0  # it holds the admin's password
    cli = OpenStackCLI(clouds_yaml, "vitrine", lambda capability: True)
    created = cli.create("demo-image", disk_format="raw", container_format="bare")
    assert created["id"] in {image["id"] for image in cli.list()}
    # A second run keeps the admin and the file.
    assert "An admin exists already" in demo_server.manage("ensure_demo", "--url", demo_server.url)
    assert clouds_yaml.exists()
