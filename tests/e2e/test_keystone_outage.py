"""Keystone goes away while a client holds a token: the client shows Vitrine's 503 message,
and the call is never served as anonymous."""

import pytest

from .clients import OpenStackSDK, Refused
from .conftest import behind_keystone, write_clouds_yaml


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    # No validation cache, so that every call asks Keystone.
    deployed, servers = behind_keystone(
        tmp_path_factory.mktemp("outage"), CATALOG_KEYSTONE_CACHE_TTL="0"
    )
    try:
        yield deployed
    finally:
        for server in servers:
            server.stop()


def test_unreachable_keystone_is_a_clear_503(deployment):
    # The SDK retries a 503 after its Retry-After; once is enough to see the message.
    clouds = write_clouds_yaml(
        deployment.clouds_yaml.with_name("no-retries.yaml"),
        f"{deployment.identity.url}/identity/v3",
        image_status_code_retries=0,
    )
    sdk = OpenStackSDK(clouds, "alice", deployment.has)
    sdk.list()  # authenticated: the SDK now holds a token and the image endpoint
    token = deployment.token("alice")
    deployment.identity.stop()

    status, body = deployment.http("GET", "/v2/images", token)
    assert status == 503
    assert "cannot be reached" in body["error"]["message"]
    with pytest.raises(Refused) as refused:
        sdk.list()
    assert "The identity service (Keystone at" in str(refused.value)
