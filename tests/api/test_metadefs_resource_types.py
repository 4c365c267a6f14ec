"""/v2/metadefs/resource_types and /v2/metadefs/namespaces/{ns}/resource_types."""

import pytest

from tests.conftest import assert_status, make_persona

NS = "/v2/metadefs/namespaces"
RT = "/v2/metadefs/resource_types"
ASSOC = f"{NS}/rt/resource_types"


@pytest.fixture
def rt_ns(admin, project_a):
    assert_status(admin.post(NS, {"namespace": "rt", "owner": project_a.id}), 201)


def test_associate_creates_type_which_outlives_association(admin, rt_ns):
    assert admin.get(RT).json() == {"resource_types": []}
    body = {"name": "OS::Nova::Server", "prefix": "hw_", "properties_target": "scheduler_hints"}
    created = assert_status(admin.post(ASSOC, body), 201).json()
    assert {k: created[k] for k in body} == body and "created_at" in created
    assert_status(admin.post(ASSOC, {"name": "OS::New::Type"}), 201)
    names = [t["name"] for t in admin.get(RT).json()["resource_types"]]
    assert names == ["OS::Nova::Server", "OS::New::Type"]
    assert all("updated_at" in t for t in admin.get(RT).json()["resource_types"])
    listed = admin.get(ASSOC).json()["resource_type_associations"]
    assert [a["name"] for a in listed] == ["OS::Nova::Server", "OS::New::Type"]
    assert "prefix" not in listed[1]
    message = assert_status(admin.post(ASSOC, {"name": "OS::New::Type"}), 409).json()
    assert message["error"]["message"] == (
        "The metadata definition resource-type association of resource-type=OS::New::Type "
        "to namespace=rt already exists."
    )
    assert_status(admin.delete(f"{ASSOC}/OS::New::Type"), 204)
    missing = assert_status(admin.delete(f"{ASSOC}/OS::New::Type"), 404).json()
    assert missing["error"]["message"] == "Failed to find resource type OS::New::Type to delete"
    assert "OS::New::Type" in [t["name"] for t in admin.get(RT).json()["resource_types"]]
    shown = admin.get(NS, resource_types="OS::Nova::Server").json()["namespaces"]
    assert [n["namespace"] for n in shown] == ["rt"]


@pytest.mark.parametrize(
    "body, status",
    [
        ({"prefix": "x"}, 400),
        ({"name": "A", "bogus": 1}, 400),
        ({"name": "A", "created_at": "x"}, 403),
        ({"name": ""}, 400),
        ({"name": "n" * 81}, 400),
    ],
)
def test_associate_errors(admin, rt_ns, body, status):
    assert_status(admin.post(ASSOC, body), status)


def test_protected_namespace_keeps_associations(admin):
    body = {
        "namespace": "locked",
        "protected": True,
        "resource_type_associations": [{"name": "OS::Glance::Image"}],
    }
    assert_status(admin.post(NS, body), 201)
    message = assert_status(admin.delete(f"{NS}/locked/resource_types/OS::Glance::Image"), 403)
    assert message.json()["error"]["message"] == (
        "Metadata definition resource-type-association OS::Glance::Image is protected and "
        "cannot be deleted."
    )


def test_personas(admin, alice, carol, bob, rt_ns, project_a):
    assert_status(admin.post(ASSOC, {"name": "OS::Glance::Image"}), 201)
    for caller in (alice, carol, bob):
        # The global list shows every type, whatever the namespaces' visibility.
        assert len(assert_status(caller.get(RT), 200).json()["resource_types"]) == 1
    for caller in (alice, carol):
        assert_status(caller.get(ASSOC), 200)
        message = assert_status(caller.post(ASSOC, {"name": "X"}), 403).json()
        assert message["error"]["message"] == (
            "You are not authorized to complete add_metadef_resource_type_association action."
        )
        assert_status(caller.delete(f"{ASSOC}/OS::Glance::Image"), 403)
    for response in (
        bob.get(ASSOC),
        bob.post(ASSOC, {"name": "X"}),
        bob.delete(f"{ASSOC}/OS::Glance::Image"),
    ):
        assert_status(response, 404)
        assert response.json()["error"]["message"] == "Namespace rt not found"
    # a caller without reader is refused the list (Glance: 404).
    nobody = make_persona("norole", project_a, "foo")
    assert_status(nobody.get(RT), 403)
    assert_status(nobody.get(ASSOC), 404)


def test_methods(admin, rt_ns, anonymous):
    assert assert_status(admin.put(RT, {}), 405)["Allow"] == "GET"
    assert_status(admin.post(ASSOC, {"name": "A"}), 201)
    assert assert_status(admin.get(f"{ASSOC}/A"), 405)["Allow"] == "DELETE"
    assert_status(anonymous.get(RT), 401)
