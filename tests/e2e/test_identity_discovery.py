"""Clients configured with the unversioned identity URL find v3 by discovery."""

from .clients import DRIVERS
from .conftest import write_clouds_yaml


def test_unversioned_auth_url_is_discovered(deployment, driver_name, tmp_path):
    clouds = write_clouds_yaml(tmp_path / "clouds.yaml", f"{deployment.identity.url}/identity")
    client = DRIVERS[driver_name](clouds, "alice", deployment.has)
    current = [v for v in client.versions() if v["status"] == "CURRENT"]
    assert current[0]["url"].rstrip("/") == f"{deployment.images.url}/v2"
