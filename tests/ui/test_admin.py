"""The Django admin of images and memberships: every change goes through the services."""

import pytest

from catalog.models import Image, ImageMember
from catalog.services import quotas
from tests.conftest import assert_status
from tests.ui.conftest import give_data

CHANGELIST = "/admin/catalog/image/"


@pytest.fixture
def image(alice):
    return alice.create_image(
        name="cirros", disk_format="raw", container_format="bare", tags=["demo"], os_distro="cirros"
    )


def change_form(**fields) -> dict:
    """An image change form as the admin posts it (the read-only inlines send no rows)."""
    management = {
        f"{prefix}-{key}": 0
        for prefix in ("tags", "properties", "members")
        for key in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    return {**fields, **management, "tags-INITIAL_FORMS": 1, "properties-INITIAL_FORMS": 1}


def act(client, action, *ids, url=CHANGELIST, follow=True):
    """Run an action, past its confirmation page (image actions ask first)."""
    data = {"action": action, "_selected_action": list(ids), "confirmed": "yes"}
    return client.post(url, data, follow=follow)


def test_changelist_search_and_filters(admin_web, image, alice):
    alice.create_image(name="other", disk_format="qcow2", container_format="bare")
    html = assert_status(admin_web.get(CHANGELIST), 200).content.decode()
    assert "cirros" in html and "other" in html and "project-a" in html
    for query in ("q=cirros", f"q={image['id']}", "q=demo", "q=os_distro"):
        html = admin_web.get(f"{CHANGELIST}?{query}").content.decode()
        assert "cirros" in html and ">other<" not in html, query
    html = admin_web.get(f"{CHANGELIST}?disk_format__exact=qcow2").content.decode()
    assert ">other<" in html and image["id"] not in html
    html = admin_web.get(f"{CHANGELIST}?size=none&owner={alice.project_id}").content.decode()
    assert image["id"] in html


def test_detail_has_computed_fields_and_inlines(admin_web, image):
    html = assert_status(admin_web.get(f"{CHANGELIST}{image['id']}/change/"), 200).content.decode()
    assert "Os hash value" in html and "Virtual size" in html and "Stores" in html
    assert "demo" in html and "cirros" in html  # tag and property inlines
    assert 'name="checksum"' not in html  # read-only


def test_actions_go_through_the_services(admin_web, alice, image):
    image_id = image["id"]
    give_data(alice, image_id)
    act(admin_web, "deactivate", image_id)
    assert Image.objects.get(pk=image_id).status == "deactivated"
    act(admin_web, "reactivate", image_id)
    assert Image.objects.get(pk=image_id).status == "active"
    act(admin_web, "protect", image_id)
    assert Image.objects.get(pk=image_id).protected
    html = act(admin_web, "delete_images", image_id).content.decode()
    assert "is protected and cannot be deleted" in html
    assert not Image.objects.get(pk=image_id).deleted
    act(admin_web, "unprotect", image_id)
    act(admin_web, "delete_images", image_id)
    assert Image.objects.get(pk=image_id).deleted


def test_reactivating_a_queued_image_is_refused_with_a_message(admin_web, image):
    html = act(admin_web, "reactivate", image["id"]).content.decode()
    assert "Not allowed to reactivate image in status &#x27;queued&#x27;" in html


def test_approve_publication(admin_web, alice, image):
    give_data(alice, image["id"])
    assert_status(
        alice.post(f"/v2/x-vitrine/images/{image['id']}/publication-requests", {"message": "pls"}),
        201,
    )
    act(admin_web, "approve_publication", image["id"])
    assert Image.objects.get(pk=image["id"]).visibility == "public"
    html = act(admin_web, "approve_publication", image["id"]).content.decode()
    assert "There is no pending publication request." in html


def test_edit_in_the_admin_is_a_patch(admin_web, image):
    url = f"{CHANGELIST}{image['id']}/change/"
    data = change_form(name="renamed", visibility="community", min_disk=1, min_ram=0)
    response = admin_web.post(url, data)
    assert_status(response, 302)
    saved = Image.objects.get(pk=image["id"])
    assert (saved.name, saved.visibility, saved.min_disk) == ("renamed", "community", 1)
    assert saved.tag_list == ["demo"]


def test_a_refused_edit_says_so_and_leaves_no_history(admin_web, alice, image):
    from django.contrib.admin.models import LogEntry

    url = f"{CHANGELIST}{image['id']}/change/"
    # 4-byte text: the service refuses it (400).
    data = change_form(name="snake \U0001f40d", visibility="shared", min_disk=0, min_ram=0)
    html = admin_web.post(url, data, follow=True).content.decode()
    assert "Not saved:" in html and "was changed successfully" not in html
    assert Image.objects.get(pk=image["id"]).name == "cirros"
    assert not LogEntry.objects.filter(object_id=image["id"]).exists()


def test_no_add_and_no_raw_delete(admin_web, image):
    assert_status(admin_web.get(f"{CHANGELIST}add/"), 403)
    assert_status(admin_web.get(f"{CHANGELIST}{image['id']}/delete/"), 403)


def test_membership_invitations_are_decided_through_the_service(admin_web, alice, bob, image):
    alice.patch(
        f"/v2/images/{image['id']}", [{"op": "replace", "path": "/visibility", "value": "shared"}]
    )
    assert_status(alice.post(f"/v2/images/{image['id']}/members", {"member": bob.project_id}), 200)
    row = ImageMember.objects.get()
    html = admin_web.get("/admin/catalog/imagemember/").content.decode()
    assert "project-b" in html and "pending" in html
    act(admin_web, "accept", row.pk, url="/admin/catalog/imagemember/")
    assert ImageMember.objects.get().status == "accepted"


def test_non_staff_cannot_open_the_admin(alice_web):
    assert_status(alice_web.get(CHANGELIST), 302)


def test_changelist_queries_do_not_grow_with_the_page(admin_web, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert_status(admin_web.get(CHANGELIST), 200)
        return len(captured.captured_queries)

    for index in range(3):
        alice.create_image(name=f"n-{index}")
    queries()
    few = queries()
    for index in range(20):
        alice.create_image(name=f"m-{index}")
    assert queries() == few


def test_project_page_shows_quota_limits_and_usage(admin_web, alice, project_a):
    quotas.set_project_quota(project_a.id, image_count_total=7)
    alice.create_image(name="counted")
    html = admin_web.get(f"/admin/identity/project/{project_a.id}/change/").content.decode()
    assert "<span>images</span>" in html and "1 of 7 (14 %)" in html


def test_bulk_actions_ask_first_listing_what_will_change(admin_web, alice):
    a = alice.create_image(name="first-one", disk_format="raw", container_format="bare")
    b = alice.create_image(name="second-one", disk_format="raw", container_format="bare")
    give_data(alice, a["id"])
    give_data(alice, b["id"])
    data = {"action": "deactivate", "_selected_action": [a["id"], b["id"]]}
    page = assert_status(admin_web.post(CHANGELIST, data), 200).content.decode()
    assert "Are you sure?" in page and "will be deactivated" in page
    assert "first-one" in page and "second-one" in page and "512 bytes" in page
    assert page.count('name="_selected_action"') == 2 and 'name="confirmed"' in page
    assert set(Image.objects.values_list("status", flat=True)) == {"active"}  # nothing yet
    done = admin_web.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    assert "2 selected item(s) deactivated." in done.content.decode()
    assert set(Image.objects.values_list("status", flat=True)) == {"deactivated"}


def test_image_list_is_an_operators_console(admin_web, alice, bob):
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import PublicationRequest

    old = alice.create_image(name="old-queued", disk_format="raw", container_format="bare")
    Image.objects.filter(pk=old["id"]).update(created_at=timezone.now() - timedelta(days=2))
    big = alice.create_image(name="with-data", disk_format="raw", container_format="bare")
    give_data(alice, big["id"], size=1536)
    bob.create_image(name="newest", disk_format="qcow2", container_format="bare")
    PublicationRequest.objects.create(
        image_id=big["id"], project_id=alice.project_id, requested_by="alice"
    )
    html = assert_status(admin_web.get(CHANGELIST), 200).content.decode()
    # Newest first, not by UUID.
    assert html.index("newest") < html.index("with-data") < html.index("old-queued")
    # A short id with a copy button holding the whole id.
    assert f'data-copy="{big["id"]}"' in html and f">{big['id'][:8]}<" in html
    # IEC sizes, owners by project name with a link, badges, date hierarchy.
    assert "1.5 KiB" in html and "1536" not in html.replace('title="1536 bytes"', "")
    assert f'href="/admin/identity/project/{alice.project_id}/change/"' in html
    assert ">project-a</a>" in html and ">project-b</a>" in html
    assert 'class="vt-badge vt-status-active"' in html
    assert 'class="vt-badge vt-visibility-shared"' in html
    assert "created_at__year=" in html  # the date hierarchy

    def listed(query):
        page = admin_web.get(f"{CHANGELIST}?{query}").content.decode()
        return {n for n in ("old-queued", "with-data", "newest") if f">{n}<" in page}

    assert listed("worklist=pending") == {"with-data"}
    assert listed("worklist=stale") == {"old-queued"}
    assert listed("worklist=nodata") == {"old-queued", "newest"}
    assert listed("worklist=deactivated") == set()


def test_change_page_names_properties_and_wraps_hashes(admin_web, image, alice):
    give_data(alice, image["id"])
    html = admin_web.get(f"{CHANGELIST}{image['id']}/change/").content.decode()
    assert "Propertys" not in html and "Properties" in html
    assert "512 bytes (512 bytes)" not in html and "512 bytes" in html
    assert "catalog/admin.css" in html and ">project-a</a>" in html  # owner by name


def test_project_page_shows_quota_bars_with_units_and_its_images(admin_web, alice, image):
    quotas.set_project_quota(alice.project_id, image_size_total=2048)
    give_data(alice, image["id"], size=3 * 1024 * 1024)
    html = admin_web.get(f"/admin/identity/project/{alice.project_id}/change/").content.decode()
    assert '<meter min="0" value="3145728" max="2147483648"' in html
    assert "3 MiB of 2 GiB (0 %)" in html and "0 bytes used (unlimited)" in html
    assert f'href="/admin/catalog/image/{image["id"]}/change/"' in html


def test_quota_overrides_are_listed_with_units(admin_web, project_a):
    quotas.set_project_quota(project_a.id, image_size_total=51200, image_count_total=-1)
    html = admin_web.get("/admin/catalog/projectquota/").content.decode()
    assert "50 GiB" in html and "unlimited" in html and "51200" not in html


def test_image_list_costs_the_same_queries_whatever_the_page_size(admin_web, alice, bob):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert_status(admin_web.get(CHANGELIST), 200)
        return len(captured)

    for index in range(2):
        alice.create_image(name=f"few-{index}")
    few = queries_for_list()
    for index in range(20):
        (alice if index % 2 else bob).create_image(name=f"many-{index}")
    assert queries_for_list() == few  # owner names, badges and sizes add no query per row
