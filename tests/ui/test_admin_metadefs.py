"""The Django admin of metadefs namespaces: every change goes through the services."""

from catalog.models import MetadefNamespace
from tests.conftest import assert_status

CHANGELIST = "/admin/catalog/metadefnamespace/"
NS = "/v2/metadefs/namespaces"


def form(**values):
    data = {
        "namespace": "",
        "display_name": "",
        "description": "",
        "visibility": "public",
        "owner": "",
    }
    for prefix in (
        "associations",
        "properties",
        "defined_objects",
        "tags",
    ):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(values)
    return data


def test_changelist_and_detail_show_children(admin_web, admin):
    body = {
        "namespace": "Shown",
        "visibility": "public",
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
        "properties": {"disk_bus": {"title": "Disk bus", "type": "string", "enum": ["virtio"]}},
        "objects": [{"name": "Obj", "required": ["a"]}],
        "tags": [{"name": "t1"}],
    }
    assert_status(admin.post(NS, body), 201)
    html = assert_status(admin_web.get(CHANGELIST), 200).content.decode()
    assert "Shown" in html
    row = MetadefNamespace.objects.get()
    html = assert_status(admin_web.get(f"{CHANGELIST}{row.pk}/change/"), 200).content.decode()
    for text in ("OS::Glance::Image", "disk_bus", "virtio", "Obj", "t1"):
        assert text in html


def test_add_and_edit_go_through_the_service(admin_web, admin, admin_project):
    response = admin_web.post(f"{CHANGELIST}add/", form(namespace="Made::Here", protected="on"))
    assert_status(response, 302)
    shown = assert_status(admin.get(f"{NS}/Made::Here"), 200).json()
    assert shown["visibility"] == "public" and shown["protected"] is True
    assert shown["owner"] == admin_project.id  # the service's default: the admin's project
    row = MetadefNamespace.objects.get()
    response = admin_web.post(
        f"{CHANGELIST}{row.pk}/change/",
        form(namespace="Renamed", visibility="private", owner=admin_project.id),
    )
    assert_status(response, 302)
    shown = assert_status(admin.get(f"{NS}/Renamed"), 200).json()
    assert (shown["visibility"], shown["protected"]) == ("private", False)
    assert "updated_at" in shown


def test_invalid_names_are_form_errors(admin_web):
    html = admin_web.post(f"{CHANGELIST}add/", form(namespace="a/b")).content.decode()
    assert "may not contain" in html
    assert not MetadefNamespace.objects.exists()


def test_delete_action_refuses_protected(admin_web, admin):
    assert_status(admin.post(NS, {"namespace": "Locked", "protected": True}), 201)
    assert_status(admin.post(NS, {"namespace": "Free"}), 201)
    ids = [str(pk) for pk in MetadefNamespace.objects.values_list("pk", flat=True)]
    data = {"action": "delete_namespaces", "_selected_action": ids}
    html = admin_web.post(CHANGELIST, data, follow=True).content.decode()
    assert "protected and cannot be deleted" in html
    assert list(MetadefNamespace.objects.values_list("namespace", flat=True)) == ["Locked"]
    assert_status(admin_web.get(f"{CHANGELIST}{ids[0]}/delete/"), 403)
