"""The openstack CLI's `image metadef` commands against a live server, in both identity
modes. Writes are admin-only: an admin of its own project is added for this module."""

import json
import uuid

import pytest

from catalog.identity import clouds_yaml

from .clients import OpenStackCLI, Refused

ADMIN = ("metadmin", "pw-metadmin", "metadmin-project", "admin")


@pytest.fixture
def cli(deployment, tmp_path):
    """The CLI as an admin, and as alice (member of project-a)."""
    deployment.identity.add_people([ADMIN])
    clouds = {
        name: {
            "auth_url": f"{deployment.identity.url}/identity/v3",
            "username": name,
            "password": password,
            "project": project,
        }
        for name, password, project in (ADMIN[:3], ("alice", "pw-alice", "project-a"))
    }
    path = tmp_path / "clouds.yaml"
    path.write_text(clouds_yaml.render(clouds))
    return {name: OpenStackCLI(path, name, deployment.has) for name in clouds}


def test_namespace_property_object_and_resource_type_commands(deployment, cli):
    admin, alice = cli["metadmin"], cli["alice"]
    name = f"E2E::{uuid.uuid4().hex[:8]}"
    created = admin.run(
        "image", "metadef", "namespace", "create", name, "--public", "--description", "e2e"
    )
    assert created["namespace"] == name
    assert name in [row["namespace"] for row in admin.run("image", "metadef", "namespace", "list")]
    shown = admin.run("image", "metadef", "namespace", "show", name)
    assert shown["visibility"] == "public" and shown["description"] == "e2e"

    schema = json.dumps({"enum": ["virtio", "scsi"], "description": "How disks attach."})
    admin.run(
        "image",
        "metadef",
        "property",
        "create",
        "--name",
        "disk_bus",
        "--title",
        "Disk bus",
        "--type",
        "string",
        "--schema",
        schema,
        name,
    )
    properties = admin.run("image", "metadef", "property", "list", name)
    assert [p["name"] for p in properties] == ["disk_bus"]
    prop = admin.run("image", "metadef", "property", "show", name, "disk_bus")
    assert prop["name"] == "disk_bus"

    admin.run("image", "metadef", "object", "create", "--namespace", name, "Settings")
    objects = admin.run("image", "metadef", "object", "list", name)
    assert [o["name"] for o in objects] == ["Settings"]
    assert admin.run("image", "metadef", "object", "show", name, "Settings")["name"] == "Settings"

    status, _ = deployment.http(
        "POST",
        f"/v2/metadefs/namespaces/{name}/resource_types",
        deployment.identity.password_token(*ADMIN[0:2], ADMIN[2]),
        {"name": "OS::Glance::Image", "prefix": "hw_"},
    )
    assert status == 201
    types = admin.run("image", "metadef", "resource", "type", "list")
    assert "OS::Glance::Image" in [t["Name"] if "Name" in t else t["name"] for t in types]

    # A member reads public namespaces but may not write.
    assert name in [row["namespace"] for row in alice.run("image", "metadef", "namespace", "list")]
    with pytest.raises(Refused):
        alice.run("image", "metadef", "namespace", "delete", name, json_output=False)

    admin.run("image", "metadef", "namespace", "delete", name, json_output=False)
    status, _ = deployment.http("GET", f"/v2/metadefs/namespaces/{name}", deployment.token("alice"))
    assert status == 404
