"""Metadefs rules without a database: property definitions, values, names, list parameters,
the namespace file format."""

import pytest

from catalog.domain import metadefs as rules
from catalog.exceptions import BadRequest, Forbidden, NotFound


def test_property_definition_is_kept_typed_in_wire_order():
    cleaned = rules.clean_property(
        "p", {"default": False, "title": "P", "type": "boolean", "description": "d"}
    )
    assert list(cleaned) == ["type", "title", "description", "default"]
    assert cleaned["default"] is False
    number = rules.clean_property("n", {"title": "N", "type": "number", "minimum": 1.5})
    assert number["minimum"] == 1.5


@pytest.mark.parametrize(
    "definition, words",
    [
        ({"title": "X", "type": "string", "enum": ["a", 1]}, "enum item 1"),
        ({"title": "X", "type": "integer", "enum": [1, True]}, "enum item True"),
        ({"title": "X", "type": "integer", "default": "5"}, "default '5'"),
        ({"title": "X", "type": "string", "enum": ["a"], "default": "b"}, "not one of its enum"),
        ({"title": "X", "type": "array", "items": {}}, "'items' needs a 'type'"),
        ({"title": "X", "type": "array", "items": {"type": "string", "enum": [1]}}, "items enum"),
        ({"title": "X", "type": "string", "pattern": "(["}, "'pattern'"),
        ({"title": "X", "type": "string", "minLength": 3, "maxLength": 2}, "'minLength'"),
        ({"title": "X", "type": "array", "minItems": 3, "maxItems": 2}, "'minItems'"),
        ({"title": "X", "type": "string", "confidential": True}, "'confidential' was unexpected"),
        ({"type": "string"}, "'title' is a required property"),
    ],
)
def test_bad_definitions_name_the_field(definition, words):
    with pytest.raises(BadRequest) as refusal:
        rules.clean_property("x", definition)
    assert words in refusal.value.message


def test_integer_enum_of_an_integer_property_is_kept():
    assert rules.clean_property("x", {"title": "X", "type": "integer", "enum": [1, 2]})["enum"] == [
        1,
        2,
    ]


def test_body_checks_in_glance_order():
    with pytest.raises(BadRequest, match="Unexpected body type"):
        rules.check_body("namespace", [])
    with pytest.raises(Forbidden, match="Attribute 'self' is read-only."):
        rules.check_body("namespace", {"self": "x", "bogus": 1})
    with pytest.raises(BadRequest, match="schema 'namespace'"):
        rules.check_body("namespace", {"namespace": "x", "bogus": 1})


@pytest.mark.parametrize("name", ["", "a/b"])
def test_names_must_be_addressable(name):
    with pytest.raises(BadRequest):
        rules.check_name(name, "namespace")


def test_nested_errors_carry_their_json_path():
    body = {
        "namespace": "x",
        "objects": [
            {"name": "o", "properties": {"p": {"title": "P", "type": "integer", "minimum": "many"}}}
        ],
    }
    with pytest.raises(BadRequest) as refusal:
        rules.clean_namespace(body)
    assert refusal.value.details == "at /objects/0/properties/p/minimum"


@pytest.mark.parametrize(
    "definition, raw, rule",
    [
        ({"type": "string", "enum": ["virtio", "scsi"]}, "virtioo", "must be one of virtio, scsi"),
        ({"type": "integer", "minimum": 1}, "0", "must be at least 1"),
        ({"type": "integer", "maximum": 8}, "9", "must be at most 8"),
        ({"type": "integer"}, "1.5", "must be an integer"),
        ({"type": "number", "maximum": 1.5}, "2", "must be at most 1.5"),
        ({"type": "number"}, "x", "must be a number"),
        ({"type": "boolean"}, "yes", "must be true or false"),
        ({"type": "string", "pattern": "^[a-z]+$"}, "A", "must match the pattern ^[a-z]+$"),
        ({"type": "string", "maxLength": 2}, "abc", "at most 2 characters"),
        ({"type": "array", "items": {"type": "string", "enum": ["a"]}}, "a, b", "among a"),
        ({"type": "array", "uniqueItems": True}, "a, a", "items must be unique"),
    ],
)
def test_value_errors_state_the_rule(definition, raw, rule):
    assert rule in rules.value_error(definition, raw)


@pytest.mark.parametrize(
    "definition, raw",
    [
        ({"type": "string", "enum": ["virtio"]}, "virtio"),
        ({"type": "integer", "minimum": 1, "maximum": 8}, "8"),
        ({"type": "integer", "enum": [1, 2]}, "2"),
        ({"type": "boolean"}, "True"),
        ({"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}, "a,b"),
    ],
)
def test_values_that_fit(definition, raw):
    assert rules.value_error(definition, raw) is None


def test_property_violation_names_namespace_and_rule():
    definitions = {"hw_disk_bus": ("NS", {"type": "string", "enum": ["virtio"]})}
    message = rules.property_violation(definitions, {"hw_disk_bus": "ide", "other": "x"})
    assert message == (
        "Property hw_disk_bus='ide' breaks its definition in namespace NS: it must be one of "
        "virtio."
    )
    assert rules.property_violation(definitions, {"other": "x"}) is None


def test_prefixes_and_list_parameters():
    assert rules.strip_prefix("hw_x", "hw_") == "x"
    assert rules.strip_prefix("x", None) == "x"
    with pytest.raises(NotFound, match="prefix of 'hw_'"):
        rules.strip_prefix("x", "hw_")
    assert rules.parse_limit(None, default=25, maximum=1000) == 25
    assert rules.parse_limit("5000", default=25, maximum=1000) == 1000
    for bad in ("abc", "-1"):
        with pytest.raises(BadRequest):
            rules.parse_limit(bad, default=25, maximum=1000)
    with pytest.raises(BadRequest, match="Invalid sort key: nope"):
        rules.parse_sort_key("nope", rules.NAMESPACE_SORT_KEYS, "created_at")
    assert rules.parse_sort_dir(None) == "desc"
    assert [rules.is_true(v) for v in ("TRUE", "yes", "1", "maybe", None)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_file_document_round_trips():
    document = {
        "namespace": "N",
        "description": "d",
        "protected": True,
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
        "properties": {"p": {"title": "P", "type": "string"}},
        "objects": [{"name": "o", "required": ["p"], "properties": {}}],
        "tags": [{"name": "t"}],
    }
    cleaned = rules.clean_namespace_file(document)
    assert cleaned["visibility"] is None
    expected = {**document, "objects": [{"name": "o", "required": ["p"]}]}
    assert rules.file_document(cleaned) == expected
