"""Cross-cutting HTTP behaviour: versions, request ids, authentication, error envelopes."""

import uuid

import pytest

from catalog.domain.schemas import SCHEMAS as SCHEMA_NAMES
from tests.conftest import PATCH21, assert_status


def envelope(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == response.status_code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_root_is_300_and_versions_is_200_without_a_token(anonymous):
    root = assert_status(anonymous.get("/"), 300).json()
    versions = assert_status(anonymous.get("/versions"), 200).json()
    assert root == versions
    ids = [v["id"] for v in versions["versions"]]
    assert ids[0] == "v2.17" and versions["versions"][0]["status"] == "CURRENT"
    assert all(v["status"] == "SUPPORTED" for v in versions["versions"][1:])
    assert "v2.0" in ids
    numbers = [tuple(map(int, i[1:].split("."))) for i in ids]
    assert numbers == sorted(numbers, reverse=True)
    assert versions["versions"][0]["links"] == [{"rel": "self", "href": "http://testserver/v2/"}]


def test_public_endpoint_setting_is_used_in_links(anonymous, alice, settings):
    settings.CATALOG_PUBLIC_ENDPOINT = "https://images.example.test"
    doc = anonymous.get("/versions").json()
    assert doc["versions"][0]["links"][0]["href"] == "https://images.example.test/v2/"
    response = assert_status(alice.post("/v2/images", {}), 201)
    assert response["Location"].startswith("https://images.example.test/v2/images/")


def test_unknown_version_answers_the_versions_document(anonymous):
    assert_status(anonymous.get("/v9/images"), 300)


def test_minor_version_prefixes_reach_the_v2_api(alice):
    image = alice.create_image()
    for prefix in ("/v2.0", "/v2.9", "/v2.17"):
        assert_status(alice.get(f"{prefix}/images/{image['id']}"), 200)


def test_every_response_has_a_request_id(alice, anonymous):
    for response in (alice.get("/versions"), anonymous.get("/v2/images"), alice.get("/v2/nope")):
        request_id = response["x-openstack-request-id"]
        assert request_id.startswith("req-")
        uuid.UUID(request_id[4:])


def test_client_request_id_is_echoed_with_prefix(alice):
    response = alice.get("/versions", headers={"X-Openstack-Request-ID": "abc123"})
    assert response["x-openstack-request-id"] == "req-abc123"
    response = alice.get("/versions", headers={"X-Openstack-Request-ID": "req-abc123"})
    assert response["x-openstack-request-id"] == "req-abc123"


def test_too_long_request_id_is_431_not_500(alice):
    response = assert_status(
        alice.get("/v2/images", headers={"X-Openstack-Request-ID": "a" * 65}), 431
    )
    assert envelope(response)["message"] == "x-openstack-request-id is too long, max size 64"
    assert response["x-openstack-request-id"].startswith("req-")
    assert_status(alice.get("/v2/images", headers={"X-Openstack-Request-ID": "a" * 64}), 200)


def test_unprintable_request_id_is_400(alice):
    response = alice.get("/v2/images", headers={"X-Openstack-Request-ID": "a b"})
    envelope(assert_status(response, 400))


def test_401_for_missing_unknown_and_expired_tokens(anonymous, alice):
    envelope(assert_status(anonymous.get("/v2/images"), 401))
    alice.token = "not-a-token"
    envelope(assert_status(alice.get("/v2/images"), 401))


def test_expired_token_is_401(alice):
    from django.utils import timezone

    from catalog.identity.models import Token

    Token.objects.update(expires_at=timezone.now())
    envelope(assert_status(alice.get("/v2/images"), 401))


def test_removing_a_role_assignment_revokes_access(alice):
    from catalog.identity.models import Membership

    assert_status(alice.get("/v2/images"), 200)
    Membership.objects.filter(user__username="alice").delete()
    assert_status(alice.get("/v2/images"), 401)


def test_404_envelope_for_unknown_urls_and_trailing_slash(alice):
    for path in ("/v2/nope", "/v2/images/", "/versions/x"):
        envelope(assert_status(alice.get(path), 404))


@pytest.mark.parametrize(
    "method,path,allow",
    [
        ("PUT", "/v2/images/{id}", "GET, DELETE"),
        ("HEAD", "/v2/images/{id}", "GET, DELETE"),
        ("DELETE", "/v2/images", "GET, POST"),
        ("POST", "/versions", "GET"),
    ],
)
def test_405_envelope_with_allow_header(alice, method, path, allow):
    image = alice.create_image()
    response = alice.request(method, path.format(id=image["id"]))
    assert_status(response, 405)
    if method != "HEAD":
        envelope(response)
    assert response["Allow"].startswith(allow.split(",")[0])
    assert set(response["Allow"].split(", ")) >= set(allow.split(", "))


@pytest.mark.parametrize(
    "method,path",
    [
        ("DELETE", "/v2/images"),
        ("GET", "/v2/images/{id}/stage"),
        ("DELETE", "/v2/images/{id}/members"),
        ("DELETE", "/v2/x-vitrine/images/{id}/publication-requests"),
    ],
)
def test_an_unserved_method_with_a_body_is_405_not_400(alice, method, path):
    # The no-body rule of GET and DELETE applies only to the routes that serve them.
    image = alice.create_image()
    response = alice.request(method, path.format(id=image["id"]), body={"name": "x"})
    envelope(assert_status(response, 405))


def test_403_and_409_envelopes(carol, alice):
    envelope(assert_status(carol.post("/v2/images", {}), 403))
    image = alice.create_image()
    envelope(assert_status(alice.post("/v2/images", {"id": image["id"]}), 409))


def test_server_errors_use_the_envelope(alice, monkeypatch):
    from catalog.api import images

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(images.queries, "get_visible_image", explode)
    alice.client.raise_request_exception = False
    response = assert_status(alice.get("/v2/images/x"), 500)
    assert "boom" not in envelope(response)["message"]


# Every route that reads a JSON body, with its media type (found by fuzzing: both bodies
# below were 500s on every one of them).
JSON_ROUTES = [
    ("POST", "/v2/images", "application/json"),
    ("PATCH", "/v2/images/{id}", PATCH21),
    ("POST", "/v2/images/{id}/members", "application/json"),
    ("PUT", "/v2/images/{id}/members/{project}", "application/json"),
    ("POST", "/v2/images/{id}/import", "application/json"),
    ("POST", "/v2/x-vitrine/images/{id}/publication-requests", "application/json"),
]


@pytest.mark.parametrize("method,path,content_type", JSON_ROUTES)
@pytest.mark.parametrize(
    "raw,details",
    [
        # Python's decoder recurses per level: RecursionError.
        ("[" * 100_000 + "]" * 100_000, "The document is nested too deeply."),
        # A lone surrogate decodes, then fails the database write with UnicodeEncodeError.
        (
            '{"name": "\\ud800", "member": "\\udfff", "status": "\\ud800", "message": "\\ud800"}',
            "Strings may not contain unpaired UTF-16 surrogates.",
        ),
        (
            '[{"op": "add", "path": "/name", "value": "a\\ud83d"}]',
            "Strings may not contain unpaired UTF-16 surrogates.",
        ),
        ('{"\\ud800": "x"}', "Strings may not contain unpaired UTF-16 surrogates."),
    ],
)
def test_undecodable_json_bodies_are_400_on_every_json_route(
    alice, bob, method, path, content_type, raw, details
):
    image = alice.create_image(visibility="shared", disk_format="raw", container_format="bare")
    url = path.format(id=image["id"], project=bob.project_id)
    response = alice.request(method, url, raw=raw, content_type=content_type)
    error = envelope(assert_status(response, 400))
    assert error["message"] == "Malformed JSON in request body."
    assert error["details"] == details
    assert alice.get(f"/v2/images/{image['id']}").json()["name"] is None


def test_a_paired_surrogate_escape_is_an_ordinary_character(alice):
    # "\ud83d\ude00" is one 4-byte character: refused by the text rule, not the decoder.
    raw = '{"name": "\\ud83d\\ude00"}'
    response = assert_status(alice.post("/v2/images", raw=raw), 400)
    assert envelope(response)["message"] == "Name can't contain 4 byte unicode characters."


@pytest.mark.parametrize(
    "url",
    [
        "/admin/catalog/projectquota/?project_id=%00",
        "/admin/catalog/publicationrequest/?status__exact=%00",
        "/admin/identity/token/?project_id=%00",
        "/admin/identity/project/?id__exact=%00",
        "/admin/identity/project/%00/change/",
        "/admin/identity/project/a%00b/delete/",
        "/admin/?%00=1",
    ],
)
def test_nul_in_an_admin_url_is_400(admin, url):
    # Each was a 500 on PostgreSQL (found by fuzzing the admin): NUL reached a query.
    from django.contrib.auth import get_user_model
    from django.test import Client

    browser = Client()
    browser.force_login(get_user_model().objects.get(username="admin"))
    assert_status(browser.get(url), 400)
    assert_status(browser.get("/admin/catalog/projectquota/?project_id=x"), 200)


def test_nul_in_api_urls_keeps_the_api_answers(alice):
    # The API answers NUL itself, as Glance would: an id finds nothing, a filter is refused.
    envelope(assert_status(alice.get("/v2/images/a%00b"), 404))
    envelope(assert_status(alice.get("/v2/images?name=%00"), 400))


ACCEPT_HEADERS = [
    "application/octet-stream",
    "text/html",
    "application/xml",
    "application/vnd.openstack.images-v2.1",
    "text/plain",
]


@pytest.mark.parametrize("accept", ACCEPT_HEADERS)
def test_no_accept_header_is_ever_406(alice, anonymous, accept):
    # Glance never negotiates: DRF's default answered 406 to all of these, uploads and
    # downloads with Accept: application/octet-stream included.
    headers = {"Accept": accept}
    assert_status(anonymous.get("/versions", headers=headers), 200)
    assert_status(anonymous.get("/", headers=headers), 300)
    listed = assert_status(alice.get("/v2/images", headers=headers), 200)
    assert listed["Content-Type"] == "application/json"
    image = alice.create_image(disk_format="raw", container_format="bare")
    upload = alice.put(
        f"/v2/images/{image['id']}/file",
        raw=b"some data",
        content_type="application/octet-stream",
        headers=headers,
    )
    assert_status(upload, 204)
    download = assert_status(alice.get(f"/v2/images/{image['id']}/file", headers=headers), 200)
    assert b"".join(download.streaming_content) == b"some data"
    envelope(assert_status(alice.get("/v2/images/nope", headers=headers), 404))


def test_one_rule_says_whether_a_request_has_a_body():
    """Bodiless routes and data routes read the framing the same way (gzip, chunked too)."""
    from django.test import RequestFactory

    from catalog.exceptions import BadRequest
    from catalog.http import body_length, has_body

    factory = RequestFactory()
    chunked = factory.get("/", headers={"Transfer-Encoding": "gzip, chunked"})
    assert has_body(chunked) and body_length(chunked.META) is None
    assert not has_body(factory.get("/"))
    sized = factory.post("/", data=b"abc", content_type="application/octet-stream")
    assert has_body(sized) and body_length(sized.META) == 3
    bad = factory.get("/", CONTENT_LENGTH="-5")
    with pytest.raises(BadRequest, match="Invalid Content-Length"):
        has_body(bad)


# Every /v2 route: the methods it serves (its Allow header, in this order) and those of them
# that take no body (a body is a 400 there).
ROUTES = [
    ("/v2/images", "GET, POST", {"GET"}),
    ("/v2/images/{id}", "GET, PATCH, DELETE", {"GET", "DELETE"}),
    ("/v2/images/{id}/file", "GET, PUT", {"GET"}),
    ("/v2/images/{id}/stage", "PUT", set()),
    ("/v2/images/{id}/import", "POST", set()),
    ("/v2/images/{id}/actions/deactivate", "POST", {"POST"}),
    ("/v2/images/{id}/actions/reactivate", "POST", {"POST"}),
    ("/v2/images/{id}/tags/a.b", "PUT, DELETE", {"PUT", "DELETE"}),
    ("/v2/images/{id}/tasks", "GET", {"GET"}),
    ("/v2/images/{id}/members", "GET, POST", {"GET"}),
    ("/v2/images/{id}/members/{project}", "GET, PUT, DELETE", {"GET", "DELETE"}),
    ("/v2/tasks", "GET", {"GET"}),
    ("/v2/tasks/{id}", "GET", {"GET"}),
    ("/v2/info/import", "GET", {"GET"}),
    ("/v2/info/stores", "GET", {"GET"}),
    ("/v2/info/stores/detail", "GET", {"GET"}),
    ("/v2/info/usage", "GET", {"GET"}),
    ("/v2/stores/file/{id}", "DELETE", {"DELETE"}),
    ("/v2/x-vitrine/images/{id}/publication-requests", "GET, POST", {"GET"}),
    ("/v2/x-vitrine/publication-requests", "GET", {"GET"}),
    ("/v2/x-vitrine/member-invitations", "GET", {"GET"}),
    *((f"/v2/schemas/{name}", "GET", {"GET"}) for name in SCHEMA_NAMES),
]
NOT_A_BODY_ERROR = "A body is not expected with this request."


@pytest.mark.parametrize("path,allow,bodiless", ROUTES)
def test_every_route_serves_exactly_its_methods(admin, path, allow, bodiless):
    image = admin.create_image()
    url = path.format(id=image["id"], project=admin.project_id)
    for method in ("OPTIONS", "HEAD", "TRACE"):
        response = assert_status(admin.request(method, url), 405)
        assert response["Allow"] == allow, method
    served = allow.split(", ")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        response = admin.request(method, url, body={"x": 1})
        if method not in served:
            assert_status(response, 405)
            assert response["Allow"] == allow
        elif method in bodiless:
            assert envelope(assert_status(response, 400))["message"] == NOT_A_BODY_ERROR
        else:
            assert NOT_A_BODY_ERROR.encode() not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/v2",
        "/v2/images/{id}/",
        "/v2/images/{id}/nope",
        "/v2/images/{id}/actions",
        "/v2/images/{id}/actions/nope",
        "/v2/images/{id}/tags",
        "/v2/images/{id}/tags/a/b",
        "/v2/images/{id}/file/x",
        "/v2/images.json",
        "/v2/images/{id}/members/a/b",
        "/v2/info",
        "/v2/info/nope",
        "/v2/stores",
        "/v2/stores/file",
        "/v2/x-vitrine",
        "/v2/x-vitrine/images/{id}",
        "/v2/schemas",
        "/v2/schemas/nope",
        "/v2/tasks/a/b",
    ],
)
def test_unknown_sub_paths_are_404(admin, path):
    image = admin.create_image()
    url = path.format(id=image["id"])
    for method in ("GET", "POST"):
        error = envelope(assert_status(admin.request(method, url), 404))
        assert error["message"] == f"The resource could not be found: {url}"
