"""/v2/metadefs/namespaces/{ns}/objects and /tags."""

import pytest

from tests.conftest import assert_status

NS = "/v2/metadefs/namespaces"
OBJS = f"{NS}/things/objects"
TAGS = f"{NS}/things/tags"

CPU = {
    "name": "CPU Limits",
    "description": "cpu quota settings",
    "required": ["cpu_period"],
    "properties": {
        "cpu_period": {"title": "Period", "type": "integer", "minimum": 1000},
        "cpu_policy": {"title": "Policy", "type": "string", "enum": ["shared", "dedicated"]},
    },
}


@pytest.fixture
def things(admin, project_a):
    body = {"namespace": "things", "owner": project_a.id}
    assert_status(admin.post(NS, body), 201)


def tag_names(caller, **params):
    return [t["name"] for t in assert_status(caller.get(TAGS, **params), 200).json()["tags"]]


# --- Objects ------------------------------------------------------------------------------


def test_object_create_show_list(admin, things):
    created = assert_status(admin.post(OBJS, CPU), 201).json()
    # the self link is percent-encoded (Glance leaves the space raw).
    assert created["self"] == "/v2/metadefs/namespaces/things/objects/CPU%20Limits"
    assert created["required"] == ["cpu_period"]
    assert created["properties"]["cpu_period"] == {
        "type": "integer",
        "title": "Period",
        "minimum": 1000,
    }
    bare = assert_status(admin.post(OBJS, {"name": "Bare"}), 201).json()
    assert "required" not in bare and "properties" not in bare
    assert bare["schema"] == "/v2/schemas/metadefs/object"
    listed = assert_status(admin.get(OBJS), 200).json()
    assert listed["schema"] == "v2/schemas/metadefs/objects"  # a Glance quirk we keep
    assert [o["name"] for o in listed["objects"]] == ["Bare", "CPU Limits"]
    assert listed["objects"][0]["required"] == [] and listed["objects"][0]["properties"] == {}
    shown = assert_status(admin.get(f"{OBJS}/CPU Limits"), 200).json()
    assert shown["description"] == "cpu quota settings"
    assert_status(admin.post(OBJS, CPU), 409)


@pytest.mark.parametrize(
    "body, status",
    [
        ({"description": "no name"}, 400),
        ({"name": "o", "properties": {"p": {"type": "string"}}}, 400),
        ({"name": "o", "required": "cpu"}, 400),
        ({"name": "o", "required": ["a", "a"]}, 400),
        ({"name": "o", "properties": {"p": {"title": "P", "type": "string", "x": 1}}}, 400),
        ({"name": "o", "schema": "x"}, 403),
        ({"name": "o", "created_at": "x"}, 403),
    ],
)
def test_object_create_errors(admin, things, body, status):
    assert_status(admin.post(OBJS, body), status)


def test_object_list_parameters(admin, things):
    assert_status(admin.get(OBJS, limit=1, marker="x", sort_key="name"), 200)
    assert_status(admin.get(OBJS, limit=0), 400)
    assert_status(admin.get(OBJS, sort_dir="x"), 400)


def test_object_update_replaces_and_renames(admin, things):
    assert_status(admin.post(OBJS, CPU), 201)
    assert_status(admin.post(OBJS, {"name": "Other"}), 201)
    updated = assert_status(admin.put(f"{OBJS}/CPU Limits", {"name": "CPU"}), 200).json()
    assert updated["required"] == [] and updated["properties"] == {}
    assert "description" not in updated
    assert_status(admin.get(f"{OBJS}/CPU Limits"), 404)
    # Glance answers 500.
    assert_status(admin.put(f"{OBJS}/CPU", {"name": "Other"}), 409)
    bad = {"name": "CPU", "properties": {"p": {"type": "string"}}}
    assert_status(admin.put(f"{OBJS}/CPU", bad), 400)
    assert_status(admin.put(f"{OBJS}/nope", {"name": "nope"}), 404)


def test_object_delete_and_protection(admin, things):
    assert_status(admin.post(OBJS, CPU), 201)
    assert_status(admin.delete(f"{OBJS}/CPU Limits"), 204)
    missing = assert_status(admin.delete(f"{OBJS}/CPU Limits"), 404).json()
    assert missing["error"]["message"] == "Could not find metadata object CPU Limits"
    assert_status(admin.post(OBJS, CPU), 201)
    assert_status(admin.delete(OBJS), 204)
    assert admin.get(OBJS).json()["objects"] == []
    assert_status(admin.post(OBJS, CPU), 201)
    assert_status(admin.put(f"{NS}/things", {"namespace": "things", "protected": True}), 200)
    message = assert_status(admin.delete(f"{OBJS}/CPU Limits"), 403).json()["error"]["message"]
    assert message == "Metadata definition object CPU Limits is protected and cannot be deleted."
    assert_status(admin.delete(OBJS), 403)


def test_object_routes_per_persona(admin, alice, carol, bob, things):
    assert_status(admin.post(OBJS, CPU), 201)
    for caller in (alice, carol):
        assert_status(caller.get(OBJS), 200)
        assert_status(caller.get(f"{OBJS}/CPU Limits"), 200)
        assert_status(caller.post(OBJS, {"name": "x"}), 403)
        assert_status(caller.put(f"{OBJS}/CPU Limits", {"name": "x"}), 403)
        assert_status(caller.delete(f"{OBJS}/CPU Limits"), 403)
    for response in (bob.get(OBJS), bob.get(f"{OBJS}/CPU Limits"), bob.post(OBJS, {"name": "x"})):
        assert_status(response, 404)
        assert response.json()["error"]["message"] == (
            "Metadata definition namespace=things was not found."
        )


# --- Tags ---------------------------------------------------------------------------------


def test_bulk_replace_append_and_conflicts(admin, things):
    body = {"tags": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}
    assert assert_status(admin.post(TAGS, body), 201).json() == body
    assert_status(admin.post(TAGS, {"tags": [{"name": "d"}]}), 201)
    assert tag_names(admin) == ["d"]
    append = {"X-Openstack-Append": "true"}
    assert_status(admin.post(TAGS, {"tags": [{"name": "e"}]}, headers=append), 201)
    assert tag_names(admin, sort_key="name", sort_dir="asc") == ["d", "e"]
    response = assert_status(
        admin.post(TAGS, {"tags": [{"name": "f"}, {"name": "e"}]}, headers=append), 409
    )
    assert response.json()["error"]["message"] == (
        "A metadata tag with name=e already exists in namespace=things."
    )
    assert sorted(tag_names(admin)) == ["d", "e"]
    assert_status(admin.post(TAGS, {"tags": [{"name": "g"}, {"name": "g"}]}), 409)
    assert sorted(tag_names(admin)) == ["d", "e"]
    for value in ("yes", "1", "TRUE"):
        assert_status(
            admin.post(TAGS, {"tags": [{"name": value}]}, headers={"X-Openstack-Append": value}),
            201,
        )
    assert len(tag_names(admin)) == 5
    assert_status(
        admin.post(TAGS, {"tags": [{"name": "z"}]}, headers={"X-Openstack-Append": "maybe"}), 201
    )
    assert tag_names(admin) == ["z"]
    # An empty list keeps the tags even when replacing (a Glance quirk we keep).
    assert assert_status(admin.post(TAGS, {"tags": []}), 201).json() == {"tags": []}
    assert tag_names(admin) == ["z"]


@pytest.mark.parametrize("body", [{"tags": [{"nam": "x"}]}, {"tags": "x"}, {}, [{"name": "x"}]])
def test_bulk_bad_bodies(admin, things, body):
    assert_status(admin.post(TAGS, body), 400)


def test_create_one_show_rename_delete(admin, things):
    created = assert_status(admin.post(f"{TAGS}/nu"), 201).json()
    assert set(created) == {"name", "created_at", "updated_at"}
    assert_status(admin.post(f"{TAGS}/nu"), 409)
    # names are case-sensitive, and the conflict message no longer says otherwise.
    assert_status(admin.post(f"{TAGS}/NU"), 201)
    assert_status(admin.post(f"{TAGS}/" + "x" * 81), 400)
    assert_status(admin.post(f"{TAGS}/body", {"x": 1}), 400)
    assert assert_status(admin.get(f"{TAGS}/nu"), 200).json()["name"] == "nu"
    renamed = assert_status(admin.put(f"{TAGS}/nu", {"name": "mu"}), 200).json()
    assert renamed["name"] == "mu"
    assert renamed["updated_at"] == admin.get(f"{TAGS}/mu").json()["updated_at"]
    assert_status(admin.get(f"{TAGS}/nu"), 404)
    assert_status(admin.put(f"{TAGS}/mu", {"name": "NU"}), 409)
    assert_status(admin.put(f"{TAGS}/mu", {}), 400)
    assert_status(admin.put(f"{TAGS}/nope", {"name": "x"}), 404)
    assert_status(admin.delete(f"{TAGS}/mu"), 204)
    missing = assert_status(admin.delete(f"{TAGS}/mu"), 404).json()
    assert missing["error"]["message"] == "Could not find metadata tag mu"


def test_tag_list_sort_limit_marker(admin, things):
    for name in ("kappa", "NU", "lambda", "mu", "nu"):
        assert_status(admin.post(f"{TAGS}/{name}"), 201)
    assert tag_names(admin, sort_key="name", sort_dir="asc") == [
        "NU",
        "kappa",
        "lambda",
        "mu",
        "nu",
    ]
    assert tag_names(admin, sort_key="name", sort_dir="asc", limit=2) == ["NU", "kappa"]
    page = tag_names(admin, sort_key="name", sort_dir="asc", limit=2, marker="kappa")
    assert page == ["lambda", "mu"]
    assert tag_names(admin)[0] == "nu"  # newest first by default
    assert_status(admin.get(TAGS, marker="nope"), 404)
    assert_status(admin.get(TAGS, sort_dir="x"), 400)
    assert_status(admin.get(TAGS, limit=-1), 400)


def test_tag_delete_all_and_protection(admin, things):
    assert_status(admin.post(TAGS, {"tags": [{"name": "a"}]}), 201)
    assert_status(admin.delete(TAGS), 204)
    assert tag_names(admin) == []
    assert_status(admin.post(f"{TAGS}/a"), 201)
    assert_status(admin.put(f"{NS}/things", {"namespace": "things", "protected": True}), 200)
    message = assert_status(admin.delete(f"{TAGS}/a"), 403).json()["error"]["message"]
    assert message == "Metadata definition tag a is protected and cannot be deleted."
    assert_status(admin.delete(TAGS), 403)


def test_tag_routes_per_persona(admin, alice, carol, bob, things):
    assert_status(admin.post(f"{TAGS}/a"), 201)
    for caller in (alice, carol):
        assert tag_names(caller) == ["a"]
        assert_status(caller.get(f"{TAGS}/a"), 200)
        assert_status(caller.post(f"{TAGS}/b"), 403)
        message = caller.post(TAGS, {"tags": [{"name": "b"}]}).json()["error"]["message"]
        assert message == "You are not authorized to complete add_metadef_tags action."
        assert_status(caller.put(f"{TAGS}/a", {"name": "b"}), 403)
        assert_status(caller.delete(f"{TAGS}/a"), 403)
        assert_status(caller.delete(TAGS), 403)
    for response in (bob.get(TAGS), bob.get(f"{TAGS}/a"), bob.delete(f"{TAGS}/a")):
        assert_status(response, 404)
    assert (
        assert_status(admin.request("PATCH", f"{TAGS}/a"), 405)["Allow"] == "GET, POST, PUT, DELETE"
    )
