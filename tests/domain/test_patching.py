"""Pure JSON Patch rules: parsing, pointer decoding and applying to an image state."""

import pytest

from catalog.domain.patching import (
    PATCH_V20,
    PATCH_V21,
    ImageState,
    PatchRules,
    apply_patch,
    parse_patch,
)
from catalog.exceptions import BadRequest, Conflict, Forbidden, RequestEntityTooLarge


def state(**extra):
    return ImageState(
        fields={"name": "n", "visibility": "shared", "owner": "A", "status": "queued"},
        extra=dict(extra),
        tags=["a"],
    )


def test_pointer_escapes_and_whitespace_are_decoded():
    changes = parse_patch([{"op": "add", "path": "/a~1b~0c", "value": "v"}], PATCH_V21)
    assert changes[0].name == "a/b~c"
    assert parse_patch([{"op": "remove", "path": "/ foo "}], PATCH_V21)[0].name == "foo"


def test_v20_and_v21_documents_parse_to_the_same_changes():
    v21 = parse_patch([{"op": "replace", "path": "/name", "value": "x"}], PATCH_V21)
    v20 = parse_patch([{"replace": "/name", "value": "x"}], PATCH_V20)
    assert v21 == v20


def test_apply_works_on_a_copy():
    before = state(foo="bar")
    changes = parse_patch(
        [{"op": "remove", "path": "/foo"}, {"op": "replace", "path": "/tags", "value": ["b"]}],
        PATCH_V21,
    )
    after = apply_patch(before, changes, PatchRules())
    assert after.extra == {} and after.tags == ["b"]
    assert before.extra == {"foo": "bar"} and before.tags == ["a"]


def test_failures_stop_at_the_first_failing_change():
    changes = parse_patch(
        [
            {"op": "replace", "path": "/owner", "value": "B"},
            {"op": "remove", "path": "/nope"},
        ],
        PATCH_V21,
    )
    with pytest.raises(Forbidden, match="Owner can't be updated by non admin."):
        apply_patch(state(), changes, PatchRules())
    with pytest.raises(Conflict, match="Property nope does not exist."):
        apply_patch(state(), changes, PatchRules(may_change_owner=True))


def test_visibility_check_is_called_with_the_new_value():
    seen = []
    changes = parse_patch([{"op": "replace", "path": "/visibility", "value": "public"}], PATCH_V21)
    apply_patch(state(), changes, PatchRules(check_visibility=seen.append))
    assert seen == ["public"]


def test_quotas_ignore_server_properties():
    current = state(os_glance_import_task="t", one="1")
    changes = parse_patch([{"op": "add", "path": "/two", "value": "2"}], PATCH_V21)
    assert apply_patch(current, changes, PatchRules(property_quota=2)).extra["two"] == "2"
    with pytest.raises(RequestEntityTooLarge):
        apply_patch(current, changes, PatchRules(property_quota=1))


def test_schema_errors_are_found_before_anything_applies():
    with pytest.raises(BadRequest, match="does not match schema"):
        parse_patch(
            [{"op": "remove", "path": "/nope"}, {"op": "add", "path": "/min_ram", "value": "x"}],
            PATCH_V21,
        )
