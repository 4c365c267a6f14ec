"""Pure rules of list parameters: op syntax, quoting, times, sorting, limits."""

from datetime import UTC, datetime

import pytest

from catalog.domain import listing
from catalog.domain.listing import SortKey
from catalog.exceptions import BadRequest


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("a", ["a"]),
        ("eq:a", ["a"]),
        ("eq:ubuntu:22.04", ["ubuntu:22.04"]),
        ("in:a,b", ["a", "b"]),
        ('in:q,"shared"', ["q", "shared"]),
        ('in:"a,b",c', ["a,b", "c"]),
        ('in:"say \\"hi\\"",x', ['say "hi"', "x"]),
        ("in:a,,b", ["a", "", "b"]),
        ("in:", [""]),
    ],
)
def test_value_filter_syntax(raw, expected):
    assert listing.parse_value_filter(raw) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ('in:"a', 'Invalid filter value "a. The quote is not closed.'),
        ('in:a"b",c', "There is no comma before opening quotation mark."),
        ('in:"a"b,c', "There is no comma after closing quotation mark."),
        ("gt:a", "Unable to filter by unknown operator 'gt'."),
        ("ubuntu:22.04", "Unable to filter by unknown operator 'ubuntu'."),
    ],
)
def test_value_filter_errors(raw, message):
    with pytest.raises(BadRequest) as error:
        listing.parse_value_filter(raw)
    assert message in error.value.message


def test_time_filter_ops_and_bare_timestamps():
    moment = datetime(2026, 11, 26, 20, 39, 55, tzinfo=UTC)
    assert listing.parse_time_filter("created_at", "gt:2026-11-26T20:39:55Z") == ("gt", moment)
    assert listing.parse_time_filter("created_at", "2026-11-26T20:39:55Z") == ("eq", moment)
    assert listing.parse_time_filter("created_at", "neq:2026-11-26T20:39:55") == ("neq", moment)
    shifted = listing.parse_time_filter("updated_at", "lte:2026-11-26T21:39:55+01:00")
    assert shifted == ("lte", moment)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("yesterday", 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'),
        ("gt:yesterday", 'Bad "created_at" query filter format.'),
        ("gt:", 'Bad "created_at" query filter format.'),
        ("after:2026-01-01T00:00:00Z", "Unable to filter on a unknown operator."),
    ],
)
def test_time_filter_errors(raw, message):
    with pytest.raises(BadRequest) as error:
        listing.parse_time_filter("created_at", raw)
    assert message in error.value.message


def test_limit_parsing_and_clamp():
    assert listing.parse_limit(None, 25, 1000) == 25
    assert listing.parse_limit("0", 25, 1000) == 0
    assert listing.parse_limit("5000", 25, 1000) == 1000
    for raw, message in (("x", "limit param must be an integer"), ("", "must be an integer")):
        with pytest.raises(BadRequest, match=message):
            listing.parse_limit(raw, 25, 1000)
    with pytest.raises(BadRequest, match="limit param must be positive"):
        listing.parse_limit("-1", 25, 1000)


def test_bool_filters_keep_glances_case_rules():
    assert listing.parse_bool_filter("os_hidden", "TRUE", case_sensitive=False) is True
    assert listing.parse_bool_filter("protected", "false", case_sensitive=True) is False
    with pytest.raises(BadRequest, match="Invalid value 'True' for 'protected' filter"):
        listing.parse_bool_filter("protected", "True", case_sensitive=True)
    with pytest.raises(BadRequest, match="Valid values are 'true' or 'false'"):
        listing.parse_bool_filter("os_hidden", "yes", case_sensitive=False)


def keys(order):
    return [(s.key, s.direction) for s in order]


def test_default_sort_is_created_at_desc_then_id():
    assert keys(listing.parse_sort([], [], [])) == [("created_at", "desc"), ("id", "desc")]


def test_classic_sort_single_dir_applies_to_all_and_tie_breakers():
    order = listing.parse_sort([], ["name", "size"], ["asc"])
    assert keys(order) == [("name", "asc"), ("size", "asc"), ("created_at", "asc"), ("id", "asc")]


def test_classic_sort_dirs_per_key_tie_breakers_desc():
    order = listing.parse_sort([], ["name", "size"], ["asc", "desc"])
    assert keys(order) == [
        ("name", "asc"),
        ("size", "desc"),
        ("created_at", "desc"),
        ("id", "desc"),
    ]
    assert keys(listing.parse_sort([], ["name"], [])) == [
        ("name", "desc"),
        ("created_at", "desc"),
        ("id", "desc"),
    ]


def test_new_sort_syntax():
    order = listing.parse_sort(["name:asc,size"], [], [])
    assert order[:2] == (SortKey("name", "asc"), SortKey("size", "desc"))
    assert keys(listing.parse_sort(["name:asc"], [], [])) == [
        ("name", "asc"),
        ("created_at", "asc"),
        ("id", "asc"),
    ]
    assert keys(listing.parse_sort(["id:asc"], [], [])) == [("id", "asc"), ("created_at", "asc")]


@pytest.mark.parametrize(
    "sort, sort_keys, sort_dirs, message",
    [
        (["name"], ["name"], [], "Old and new sorting syntax cannot be combined"),
        (["name"], [], ["asc"], "Old and new sorting syntax cannot be combined"),
        ([], ["owner"], [], "Invalid sort key: owner. It must be one of the following: "),
        (["owner:asc"], [], [], "Invalid sort key: owner."),
        ([], ["name"], ["up"], "Invalid sort direction: up"),
        (["name:up"], [], [], "Invalid sort direction: up"),
        ([], ["name", "size", "id"], ["asc", "desc"], "Number of sort dirs does not match"),
        ([], [], ["asc", "desc"], "Number of sort dirs does not match"),
    ],
)
def test_sort_errors(sort, sort_keys, sort_dirs, message):
    with pytest.raises(BadRequest) as error:
        listing.parse_sort(sort, sort_keys, sort_dirs)
    assert message in error.value.message


def test_range_keys():
    assert listing.range_column("size_min") == ("size", "min")
    assert listing.range_column("min_ram_max") == ("min_ram", "max")
    assert listing.range_column("_min") is None
    assert listing.range_column("name") is None
    assert set(listing.integer_columns()) == {"size", "virtual_size", "min_ram", "min_disk"}
