"""The sharing, usage and approval routes are described in the OpenAPI document."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

# The UsageInfo component we must publish, verbatim (as in tests/data/seed_components.json).
SEED_USAGE_INFO = json.loads(
    '{"type":"object","properties":{"usage":{"type":"object","properties":{"image_size_total":'
    '{"type":"object","properties":{"limit":{"type":"integer"},"usage":{"type":"integer"}}},'
    '"image_count_total":{"type":"object","properties":{"limit":{"type":"integer"},"usage":'
    '{"type":"integer"}}},"image_stage_total":{"type":"object","properties":{"limit":{"type":'
    '"integer"},"usage":{"type":"integer"}}},"image_count_uploading":{"type":"object",'
    '"properties":{"limit":{"type":"integer"},"usage":{"type":"integer"}}}}}}}'
)

ROUTES = {
    "/v2/images/{image_id}/members": {"get", "post"},
    "/v2/images/{image_id}/members/{member_id}": {"get", "put", "delete"},
    "/v2/info/usage": {"get"},
    "/v2/x-vitrine/images/{image_id}/publication-requests": {"get", "post"},
    "/v2/x-vitrine/publication-requests": {"get"},
    "/v2/x-vitrine/member-invitations": {"get"},
}


@pytest.fixture(scope="module")
def document():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    return schema


def response_schema(document, path, method, status):
    return document["paths"][path][method]["responses"][status]["content"]["application/json"][
        "schema"
    ]


def test_every_route_is_described(document):
    for path, methods in ROUTES.items():
        assert set(document["paths"][path]) == methods, path
        for method in methods:
            assert "Base API view" not in document["paths"][path][method].get("description", "")


def test_usage_response_is_the_seed_usage_info(document):
    assert response_schema(document, "/v2/info/usage", "get", "200") == SEED_USAGE_INFO


def test_member_create_answers_200_with_a_member(document):
    schema = response_schema(document, "/v2/images/{image_id}/members", "post", "200")
    assert set(schema["properties"]) == {
        "member_id",
        "image_id",
        "status",
        "created_at",
        "updated_at",
        "schema",
    }
    assert "201" not in document["paths"]["/v2/images/{image_id}/members"]["post"]["responses"]


# The error statuses each route answers (schemathesis found them undocumented).
DOCUMENTED_ERRORS = {
    ("/v2/images/{image_id}/members", "get"): {"401", "403", "404"},
    ("/v2/images/{image_id}/members", "post"): {"400", "401", "403", "404", "409", "413"},
    ("/v2/images/{image_id}/members/{member_id}", "get"): {"401", "404"},
    ("/v2/images/{image_id}/members/{member_id}", "put"): {"400", "401", "403", "404"},
    ("/v2/images/{image_id}/members/{member_id}", "delete"): {"401", "403", "404"},
    ("/v2/info/usage", "get"): {"401"},
    ("/v2/x-vitrine/images/{image_id}/publication-requests", "get"): {"401", "404"},
    ("/v2/x-vitrine/images/{image_id}/publication-requests", "post"): {
        "400",
        "401",
        "403",
        "404",
        "409",
    },
    ("/v2/x-vitrine/publication-requests", "get"): {"400", "401"},
    ("/v2/x-vitrine/member-invitations", "get"): {"400", "401"},
}


@pytest.mark.parametrize("path,method", sorted(DOCUMENTED_ERRORS))
def test_error_responses_are_described_with_the_envelope(document, path, method):
    responses = document["paths"][path][method]["responses"]
    errors = {code for code in responses if code.startswith(("4", "5"))}
    assert errors == DOCUMENTED_ERRORS[(path, method)]
    for code in errors:
        schema = responses[code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
