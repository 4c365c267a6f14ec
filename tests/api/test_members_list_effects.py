"""Sharing through the members API, seen in the member's image list (Glance's default list
shows a shared image once its member accepted it)."""

from tests.conftest import assert_status


def listed(persona, **params):
    return {
        i["id"] for i in assert_status(persona.get("/v2/images", **params), 200).json()["images"]
    }


def test_a_shared_image_enters_the_members_list_once_accepted(alice, bob):
    image = alice.create_image(visibility="shared", name="shared")["id"]
    assert_status(alice.post(f"/v2/images/{image}/members", {"member": bob.project_id}), 200)
    assert image not in listed(bob)
    assert image in listed(bob, member_status="pending")
    assert image in listed(bob, member_status="all")
    assert_status(bob.get(f"/v2/images/{image}"), 200)  # visible whatever the decision

    member_path = f"/v2/images/{image}/members/{bob.project_id}"
    assert_status(bob.put(member_path, {"status": "accepted"}), 200)
    assert image in listed(bob)
    assert image not in listed(bob, member_status="pending")

    assert_status(bob.put(member_path, {"status": "rejected"}), 200)
    assert image not in listed(bob)
    assert image in listed(bob, member_status="rejected")

    assert_status(alice.delete(member_path), 204)
    assert image not in listed(bob, member_status="all")
    assert_status(bob.get(f"/v2/images/{image}"), 404)


def test_others_community_images_are_listed_only_when_asked(alice, bob):
    image = alice.create_image(visibility="community")["id"]
    assert image not in listed(bob)
    assert image in listed(bob, visibility="community")
    assert image in listed(alice)  # the owner always sees its own


def test_a_member_never_gains_write_access(alice, bob):
    image = alice.create_image(visibility="shared", disk_format="raw", container_format="bare")[
        "id"
    ]
    assert_status(alice.post(f"/v2/images/{image}/members", {"member": bob.project_id}), 200)
    assert_status(
        bob.put(f"/v2/images/{image}/members/{bob.project_id}", {"status": "accepted"}), 200
    )
    assert_status(
        bob.patch(f"/v2/images/{image}", [{"op": "replace", "path": "/name", "value": "x"}]), 403
    )
    assert_status(bob.put(f"/v2/images/{image}/tags/mine"), 403)
    assert_status(bob.delete(f"/v2/images/{image}"), 403)
    assert_status(bob.post(f"/v2/images/{image}/actions/deactivate"), 403)
    upload = bob.client.generic(
        "PUT", f"/v2/images/{image}/file", data=b"x", content_type="application/octet-stream",
        headers=bob._headers(None),
    )  # fmt: skip
    assert_status(upload, 403)
    assert_status(bob.post(f"/v2/images/{image}/members", {"member": "someone"}), 403)
