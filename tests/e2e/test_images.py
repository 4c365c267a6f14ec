"""The image record operations through each real client, in both identity modes.

Every test runs once per client (openstack CLI, openstacksdk, glanceclient) and per
deployment (standalone identity, external Keystone). Results are checked against the server
over plain HTTP, not against the client that produced them.
"""

import uuid

import pytest

from .clients import Refused


def created_over_http(deployment, name: str) -> dict:
    status, image = deployment.http(
        "POST",
        "/v2/images",
        deployment.token("alice"),
        {"name": name, "disk_format": "raw", "container_format": "bare"},
    )
    assert status == 201, image
    return image


def test_version_discovery_finds_this_server(deployment, alice):
    versions = alice.versions()
    current = [v for v in versions if v["status"] == "CURRENT"]
    assert [v["id"] for v in current] == ["v2.17"]
    assert current[0]["url"].rstrip("/") == f"{deployment.images.url}/v2"


def test_create_with_properties(deployment, alice):
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    image = alice.create(
        name, {"os_distro": "cirros"}, disk_format="qcow2", container_format="bare"
    )
    assert image["name"] == name and image["status"] == "queued"
    status, stored = deployment.http("GET", f"/v2/images/{image['id']}", deployment.token("alice"))
    assert status == 200
    assert stored["os_distro"] == "cirros" and stored["disk_format"] == "qcow2"
    assert stored["owner"] == image["owner"] == deployment.identity.projects["project-a"]


def test_show(deployment, alice):
    expected = created_over_http(deployment, "shown")
    image = alice.show(expected["id"])
    assert (image["id"], image["name"], image["container_format"]) == (
        expected["id"],
        "shown",
        "bare",
    )


def test_list_includes_the_projects_images(deployment, alice):
    expected = created_over_http(deployment, "listed")
    listed = {image["id"]: image for image in alice.list()}
    assert listed[expected["id"]]["name"] == "listed"


def test_delete(deployment, alice):
    image = created_over_http(deployment, "deleted")
    alice.delete(image["id"])
    status, _ = deployment.http("GET", f"/v2/images/{image['id']}", deployment.token("alice"))
    assert status == 404


def test_showing_a_missing_image_shows_the_servers_message(alice):
    missing = str(uuid.uuid4())
    with pytest.raises(Refused) as refused:
        alice.show(missing)
    message = str(refused.value)
    assert missing in message
    if alice.name != "openstack-cli":
        # The CLI looks the name up in the list after the 404 and words its own message.
        assert f"No image found with ID {missing}" in message


def test_deleting_a_missing_image_is_refused(alice):
    # The clients word this one themselves: they look the image up first, or catch the 404
    # (python-openstackclient 10 even says "Multi Backend support not enabled.").
    with pytest.raises(Refused):
        alice.delete(str(uuid.uuid4()))


def test_refused_create_shows_the_servers_message(carol):
    with pytest.raises(Refused) as refused:
        carol.create("not-for-readers", disk_format="raw", container_format="bare")
    assert "You are not authorized to complete add_image action." in str(refused.value)
