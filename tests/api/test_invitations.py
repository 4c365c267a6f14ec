"""GET /v2/x-vitrine/member-invitations: what others shared with the caller's project, waiting
for its decision (decided with PUT /v2/images/{id}/members/{project})."""

from tests.conftest import assert_status


def invited_image_ids(persona, **params):
    response = assert_status(persona.get("/v2/x-vitrine/member-invitations", **params), 200)
    return [item["image"]["id"] for item in response.json()["invitations"]]


def share(owner, member, **image):
    created = owner.create_image(visibility="shared", **image)
    url = f"/v2/images/{created['id']}/members"
    assert_status(owner.post(url, {"member": member.project_id}), 200)
    return created["id"]


def test_pending_invitations_and_decisions(alice, bob):
    first = share(alice, bob, name="one")
    second = share(alice, bob, name="two")
    assert invited_image_ids(bob) == [second, first]
    response = bob.get("/v2/x-vitrine/member-invitations").json()["invitations"][0]
    assert response["member"]["member_id"] == bob.project_id
    assert response["member"]["status"] == "pending"
    assert response["image"]["name"] == "two" and response["image"]["owner"] == alice.project_id

    url = f"/v2/images/{first}/members/{bob.project_id}"
    assert_status(bob.put(url, {"status": "accepted"}), 200)
    assert invited_image_ids(bob) == [second]
    assert invited_image_ids(bob, status="accepted") == [first]
    assert invited_image_ids(bob, status="all") == [second, first]
    assert invited_image_ids(bob, status="rejected") == []


def test_the_owner_and_strangers_have_no_invitations(alice, bob, carol):
    share(alice, bob)
    assert invited_image_ids(alice) == []
    assert invited_image_ids(carol) == []


def test_removed_deleted_or_unshared_images_are_not_invitations(alice, bob):
    removed = share(alice, bob)
    deleted = share(alice, bob)
    kept = share(alice, bob)
    assert_status(alice.delete(f"/v2/images/{removed}/members/{bob.project_id}"), 204)
    assert_status(alice.delete(f"/v2/images/{deleted}"), 204)
    assert invited_image_ids(bob) == [kept]


def test_bad_status_and_anonymous(bob, anonymous):
    response = assert_status(bob.get("/v2/x-vitrine/member-invitations", status="maybe"), 400)
    assert response.json()["error"]["message"] == (
        "Invalid status value: maybe. Expected one of: pending, accepted, rejected, all"
    )
    assert_status(anonymous.get("/v2/x-vitrine/member-invitations"), 401)


def test_query_count_does_not_grow_with_invitations(alice, bob, django_assert_max_num_queries):
    for n in range(8):
        share(alice, bob, name=f"img-{n}", tags=["t"], os_distro="cirros")
    with django_assert_max_num_queries(5):
        assert len(invited_image_ids(bob)) == 8
