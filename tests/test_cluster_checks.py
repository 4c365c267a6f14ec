"""`manage.py check --deploy` warns about state one node keeps that another would need."""

from django.core.checks import run_checks
from django.db import connection

from catalog.data import stores


def warning_ids(**kwargs):
    return {
        m.id
        for m in run_checks(include_deployment_checks=True)
        if (m.id or "").startswith("catalog.W04")
    }


def test_a_node_local_file_store_and_staging_are_warned_about(settings, tmp_path):
    settings.CATALOG_SHARED_PATHS = []
    assert {"catalog.W040", "catalog.W041"} <= warning_ids()


def test_shared_paths_silence_them(settings, tmp_path):
    settings.CATALOG_SHARED_PATHS = [tmp_path]  # the store and staging are under tmp_path
    ids = warning_ids()
    assert "catalog.W040" not in ids and "catalog.W041" not in ids


def test_object_stores_are_not_node_local(settings, tmp_path):
    settings.CATALOG_STORES = {"objects": {"kind": "s3", "bucket": "images"}}
    settings.CATALOG_ENABLED_IMPORT_METHODS = ["web-download"]
    assert stores.default_store().kind == "s3"
    ids = warning_ids()
    assert "catalog.W040" not in ids and "catalog.W041" not in ids


def test_a_store_inside_the_node_cache_is_warned_about(settings, tmp_path):
    settings.CATALOG_SHARED_PATHS = [tmp_path]
    settings.CATALOG_IMAGE_CACHE_DIR = tmp_path
    assert "catalog.W042" in warning_ids()


def test_the_database_queue_with_several_workers_on_sqlite(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CATALOG_WORKER_CONCURRENCY = 4
    assert ("catalog.W043" in warning_ids()) == (connection.vendor == "sqlite")
    settings.CATALOG_WORKER_CONCURRENCY = 1
    assert "catalog.W043" not in warning_ids()
    settings.CATALOG_WORKER_CONCURRENCY = 4
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/12"}}
    assert "catalog.W043" not in warning_ids()
