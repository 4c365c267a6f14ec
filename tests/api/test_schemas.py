"""/v2/schemas/*: Glance's JSON Schema documents, and the schema agrees with validation."""

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import assert_status

# The bodies Glance 33 answered, verbatim.
GLANCE = json.loads((Path(__file__).parent.parent / "data" / "glance_schemas.json").read_text())


@pytest.mark.parametrize("name", ["image", "images", "member", "members"])
def test_schemas_are_glances(alice, name):
    document = assert_status(alice.get(f"/v2/schemas/{name}"), 200).json()
    assert document == GLANCE[name]
    assert list(document["properties"]) == list(GLANCE[name]["properties"])


def test_task_schemas(alice):
    task = assert_status(alice.get("/v2/schemas/task"), 200).json()
    assert task["name"] == "task"
    assert set(task["properties"]) == {
        "id", "type", "status", "input", "result", "owner", "message", "image_id",
        "request_id", "user_id", "expires_at", "created_at", "updated_at", "self", "schema",
    }  # fmt: skip
    assert task["properties"]["status"]["enum"] == ["pending", "processing", "success", "failure"]
    assert task["additionalProperties"] == {"type": "string"}
    tasks = assert_status(alice.get("/v2/schemas/tasks"), 200).json()
    assert tasks["name"] == "tasks"
    assert tasks["properties"]["tasks"] == {"type": "array", "items": task}
    assert [link["rel"] for link in tasks["links"]] == ["first", "next", "describedby"]


def test_schemas_need_an_identity_and_no_body(anonymous, alice):
    assert_status(anonymous.get("/v2/schemas/image"), 401)
    assert_status(alice.request("GET", "/v2/schemas/image", {"a": 1}), 400)
    response = assert_status(alice.post("/v2/schemas/image", {}), 405)
    assert response["Allow"] == "GET"
    assert_status(alice.get("/v2/schemas/nope"), 404)


def test_every_image_the_api_returns_validates_against_the_published_schema(alice):
    schema = alice.get("/v2/schemas/image").json()
    image = alice.create_image(name="x", tags=["a"], os_distro="cirros", disk_format="raw")
    jsonschema.Draft4Validator(schema).validate(image)
    listed = alice.get("/v2/images").json()
    jsonschema.Draft4Validator(alice.get("/v2/schemas/images").json()).validate(listed)
