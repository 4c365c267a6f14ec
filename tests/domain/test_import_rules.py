"""The import request rules, in Glance's order (no database)."""

import pytest

from catalog.domain import imports as rules
from catalog.exceptions import BadRequest, Conflict

ENABLED = ("glance-direct", "web-download", "copy-image")


def parse(body):
    return rules.parse_import_request(body, ENABLED)


@pytest.mark.parametrize(
    "body,message",
    [
        ({}, "Import request requires a 'method' field."),
        ({"method": {}}, "Import request requires a 'name' field."),
        ({"method": {"name": "foo"}}, "Unknown import method name 'foo'."),
        ({"method": {"name": "glance-download"}}, "Unknown import method name 'glance-download'."),
        (
            {"method": {"name": "glance-direct"}, "all_stores": "yes"},
            "'all_stores' must be boolean value only",
        ),
        (
            {"method": {"name": "glance-direct"}, "all_stores_must_succeed": 1},
            "'all_stores_must_succeed' must be boolean value only",
        ),
        (
            {"method": {"name": "web-download"}},
            "'uri' needs to be set for web-download import method",
        ),
        ({"method": {"name": "glance-direct"}, "stores": "a"}, "'stores' must be a list"),
        ([], "must be a JSON object"),
    ],
)
def test_bad_bodies_are_400(body, message):
    with pytest.raises(BadRequest) as caught:
        parse(body)
    assert message in caught.value.message


def test_glance_download_needs_region_and_a_uuid():
    enabled = (*ENABLED, "glance-download")
    body = {"method": {"name": "glance-download", "glance_region": "R2", "glance_image_id": "x"}}
    with pytest.raises(BadRequest, match="does not look like a UUID: x"):
        rules.parse_import_request(body, enabled)
    body["method"]["glance_image_id"] = "a0000000-0000-4000-8000-000000000001"
    request = rules.parse_import_request(body, enabled)
    assert request.glance_service_interface == "public"


@pytest.mark.parametrize(
    "method,status,formats,message",
    [
        ("glance-direct", "queued", ("raw", "bare"), "needs to be staged"),
        ("glance-direct", "active", ("raw", "bare"), "status active cannot be target"),
        ("web-download", "uploading", ("raw", "bare"), "needs to be in 'queued' state"),
        ("copy-image", "queued", ("raw", "bare"), "Only images with status active"),
        ("web-download", "queued", ("raw", None), "'container_format' needs to be set"),
        ("glance-direct", "uploading", (None, "bare"), "'disk_format' needs to be set"),
    ],
)
def test_state_conflicts_are_409(method, status, formats, message):
    request = rules.ImportRequest(method=method)
    with pytest.raises(Conflict, match=message):
        rules.check_image_state(request, status, *formats)


def test_state_accepts_the_right_status():
    rules.check_image_state(rules.ImportRequest("glance-direct"), "uploading", "raw", "bare")
    rules.check_image_state(rules.ImportRequest("web-download"), "queued", "raw", "bare")
    rules.check_image_state(rules.ImportRequest("copy-image"), "active", None, None)


STORES = ["fast", "cheap", "s3"]


def targets(request, header=None, present=()):
    return rules.target_stores(request, header, STORES, "fast", list(present))


def test_store_selection():
    assert targets(rules.ImportRequest("glance-direct")) == ["fast"]
    assert targets(rules.ImportRequest("glance-direct"), header="s3") == ["s3"]
    assert targets(rules.ImportRequest("glance-direct", stores=["s3", "cheap", "s3"])) == [
        "s3",
        "cheap",
    ]
    assert targets(rules.ImportRequest("glance-direct", all_stores=True)) == STORES
    copy_all = rules.ImportRequest("copy-image", all_stores=True)
    assert targets(copy_all, present=["fast"]) == ["cheap", "s3"]


def test_store_selection_errors():
    with pytest.raises(BadRequest, match="All_stores parameter can't be used"):
        targets(rules.ImportRequest("glance-direct", all_stores=True, stores=["s3"]))
    with pytest.raises(BadRequest, match="can't be both specified"):
        targets(rules.ImportRequest("glance-direct", stores=["s3"]), header="fast")
    with pytest.raises(Conflict, match="Store nope is not available"):
        targets(rules.ImportRequest("glance-direct", stores=["nope"]))
    with pytest.raises(BadRequest, match="already present at store 'fast'"):
        targets(rules.ImportRequest("copy-image", stores=["fast"]), present=["fast"])
    with pytest.raises(BadRequest, match="All_stores_must_succeed can only be set"):
        rules.target_stores(
            rules.ImportRequest("glance-direct", all_stores_must_succeed=False),
            None,
            ["one"],
            "one",
            [],
        )


def test_only_a_queued_or_running_task_holds_the_import_lock():
    # A dead worker's task leaves these states through the recovery sweep (its lease), not
    # through the age of its last update.
    assert rules.lock_is_held("pending")
    assert rules.lock_is_held("processing")
    for status in (None, "success", "failure", "bogus"):
        assert not rules.lock_is_held(status)


# --- The table of methods ------------------------------------------------------------------

REMOTE_ID = "a0000000-0000-4000-8000-000000000001"
# A smallest valid body for every method of the table (a new method needs one here).
VALID_BODIES = {
    "glance-direct": {"method": {"name": "glance-direct"}},
    "web-download": {"method": {"name": "web-download", "uri": "https://x.test/a.img"}},
    "copy-image": {"method": {"name": "copy-image"}, "stores": ["cheap"]},
    "glance-download": {
        "method": {"name": "glance-download", "glance_region": "R2", "glance_image_id": REMOTE_ID}
    },
}


def test_every_method_of_the_table_has_a_valid_body_here():
    assert set(VALID_BODIES) == set(rules.IMPORT_METHODS) == set(rules.ALL_METHODS)


@pytest.mark.parametrize("name", rules.ALL_METHODS)
def test_every_method_validates_its_own_request(name):
    request = rules.parse_import_request(VALID_BODIES[name], [name])
    assert request.kind is rules.IMPORT_METHODS[name]
    # The same body is an unknown method where the site does not enable it.
    others = [m for m in rules.ALL_METHODS if m != name]
    with pytest.raises(BadRequest, match=f"Unknown import method name '{name}'."):
        rules.parse_import_request(VALID_BODIES[name], others)


@pytest.mark.parametrize("name", ["foo", "", "GLANCE-DIRECT", ["glance-direct"]])
def test_a_method_outside_the_table_is_unknown(name):
    # Even when the configuration names it: the table is what the site can do.
    enabled = [*rules.ALL_METHODS, "foo"]
    with pytest.raises(BadRequest, match="Unknown import method name"):
        rules.parse_import_request({"method": {"name": name}}, enabled)


def test_an_entry_in_the_table_is_a_new_method(monkeypatch):
    def needs_colour(request):
        if "colour" not in request.raw["method"]:
            raise BadRequest("'colour' needs to be set")

    method = rules.ImportMethod(
        "paint",
        rules.DataSource.DOWNLOADED,
        policy_rule="modify_image",
        from_status="queued",
        wrong_status="Image needs to be in 'queued' state to paint it",
        check_request=needs_colour,
    )
    monkeypatch.setitem(rules.IMPORT_METHODS, "paint", method)
    with pytest.raises(BadRequest, match="'colour' needs to be set"):
        rules.parse_import_request({"method": {"name": "paint"}}, ["paint"])
    request = rules.parse_import_request({"method": {"name": "paint", "colour": "red"}}, ["paint"])
    assert request.kind is method
    rules.check_image_state(request, "queued", "raw", "bare")
    with pytest.raises(Conflict, match="to paint it"):
        rules.check_image_state(request, "uploading", "raw", "bare")


def test_enabled_methods_follow_the_configuration_order():
    configured = ["copy-image", "nope", "glance-direct"]
    assert [m.name for m in rules.enabled_methods(configured)] == ["copy-image", "glance-direct"]


@pytest.mark.parametrize("name", rules.ALL_METHODS)
def test_each_method_starts_from_its_status(name):
    method = rules.IMPORT_METHODS[name]
    rules.check_image_state(rules.ImportRequest(name), method.from_status, "raw", "bare")
