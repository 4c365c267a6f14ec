"""Ids are checked before any query everywhere a path or body carries one (issue 15,
finding 2 beyond the identity API): every /v2 route of the OpenAPI document, the HTML
catalog and the admin, with Unicode digits, overlong and odd ids. Never a 5xx."""

import re
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import assert_status
from tests.ui.conftest import session_for

STRANGE = ["²", "𝟙", "9" * 30, "x" * 300, "-1", "%00", "ſ"]


def fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", quote(value, safe="%"), path)


@pytest.fixture
def document(anonymous):
    response = anonymous.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    return assert_status(response, 200).json()


def test_every_api_route_survives_strange_ids(document, admin, alice):
    answers = []
    for path, operations in document["paths"].items():
        if "{" not in path:
            continue
        for method in operations:
            for value in STRANGE:
                for caller in (admin, alice):
                    body = {"member": value, "status": "accepted"} if method != "get" else None
                    answers.append(caller.request(method.upper(), fill(path, value), body))
    assert len(answers) > 250
    assert [(a.status_code, a.content[:200]) for a in answers if a.status_code >= 500] == []


def test_every_catalog_and_admin_page_survives_strange_ids(alice, admin):
    browsers = [session_for(alice), session_for(admin)]
    pages = [
        "/catalog/images/{}/",
        "/catalog/images/{}/edit/",
        "/catalog/images/{}/share/",
        "/catalog/images/{}/decide/",
        "/catalog/images/{}/deactivate/",
        "/catalog/images/{}/members/{}/remove/",
        "/catalog/usage/{}/chart.png",
        "/catalog/images/?marker={}",
        "/admin/catalog/image/{}/change/",
        "/admin/catalog/imagemember/{}/change/",
        "/admin/catalog/publicationrequest/{}/change/",
        "/admin/catalog/projectquota/{}/change/",
        "/admin/identity/project/{}/change/",
        "/admin/identity/membership/{}/change/",
        "/admin/identity/token/{}/change/",
        "/admin/auth/user/{}/change/",
        "/admin/auth/user/{}/password/",
    ]
    answers = []
    for browser in browsers:
        for page in pages:
            for value in STRANGE:
                url = page.replace("{}", quote(value, safe="%"))
                answers.append(browser.get(url))
                answers.append(browser.post(url, {"member": value}))
    assert [(a.status_code, a.request["PATH_INFO"]) for a in answers if a.status_code >= 500] == []
    assert get_user_model().objects.filter(username="alice").exists()
