"""The Django admin of metadefs namespaces: every change goes through the services."""

from catalog.models import MetadefNamespace, MetadefProperty, MetadefTag
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


def inline_rows(prefix, rows, initial=0):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def test_inlines_add_change_and_delete_children_through_the_services(admin_web, admin):
    assert_status(admin.post(NS, {"namespace": "Kids", "visibility": "public"}), 201)
    row = MetadefNamespace.objects.get()
    url = f"{CHANGELIST}{row.pk}/change/"
    data = form(namespace="Kids")
    data.update(inline_rows("associations", [{"type_name": "OS::Glance::Image", "prefix": "hw_"}]))
    data.update(
        inline_rows(
            "properties",
            [
                {
                    "name": "disk_bus",
                    "definition": '{"title": "Bus", "type": "string", "enum": ["virtio"]}',
                }
            ],
        )
    )
    data.update(
        inline_rows("defined_objects", [{"name": "Obj", "required": '["a"]', "properties": "{}"}])
    )
    data.update(inline_rows("tags", [{"name": "t1"}]))
    assert_status(admin_web.post(url, data), 302)
    shown = admin.get(f"{NS}/Kids", resource_type="OS::Glance::Image").json()
    assert list(shown["properties"]) == ["hw_disk_bus"]
    assert shown["objects"][0]["required"] == ["hw_a"]
    assert shown["tags"] == [{"name": "t1"}]

    tag = MetadefTag.objects.get()
    prop = MetadefProperty.objects.get()
    data = form(namespace="Kids")
    data.update(inline_rows("associations", []))
    data.update(inline_rows("defined_objects", []))
    data.update(
        inline_rows(
            "properties",
            [
                {
                    "id": prop.pk,
                    "namespace": row.pk,
                    "name": "disk_bus",
                    "DELETE": "on",
                    "definition": '{"title": "Bus", "type": "string"}',
                }
            ],
            initial=1,
        )
    )
    data.update(inline_rows("tags", [{"id": tag.pk, "namespace": row.pk, "name": "t2"}], initial=1))
    assert_status(admin_web.post(url, data), 302)
    shown = admin.get(f"{NS}/Kids").json()
    assert "properties" not in shown and shown["tags"] == [{"name": "t2"}]


def test_an_invalid_definition_is_a_form_error(admin_web, admin):
    assert_status(admin.post(NS, {"namespace": "Kids"}), 201)
    row = MetadefNamespace.objects.get()
    data = form(namespace="Kids")
    data.update(
        inline_rows(
            "properties",
            [
                {
                    "name": "n",
                    "definition": '{"title": "N", "type": "integer", "minimum": 5, "maximum": 1}',
                }
            ],
        )
    )
    response = admin_web.post(f"{CHANGELIST}{row.pk}/change/", data)
    html = assert_status(response, 200).content.decode()
    assert "&#x27;minimum&#x27; (5) is greater than" in html
    assert not MetadefProperty.objects.exists()


def test_protected_namespace_refuses_child_deletion_and_keeps_everything(admin_web, admin):
    body = {"namespace": "Locked", "protected": True, "tags": [{"name": "t"}]}
    assert_status(admin.post(NS, body), 201)
    row = MetadefNamespace.objects.get()
    tag = MetadefTag.objects.get()
    data = form(namespace="Locked", protected="on", display_name="changed")
    data.update(
        inline_rows(
            "tags", [{"id": tag.pk, "namespace": row.pk, "name": "t", "DELETE": "on"}], initial=1
        )
    )
    response = admin_web.post(f"{CHANGELIST}{row.pk}/change/", data)
    assert_status(response, 403)
    assert MetadefTag.objects.filter(name="t").exists()
    assert "display_name" not in admin.get(f"{NS}/Locked").json()  # the whole page undone
