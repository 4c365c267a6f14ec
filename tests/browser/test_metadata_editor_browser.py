"""The metadata editor in a real browser: pick an enum value, save, read it back through
the API; an out-of-range number is refused with the rule shown."""

from .test_catalog_browser import new_image

HARDWARE = {
    "namespace": "Browser::Hardware",
    "display_name": "Virtual hardware",
    "visibility": "public",
    "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
    "properties": {
        "disk_bus": {"title": "Disk bus", "type": "string", "enum": ["virtio", "scsi", "ide"]},
        "cpu_cores": {"title": "Cores per socket", "type": "integer", "minimum": 1, "maximum": 8},
    },
}


def test_pick_an_enum_value_and_refuse_an_out_of_range_number(sessions, live):
    status, body = live.api("admin", "POST", "/v2/metadefs/namespaces", HARDWARE)
    assert status == 201, body
    alice = sessions("alice")
    page = alice.page
    image_id = new_image(live, name="md-editor")
    page.goto(f"/catalog/images/{image_id}/")
    page.click("summary")
    assert page.locator("fieldset.metadefs legend", has_text="Virtual hardware").count() == 1
    page.select_option("#id_md__hw_disk_bus", "scsi")
    page.fill("#id_md__hw_cpu_cores", "99")
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    rule = page.locator(".error", has_text="hw_cpu_cores must be at most 8")
    assert rule.count() == 1
    alice.shot("20-metadata-editor-refused")
    assert all("400" in error for error in alice.errors)
    alice.errors.clear()
    assert "hw_disk_bus" not in live.api("alice", "GET", f"/v2/images/{image_id}")[1]

    page.fill("#id_md__hw_cpu_cores", "4")
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"**/catalog/images/{image_id}/")
    assert page.locator("text=Image saved.").count() == 1
    alice.shot("21-metadata-editor-saved")
    _, stored = live.api("alice", "GET", f"/v2/images/{image_id}")
    assert (stored["hw_disk_bus"], stored["hw_cpu_cores"]) == ("scsi", "4")
    assert not alice.errors
