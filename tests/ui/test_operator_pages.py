"""The catalog without rough edges (issue: the operator's experience): the show-hidden toggle,
IEC sizes, booleans in words, badges on "Shared with us", bulk actions with a confirmation,
the home dashboard, the usage-over-time chart and Swagger UI without inline style."""

import io

from PIL import Image as PILImage

from catalog.models import Image, UsageSample
from catalog.services import quotas, usage_history
from tests.conftest import assert_status
from tests.ui.conftest import give_data

LIST = "/catalog/images/"
RAW = {"disk_format": "raw", "container_format": "bare"}


def test_show_hidden_toggle_lists_hidden_images_with_the_others(alice_web, alice):
    alice.create_image(name="plain-one")
    alice.create_image(name="hidden-one", os_hidden=True)
    page = alice_web.get(LIST).content.decode()
    assert "plain-one" in page and "hidden-one" not in page
    assert 'name="show_hidden"' in page and "Show hidden images" in page
    page = alice_web.get(f"{LIST}?show_hidden=1").content.decode()
    assert "plain-one" in page and "hidden-one" in page
    assert 'id="f-show-hidden" type="checkbox" name="show_hidden" value="1" checked' in page
    # The API's own filter still means "only hidden ones".
    page = alice_web.get(f"{LIST}?os_hidden=true").content.decode()
    assert "hidden-one" in page and "plain-one" not in page


def test_sizes_are_iec_and_booleans_words(alice_web, alice):
    image = alice.create_image(name="sized", **RAW)
    give_data(alice, image["id"], size=1536)
    assert "1.5 KiB" in alice_web.get(LIST).content.decode()
    page = alice_web.get(f"{LIST}{image['id']}/").content.decode()
    assert "1.5 KiB (1536 bytes)" in page
    assert 'data-attribute="protected">no<' in page and ">False<" not in page


def test_shared_with_us_shows_deactivated_badge(admin, alice, bob, bob_web):
    image = alice.create_image(name="offered", visibility="shared", **RAW)
    give_data(alice, image["id"])
    assert_status(alice.post(f"/v2/images/{image['id']}/members", {"member": bob.project_id}), 200)
    assert_status(admin.post(f"/v2/images/{image['id']}/actions/deactivate"), 204)
    page = bob_web.get("/catalog/invitations/").content.decode()
    assert "offered" in page and '<span class="badge badge-bad">deactivated</span>' in page


def test_bulk_deactivate_asks_then_acts_through_the_services(alice_web, alice, bob):
    ids = []
    for name in ("bulk-a", "bulk-b"):
        image = alice.create_image(name=name, **RAW)
        give_data(alice, image["id"])
        ids.append(image["id"])
    foreign = bob.create_image(name="not-mine")["id"]
    data = {"action": "deactivate", "image": [*ids, foreign]}
    page = assert_status(alice_web.post("/catalog/images/bulk/", data), 200).content.decode()
    assert "Deactivate 2 images?" in page and "bulk-a" in page and "bulk-b" in page
    assert "not-mine" not in page  # invisible ids are left out
    assert set(Image.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"active"}
    done = alice_web.post("/catalog/images/bulk/", {**data, "confirmed": "yes"}, follow=True)
    assert "2 images deactivated." in done.content.decode()
    assert set(Image.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"deactivated"}


def test_bulk_refusals_carry_the_service_message(alice_web, alice):
    image = alice.create_image(name="guarded", protected=True)
    data = {"action": "delete", "image": [image["id"]], "confirmed": "yes"}
    page = alice_web.post("/catalog/images/bulk/", data, follow=True).content.decode()
    assert "guarded:" in page and "protected" in page.lower()
    assert Image.objects.filter(pk=image["id"], deleted=False).exists()


def test_bulk_share_adds_members(alice_web, alice, bob):
    image = alice.create_image(name="to-share", visibility="shared")
    data = {"action": "share", "image": [image["id"]], "project": "project-b"}
    assert "Share 1 image?" in alice_web.post("/catalog/images/bulk/", data).content.decode()
    alice_web.post("/catalog/images/bulk/", {**data, "confirmed": "yes"})
    members = assert_status(alice.get(f"/v2/images/{image['id']}/members"), 200).json()
    assert [m["member_id"] for m in members["members"]] == [bob.project_id]


def test_home_is_a_project_dashboard(alice_web, alice, project_a):
    quotas.set_project_quota(project_a.id, image_size_total=1)
    image = alice.create_image(name="counted", **RAW)
    give_data(alice, image["id"], size=512 * 1024)
    alice.create_image(name="waiting")
    usage_history.record_daily_samples()
    page = assert_status(alice_web.get("/catalog/"), 200).content.decode()
    assert "Images of project-a" in page
    assert 'status=active">active</a> <span>1</span>' in page
    assert 'status=queued">queued</a> <span>1</span>' in page
    assert "512 KiB used of 1 MiB (50 %)" in page and "<meter" in page
    assert "Publication requests</a> <span>0 pending</span>" in page
    assert f"/catalog/usage/{project_a.id}/history.png" in page
    assert '512 KiB</td><td class="num">2</td>' in page  # today's sample, as a table


def test_usage_history_chart_is_a_png_for_visible_projects(alice_web, project_a, project_b):
    UsageSample.objects.create(project_id=project_a.id, day="2026-01-01", stored_bytes=10)
    url = f"/catalog/usage/{project_a.id}/history.png"
    response = assert_status(alice_web.get(url), 200)
    assert response["Content-Type"] == "image/png"
    assert PILImage.open(io.BytesIO(response.content)).size[0] == 1120
    assert_status(alice_web.get(f"/catalog/usage/{project_b.id}/history.png"), 404)


def test_swagger_ui_has_no_inline_style(client):
    page = assert_status(client.get("/api/docs/"), 200).content.decode()
    assert "<style" not in page and "catalog/swagger.css" in page


def test_home_shows_the_projects_recent_activity(
    alice_web, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mine = alice.create_image(name="mine", **RAW)
    with django_capture_on_commit_callbacks(execute=True):
        bob.create_image(name="not ours", **RAW)
    page = assert_status(alice_web.get("/catalog/"), 200).content.decode()
    recent = page.split('id="recent-activity"', 1)[1].split("</ul>", 1)[0]
    assert f'/catalog/images/{mine["id"]}/">image.create</a>' in recent
    assert recent.count("<li") == 1  # bob's project's image is not alice's activity
