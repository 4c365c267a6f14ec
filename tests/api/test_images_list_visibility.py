"""Which images GET /v2/images lists, per persona and query: Glance's visibility matrix, as
observed on glance 33."""

import pytest

from catalog.choices import Role
from catalog.identity.models import Project
from catalog.models import Image, ImageMember
from tests.conftest import assert_status, make_persona

IMAGES = (
    "private",
    "shared-no-members",
    "shared-pending",
    "shared-accepted",
    "shared-rejected",
    "community",
    "public",
)

# query -> persona -> images listed. alice owns every image (project A); bob's project B is
# the member of the three shared-<status> images; stranger is in an unrelated project; the
# admin belongs to its own project. carol, a reader of A, sees what alice sees.
EXPECTED = {
    "": {
        "alice": set(IMAGES),
        "bob": {"shared-accepted", "public"},
        "stranger": {"public"},
        "admin": set(IMAGES) - {"community"},
    },
    "?visibility=private": {
        "alice": {"private"},
        "bob": set(),
        "stranger": set(),
        "admin": {"private"},
    },
    "?visibility=shared": {
        "alice": {"shared-no-members", "shared-pending", "shared-accepted", "shared-rejected"},
        "bob": {"shared-accepted"},
        "stranger": set(),
        "admin": {"shared-no-members", "shared-pending", "shared-accepted", "shared-rejected"},
    },
    "?visibility=shared&member_status=all": {
        "alice": {"shared-no-members", "shared-pending", "shared-accepted", "shared-rejected"},
        "bob": {"shared-pending", "shared-accepted", "shared-rejected"},
        "stranger": set(),
        "admin": {"shared-no-members", "shared-pending", "shared-accepted", "shared-rejected"},
    },
    "?member_status=all": {
        "alice": set(IMAGES),
        "bob": {"shared-pending", "shared-accepted", "shared-rejected", "public"},
        "stranger": {"public"},
        "admin": set(IMAGES) - {"community"},
    },
    "?member_status=pending": {
        "alice": set(IMAGES),
        "bob": {"shared-pending", "public"},
        "stranger": {"public"},
        "admin": set(IMAGES) - {"community"},
    },
    "?member_status=rejected&visibility=shared": {
        "alice": {"shared-no-members", "shared-pending", "shared-accepted", "shared-rejected"},
        "bob": {"shared-rejected"},
        "stranger": set(),
        "admin": {"shared-no-members", "shared-pending", "shared-accepted", "shared-rejected"},
    },
    "?visibility=community": {
        "alice": {"community"},
        "bob": {"community"},
        "stranger": {"community"},
        "admin": {"community"},
    },
    "?visibility=public": {
        "alice": {"public"},
        "bob": {"public"},
        "stranger": {"public"},
        "admin": {"public"},
    },
    "?visibility=all": {
        "alice": set(IMAGES),
        "bob": {"shared-accepted", "community", "public"},
        "stranger": {"community", "public"},
        "admin": set(IMAGES),
    },
}


@pytest.fixture
def stranger(db):
    return make_persona("stranger", Project.objects.create(name="project-c"), Role.MEMBER)


@pytest.fixture
def matrix(admin, alice, bob):
    by_id = {}
    for name in IMAGES:
        visibility = name.split("-")[0]
        image = admin.create_image(name=name, visibility=visibility, owner=alice.project_id)
        by_id[image["id"]] = name
        if name.startswith("shared-") and name != "shared-no-members":
            ImageMember.objects.create(
                image_id=image["id"], member=bob.project_id, status=name.split("-")[1]
            )
    return by_id


@pytest.mark.parametrize("query", list(EXPECTED))
def test_list_visibility_matrix(query, matrix, admin, alice, bob, carol, stranger):
    personas = {"admin": admin, "alice": alice, "bob": bob, "stranger": stranger, "carol": carol}
    for name, persona in personas.items():
        document = assert_status(persona.get(f"/v2/images{query}"), 200).json()
        seen = {matrix[image["id"]] for image in document["images"] if image["id"] in matrix}
        expected = EXPECTED[query]["alice" if name == "carol" else name]
        assert seen == expected, f"{name} {query}"


def test_member_status_has_no_effect_for_admins(matrix, admin):
    for status in ("pending", "accepted", "rejected", "all"):
        document = admin.get(f"/v2/images?member_status={status}&visibility=shared").json()
        assert len(document["images"]) == 4


def test_deleted_membership_hides_the_image(matrix, bob):
    accepted = next(i for i, n in matrix.items() if n == "shared-accepted")
    ImageMember.objects.filter(image_id=accepted).update(deleted=True)
    document = bob.get("/v2/images?member_status=all").json()
    assert accepted not in {image["id"] for image in document["images"]}


def test_shared_image_turned_private_leaves_members_lists(matrix, bob):
    accepted = next(i for i, n in matrix.items() if n == "shared-accepted")
    Image.objects.filter(pk=accepted).update(visibility="private")
    document = bob.get("/v2/images?member_status=all&visibility=all").json()
    assert accepted not in {image["id"] for image in document["images"]}
