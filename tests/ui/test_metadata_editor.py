"""The catalog's metadata editor: typed controls from the metadata definitions."""

import pytest

from catalog.models import Image
from tests.conftest import assert_status

NS = "/v2/metadefs/namespaces"
HARDWARE = {
    "namespace": "Test::Hardware",
    "display_name": "Virtual hardware",
    "visibility": "public",
    "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
    "properties": {
        "disk_bus": {
            "title": "Disk bus",
            "description": "How the disk is attached.",
            "type": "string",
            "enum": ["virtio", "scsi"],
        },
        "cpu_cores": {"title": "Cores", "type": "integer", "minimum": 1, "maximum": 8},
        "qemu_guest_agent": {"title": "Agent", "type": "boolean"},
        "machine_type": {"title": "Machine", "type": "string", "pattern": "^[a-z0-9.-]+$"},
    },
}


@pytest.fixture
def hardware(admin):
    assert_status(admin.post(NS, HARDWARE), 201)


@pytest.fixture
def image(alice):
    return alice.create_image(name="img", hw_disk_bus="scsi", custom="kept")


def edit_url(image):
    return f"/catalog/images/{image['id']}/edit/"


def base_form(**extra):
    return {"name": "img", "visibility": "shared", "properties": "custom=kept", "tags": "", **extra}


def test_edit_page_groups_typed_controls_by_namespace(alice_web, hardware, image):
    html = assert_status(alice_web.get(f"/catalog/images/{image['id']}/"), 200).content.decode()
    assert "<legend>Virtual hardware</legend>" in html
    assert '<select name="md__hw_disk_bus"' in html
    assert '<option value="scsi" selected>' in html
    assert 'type="number" name="md__hw_cpu_cores"' in html and 'min="1"' in html
    assert 'max="8"' in html
    assert 'type="checkbox" name="md__hw_qemu_guest_agent"' in html
    assert 'pattern="^[a-z0-9.-]+$"' in html
    assert "How the disk is attached." in html
    # The textarea keeps only the properties no definition describes.
    assert "custom=kept" in html and "hw_disk_bus=scsi" not in html


def test_saving_typed_values_writes_the_properties(alice_web, alice, hardware, image):
    data = base_form(md__hw_disk_bus="virtio", md__hw_cpu_cores="4", md__hw_qemu_guest_agent="on")
    assert_status(alice_web.post(edit_url(image), data), 302)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert (shown["hw_disk_bus"], shown["hw_cpu_cores"]) == ("virtio", "4")
    assert shown["hw_qemu_guest_agent"] == "true" and shown["custom"] == "kept"
    # Unchecking writes false; emptying a control removes its property.
    assert_status(alice_web.post(edit_url(image), base_form(md__hw_disk_bus="")), 302)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["hw_qemu_guest_agent"] == "false"
    assert "hw_disk_bus" not in shown and "hw_cpu_cores" not in shown


@pytest.mark.parametrize(
    "field, value, rule",
    [
        ("md__hw_cpu_cores", "9", "hw_cpu_cores must be at most 8 (Test::Hardware)."),
        ("md__hw_cpu_cores", "0", "hw_cpu_cores must be at least 1 (Test::Hardware)."),
        ("md__hw_machine_type", "Q35!", "hw_machine_type must match the pattern"),
    ],
)
def test_invalid_values_are_refused_with_the_rule(alice_web, hardware, image, field, value, rule):
    response = alice_web.post(edit_url(image), base_form(**{field: value}))
    html = assert_status(response, 400).content.decode()
    assert rule in html
    assert "hw_cpu_cores" not in Image.objects.get(pk=image["id"]).extra_properties


def test_enum_outside_choices_is_refused(alice_web, hardware, image):
    response = alice_web.post(edit_url(image), base_form(md__hw_disk_bus="virtioo"))
    assert_status(response, 400)
    assert Image.objects.get(pk=image["id"]).extra_properties["hw_disk_bus"] == "scsi"


def test_a_stored_value_outside_the_definition_stays_until_changed(alice_web, alice, hardware):
    image = alice.create_image(name="img", hw_disk_bus="ide")
    html = alice_web.get(f"/catalog/images/{image['id']}/").content.decode()
    assert "ide (not allowed)" in html
    assert_status(
        alice_web.post(edit_url(image), base_form(md__hw_disk_bus="ide", name="new")), 302
    )
    assert alice.get(f"/v2/images/{image['id']}").json()["hw_disk_bus"] == "ide"


def test_a_defined_key_in_the_free_rows_is_refused(alice_web, hardware, image):
    response = alice_web.post(edit_url(image), base_form(properties="hw_disk_bus=virtio"))
    assert "hw_disk_bus has its own field" in assert_status(response, 400).content.decode()


def test_new_image_form_offers_the_editor(alice_web, alice, hardware):
    html = assert_status(alice_web.get("/catalog/images/new/"), 200).content.decode()
    assert '<select name="md__hw_disk_bus"' in html
    data = {
        "name": "fresh",
        "disk_format": "raw",
        "container_format": "bare",
        "visibility": "private",
        "md__hw_disk_bus": "virtio",
        "md__hw_cpu_cores": "2",
    }
    assert_status(alice_web.post("/catalog/images/new/", data), 302)
    image = Image.objects.get(name="fresh")
    assert image.extra_properties == {"hw_disk_bus": "virtio", "hw_cpu_cores": "2"}
    data.update(name="bad", md__hw_cpu_cores="99")
    html = assert_status(alice_web.post("/catalog/images/new/", data), 400).content.decode()
    assert "hw_cpu_cores must be at most 8" in html


def test_without_definitions_the_form_is_unchanged(alice_web, image):
    html = alice_web.get(f"/catalog/images/{image['id']}/").content.decode()
    assert "md__" not in html and "hw_disk_bus=scsi" in html
