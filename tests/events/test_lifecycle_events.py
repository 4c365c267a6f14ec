"""Lifecycle steps (automatic deprecation and hiding, retention) are audit records, with the
values they changed, so an owner can tell why an image went out of sight."""

from catalog.models import AuditRecord, FamilyPolicy
from catalog.services import families, publication, retention
from tests.api.test_families import admin_ctx, version


def records(image_id, prefix):
    rows = AuditRecord.objects.filter(target_id=image_id, event_type__startswith=prefix)
    return list(rows.order_by("id"))


def test_automatic_deprecation_and_hiding_are_recorded(alice, django_capture_on_commit_callbacks):
    families.set_policy(
        alice.project_id, "deb", on_new_version=FamilyPolicy.DEPRECATE_AND_HIDE, hide_after_days=0
    )
    old = version(alice, "deb", "12.1")
    new = version(alice, "deb", "12.2")
    with django_capture_on_commit_callbacks(execute=True):
        publication.publish_directly(admin_ctx(), new["id"])
    deprecated, hidden = records(old["id"], "lifecycle.")
    assert deprecated.event_type == "lifecycle.deprecated"
    assert deprecated.changes["x_vitrine_deprecated"] == [None, "true"]
    assert deprecated.changes["x_vitrine_superseded_by"] == [None, new["id"]]
    assert deprecated.project_id == ""  # the catalog did it, not a caller
    assert deprecated.owner == alice.project_id  # so the owner sees it in its history
    assert (hidden.event_type, hidden.changes) == ("lifecycle.hidden", {"os_hidden": [None, True]})
    published = records(new["id"], "publication.")
    assert [r.event_type for r in published] == ["publication.approved"]
    assert published[0].detail["direct"] is True


def test_retention_steps_are_recorded(alice, django_capture_on_commit_callbacks):
    families.set_policy(alice.project_id, "r", keep_newest=1, grace_days=2)
    old = version(alice, "r", "1")
    version(alice, "r", "2")
    with django_capture_on_commit_callbacks(execute=True):
        retention.run()
    retired = records(old["id"], "retention.")
    assert [(r.event_type, r.detail["family"], r.detail["grace_days"]) for r in retired] == [
        ("retention.retired", "r", 2)
    ]
    assert retired[0].user_name == "retention"
