"""The HTML catalog's image pages: the same visibility and policy as the API."""

import pytest

from catalog.models import Image
from tests.conftest import assert_status
from tests.ui.conftest import give_data


@pytest.fixture
def alices_image(alice):
    return alice.create_image(
        name="alpine",
        disk_format="raw",
        container_format="bare",
        tags=["linux"],
        os_distro="alpine",
    )


def page(client, path, status=200) -> str:
    return assert_status(client.get(path), status).content.decode()


def test_list_shows_visible_images_with_badges(alice_web, alices_image, bob):
    bob.create_image(name="bobs-private", visibility="private")
    html = page(alice_web, "/catalog/images/")
    assert "alpine" in html and alices_image["id"] in html
    assert "bobs-private" not in html
    assert 'class="badge vis-shared"' in html


def test_owner_filter_offers_only_the_users_projects(alice_web, admin_web, project_b):
    assert "project-b" not in page(alice_web, "/catalog/images/")
    assert "project-b" in page(admin_web, "/catalog/images/")


def test_list_filters_search_and_sort(alice_web, alice):
    alice.create_image(name="zeta", disk_format="qcow2", container_format="bare")
    alice.create_image(name="alpha", disk_format="raw", container_format="bare", tags=["t1"])
    html = page(alice_web, "/catalog/images/?disk_format=qcow2&status=&q=")
    assert "zeta" in html and "alpha" not in html
    html = page(alice_web, "/catalog/images/?q=ALP")
    assert "alpha" in html and "zeta" not in html
    html = page(alice_web, "/catalog/images/?q=t1")  # a tag
    assert "alpha" in html and "zeta" not in html
    html = page(alice_web, "/catalog/images/?sort=name:asc")
    assert html.index("alpha") < html.index("zeta")
    html = page(alice_web, "/catalog/images/?sort=name:desc")
    assert html.index("zeta") < html.index("alpha")


def test_list_marker_pagination(alice_web, alice):
    for index in range(3):
        alice.create_image(name=f"img-{index}")
    html = page(alice_web, "/catalog/images/?sort=name:asc&limit=2")
    assert "img-0" in html and "img-1" in html and "img-2" not in html
    assert 'rel="next"' in html
    marker = Image.objects.get(name="img-1").pk
    html = page(alice_web, f"/catalog/images/?sort=name:asc&limit=2&marker={marker}")
    assert "img-2" in html and "img-0" not in html and "First page" in html


def test_bad_filter_is_a_clear_error_not_a_crash(alice_web):
    html = page(alice_web, "/catalog/images/?sort=nope", 400)
    assert "Invalid sort key: nope" in html


def test_detail_shows_attributes_properties_and_tags(alice_web, alices_image):
    html = page(alice_web, f"/catalog/images/{alices_image['id']}/")
    assert "alpine" in html and "os_distro" in html and "linux" in html
    assert "project-a" in html  # the owner's name
    assert "Edit" in html


def test_others_private_images_are_invisible(bob_web, alice):
    image = alice.create_image(name="secret", visibility="private")
    page(bob_web, f"/catalog/images/{image['id']}/", 404)
    assert_status(bob_web.post(f"/catalog/images/{image['id']}/edit/", {"name": "x"}), 404)
    assert_status(bob_web.post(f"/catalog/images/{image['id']}/delete/"), 404)
    assert Image.objects.get(pk=image["id"]).name == "secret"


def test_edit_changes_name_protection_properties_and_tags(alice_web, alices_image):
    response = alice_web.post(
        f"/catalog/images/{alices_image['id']}/edit/",
        {
            "name": "alpine-3.20",
            "visibility": "private",
            "protected": "on",
            "properties": "os_version=3.20\nhw_disk_bus=virtio",
            "tags": "linux, small",
        },
    )
    assert_status(response, 302)
    image = Image.objects.get(pk=alices_image["id"])
    assert (image.name, image.visibility, image.protected) == ("alpine-3.20", "private", True)
    assert image.extra_properties == {"os_version": "3.20", "hw_disk_bus": "virtio"}
    assert image.tag_list == ["linux", "small"]


def test_edit_errors_are_shown_on_the_form(alice_web, alices_image):
    url = f"/catalog/images/{alices_image['id']}/edit/"
    response = alice_web.post(url, {"name": "x", "visibility": "shared", "properties": "novalue"})
    assert (
        "Line 1: write each property as key=value." in assert_status(response, 400).content.decode()
    )
    # Publishing is admin-only: the service's refusal is the form's error.
    response = alice_web.post(url, {"name": "x", "visibility": "public"})
    html = assert_status(response, 403).content.decode()
    assert "publicize_image" in html
    assert Image.objects.get(pk=alices_image["id"]).visibility == "shared"


def test_reader_cannot_edit(carol_web, alices_image):
    html = page(carol_web, f"/catalog/images/{alices_image['id']}/")
    assert "alpine" in html and 'action="/catalog/images/' not in html.split("Attributes")[1]
    response = carol_web.post(
        f"/catalog/images/{alices_image['id']}/edit/", {"name": "mine", "visibility": "shared"}
    )
    assert_status(response, 403)
    assert Image.objects.get(pk=alices_image["id"]).name == "alpine"
    response = carol_web.post(f"/catalog/images/{alices_image['id']}/delete/", follow=True)
    assert "not authorized" in response.content.decode()
    assert not Image.objects.get(pk=alices_image["id"]).deleted


def test_reader_cannot_create(carol_web):
    response = carol_web.post(
        "/catalog/images/new/",
        {"name": "n", "disk_format": "raw", "container_format": "bare", "visibility": "private"},
    )
    assert_status(response, 403)
    assert not Image.objects.filter(name="n").exists()


def test_new_image_then_the_upload_page(alice_web):
    response = alice_web.post(
        "/catalog/images/new/",
        {
            "name": "fresh",
            "disk_format": "raw",
            "container_format": "bare",
            "visibility": "private",
            "properties": "os_distro=debian",
            "tags": "a,b",
        },
    )
    image = Image.objects.get(name="fresh")
    assert response["Location"] == f"/catalog/images/{image.pk}/upload/"
    assert image.extra_properties == {"os_distro": "debian"} and image.tag_list == ["a", "b"]
    html = page(alice_web, response["Location"])
    assert f'data-upload-url="/v2/images/{image.pk}/file"' in html
    assert "<script>" not in html


def test_new_image_form_errors(alice_web):
    response = alice_web.post("/catalog/images/new/", {"name": "", "disk_format": "nope"})
    html = assert_status(response, 400).content.decode()
    assert "This field is required." in html and "Select a valid choice." in html


def test_the_browser_upload_path_takes_a_session_with_csrf(alice, alices_image):
    """The upload page's request: PUT /file with the session cookie and X-CSRFToken."""
    from django.test import Client

    from catalog.identity import services as identity

    client = Client(enforce_csrf_checks=True)
    client.force_login(identity.ensure_user("alice")[0])
    html = client.get(f"/catalog/images/{alices_image['id']}/upload/").content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    url = f"/v2/images/{alices_image['id']}/file"
    data = b"\0" * 4096
    refused = client.generic("PUT", url, data, content_type="application/octet-stream")
    assert_status(refused, 403)
    response = client.generic(
        "PUT", url, data, content_type="application/octet-stream", headers={"X-CSRFToken": token}
    )
    assert_status(response, 204)
    assert Image.objects.get(pk=alices_image["id"]).size == 4096
    # The detail page's download link is the API's, with the same session.
    download = assert_status(client.get(url), 200)
    assert b"".join(download.streaming_content) == data


def test_web_download_form_refuses_unsafe_urls(alice_web, alices_image):
    response = alice_web.post(
        f"/catalog/images/{alices_image['id']}/upload/", {"uri": "http://169.254.169.254/x"}
    )
    html = assert_status(response, 400).content.decode()
    assert 'class="error"' in html
    assert Image.objects.get(pk=alices_image["id"]).status == "queued"


def test_upload_page_of_an_image_that_cannot_be_written(bob_web, carol_web, alices_image):
    page(bob_web, f"/catalog/images/{alices_image['id']}/upload/", 404)  # invisible to bob
    # carol, a reader of the owner project, sees the image but may not write it (as the API).
    page(carol_web, f"/catalog/images/{alices_image['id']}/upload/", 403)


def test_actions_deactivate_delete_and_request_publication(alice_web, alice, alices_image):
    image_id = alices_image["id"]
    give_data(alice, image_id)
    assert_status(alice_web.post(f"/catalog/images/{image_id}/deactivate/"), 302)
    assert Image.objects.get(pk=image_id).status == "deactivated"
    assert_status(alice_web.post(f"/catalog/images/{image_id}/reactivate/"), 302)
    assert_status(alice_web.post(f"/catalog/images/{image_id}/request-publication/"), 302)
    assert Image.objects.get(pk=image_id).publication_requests.filter(status="pending").exists()
    assert_status(alice_web.post(f"/catalog/images/{image_id}/delete/"), 302)
    assert Image.objects.get(pk=image_id).deleted
    assert_status(alice_web.post(f"/catalog/images/{image_id}/nonsense/"), 404)


def test_protected_images_are_not_deleted(alice_web, alice):
    image = alice.create_image(name="keep", protected=True)
    response = alice_web.post(f"/catalog/images/{image['id']}/delete/", follow=True)
    assert "is protected and cannot be deleted" in response.content.decode()
    assert not Image.objects.get(pk=image["id"]).deleted


def test_actions_need_post(alice_web, alices_image):
    assert_status(alice_web.get(f"/catalog/images/{alices_image['id']}/delete/"), 405)


def test_pages_need_a_login(client, alices_image):
    for path in ("/catalog/images/", f"/catalog/images/{alices_image['id']}/", "/catalog/usage/"):
        assert_status(client.get(path), 302)


def test_pages_have_no_inline_script_or_style(alice_web, alices_image):
    """The CSP forbids inline code: every page loads its script and styles from files."""
    import re

    image_id = alices_image["id"]
    paths = [
        "/catalog/",
        "/catalog/images/",
        f"/catalog/images/{image_id}/",
        f"/catalog/images/{image_id}/upload/",
        "/catalog/images/new/",
        "/catalog/invitations/",
        "/catalog/usage/",
        "/catalog/publications/",
    ]
    for path in paths:
        response = assert_status(alice_web.get(path), 200)
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
            assert "csrfmiddlewaretoken" in form, (path, form[:200])


def test_missing_pages_are_html_in_the_catalog(alice_web):
    response = assert_status(alice_web.get("/catalog/images/no-such-image/"), 404)
    assert response["Content-Type"].startswith("text/html")
    assert "There is nothing here that you may see." in response.content.decode()


def test_list_page_queries_do_not_grow_with_the_page(alice_web, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert_status(alice_web.get("/catalog/images/"), 200)
        return len(captured.captured_queries)

    alice.create_image(name="first", tags=["a"], os_distro="x")
    queries()
    few = queries()
    for index in range(15):
        alice.create_image(name=f"more-{index}", tags=["a", "b"], os_distro="y")
    assert queries() == few


def test_upload_page_offers_web_download_only_where_enabled(alice_web, alices_image, settings):
    url = f"/catalog/images/{alices_image['id']}/upload/"
    assert 'id="import-title"' in page(alice_web, url)
    settings.CATALOG_ENABLED_IMPORT_METHODS = ["glance-direct"]
    assert 'id="import-title"' not in page(alice_web, url)
    response = alice_web.post(url, {"uri": "http://example.com/disk.img"})
    assert_status(response, 400)
    assert Image.objects.get(pk=alices_image["id"]).status == "queued"
