"""NUL can be neither stored nor compared by PostgreSQL: a metadefs path segment, query value
or body text holding one is a 404 or a 400, never a 500 (the same answer on SQLite)."""

import pytest

from tests.conftest import assert_status

NS = "/v2/metadefs/namespaces"


@pytest.fixture
def namespace(admin):
    body = {"namespace": "Nul::Test", "visibility": "public"}
    assert_status(admin.post(NS, body), 201)
    assert_status(admin.post(f"{NS}/Nul::Test/tags/known", None), 201)
    return "Nul::Test"


@pytest.mark.parametrize(
    "path",
    [
        f"{NS}/a%00b",
        f"{NS}/Nul::Test/properties/a%00b",
        f"{NS}/Nul::Test/objects/a%00b",
        f"{NS}/Nul::Test/tags/a%00b",
    ],
)
def test_nul_in_a_path_segment_names_nothing(admin, namespace, path):
    assert_status(admin.get(path), 404)
    assert_status(admin.delete(path), 404)


def test_nul_in_a_resource_type_to_dissociate_names_nothing(admin, namespace):
    assert_status(admin.delete(f"{NS}/Nul::Test/resource_types/a%00b"), 404)


@pytest.mark.parametrize(
    "query, status",
    [
        ("marker=a%00b", 404),  # names no namespace, as an unknown marker
        ("resource_types=a%00b", 200),  # matches no namespace
        ("visibility=a%00b", 400),
        ("sort_key=a%00b", 400),
        ("sort_dir=a%00b", 400),
        ("undocumented=a%00b", 200),  # not read
    ],
)
def test_nul_in_a_query_value_gets_the_documented_answer(admin, namespace, query, status):
    response = assert_status(admin.get(f"{NS}?{query}"), status)
    if query.startswith("resource_types"):
        assert response.json()["namespaces"] == []
    assert_status(admin.get(f"{NS}/Nul::Test?resource_type=a%00b"), 200)
    assert_status(admin.get(f"{NS}/Nul::Test/properties/p?resource_type=a%00b"), 404)


@pytest.mark.parametrize(
    "path, body",
    [
        (NS, {"namespace": "a\x00b"}),
        (NS, {"namespace": "Fine::Name", "description": "a\x00b"}),
        (f"{NS}/Nul::Test/properties", {"name": "p\x00", "title": "t", "type": "string"}),
        (f"{NS}/Nul::Test/properties", {"name": "p", "title": "t\x00", "type": "string"}),
        (f"{NS}/Nul::Test/objects", {"name": "o\x00"}),
        (f"{NS}/Nul::Test/tags", {"tags": [{"name": "t\x00"}]}),
        (f"{NS}/Nul::Test/resource_types", {"name": "OS::\x00", "prefix": "x_"}),
    ],
)
def test_nul_in_body_text_is_400(admin, namespace, path, body):
    assert_status(admin.post(path, body), 400)
