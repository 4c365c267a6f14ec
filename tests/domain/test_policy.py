"""Glance's default rules as predicates, per persona (no database)."""

import pytest

from catalog import policy
from catalog.context import RequestContext, expand_roles
from catalog.policy import Target


def ctx(project, *roles):
    return RequestContext(user_id="u", project_id=project, roles=expand_roles(roles))


ADMIN = ctx("P-ADMIN", "admin")
MEMBER_A = ctx("A", "member")
READER_A = ctx("A", "reader")
MEMBER_B = ctx("B", "member")


def test_roles_are_expanded_and_lower_cased():
    assert expand_roles(["Admin"]) == {"admin", "member", "reader"}
    assert expand_roles(["member"]) == {"member", "reader"}
    assert expand_roles(["reader", " "]) == {"reader"}


def test_admin_of_any_project_is_cloud_admin():
    assert ADMIN.is_admin
    assert not MEMBER_A.is_admin


OWN_PRIVATE = Target(project_id="A", visibility="private")


@pytest.mark.parametrize(
    "rule,allowed",
    [
        ("add_image", {"admin", "member_a", "member_b"}),
        ("get_images", {"admin", "member_a", "reader_a", "member_b"}),
        ("modify_image", {"admin", "member_a"}),
        ("delete_image", {"admin", "member_a"}),
        ("publicize_image", {"admin"}),
        ("communitize_image", {"admin", "member_a"}),
        ("upload_image", {"admin", "member_a"}),
        ("download_image", {"admin", "member_a"}),
        ("deactivate", {"admin", "member_a"}),
        ("copy_image", {"admin"}),
        ("delete_image_location", {"admin"}),
        ("fetch_image_location", {"admin"}),
        ("tasks_api_access", {"admin"}),
        ("get_image", {"admin", "member_a", "reader_a"}),
    ],
)
def test_rules_on_an_image_owned_by_a(rule, allowed):
    personas = {"admin": ADMIN, "member_a": MEMBER_A, "reader_a": READER_A, "member_b": MEMBER_B}
    for name, context in personas.items():
        # add_image and get_images are about the caller's own project.
        target = None if rule in ("add_image", "get_images") else OWN_PRIVATE
        assert policy.check(context, rule, target) == (name in allowed), (rule, name)


def test_member_of_a_shared_image_may_decide_but_not_modify():
    shared = Target(project_id="A", member_id="B", visibility="shared")
    assert policy.check(MEMBER_B, "modify_member", shared)
    assert policy.check(MEMBER_B, "get_image", shared)
    assert policy.check(MEMBER_B, "download_image", shared)
    assert not policy.check(MEMBER_B, "modify_image", shared)
    assert not policy.check(MEMBER_B, "delete_member", shared)
    assert not policy.check(MEMBER_A, "modify_member", shared)


def test_reader_cannot_download_even_its_own_image():
    assert not policy.check(READER_A, "download_image", OWN_PRIVATE)


def test_unknown_rule_is_a_programming_error():
    with pytest.raises(ValueError):
        policy.check(ADMIN, "no_such_rule")
