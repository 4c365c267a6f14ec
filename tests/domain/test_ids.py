"""catalog/ids.py: what ids look like, ASCII only (issue 15: '²'.isdigit() is true)."""

import pytest

from catalog import ids


@pytest.mark.parametrize("value", ["1", "42", "2147483647"])
def test_user_ids(value):
    assert ids.is_user_id(value)


@pytest.mark.parametrize(
    "value", ["", "²", "١٢", "𝟙", "1\x00", " 1", "-1", "+1", "1.0", "2147483648", "9" * 11, 1, None]
)
def test_not_user_ids(value):
    assert not ids.is_user_id(value)


@pytest.mark.parametrize("value", ["f" * 32, "default", "my_project-1", "a" * 64])
def test_project_ids(value):
    assert ids.is_project_id(value)


@pytest.mark.parametrize("value", ["", "a" * 65, "²", "a b", "a\x00", "ſ", "a/b", 5, None])
def test_not_project_ids(value):
    assert not ids.is_project_id(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("e3e70682-c209-4cac-a29f-6fbed82c07cd", True),
        ("E3E70682-C209-4CAC-A29F-6FBED82C07CD", True),
        ("e3e70682c2094caca29f6fbed82c07cd", False),
        ("e3e70682-c209-4cac-a29f-6fbed82c07c", False),
        ("e3e70682-c209-4cac-a29f-6fbed82c07c²", False),
        ("e3e70682-c209-4cac-a29f-6fbed82c07cd\n", False),
        (None, False),
    ],
)
def test_uuids(value, expected):
    assert ids.is_uuid(value) is expected
