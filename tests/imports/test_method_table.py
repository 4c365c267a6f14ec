"""The import methods are one table (``catalog.domain.imports``); their worker steps are keyed
by the same names, and ``/v2/info/import`` lists the table's enabled entries."""

import pytest

from catalog import checks
from catalog.domain import imports as import_rules
from catalog.services.imports import steps
from tests.conftest import assert_status


def test_every_method_has_its_steps():
    assert set(steps.STEPS) == set(import_rules.IMPORT_METHODS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "configured",
    [["glance-direct", "web-download", "copy-image"], ["glance-download", "copy-image"], []],
)
def test_info_import_lists_the_tables_enabled_methods(alice, settings, configured):
    settings.CATALOG_ENABLED_IMPORT_METHODS = configured
    listed = assert_status(alice.get("/v2/info/import"), 200).json()["import-methods"]["value"]
    assert listed == [m.name for m in import_rules.enabled_methods(configured)]


def test_an_unknown_configured_method_is_a_configuration_error(settings):
    assert checks.import_methods(None) == []
    settings.CATALOG_ENABLED_IMPORT_METHODS = ["glance-direct", "ftp-download"]
    [error] = checks.import_methods(None)
    assert error.id == "catalog.E020" and "ftp-download" in error.msg
