"""The version document is derived from one table (catalog/api/versions.py): it announces
the versions whose routes exist, newest first, the cache versions only with the cache."""

import pytest
from django.urls import NoReverseMatch, get_resolver

from catalog.api import versions
from tests.conftest import assert_status


def announced(client) -> list[str]:
    return [v["id"] for v in assert_status(client.get("/versions"), 200).json()["versions"]]


def test_every_route_a_version_names_is_served():
    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    for version in versions.VERSIONS:
        for route in version.routes:
            if route not in names:
                raise NoReverseMatch(f"v{version.number} names {route}, which is not routed")


def test_without_the_cache_2_17_is_current_and_the_cache_versions_are_absent(anonymous, settings):
    settings.CATALOG_IMAGE_CACHE_DIR = ""
    ids = announced(anonymous)
    assert ids[0] == "v2.17"
    assert not {"v2.14", "v2.16", "v2.18"} & set(ids)
    keys = [tuple(int(p) for p in i[1:].split(".")) for i in ids]
    assert keys == sorted(keys, reverse=True)
    assert ids[-1] == "v2.0"


def test_with_the_cache_2_18_is_current_and_the_list_is_descending(anonymous, settings, tmp_path):
    settings.CATALOG_IMAGE_CACHE_DIR = str(tmp_path / "cache")
    doc = assert_status(anonymous.get("/versions"), 200).json()["versions"]
    ids = [v["id"] for v in doc]
    assert ids[:5] == ["v2.18", "v2.17", "v2.16", "v2.15", "v2.14"]
    assert [v["status"] for v in doc] == ["CURRENT"] + ["SUPPORTED"] * (len(doc) - 1)


@pytest.mark.parametrize("prefix", ["v2.14", "v2.16", "v2.18"])
def test_cache_prefixes_are_accepted_only_with_the_cache(alice, settings, tmp_path, prefix):
    settings.CATALOG_IMAGE_CACHE_DIR = ""
    assert_status(alice.get(f"/{prefix}/images"), 300)
    settings.CATALOG_IMAGE_CACHE_DIR = str(tmp_path)
    assert_status(alice.get(f"/{prefix}/images"), 200)


def test_the_location_version_prefix_reaches_the_routes(alice):
    assert_status(alice.get("/v2.17/images"), 200)
