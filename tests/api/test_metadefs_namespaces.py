"""/v2/metadefs/namespaces: create, list, show, update, delete, per persona."""

import pytest

from catalog.context import RequestContext
from catalog.services import metadefs as metadef_service
from tests.conftest import assert_status, make_persona

NS = "/v2/metadefs/namespaces"

FULL = {
    "namespace": "full",
    "display_name": "Full",
    "description": "every child",
    "visibility": "public",
    "protected": True,
    "resource_type_associations": [
        {"name": "OS::Glance::Image", "prefix": "w2_", "properties_target": "image"},
        {"name": "OS::Nova::Flavor", "prefix": "w2:"},
    ],
    "properties": {
        "str_prop": {"title": "String", "type": "string", "enum": ["a", "b"], "default": "a"},
        "int_prop": {"title": "Integer", "type": "integer", "minimum": 1, "maximum": 10},
    },
    "objects": [
        {
            "name": "obj",
            "required": ["cpu"],
            "properties": {"cpu": {"title": "CPU", "type": "integer", "minimum": 1}},
        }
    ],
    "tags": [{"name": "tag-a"}, {"name": "tag-b"}],
}


@pytest.fixture
def private_a(admin, project_a):
    """A private namespace owned by project A."""
    body = {"namespace": "private-a", "owner": project_a.id}
    return assert_status(admin.post(NS, body), 201).json()


@pytest.fixture
def public_ns(admin):
    body = {"namespace": "public-one", "visibility": "public", "display_name": "Public"}
    return assert_status(admin.post(NS, body), 201).json()


def test_admin_creates_minimal_namespace(admin, admin_project):
    response = assert_status(admin.post(NS, {"namespace": "n1"}), 201)
    assert response["Location"].endswith("/v2/metadefs/namespaces/n1")
    body = response.json()
    assert body["visibility"] == "private"
    assert body["protected"] is False
    assert body["owner"] == admin_project.id
    assert body["self"] == "/v2/metadefs/namespaces/n1"
    assert body["schema"] == "/v2/schemas/metadefs/namespace"
    assert "display_name" not in body
    assert body["created_at"].endswith("Z")


def test_duplicate_namespace_is_409(admin):
    assert_status(admin.post(NS, {"namespace": "n1"}), 201)
    response = assert_status(admin.post(NS, {"namespace": "n1"}), 409)
    assert response.json()["error"]["message"] == (
        "The metadata definition namespace=n1 already exists."
    )


@pytest.mark.parametrize("persona", ["alice", "carol", "bob"])
def test_non_admins_cannot_create(request, persona):
    caller = request.getfixturevalue(persona)
    response = assert_status(caller.post(NS, {"namespace": "n1"}), 403)
    assert response.json()["error"]["message"] == (
        "You are not authorized to complete add_metadef_namespace action."
    )


def test_anonymous_is_401(anonymous):
    assert_status(anonymous.get(NS), 401)
    assert_status(anonymous.post(NS, {"namespace": "n1"}), 401)


@pytest.mark.parametrize(
    "body, status",
    [
        ({"namespace": "x", "created_at": "2020-01-01T00:00:00Z"}, 403),
        ({"namespace": "x", "self": "/x"}, 403),
        ({"namespace": "x", "visibility": "shared"}, 400),
        ({"namespace": "x", "foo": 1}, 400),
        ({"namespace": "n" * 81}, 400),
        ({"namespace": "x", "protected": "yes"}, 400),
        ({"display_name": "no name"}, 400),
        ({"namespace": ""}, 400),  # Glance accepts it and can never serve it again
        ([{"namespace": "x"}], 400),  # Glance answers 500
        ({"namespace": "x", "properties": {"p": {"title": "P", "type": "string", "x": 1}}}, 400),
        ({"namespace": "x", "resource_type_associations": [{"name": "A", "bogus": 1}]}, 400),
        ({"namespace": "x", "objects": [{"name": "o"}, {"name": "o"}]}, 409),
    ],
)
def test_create_errors(admin, body, status):
    assert_status(admin.post(NS, body), status)
    # Nothing is left behind by a refused create.
    assert admin.get(NS).json()["namespaces"] == []


def test_create_errors_messages(admin):
    body = assert_status(admin.post(NS, {"namespace": "x", "created_at": "x"}), 403).json()
    assert body["error"]["message"] == "Attribute 'created_at' is read-only."
    body = assert_status(admin.post(NS, {"namespace": "x", "foo": 1}), 400).json()
    assert body["error"]["message"].startswith("Provided object does not match schema 'namespace'")
    assert_status(admin.post(NS, raw="{nope", body=None), 400)
    assert_status(admin.post(NS), 400)


def test_create_full_echoes_children_and_show_returns_them(admin):
    created = assert_status(admin.post(NS, FULL), 201).json()
    assert created["resource_type_associations"][1] == {"name": "OS::Nova::Flavor", "prefix": "w2:"}
    assert list(created["properties"]) == ["str_prop", "int_prop"]
    assert created["tags"] == [{"name": "tag-a"}, {"name": "tag-b"}]
    shown = assert_status(admin.get(f"{NS}/full"), 200).json()
    assert list(shown["properties"]) == ["int_prop", "str_prop"]
    assert shown["properties"]["str_prop"] == {
        "type": "string",
        "title": "String",
        "default": "a",
        "enum": ["a", "b"],
    }
    assert shown["objects"][0]["self"] == "/v2/metadefs/namespaces/full/objects/obj"
    assert shown["objects"][0]["required"] == ["cpu"]
    assert {t["name"] for t in shown["tags"]} == {"tag-a", "tag-b"}
    assert "created_at" in shown["resource_type_associations"][0]


def test_show_with_resource_type_prefixes_names(admin):
    assert_status(admin.post(NS, FULL), 201)
    shown = admin.get(f"{NS}/full", resource_type="OS::Glance::Image").json()
    assert set(shown["properties"]) == {"w2_int_prop", "w2_str_prop"}
    assert shown["objects"][0]["required"] == ["w2_cpu"]
    assert list(shown["objects"][0]["properties"]) == ["w2_cpu"]
    unassociated = admin.get(f"{NS}/full", resource_type="OS::Cinder::Volume").json()
    assert set(unassociated["properties"]) == {"int_prop", "str_prop"}


def test_show_minimal_omits_empty_collections(admin):
    assert_status(admin.post(NS, {"namespace": "n1"}), 201)
    body = admin.get(f"{NS}/n1").json()
    for key in ("properties", "objects", "tags", "resource_type_associations"):
        assert key not in body


@pytest.mark.parametrize(
    "persona, status",
    [
        ("alice", 200),
        ("carol", 200),
        ("bob", 404),
        ("admin", 200),
    ],
)
def test_private_namespace_visibility(request, private_a, persona, status):
    caller = request.getfixturevalue(persona)
    assert_status(caller.get(f"{NS}/private-a"), status)


def test_unknown_and_invisible_answer_alike(bob, private_a):
    # Glance words the two differently, an existence oracle.
    hidden = assert_status(bob.get(f"{NS}/private-a"), 404).json()["error"]["message"]
    unknown = assert_status(bob.get(f"{NS}/nope"), 404).json()["error"]["message"]
    assert hidden == "Metadata definition namespace=private-a was not found."
    assert unknown == "Metadata definition namespace=nope was not found."


def test_public_namespace_visible_to_other_project(bob, public_ns):
    assert_status(bob.get(f"{NS}/public-one"), 200)


def test_list_per_persona(admin, alice, carol, bob, private_a, public_ns):
    assert_status(admin.post(NS, {"namespace": "admin-private"}), 201)

    def names(caller):
        return {n["namespace"] for n in assert_status(caller.get(NS), 200).json()["namespaces"]}

    assert names(admin) == {"private-a", "public-one", "admin-private"}
    assert names(alice) == {"private-a", "public-one"}
    assert names(carol) == {"private-a", "public-one"}
    assert names(bob) == {"public-one"}
    assert names(alice) == {n["namespace"] for n in alice.get(NS).json()["namespaces"]}
    private = alice.get(NS, visibility="private").json()["namespaces"]
    assert [n["namespace"] for n in private] == ["private-a"]


def test_list_paging_links(admin):
    for name in ("c", "a", "d", "b"):
        assert_status(admin.post(NS, {"namespace": name}), 201)
    page = admin.get(NS, limit=2, sort_key="namespace", sort_dir="asc").json()
    assert [n["namespace"] for n in page["namespaces"]] == ["a", "b"]
    assert page["first"] == "/v2/metadefs/namespaces?limit=2&sort_key=namespace&sort_dir=asc"
    assert page["next"] == page["first"] + "&marker=b"
    page2 = admin.get(page["next"]).json()
    assert [n["namespace"] for n in page2["namespaces"]] == ["c", "d"]
    page3 = admin.get(page2["next"]).json()
    assert page3["namespaces"] == [] and "next" not in page3
    default = admin.get(NS).json()
    assert [n["namespace"] for n in default["namespaces"]] == ["b", "d", "a", "c"]
    assert default["first"] == "/v2/metadefs/namespaces"
    assert "next" not in default


@pytest.mark.parametrize(
    "query, status, message",
    [
        ({"limit": "-1"}, 400, "limit param must be positive"),
        ({"limit": "abc"}, 400, "Invalid limit value: abc"),  # 500 in Glance
        ({"sort_dir": "up"}, 400, "Invalid sort direction: up"),
        ({"sort_key": "nope"}, 400, None),  # 500 in Glance
        ({"visibility": "shared"}, 400, "Invalid visibility value: shared"),
        ({"marker": "nope"}, 404, "Metadata definition namespace=nope was not found."),
    ],
)
def test_list_parameter_errors(admin, query, status, message):
    body = assert_status(admin.get(NS, **query), status).json()
    if message:
        assert body["error"]["message"] == message


def test_invisible_marker_is_404_like_unknown(bob, private_a):
    # Glance answers 403 "... is not visible", telling bob it exists.
    body = assert_status(bob.get(NS, marker="private-a"), 404).json()
    assert body["error"]["message"] == "Metadata definition namespace=private-a was not found."


def test_list_limit_zero_is_empty(admin, public_ns):
    body = admin.get(NS, limit=0).json()
    assert body["namespaces"] == [] and "next" not in body


def test_list_by_resource_types(admin):
    assert_status(admin.post(NS, FULL), 201)
    assert_status(
        admin.post(
            NS,
            {"namespace": "other", "resource_type_associations": [{"name": "OS::Cinder::Volume"}]},
        ),
        201,
    )
    assert_status(admin.post(NS, {"namespace": "none"}), 201)

    def names(types):
        return {n["namespace"] for n in admin.get(NS, resource_types=types).json()["namespaces"]}

    assert names("OS::Glance::Image") == {"full"}
    assert names("OS::Glance::Image,OS::Cinder::Volume") == {"full", "other"}
    assert names("OS::Unknown") == set()


def make_catalog(ctx, count: int, properties: int) -> None:
    """``count`` public namespaces of ``properties`` properties each, through the service."""
    definitions = {f"p{j}": {"title": f"P{j}", "type": "string"} for j in range(properties)}
    for i in range(count):
        body = {
            "namespace": f"ns{i:04d}",
            "visibility": "public",
            "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "p_"}],
            "properties": definitions,
        }
        metadef_service.create_namespace(ctx, body)


def test_list_query_count_is_constant(admin, alice, django_assert_max_num_queries):
    """500 namespaces of 20 properties: the same few queries as for one, whatever the page."""
    ctx = RequestContext(user_id="u", project_id=admin.project_id, roles=frozenset({"admin"}))
    make_catalog(ctx, 500, 20)
    for caller, limit in ((admin, 1000), (alice, 1000), (alice, 25)):
        # authentication (2), the ids, the page, its associations with their types
        with django_assert_max_num_queries(7):
            body = assert_status(caller.get(NS, limit=limit), 200).json()
        assert len(body["namespaces"]) == min(limit, 500)
    assert body["namespaces"][0]["resource_type_associations"][0]["prefix"] == "p_"


def test_caller_without_reader_role(db, project_a, private_a, public_ns):
    nobody = make_persona("norole", project_a, "foo")
    # The list names no namespace: a plain refusal (Glance: 404).
    assert_status(nobody.get(NS), 403)
    # Under a namespace, 404 as for an invisible one, even for its own project's.
    for path in (
        f"{NS}/private-a",
        f"{NS}/public-one",
        f"{NS}/public-one/properties",
        f"{NS}/public-one/objects",
        f"{NS}/public-one/tags",
        f"{NS}/public-one/resource_types",
    ):
        assert_status(nobody.get(path), 404)


def test_update_replaces_attributes_but_keeps_owner(admin, public_ns, project_a):
    assert_status(
        admin.put(f"{NS}/public-one", {"namespace": "public-one", "owner": project_a.id}), 200
    )
    body = assert_status(admin.put(f"{NS}/public-one", {"namespace": "public-one"}), 200).json()
    assert body["visibility"] == "private"
    assert "display_name" not in body
    # Glance moves the namespace to the caller's project when owner is left out.
    assert body["owner"] == project_a.id


def test_update_rename_and_conflict(admin, public_ns):
    assert_status(admin.post(NS, {"namespace": "taken"}), 201)
    assert_status(admin.post(f"{NS}/public-one/tags/t1"), 201)
    body = assert_status(admin.put(f"{NS}/public-one", {"namespace": "renamed"}), 200).json()
    assert body["self"] == "/v2/metadefs/namespaces/renamed"
    assert_status(admin.get(f"{NS}/public-one"), 404)
    assert admin.get(f"{NS}/renamed").json()["tags"] == [{"name": "t1"}]
    response = assert_status(admin.put(f"{NS}/renamed", {"namespace": "taken"}), 409)
    assert "duplicate metadata definition namespace" in response.json()["error"]["message"]


def test_update_returns_new_updated_at(admin, public_ns):
    body = admin.put(f"{NS}/public-one", {"namespace": "public-one"}).json()
    assert body["updated_at"] == admin.get(f"{NS}/public-one").json()["updated_at"]


@pytest.mark.parametrize("persona, status", [("alice", 403), ("carol", 403), ("bob", 404)])
def test_non_admin_update_and_delete(request, private_a, persona, status):
    caller = request.getfixturevalue(persona)
    assert_status(caller.put(f"{NS}/private-a", {"namespace": "private-a"}), status)
    response = assert_status(caller.delete(f"{NS}/private-a"), status)
    if status == 404:
        assert response.json()["error"]["message"] == "Namespace private-a not found"


def test_update_errors(admin, public_ns):
    assert_status(admin.put(f"{NS}/nope", {"namespace": "nope"}), 404)
    assert_status(admin.put(f"{NS}/public-one", {"display_name": "x"}), 400)
    assert_status(admin.put(f"{NS}/public-one", {"namespace": "public-one", "self": "x"}), 403)


def test_delete_protected_then_unprotected(admin):
    assert_status(admin.post(NS, FULL), 201)
    response = assert_status(admin.delete(f"{NS}/full"), 403)
    assert response.json()["error"]["message"] == (
        "Metadata definition namespace full is protected and cannot be deleted."
    )
    assert_status(admin.put(f"{NS}/full", {"namespace": "full", "protected": False}), 200)
    assert_status(admin.delete(f"{NS}/full"), 204)
    assert_status(admin.delete(f"{NS}/full"), 404)
    assert_status(admin.get(f"{NS}/full"), 404)
    # Resource types survive their namespaces.
    types = admin.get("/v2/metadefs/resource_types").json()["resource_types"]
    assert {t["name"] for t in types} == {"OS::Glance::Image", "OS::Nova::Flavor"}


def test_method_and_body_rules(admin, public_ns):
    response = assert_status(admin.request("PATCH", NS), 405)
    assert response["Allow"] == "GET, POST"
    assert_status(admin.request("PATCH", f"{NS}/public-one"), 405)
    assert_status(admin.request("GET", f"{NS}/public-one", {"x": 1}), 400)


def test_update_answers_attributes_only_and_ignores_children(admin):
    assert_status(admin.post(NS, FULL), 201)
    body = {"namespace": "full", "protected": True, "tags": [{"name": "ignored"}]}
    updated = assert_status(admin.put(f"{NS}/full", body), 200).json()
    for key in ("resource_type_associations", "properties", "objects", "tags"):
        assert key not in updated
    shown = admin.get(f"{NS}/full").json()
    assert {t["name"] for t in shown["tags"]} == {"tag-a", "tag-b"}
    assert len(shown["resource_type_associations"]) == 2
