"""/v2/schemas/metadefs/*: Glance's ten documents, byte for byte."""

from pathlib import Path

import pytest

from tests.conftest import assert_status

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "metadef_schemas"
NAMES = [
    "namespace",
    "namespaces",
    "resource_type",
    "resource_types",
    "property",
    "properties",
    "object",
    "objects",
    "tag",
    "tags",
]


@pytest.mark.parametrize("name", NAMES)
def test_document_is_byte_equal_to_glance(alice, name):
    response = assert_status(alice.get(f"/v2/schemas/metadefs/{name}"), 200)
    assert response["Content-Type"] == "application/json"
    assert response.content == (REFERENCE / f"{name}.json").read_bytes()


def test_unknown_document_and_anonymous(alice, anonymous):
    assert_status(alice.get("/v2/schemas/metadefs/nope"), 404)
    assert_status(anonymous.get("/v2/schemas/metadefs/namespace"), 401)
