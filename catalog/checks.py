"""Django system checks: unsafe production settings (`manage.py check --deploy`), a prepared
`var/` folder and key, usable stores, conversion tools and known import methods."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from catalog.data import conversion, stores
from catalog.domain import imports as import_rules


@register(Tags.security, deploy=True)
def unsafe_production_settings(app_configs, **kwargs):
    warnings = []
    if settings.DEBUG:
        warnings.append(
            Warning(
                "DEBUG is on: tracebacks and settings leak to callers.",
                hint="Unset DEBUG (or set DEBUG=false) in production.",
                id="catalog.W001",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        warnings.append(
            Warning(
                "ALLOWED_HOSTS accepts any host.",
                hint="List the host names this service answers to.",
                id="catalog.W002",
            )
        )
    if getattr(settings, "SECRET_KEY_GENERATED", False):
        warnings.append(
            Warning(
                "SECRET_KEY was generated into var/secret_key: several servers would each "
                "sign sessions with a different key.",
                hint="Set SECRET_KEY in the environment.",
                id="catalog.W003",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(
            Warning(
                "The catalog runs on SQLite, which serialises every write.",
                hint="Set DATABASE_URL=postgres://... for a production deployment.",
                id="catalog.W004",
            )
        )
    if not settings.CATALOG_PUBLIC_ENDPOINT:
        warnings.append(
            Warning(
                "CATALOG_PUBLIC_ENDPOINT is not set: links are built from the Host header.",
                hint="Set it to the URL clients reach this service at.",
                id="catalog.W005",
            )
        )
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        warnings.append(
            Warning(
                "CATALOG_CACHE_URL=locmem://: each worker process counts failed logins (and "
                "caches Keystone's answers) on its own, so the login limits multiply.",
                hint="Leave CATALOG_CACHE_URL empty (the database) or set redis://...",
                id="catalog.W006",
            )
        )
    return warnings


@register()
def prepared_var_directory(app_configs, **kwargs):
    """Settings create nothing at import: ``manage.py ensure_var`` (run by ``make run``) makes
    var/ and the secret key; without them Django would fail later, and less clearly."""
    errors = []
    try:
        settings.SECRET_KEY  # noqa: B018 (Django refuses an empty key on access)
    except ImproperlyConfigured:
        errors.append(
            Error(
                f"SECRET_KEY is not set and {settings.SECRET_KEY_FILE} does not exist.",
                hint="Set SECRET_KEY, or run `manage.py ensure_var` (make run does) to "
                "generate one.",
                id="catalog.E001",
            )
        )
    database = settings.DATABASES["default"]
    folder = Path(database["NAME"]).parent
    on_disk = database["ENGINE"].endswith("sqlite3") and database["NAME"] != ":memory:"
    if on_disk and not folder.is_dir():
        errors.append(
            Error(
                f"The SQLite database's directory {folder} does not exist.",
                hint="Run `manage.py ensure_var` (make run does) for the default database "
                "under var/, or create it.",
                id="catalog.E002",
            )
        )
    return errors


def _shared(path) -> bool:
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(Path(p).resolve()) for p in settings.CATALOG_SHARED_PATHS)


def _node_local_stores() -> list[Warning]:
    found = []
    # The node's image cache (CATALOG_IMAGE_CACHE_DIR) is local by definition: a store inside
    # it loses data whenever the cache is pruned.
    cache_dir = settings.CATALOG_IMAGE_CACHE_DIR
    for store in stores.all_stores().values():
        if store.kind != "file":
            continue
        if cache_dir and store.root.is_relative_to(Path(cache_dir).resolve()):
            found.append(
                Warning(
                    f"Store {store.id!r} keeps images inside the node-local image cache "
                    f"({store.root}).",
                    hint="Give the store a folder of its own, on shared storage.",
                    id="catalog.W042",
                )
            )
        elif not _shared(store.root):
            found.append(
                Warning(
                    f"File store {store.id!r} keeps images in {store.root} on this node: "
                    "other API nodes and workers cannot read them.",
                    hint="Use an s3 or rbd store, or mount a shared filesystem there and "
                    "list it in CATALOG_SHARED_PATHS.",
                    id="catalog.W040",
                )
            )
    return found


@register(Tags.compatibility, deploy=True)
def node_local_state(app_configs, **kwargs):
    """What keeps state on one node that another node of a cluster would need."""
    try:
        found = _node_local_stores()
    except ImproperlyConfigured:
        return []  # image_store_configuration reports it
    if "glance-direct" in settings.CATALOG_ENABLED_IMPORT_METHODS and not _shared(
        settings.CATALOG_STAGING_DIR
    ):
        found.append(
            Warning(
                f"Staged data (glance-direct) stays in {settings.CATALOG_STAGING_DIR} on the "
                "node that received it, and the worker that imports it may run elsewhere.",
                hint="Mount a shared filesystem there and list it in CATALOG_SHARED_PATHS, "
                "or run the workers on the API nodes only.",
                id="catalog.W041",
            )
        )
    on_sqlite = connection.vendor == "sqlite"
    db_queue = settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db.")
    if on_sqlite and db_queue and settings.CATALOG_WORKER_CONCURRENCY > 1:
        found.append(
            Warning(
                "The database task queue runs on SQLite with several worker threads: every "
                "claim waits for SQLite's single writer, and no other node can share the file.",
                hint="Use PostgreSQL (DATABASE_URL) and, for several nodes, the Redis queue.",
                id="catalog.W043",
            )
        )
    return found


@register()
def image_store_configuration(app_configs, **kwargs):
    """CATALOG_STORES / CATALOG_DEFAULT_STORE must describe usable stores."""
    try:
        stores.default_store()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See 'Image data' in README.md.", id="catalog.E010")]
    return []


@register(Tags.security, deploy=True)
def exposed_store_locations(app_configs, **kwargs):
    if settings.CATALOG_SHOW_MULTIPLE_LOCATIONS or settings.CATALOG_SHOW_IMAGE_DIRECT_URL:
        return [
            Warning(
                "Image locations are shown to API callers: store URLs reveal the storage "
                "layout (OSSN-0065, OSSN-0090).",
                hint="Unset CATALOG_SHOW_MULTIPLE_LOCATIONS and CATALOG_SHOW_IMAGE_DIRECT_URL.",
                id="catalog.W010",
            )
        ]
    return []


@register()
def conversion_tools(app_configs, **kwargs):
    if settings.CATALOG_IMPORT_CONVERT_TO and not conversion.available():
        return [
            Warning(
                f"CATALOG_IMPORT_CONVERT_TO={settings.CATALOG_IMPORT_CONVERT_TO} but "
                "qemu-img is not installed: imports are stored unconverted.",
                hint="Install Debian's qemu-utils package (apt-get install qemu-utils).",
                id="catalog.W020",
            )
        ]
    return []


@register()
def removed_settings(app_configs, **kwargs):
    return [
        Warning(
            f"{name} is set but no longer read.",
            hint=f"Use {replacement} (see README.md's settings table).",
            id="catalog.W030",
        )
        for name, replacement in settings.CATALOG_REMOVED_SETTINGS.items()
    ]


@register()
def import_methods(app_configs, **kwargs):
    """CATALOG_ENABLED_IMPORT_METHODS must name methods of the table: another name would be
    advertised by /v2/info/import and refused by the import itself."""
    unknown = [
        name
        for name in settings.CATALOG_ENABLED_IMPORT_METHODS
        if name not in import_rules.IMPORT_METHODS
    ]
    if unknown:
        return [
            Error(
                "CATALOG_ENABLED_IMPORT_METHODS names unknown import methods: "
                f"{', '.join(unknown)}.",
                hint=f"The import methods are: {', '.join(import_rules.IMPORT_METHODS)}.",
                id="catalog.E020",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def image_cache_node(app_configs, **kwargs):
    """With several nodes, each must record its cache under its own address: without
    CATALOG_NODE_URL a node uses its host name, which other nodes cannot reach and two
    containers may share."""
    if settings.CATALOG_IMAGE_CACHE_DIR and not settings.CATALOG_NODE_URL:
        return [
            Warning(
                "CATALOG_IMAGE_CACHE_DIR is set but CATALOG_NODE_URL is not: this node's "
                "cache entries are recorded under its host name.",
                hint="Set CATALOG_NODE_URL to this node's own address (and run a worker on "
                "every node that caches, with the same two settings).",
                id="catalog.W044",
            )
        ]
    return []
