"""Sharing, invitations and quota usage pages."""

import io

import pytest
from PIL import Image as PILImage

from catalog.models import ImageMember
from catalog.services import quotas
from tests.conftest import assert_status


@pytest.fixture
def shared_image(alice):
    return alice.create_image(name="to-share", visibility="shared")


def test_owner_shares_with_a_project_by_name(alice_web, shared_image, project_b):
    response = alice_web.post(
        f"/catalog/images/{shared_image['id']}/share/", {"project": "project-b"}
    )
    assert_status(response, 302)
    row = ImageMember.objects.get(image_id=shared_image["id"])
    assert (row.member, row.status) == (project_b.id, "pending")
    html = alice_web.get(f"/catalog/images/{shared_image['id']}/").content.decode()
    assert "project-b" in html and "member-pending" in html


def test_sharing_twice_is_a_form_error(alice_web, shared_image, project_b):
    url = f"/catalog/images/{shared_image['id']}/share/"
    alice_web.post(url, {"project": project_b.id})
    html = assert_status(alice_web.post(url, {"project": project_b.id}), 409).content.decode()
    assert "is duplicated for image" in html


def test_private_images_cannot_be_shared(alice_web, alice, project_b):
    image = alice.create_image(name="p", visibility="private")
    assert_status(
        alice_web.post(f"/catalog/images/{image['id']}/share/", {"project": "project-b"}), 403
    )
    assert not ImageMember.objects.exists()


def test_reader_cannot_share(carol_web, shared_image, project_b):
    response = carol_web.post(
        f"/catalog/images/{shared_image['id']}/share/", {"project": "project-b"}
    )
    assert_status(response, 403)
    assert not ImageMember.objects.exists()


def test_member_sees_and_accepts_the_invitation(alice_web, bob_web, shared_image, project_b):
    alice_web.post(f"/catalog/images/{shared_image['id']}/share/", {"project": "project-b"})
    html = bob_web.get("/catalog/invitations/").content.decode()
    assert "to-share" in html and "project-a" in html
    assert "to-share" not in bob_web.get("/catalog/images/").content.decode()  # not yet accepted
    response = bob_web.post(f"/catalog/images/{shared_image['id']}/decide/", {"status": "accepted"})
    assert_status(response, 302)
    assert ImageMember.objects.get().status == "accepted"
    assert "to-share" in bob_web.get("/catalog/images/").content.decode()
    assert "to-share" not in bob_web.get("/catalog/invitations/").content.decode()
    assert "to-share" in bob_web.get("/catalog/invitations/?status=accepted").content.decode()


def test_owner_cannot_decide_for_the_member(alice_web, shared_image, project_b):
    alice_web.post(f"/catalog/images/{shared_image['id']}/share/", {"project": "project-b"})
    alice_web.post(f"/catalog/images/{shared_image['id']}/decide/", {"status": "accepted"})
    assert ImageMember.objects.get().status == "pending"


def test_member_cannot_unshare_and_strangers_see_nothing(
    alice_web, bob_web, carol, shared_image, project_b
):
    alice_web.post(f"/catalog/images/{shared_image['id']}/share/", {"project": "project-b"})
    url = f"/catalog/images/{shared_image['id']}/members/{project_b.id}/remove/"
    bob_web.post(url)
    assert not ImageMember.objects.get().deleted
    assert_status(alice_web.post(url), 302)
    assert ImageMember.objects.get().deleted


def test_usage_page_shows_the_acting_project_only(alice_web, alice, project_a, project_b):
    quotas.set_project_quota(project_a.id, image_count_total=10)
    alice.create_image(name="one")
    html = assert_status(alice_web.get("/catalog/usage/"), 200).content.decode()
    assert "project-a" in html and "project-b" not in html
    assert "1 of 10 (10 %)" in html
    assert f"/catalog/usage/{project_a.id}/chart.png" in html


def test_usage_chart_is_a_png(alice_web, project_a, project_b):
    response = assert_status(alice_web.get(f"/catalog/usage/{project_a.id}/chart.png"), 200)
    assert response["Content-Type"] == "image/png"
    picture = PILImage.open(io.BytesIO(response.content))
    assert picture.format == "PNG" and picture.size[0] == 1120  # the page's full width
    assert_status(alice_web.get(f"/catalog/usage/{project_b.id}/chart.png"), 404)


def test_admins_see_every_project(admin_web, project_a, project_b):
    html = admin_web.get("/catalog/usage/").content.decode()
    assert "project-a" in html and "project-b" in html
    assert_status(admin_web.get(f"/catalog/usage/{project_b.id}/chart.png"), 200)


def test_an_unstorable_project_id_is_a_form_error(alice_web, shared_image):
    url = f"/catalog/images/{shared_image['id']}/share/"
    for project in ("x" * 300, "a\x00b", "snake \U0001f40d"):
        assert_status(alice_web.post(url, {"project": project}), 400)
    assert not ImageMember.objects.exists()


def test_the_members_service_checks_every_id_it_is_given(alice, shared_image):
    from catalog.context import RequestContext, expand_roles
    from catalog.exceptions import BadRequest
    from catalog.services import members

    ctx = RequestContext(user_id="u", project_id=alice.project_id, roles=expand_roles(["member"]))
    for bad in ("", "a\x00b", "x" * 300, 42):
        with pytest.raises(BadRequest):
            members.add_member(ctx, shared_image["id"], bad)
