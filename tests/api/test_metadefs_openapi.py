"""Every metadefs route is in the OpenAPI document, with its request and response shapes."""

from tests.conftest import assert_status

NS = "/v2/metadefs/namespaces"
ROUTES = {
    NS: {"get", "post"},
    f"{NS}/{{namespace}}": {"get", "put", "delete"},
    f"{NS}/{{namespace}}/properties": {"get", "post", "delete"},
    f"{NS}/{{namespace}}/properties/{{name}}": {"get", "put", "delete"},
    f"{NS}/{{namespace}}/objects": {"get", "post", "delete"},
    f"{NS}/{{namespace}}/objects/{{name}}": {"get", "put", "delete"},
    f"{NS}/{{namespace}}/tags": {"get", "post", "delete"},
    f"{NS}/{{namespace}}/tags/{{name}}": {"get", "post", "put", "delete"},
    f"{NS}/{{namespace}}/resource_types": {"get", "post"},
    f"{NS}/{{namespace}}/resource_types/{{resource_type}}": {"delete"},
    "/v2/metadefs/resource_types": {"get"},
}


def test_every_metadefs_route_is_described(anonymous):
    response = anonymous.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    paths = assert_status(response, 200).json()["paths"]
    for path, methods in ROUTES.items():
        assert set(paths[path]) - {"parameters"} == methods, path
        for method, operation in paths[path].items():
            # POST …/tags/{name} creates from the URL alone; every other write has a body.
            needs_body = method == "put" or (method == "post" and "/tags/{name}" not in path)
            if needs_body:
                assert "application/json" in operation["requestBody"]["content"], (path, method)
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok, (path, method)
    listing = {p["name"] for p in paths[NS]["get"]["parameters"]}
    assert listing >= {"limit", "marker", "sort_key", "sort_dir", "visibility", "resource_types"}
    for name in (
        "namespace",
        "namespaces",
        "property",
        "properties",
        "object",
        "objects",
        "tag",
        "tags",
        "resource_type",
        "resource_types",
    ):
        assert f"/v2/schemas/metadefs/{name}" in paths
