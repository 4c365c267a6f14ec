"""Image families: the family list, deprecation properties (validated on PATCH), the
automatic deprecation and hiding when a newer version is published, and the periodic hide."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import FamilyPolicy, Image
from catalog.services import families, publication
from catalog.worker import jobs
from tests.api.test_publication import active_image
from tests.api.test_publication_checklist import admin_ctx
from tests.conftest import assert_status

FAMILIES = "/v2/x-vitrine/families"


def version(persona, family, number, **body):
    return active_image(
        persona,
        name=f"{family}-{number}",
        x_vitrine_family=family,
        x_vitrine_version=number,
        **body,
    )


def props(image_id):
    return dict(Image.objects.get(pk=image_id).properties.values_list("name", "value"))


def test_families_list_latest_count_and_size(alice, bob, admin):
    a = [version(alice, "ubuntu", v) for v in ("1.9", "1.10", "1.2")]
    version(alice, "debian", "12")
    version(bob, "ubuntu", "99")  # bob's family of the same name is another family
    body = assert_status(alice.get(FAMILIES), 200).json()
    ours = [f for f in body["families"] if f["owner"] == alice.project_id]
    assert [f["name"] for f in ours] == ["debian", "ubuntu"]
    ubuntu = ours[1]
    assert ubuntu["latest_image_id"] == a[1]["id"] and ubuntu["latest_version"] == "1.10"
    assert (ubuntu["image_count"], ubuntu["total_size"]) == (3, 3 * 512)
    assert ubuntu["id"] == f"{alice.project_id}/ubuntu"
    # bob's private family is not alice's to see; the admin sees all three.
    assert all(f["owner"] == alice.project_id for f in body["families"])
    assert len(admin.get(FAMILIES).json()["families"]) == 3
    # The property filter works as any other.
    listed = alice.get("/v2/images", x_vitrine_family="ubuntu").json()["images"]
    assert {i["id"] for i in listed} == {i["id"] for i in a}


def test_families_marker_pagination(admin, alice):
    for name in ("a", "b", "c"):
        version(alice, name, "1")
    first = assert_status(admin.get(FAMILIES, limit=2), 200).json()
    assert [f["name"] for f in first["families"]] == ["a", "b"]
    second = assert_status(admin.get(first["next"]), 200).json()
    assert [f["name"] for f in second["families"]] == ["c"] and "next" not in second
    response = assert_status(admin.get(FAMILIES, marker="nobody/none"), 400)
    assert "Invalid marker" in response.json()["error"]["message"]
    assert_status(admin.get(FAMILIES, limit="x"), 400)


def test_deprecation_properties_are_validated_on_patch(alice, bob):
    old = version(alice, "f", "1")
    new = version(alice, "f", "2")
    bobs = active_image(bob, name="bobs", visibility="private")
    url = f"/v2/images/{old['id']}"

    def add(name, value):
        return alice.patch(url, [{"op": "add", "path": f"/{name}", "value": value}])

    response = assert_status(add("x_vitrine_superseded_by", bobs["id"]), 400)
    assert response.json()["error"]["message"] == (
        f"Invalid x_vitrine_superseded_by value: no image {bobs['id']} is visible to you."
    )
    assert_status(add("x_vitrine_superseded_by", "no-such-image"), 400)
    assert_status(add("x_vitrine_deprecated", "maybe"), 400)
    assert_status(add("x_vitrine_hide_after", "tomorrow"), 400)
    assert_status(add("x_vitrine_deprecated", "true"), 200)
    body = assert_status(add("x_vitrine_superseded_by", new["id"]), 200).json()
    assert body["x_vitrine_deprecated"] == "true"
    assert body["x_vitrine_superseded_by"] == new["id"]
    # Visible to every client that reads the image, as plain properties.
    shown = alice.get(url).json()
    assert shown["x_vitrine_deprecated"] == "true"


@pytest.mark.parametrize("hide_days", [0, 3])
def test_publishing_a_newer_version_deprecates_and_hides_the_previous(alice, hide_days):
    families.set_policy(
        alice.project_id,
        "ubuntu",
        on_new_version=FamilyPolicy.DEPRECATE_AND_HIDE,
        hide_after_days=hide_days,
    )
    old = version(alice, "ubuntu", "24.04-20240115")
    new = version(alice, "ubuntu", "24.04-20240201")
    publication.publish_directly(admin_ctx(), new["id"])
    after = props(old["id"])
    assert after["x_vitrine_deprecated"] == "true"
    assert after["x_vitrine_superseded_by"] == new["id"]
    assert "x_vitrine_hide_after" in after
    assert Image.objects.get(pk=old["id"]).os_hidden is (hide_days == 0)
    assert "x_vitrine_deprecated" not in props(new["id"])
    if hide_days:
        # The periodic job hides it once the date has passed.
        assert families.hide_expired() == 0
        later = timezone.now() + timedelta(days=hide_days, minutes=1)
        assert families.hide_expired(later) == 1
        assert Image.objects.get(pk=old["id"]).os_hidden
    assert "hide deprecated images" in [job.name for job in jobs.PERIODIC]


def test_publishing_an_older_version_or_without_a_policy_deprecates_nothing(alice, bob):
    old = version(alice, "f", "1")
    new = version(alice, "f", "2")
    publication.publish_directly(admin_ctx(), new["id"])  # no policy: keep
    assert "x_vitrine_deprecated" not in props(old["id"])
    families.set_policy(alice.project_id, "f", on_new_version=FamilyPolicy.DEPRECATE)
    publication.publish_directly(admin_ctx(), old["id"])  # not the latest
    assert "x_vitrine_deprecated" not in props(new["id"])


def test_another_projects_family_of_the_same_name_is_untouched(alice, bob):
    families.set_policy(bob.project_id, "f", on_new_version=FamilyPolicy.DEPRECATE)
    bobs_old = version(bob, "f", "1")
    alices = version(alice, "f", "5")
    publication.publish_directly(admin_ctx(), alices["id"])
    assert "x_vitrine_deprecated" not in props(bobs_old["id"])
