"""/v2/metadefs/namespaces/{ns}/properties: definitions validated, typed, per persona."""

import pytest

from tests.conftest import assert_status

NS = "/v2/metadefs/namespaces"
PROPS = f"{NS}/props/properties"


@pytest.fixture
def props_ns(admin, project_a):
    body = {
        "namespace": "props",
        "owner": project_a.id,
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
    }
    assert_status(admin.post(NS, body), 201)


def create(admin, **body):
    return admin.post(PROPS, body)


def test_create_returns_keys_in_wire_order(admin, props_ns):
    body = {"name": "p", "title": "P", "type": "string", "enum": ["a"], "description": "d"}
    created = assert_status(admin.post(PROPS, body), 201)
    assert created.content.startswith(b'{"name": "p", "type": "string", "title": "P"')
    assert created.json() == {
        "name": "p",
        "type": "string",
        "title": "P",
        "description": "d",
        "enum": ["a"],
    }
    response = assert_status(admin.post(PROPS, body), 409)
    assert response.json()["error"]["message"] == (
        "A metadata definition property with name=p already exists in namespace=props."
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "type": "string"},  # no title
        {"name": "x", "title": "X"},  # no type
        {"title": "X", "type": "string"},  # no name
        {"name": "x", "title": "X", "type": "date"},
        {"name": "x", "title": "X", "type": None},
        {"name": "x" * 81, "title": "X", "type": "string"},
        {"name": "x", "title": "X", "type": "string", "maxLength": -1},
        {"name": "x", "title": "X", "type": "string", "foo": 1},
        {"name": "x", "title": "X", "type": "string", "confidential": True},  # copied
        # Glance's 500s and silent acceptances, refused with the rule named:
        {"name": "x", "title": "X", "type": "array", "items": {"enum": ["a"]}},
        {"name": "x", "title": "X", "type": "string", "enum": [1, 2]},
        {"name": "x", "title": "X", "type": "integer", "minimum": 5, "maximum": 1},
        {"name": "x", "title": "X", "type": "string", "pattern": "(["},
        {"name": "x", "title": "X", "type": "boolean", "default": "yes"},
        {"name": "", "title": "X", "type": "string"},
    ],
)
def test_bad_definitions_are_400(admin, props_ns, body):
    assert_status(admin.post(PROPS, body), 400)
    assert admin.get(PROPS).json() == {"properties": {}}


def test_bad_definition_message_names_the_field(admin, props_ns):
    body = {"name": "x", "title": "X", "type": "integer", "minimum": 5, "maximum": 1}
    message = assert_status(admin.post(PROPS, body), 400).json()["error"]["message"]
    assert "'minimum'" in message and "'maximum'" in message
    body = {"name": "x", "title": "X", "type": "string", "foo": 1}
    message = assert_status(admin.post(PROPS, body), 400).json()["error"]["message"]
    assert message.startswith("Provided object does not match schema 'property'")
    assert "foo" in message


def test_values_are_stored_as_given(admin, props_ns):
    # Glance truncates 1.5 to 1 and returns defaults as strings ("False").
    assert create(admin, name="n", title="N", type="number", minimum=1.5).json()["minimum"] == 1.5
    assert create(admin, name="i", title="I", type="integer", default=5).json()["default"] == 5
    assert (
        create(admin, name="b", title="B", type="boolean", default=False).json()["default"] is False
    )
    # An integer enum is what the published schema allows: stored typed, not refused.
    assert create(admin, name="e", title="E", type="integer", enum=[1, 2]).json()["enum"] == [1, 2]
    body = admin.get(f"{PROPS}/n").json()
    assert body == {"name": "n", "type": "number", "title": "N", "minimum": 1.5}


def test_every_type_and_keyword(admin, props_ns):
    body = {
        "name": "arr",
        "title": "A",
        "type": "array",
        "items": {"type": "string", "enum": ["x"]},
        "uniqueItems": True,
        "minItems": 1,
        "maxItems": 2,
        "additionalItems": False,
        "readonly": True,
        "operators": ["<or>"],
        "description": "d",
    }
    assert assert_status(admin.post(PROPS, body), 201).json() == {
        "name": "arr",
        "type": "array",
        "title": "A",
        "description": "d",
        "operators": ["<or>"],
        "readonly": True,
        "items": {"type": "string", "enum": ["x"]},
        "uniqueItems": True,
        "minItems": 1,
        "maxItems": 2,
        "additionalItems": False,
    }
    for kind in ("object", "boolean", "integer", "number", "string"):
        assert_status(create(admin, name=kind, title=kind, type=kind), 201)
    listed = admin.get(PROPS).json()["properties"]
    assert list(listed) == sorted(listed)
    assert listed["object"] == {"name": "object", "type": "object", "title": "object"}


def test_show_through_resource_type_prefix(admin, props_ns):
    assert_status(create(admin, name="x", title="X", type="string"), 201)
    body = assert_status(admin.get(f"{PROPS}/hw_x", resource_type="OS::Glance::Image"), 200)
    assert body.json()["name"] == "x"
    message = assert_status(admin.get(f"{PROPS}/x", resource_type="OS::Glance::Image"), 404)
    assert message.json()["error"]["message"] == (
        "Property x does not start with the expected resource type association prefix of 'hw_'."
    )
    # say what is wrong, not that the type does not exist.
    other = assert_status(admin.get(f"{PROPS}/x", resource_type="OS::Nova::Flavor"), 404).json()
    assert "not associated" in other["error"]["message"]
    missing = assert_status(admin.get(f"{PROPS}/nope"), 404).json()
    assert missing["error"]["message"] == "Could not find property nope"


def test_update_replaces_and_renames(admin, props_ns):
    assert_status(
        create(admin, name="p", title="P", type="string", default="a", description="d"), 201
    )
    body = {"name": "p", "title": "P2", "type": "string", "enum": ["r", "g"]}
    updated = assert_status(admin.put(f"{PROPS}/p", body), 200).json()
    assert updated == {"name": "p", "type": "string", "title": "P2", "enum": ["r", "g"]}
    renamed = assert_status(
        admin.put(f"{PROPS}/p", {"name": "q", "title": "Q", "type": "string"}), 200
    )
    assert renamed.json()["name"] == "q"
    assert_status(admin.get(f"{PROPS}/p"), 404)
    assert_status(create(admin, name="r", title="R", type="string"), 201)
    # Glance answers 500 to a rename onto an existing property.
    assert_status(admin.put(f"{PROPS}/q", {"name": "r", "title": "R", "type": "string"}), 409)
    assert_status(admin.put(f"{PROPS}/q", {"title": "R", "type": "string"}), 400)
    assert_status(admin.put(f"{PROPS}/nope", {"name": "nope", "title": "R", "type": "string"}), 404)


def test_delete_one_and_all(admin, props_ns):
    for name in ("a", "b", "c"):
        assert_status(create(admin, name=name, title=name, type="string"), 201)
    assert_status(admin.delete(f"{PROPS}/a"), 204)
    assert_status(admin.delete(f"{PROPS}/a"), 404)
    assert_status(admin.delete(PROPS), 204)
    assert admin.get(PROPS).json() == {"properties": {}}


def test_protected_namespace_refuses_deletes(admin):
    body = {
        "namespace": "locked",
        "protected": True,
        "properties": {"p": {"title": "P", "type": "string"}},
    }
    assert_status(admin.post(NS, body), 201)
    message = assert_status(admin.delete(f"{NS}/locked/properties/p"), 403).json()
    assert message["error"]["message"] == (
        "Metadata definition property p is protected and cannot be deleted."
    )
    message = assert_status(admin.delete(f"{NS}/locked/properties"), 403).json()
    assert message["error"]["message"] == (
        "Metadata definition namespace locked is protected and cannot be deleted."
    )


@pytest.mark.parametrize("persona", ["alice", "carol"])
def test_owner_project_reads_but_cannot_write(request, admin, props_ns, persona):
    assert_status(create(admin, name="p", title="P", type="string"), 201)
    caller = request.getfixturevalue(persona)
    assert_status(caller.get(PROPS), 200)
    assert_status(caller.get(f"{PROPS}/p"), 200)
    body = {"name": "q", "title": "Q", "type": "string"}
    message = assert_status(caller.post(PROPS, body), 403).json()["error"]["message"]
    assert message == "You are not authorized to complete add_metadef_property action."
    assert_status(caller.put(f"{PROPS}/p", body), 403)
    assert_status(caller.delete(f"{PROPS}/p"), 403)
    message = assert_status(caller.delete(PROPS), 403).json()["error"]["message"]
    assert message == "You are not authorized to complete delete_metadef_namespace action."


def test_other_project_gets_404_everywhere(admin, bob, props_ns):
    assert_status(create(admin, name="p", title="P", type="string"), 201)
    body = {"name": "q", "title": "Q", "type": "string"}
    for response in (
        bob.get(PROPS),
        bob.get(f"{PROPS}/p"),
        bob.post(PROPS, body),
        bob.put(f"{PROPS}/p", body),
        bob.delete(f"{PROPS}/p"),
        bob.delete(PROPS),
    ):
        assert_status(response, 404)
        assert response.json()["error"]["message"] == "Namespace props not found"


def test_unknown_namespace_and_methods(admin, props_ns):
    assert_status(admin.get(f"{NS}/nope/properties"), 404)
    body = {"name": "q", "title": "Q", "type": "string"}
    assert admin.post(f"{NS}/nope/properties", body).json()["error"]["message"] == (
        "Namespace nope not found"
    )
    assert assert_status(admin.request("PATCH", PROPS), 405)["Allow"] == "GET, POST, DELETE"
    assert assert_status(admin.request("POST", f"{PROPS}/x"), 405)["Allow"] == "GET, PUT, DELETE"
