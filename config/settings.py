"""Vitrine settings: one file, driven by the environment, with working defaults.

A bare checkout runs on SQLite and a filesystem store under ``var/``. Everything else
(PostgreSQL, a public endpoint, quotas, ...) is switched on by environment variables;
malformed values fail loudly at start-up instead of being silently ignored. README.md's
"Configuration" table lists every variable (tests/test_readme_settings.py keeps it whole).

Importing this module reads the environment and nothing else: it creates no directory and
writes no file. ``var/`` and the generated secret key are made by ``manage.py ensure_var``
(``make run`` calls it), the stores and the staging area create their directories on their
first write, and ``collectstatic`` creates ``STATIC_ROOT``.

The sections, in this order:

1. Environment helpers
2. Paths and secrets
3. Django core (hosts, URLs, security headers, sessions, trusted proxies)
4. Database and cache
5. Applications, middleware, templates
6. Static files
7. REST framework and OpenAPI
8. The image API (public endpoint, request ids, list pages, locations)
9. Identity (tokens, the built-in Keystone subset, an external Keystone)
10. Images and quotas
11. Image data and stores
12. Import (methods, staging, web-download filtering, conversion, recovery, glance-download)
13. Worker (background tasks)
14. Health (load balancers, metrics)
15. Events (audit trail, notifications, webhooks)
16. Logging
"""

import hashlib
import ipaddress
import json
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# --- 1. Environment helpers --------------------------------------------------------------
# Each reads one variable and raises ImproperlyConfigured, naming it, on a malformed value.

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at most {maximum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_ports(name: str, default: list[int]) -> list[int]:
    try:
        return [int(p) for p in env_list(name, [str(p) for p in default])]
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a comma-separated list of ports.") from None


def env_networks(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of IP addresses or networks (``10.0.0.0/8``), normalised."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network."
            ) from None
    return networks


def cache_from_url(url: str) -> dict:
    """Translate ``CATALOG_CACHE_URL`` to Django's form: empty for the database cache (its
    table made by the migrations), ``redis://`` or ``rediss://`` for Redis, ``locmem://`` for
    one process's memory (never with several workers: the limits would not be shared)."""
    scheme = urlsplit(url).scheme
    if not url:
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ImproperlyConfigured(
        f"CATALOG_CACHE_URL scheme {scheme!r} is not supported (use redis://, locmem:// or "
        "leave it empty for the database)."
    )


# The database cache's table: catalog/migrations/0003_cache_table.py creates it.
CACHE_TABLE = "catalog_cache"


def env_json_object(name: str) -> dict:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object.")
    return value


def database_from_url(url: str, base_dir: Path) -> dict:
    """Translate ``DATABASE_URL`` (postgres://, postgresql://, sqlite:///) to Django's form;
    a relative SQLite path is taken from ``base_dir``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as dj-database-url reads them.
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path or path == ":memory:":
            return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
        name = Path(path) if Path(path).is_absolute() else base_dir / path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(name)}
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL names no database.")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported (use postgres:// or sqlite:///)."
    )


def read_secret_key(key_file: Path) -> tuple[str, bool]:
    """``(key, generated)``: SECRET_KEY from the environment, else the key ``manage.py
    ensure_var`` generated into ``key_file``, else empty. Django refuses an empty key as
    soon as something needs it, and the catalog.E001 check says how to get one."""
    given = os.environ.get("SECRET_KEY")
    if given:
        return given, False
    try:
        return key_file.read_text().strip(), True
    except FileNotFoundError:
        return "", False


# --- 2. Paths and secrets ----------------------------------------------------------------

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the service writes by default: SQLite database, secret key, stores, static files.
VAR_DIR = Path(env_str("CATALOG_VAR_DIR", str(BASE_DIR / "var")))
SECRET_KEY_FILE = VAR_DIR / "secret_key"
SECRET_KEY, SECRET_KEY_GENERATED = read_secret_key(SECRET_KEY_FILE)

# --- 3. Django core ----------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Glance answers 404 for a trailing slash (/v2/images/); never redirect to add one.
APPEND_SLASH = False
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "ui:login"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
# Proxies (addresses or networks) whose X-Forwarded-For is believed: a client's address is
# the peer's unless the peer is one of these, then the right-most X-Forwarded-For entry that
# is not (catalog/http.py:client_address; login limits use it). Empty: believe no header.
CATALOG_TRUSTED_PROXIES = env_networks("CATALOG_TRUSTED_PROXIES", [])
# Messages live in the session, not in a cookie: the admin shows a newly issued token once.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- 4. Database and cache ---------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL, BASE_DIR)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "vitrine.sqlite3"),
        }
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent uploads and API calls from threaded gunicorn workers: wait for locks
    # rather than failing with "database is locked", and let readers run beside a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A connection per request cost a small API request a fifth of its time (the connect,
    # the PRAGMAs above and the close: bench/data.py profiles it); reuse it as on PostgreSQL.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    # The test database is a file too, not Django's shared-cache in-memory one: there,
    # concurrent transactions fail at once with "database table is locked" instead of
    # waiting, so tests of concurrent requests could not run on SQLite.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-vitrine.sqlite3")}

# The cache every API node shares: login failure counters and the external Keystone's token
# answers. Empty: the database's (the default, shared by every node that shares the database).
CATALOG_CACHE_URL = env_str("CATALOG_CACHE_URL", "")
CACHES = {"default": cache_from_url(CATALOG_CACHE_URL)}

# PostgreSQL's default planner costs assume spinning disks (random_page_cost=4): it then
# fetches a list page's properties and tags by sequential scans (40 ms instead of 7 ms for a
# 1000-image page of 100,000 images, bench/list.py). 1.1 is the usual value for SSDs; set
# CATALOG_PG_RANDOM_PAGE_COST to empty to keep the server's own setting.
CATALOG_PG_RANDOM_PAGE_COST = env_str("CATALOG_PG_RANDOM_PAGE_COST", "1.1").strip()
if DATABASES["default"]["ENGINE"].endswith("postgresql") and CATALOG_PG_RANDOM_PAGE_COST:
    try:
        float(CATALOG_PG_RANDOM_PAGE_COST)
    except ValueError:
        raise ImproperlyConfigured(
            f"CATALOG_PG_RANDOM_PAGE_COST={CATALOG_PG_RANDOM_PAGE_COST!r} is not a number."
        ) from None
    DATABASES["default"]["OPTIONS"] = {
        "options": f"-c random_page_cost={CATALOG_PG_RANDOM_PAGE_COST}"
    }

# --- 5. Applications, middleware, templates ----------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    # Swagger UI's assets served from this server (no CDN: deployments may be offline).
    "drf_spectacular_sidecar",
    "catalog.identity",
    "catalog",
]  # + django_rq with the Redis queue (13. Worker)

MIDDLEWARE = [
    # Prometheus counters (CATALOG_METRICS): outermost, so that every answer is counted.
    "catalog.api.middleware.MetricsMiddleware",
    # Request ids first, so that every response (errors included) carries one.
    "catalog.api.middleware.RequestIdMiddleware",
    "catalog.api.middleware.VersionNegotiationMiddleware",
    # NUL in an admin (or any non-API) URL is a 400 before PostgreSQL sees it.
    "catalog.api.middleware.NulRejectionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "catalog.ui.security.ContentSecurityPolicyMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catalog.ui.context_processors.catalog",
            ],
        },
    },
]

# --- 6. Static files ---------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"  # filled by `manage.py collectstatic` (make run)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- 7. REST framework and OpenAPI -------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "catalog.api.authentication.TokenAuthentication",
        "catalog.api.authentication.SessionContextAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["catalog.api.permissions.HasRequestContext"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Request bodies are parsed explicitly per action (catalog.http): Glance's
    # media-type rules differ per route and the data routes must never be parsed at all.
    "DEFAULT_PARSER_CLASSES": [],
    "EXCEPTION_HANDLER": "catalog.api.errors.exception_handler",
    # Glance ignores Accept; so must we, or real clients get 406s (see the class).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "catalog.api.negotiation.IgnoreAcceptNegotiation",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "OpenStack Image Service API v2 (Vitrine)",
    "VERSION": "2.17",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API description is public: /api/schema/ and /api/docs/ need no token.
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "catalog.api.openapi.add_components",
    ],
}

# --- 8. The image API --------------------------------------------------------------------

# The URL clients reach this service at (version documents, Location headers, the
# identity catalog). Empty: taken from each request's Host header.
CATALOG_PUBLIC_ENDPOINT = env_str("CATALOG_PUBLIC_ENDPOINT", "").rstrip("/")
# At most 76: with its "req-" prefix a request id must fit the task record's 80 characters.
CATALOG_MAX_REQUEST_ID_LENGTH = env_int("CATALOG_MAX_REQUEST_ID_LENGTH", 64, minimum=8, maximum=76)
# Glance's limit_param_default and api_limit_max: the page size when none is asked for, and
# the most a page may hold (larger limits are silently clamped).
CATALOG_LIMIT_PARAM_DEFAULT = env_int("CATALOG_LIMIT_PARAM_DEFAULT", 25, minimum=1)
CATALOG_API_LIMIT_MAX = env_int("CATALOG_API_LIMIT_MAX", 1000, minimum=1)
# Glance's show_multiple_locations / show_image_direct_url: off, as exposing store URLs is a
# security risk (OSSN-0065, OSSN-0090).
CATALOG_SHOW_MULTIPLE_LOCATIONS = env_bool("CATALOG_SHOW_MULTIPLE_LOCATIONS", False)
CATALOG_SHOW_IMAGE_DIRECT_URL = env_bool("CATALOG_SHOW_IMAGE_DIRECT_URL", False)
# Glance's do_secure_hash: an image added by location (POST /v2/images/{id}/locations) is
# read once by the worker, its md5 and CATALOG_HASH_ALGORITHM digests computed (and compared
# with the validation data given), before it becomes active.
CATALOG_LOCATIONS_SECURE_HASH = env_bool("CATALOG_LOCATIONS_SECURE_HASH", True)
# Glance's image_location_quota: the most locations an image may have (-1: no limit).
CATALOG_IMAGE_LOCATION_QUOTA = env_int("CATALOG_IMAGE_LOCATION_QUOTA", 10, minimum=-1)

# --- 9. Identity -------------------------------------------------------------------------

CATALOG_TOKEN_TTL = env_int("CATALOG_TOKEN_TTL", 3600, minimum=60)

# Password guessing: at most CATALOG_LOGIN_MAX_FAILURES wrong passwords for one account from
# one client address in any CATALOG_LOGIN_LOCKOUT_SECONDS, and CATALOG_LOGIN_ADDRESS_MAX_FAILURES
# from one address for any accounts; then 429 (API) or a form error (catalog and admin logins)
# until the oldest failure is that old. Keyed by address too, so nobody locks out another
# person from elsewhere. Counted in the shared cache (CATALOG_CACHE_URL).
CATALOG_LOGIN_MAX_FAILURES = env_int("CATALOG_LOGIN_MAX_FAILURES", 10, minimum=1)
CATALOG_LOGIN_LOCKOUT_SECONDS = env_int("CATALOG_LOGIN_LOCKOUT_SECONDS", 300, minimum=1)
CATALOG_LOGIN_ADDRESS_MAX_FAILURES = env_int("CATALOG_LOGIN_ADDRESS_MAX_FAILURES", 100, minimum=1)

# The built-in Keystone v3 subset: region name and image endpoint advertised in the service
# catalog of /identity/v3 tokens. The image endpoint defaults to this server
# (CATALOG_PUBLIC_ENDPOINT, else the request's host); set it when this server acts as the
# identity service of another image server.
CATALOG_REGION_NAME = env_str("CATALOG_REGION_NAME", "RegionOne")
CATALOG_IDENTITY_IMAGE_ENDPOINT = env_str("CATALOG_IDENTITY_IMAGE_ENDPOINT", "").rstrip("/")

# External Keystone mode: set CATALOG_KEYSTONE_URL to the Keystone v3 endpoint (for example
# https://keystone.example.com/v3). Tokens are then validated there with a service account,
# and the built-in /identity endpoints are switched off.
CATALOG_KEYSTONE_URL = env_str("CATALOG_KEYSTONE_URL", "").rstrip("/")
CATALOG_KEYSTONE_USERNAME = env_str("CATALOG_KEYSTONE_USERNAME", "")
CATALOG_KEYSTONE_PASSWORD = env_str("CATALOG_KEYSTONE_PASSWORD", "")
CATALOG_KEYSTONE_PROJECT = env_str("CATALOG_KEYSTONE_PROJECT", "")
CATALOG_KEYSTONE_USER_DOMAIN = env_str("CATALOG_KEYSTONE_USER_DOMAIN", "Default")
CATALOG_KEYSTONE_PROJECT_DOMAIN = env_str("CATALOG_KEYSTONE_PROJECT_DOMAIN", "Default")
# How long a validated (or refused) user token is trusted without asking Keystone again.
CATALOG_KEYSTONE_CACHE_TTL = env_int("CATALOG_KEYSTONE_CACHE_TTL", 60, minimum=0)
CATALOG_KEYSTONE_TIMEOUT = env_int("CATALOG_KEYSTONE_TIMEOUT", 5, minimum=1)
if CATALOG_KEYSTONE_URL:
    _missing = [
        name
        for name in ("USERNAME", "PASSWORD", "PROJECT")
        if not globals()[f"CATALOG_KEYSTONE_{name}"]
    ]
    if _missing:
        raise ImproperlyConfigured(
            "CATALOG_KEYSTONE_URL is set but the service account is incomplete: set "
            + ", ".join(f"CATALOG_KEYSTONE_{name}" for name in _missing)
            + "."
        )
    if not CATALOG_KEYSTONE_URL.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"CATALOG_KEYSTONE_URL={CATALOG_KEYSTONE_URL!r} is not an http(s) URL."
        )

# --- 10. Images and quotas ---------------------------------------------------------------

# Glance's image_property_quota / image_tag_quota / image_member_quota; negative = unlimited.
CATALOG_IMAGE_PROPERTY_QUOTA = env_int("CATALOG_IMAGE_PROPERTY_QUOTA", 128)
CATALOG_IMAGE_TAG_QUOTA = env_int("CATALOG_IMAGE_TAG_QUOTA", 128)
CATALOG_IMAGE_MEMBER_QUOTA = env_int("CATALOG_IMAGE_MEMBER_QUOTA", 128)
# Refuse image property values that break their metadata definition (the namespaces the
# caller sees that are associated with OS::Glance::Image), on every write path. Glance
# never enforces them: off by default.
CATALOG_ENFORCE_METADEFS = env_bool("CATALOG_ENFORCE_METADEFS", False)
# Glance's user_storage_quota: bytes of image data per project, 0 = unlimited.
CATALOG_USER_STORAGE_QUOTA = env_int("CATALOG_USER_STORAGE_QUOTA", 0, minimum=0)
# Defaults of Glance's four unified-limit quotas, for projects without an override (set by
# admins in the Django admin or with `manage.py project_quota`). Sizes in MiB, counts in
# images, as Glance reports them in /v2/info/usage; -1 means unlimited.
CATALOG_QUOTA_IMAGE_SIZE_TOTAL = env_int("CATALOG_QUOTA_IMAGE_SIZE_TOTAL", -1, minimum=-1)
CATALOG_QUOTA_IMAGE_STAGE_TOTAL = env_int("CATALOG_QUOTA_IMAGE_STAGE_TOTAL", -1, minimum=-1)
CATALOG_QUOTA_IMAGE_COUNT_TOTAL = env_int("CATALOG_QUOTA_IMAGE_COUNT_TOTAL", -1, minimum=-1)
CATALOG_QUOTA_IMAGE_COUNT_UPLOADING = env_int("CATALOG_QUOTA_IMAGE_COUNT_UPLOADING", -1, minimum=-1)

# --- 11. Image data and stores -----------------------------------------------------------

# Store id -> options ({"kind": "file"|"s3", "description", "read_only", "path" | "bucket",
# "endpoint_url", ...}); empty: one filesystem store "local" under CATALOG_STORE_DIR.
CATALOG_STORES = env_json_object("CATALOG_STORES")
CATALOG_STORE_DIR = Path(env_str("CATALOG_STORE_DIR", str(VAR_DIR / "images")))
CATALOG_DEFAULT_STORE = env_str("CATALOG_DEFAULT_STORE", "")
# Folders every node mounts from one shared filesystem (NFS, CephFS): file stores and the
# staging folder under them are not node-local (`manage.py check --deploy` warns otherwise).
CATALOG_SHARED_PATHS = [Path(p) for p in env_list("CATALOG_SHARED_PATHS", [])]
# The read-only http store (Glance's "http" in [glance_store] stores) beside a single store:
# locations may then be http(s) URLs (checked as web-download URLs are). In multi-store mode
# add a CATALOG_STORES entry of kind "http" instead.
CATALOG_HTTP_STORE = env_bool("CATALOG_HTTP_STORE", False)
# The image cache (Glance's image_cache_dir): on when set. Downloads fill it and are served
# from it; /v2/cache manages it. CATALOG_IMAGE_CACHE_MAX_SIZE (bytes) is what pruning keeps
# it under; CATALOG_NODE_URL is this node's own address (Glance's worker_self_reference_url),
# the key of its cache entries in the database.
CATALOG_IMAGE_CACHE_DIR = env_str("CATALOG_IMAGE_CACHE_DIR", "")
CATALOG_IMAGE_CACHE_MAX_SIZE = env_int("CATALOG_IMAGE_CACHE_MAX_SIZE", 10 * 1024**3, minimum=0)
CATALOG_NODE_URL = env_str("CATALOG_NODE_URL", "").rstrip("/")
# Glance's image_size_cap (1 TiB): larger uploads are refused with 413 while they stream.
CATALOG_IMAGE_SIZE_CAP = env_int("CATALOG_IMAGE_SIZE_CAP", 1024**4, minimum=0)
# Glance's hashing_algorithm: the os_hash_algo of new uploads (any hashlib name).
CATALOG_HASH_ALGORITHM = env_str("CATALOG_HASH_ALGORITHM", "sha512")
try:
    hashlib.new(CATALOG_HASH_ALGORITHM)
except ValueError:
    raise ImproperlyConfigured(
        f"CATALOG_HASH_ALGORITHM={CATALOG_HASH_ALGORITHM!r} is not a hashlib algorithm."
    ) from None
# Hash md5 and os_hash_algo in two threads beside the request thread (see bench/data.py).
CATALOG_PARALLEL_HASHING = env_bool("CATALOG_PARALLEL_HASHING", True)
# Bytes read from the request and written to the store at a time.
CATALOG_DATA_CHUNK_SIZE = env_int("CATALOG_DATA_CHUNK_SIZE", 4 * 1024 * 1024, minimum=65536)
# Glance's [image_format] require_image_format_match: a bare upload whose content is not its
# disk_format is refused (415). The safety checks (backing files, VMDK extents, ...) are
# enforced whatever this says.
CATALOG_REQUIRE_IMAGE_FORMAT_MATCH = env_bool("CATALOG_REQUIRE_IMAGE_FORMAT_MATCH", True)
# Every data write in flight (upload, stage, import) holds a lease in the database, renewed
# every third of this many seconds while its process works on it. A lease not renewed for this
# long belongs to a dead process: the recovery sweep puts its image back to queued (or the
# import back in the queue). A killed write is recovered within this plus one
# CATALOG_RECOVERY_INTERVAL. (Replaces CATALOG_IMPORT_STALE_AFTER.)
CATALOG_LEASE_TIMEOUT = env_int("CATALOG_LEASE_TIMEOUT", 60, minimum=2)
# Settings that are no longer read, still set in the environment (a system check warns).
CATALOG_REMOVED_SETTINGS = {
    name: replacement
    for name, replacement in {"CATALOG_IMPORT_STALE_AFTER": "CATALOG_LEASE_TIMEOUT"}.items()
    if name in os.environ
}

# --- 12. Import --------------------------------------------------------------------------

CATALOG_ENABLED_IMPORT_METHODS = env_list(
    "CATALOG_ENABLED_IMPORT_METHODS", ["glance-direct", "web-download", "copy-image"]
)
# Where PUT /stage and web-download put data before an import task stores it.
CATALOG_STAGING_DIR = Path(env_str("CATALOG_STAGING_DIR", str(VAR_DIR / "staging")))

# web-download filtering (Glance's import_filtering_opts). When an allow-list is set for a
# dimension, its deny-list is ignored (as Glance).
CATALOG_IMPORT_ALLOWED_SCHEMES = env_list("CATALOG_IMPORT_ALLOWED_SCHEMES", ["http", "https"])
CATALOG_IMPORT_DISALLOWED_SCHEMES = env_list("CATALOG_IMPORT_DISALLOWED_SCHEMES", [])
CATALOG_IMPORT_ALLOWED_HOSTS = env_list("CATALOG_IMPORT_ALLOWED_HOSTS", [])
CATALOG_IMPORT_DISALLOWED_HOSTS = env_list("CATALOG_IMPORT_DISALLOWED_HOSTS", [])
# Set explicitly empty to allow every port.
CATALOG_IMPORT_ALLOWED_PORTS = env_ports("CATALOG_IMPORT_ALLOWED_PORTS", [80, 443])
CATALOG_IMPORT_DISALLOWED_PORTS = env_ports("CATALOG_IMPORT_DISALLOWED_PORTS", [])
CATALOG_IMPORT_ALLOW_PRIVATE_NETWORKS = env_bool("CATALOG_IMPORT_ALLOW_PRIVATE_NETWORKS", False)
CATALOG_IMPORT_TIMEOUT = env_int("CATALOG_IMPORT_TIMEOUT", 30, minimum=1)
# A download (web-download, glance-download) fails past this many seconds, or when its origin
# sent less than CATALOG_IMPORT_MIN_RATE bytes a second over the last
# CATALOG_IMPORT_RATE_WINDOW seconds (0: no minimum): a dripping origin fails its own import.
CATALOG_IMPORT_DEADLINE = env_int("CATALOG_IMPORT_DEADLINE", 3600, minimum=1)
CATALOG_IMPORT_MIN_RATE = env_int("CATALOG_IMPORT_MIN_RATE", 65536, minimum=0)
CATALOG_IMPORT_RATE_WINDOW = env_int("CATALOG_IMPORT_RATE_WINDOW", 60, minimum=1)

# Convert imported images to this disk format with qemu-img (Glance's image_conversion plugin,
# output_format): raw, qcow2 or vmdk; empty (the default) converts nothing.
CATALOG_IMPORT_CONVERT_TO = env_str("CATALOG_IMPORT_CONVERT_TO", "")
if CATALOG_IMPORT_CONVERT_TO not in ("", "raw", "qcow2", "vmdk"):
    raise ImproperlyConfigured("CATALOG_IMPORT_CONVERT_TO must be raw, qcow2, vmdk or empty.")

# An import whose worker died (its lease expired, see CATALOG_LEASE_TIMEOUT) is queued again,
# or failed cleanly once it has had this many attempts.
CATALOG_IMPORT_MAX_ATTEMPTS = env_int("CATALOG_IMPORT_MAX_ATTEMPTS", 3, minimum=1)
# At most this many imports of one project run at once, over every worker: one project's
# backlog cannot occupy the queue.
CATALOG_IMPORT_PER_PROJECT = env_int("CATALOG_IMPORT_PER_PROJECT", 2, minimum=1)

# glance-download (opt-in through CATALOG_ENABLED_IMPORT_METHODS): the image endpoints of other
# regions when Vitrine is its own identity service, {"RegionTwo": "https://images.two:8000"}
# (with an external Keystone they come from its catalog); and the property prefixes copied
# from the remote image (Glance's [glance_download_properties] extra_properties).
CATALOG_REMOTE_REGIONS = env_json_object("CATALOG_REMOTE_REGIONS")
CATALOG_GLANCE_DOWNLOAD_PROPERTIES = env_list(
    "CATALOG_GLANCE_DOWNLOAD_PROPERTIES",
    ["hw_", "trait:", "os_distro", "os_secure_boot", "os_type"],
)

# --- 13. Worker (background tasks) -------------------------------------------------------
# Django's tasks API through the django-tasks backport. The embedded default keeps the queue in
# the database (worker: `manage.py run_worker`). A larger deployment moves it to Redis without
# code changes: install the `redis` extra, set CATALOG_TASKS_BACKEND=django_tasks_rq.RQBackend
# and CATALOG_REDIS_URL; `manage.py run_worker` then runs an RQ worker (see README).

CATALOG_TASKS_BACKEND = env_str("CATALOG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": CATALOG_TASKS_BACKEND}}
if CATALOG_TASKS_BACKEND.startswith("django_tasks_rq."):
    INSTALLED_APPS += ["django_rq"]
    # No RQ job timeout (-1): an import of several GB takes what it takes; its lease, renewed
    # while it runs, is what tells a dead one (catalog.services.recovery).
    RQ_QUEUES = {
        "default": {
            "URL": env_str("CATALOG_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "DEFAULT_TIMEOUT": -1,
        }
    }
# Glance's task_time_to_live: hours a finished task stays listed.
CATALOG_TASK_TIME_TO_LIVE = env_int("CATALOG_TASK_TIME_TO_LIVE", 48, minimum=1)
# Seconds between two recovery sweeps of every worker (dead uploads, stages and imports:
# catalog.services.recovery; `manage.py recover` runs one from cron).
CATALOG_RECOVERY_INTERVAL = env_int("CATALOG_RECOVERY_INTERVAL", 15, minimum=1)
# Seconds between two runs of the image lifecycle jobs of a worker (hide deprecated images
# whose x_vitrine_hide_after has passed; retention: catalog.services.families, retention).
CATALOG_LIFECYCLE_INTERVAL = env_int("CATALOG_LIFECYCLE_INTERVAL", 300, minimum=1)
# Seconds between two refreshes of the day's usage sample of every project (the catalog's
# usage-over-time chart keeps one sample per project a day: catalog.services.usage_history).
CATALOG_USAGE_SAMPLE_INTERVAL = env_int("CATALOG_USAGE_SAMPLE_INTERVAL", 3600, minimum=60)
# Threads of one `manage.py run_worker` taking jobs (imports run concurrently).
CATALOG_WORKER_CONCURRENCY = env_int("CATALOG_WORKER_CONCURRENCY", 4, minimum=1)
# Seconds a stopping worker (SIGTERM) lets its running jobs finish before it hands them back
# to the queue and exits.
CATALOG_WORKER_SHUTDOWN_GRACE = env_int("CATALOG_WORKER_SHUTDOWN_GRACE", 30, minimum=0)

# --- 14. Health (load balancers) ----------------------------------------------------------
# GET /healthcheck answers 503 "DISABLED BY FILE" while this file exists (drain a node), as
# Glance's healthcheck's disable_by_file does; GET /healthcheck/ready gives each of its probes
# (database, default store, queue) this many seconds.
CATALOG_HEALTHCHECK_DISABLE_FILE = env_str("CATALOG_HEALTHCHECK_DISABLE_FILE", "")
CATALOG_READINESS_TIMEOUT = env_int("CATALOG_READINESS_TIMEOUT", 2, minimum=1)
# Prometheus metrics at GET /metrics (requests, latency, bytes, queue depth, recoveries):
# catalog/reads/metrics.py; PROMETHEUS_MULTIPROC_DIR gathers a node's processes.
CATALOG_METRICS = env_bool("CATALOG_METRICS", False)

# --- 15. Events: audit trail, notifications, webhooks -------------------------------------
# Every change is an audit record (catalog.services.events); these settings say where else
# it goes. Glance-compatible notifications: empty (the default) sends none; a
# rabbit://user:password@host:5672/vhost URL publishes them, through the outbox the worker
# drains, to the exchange below with topic <CATALOG_NOTIFICATIONS_TOPIC>.<priority>.
CATALOG_NOTIFICATIONS_URL = env_str("CATALOG_NOTIFICATIONS_URL", "")
# Glance's control_exchange, [oslo_messaging_notifications] topics and default_publisher_id.
CATALOG_NOTIFICATIONS_EXCHANGE = env_str("CATALOG_NOTIFICATIONS_EXCHANGE", "glance")
CATALOG_NOTIFICATIONS_TOPIC = env_str("CATALOG_NOTIFICATIONS_TOPIC", "notifications")
CATALOG_NOTIFICATIONS_PUBLISHER_ID = env_str(
    "CATALOG_NOTIFICATIONS_PUBLISHER_ID", "image.localhost"
)
# Glance's disabled_notifications: event types (image.create) or groups (image, task).
CATALOG_NOTIFICATIONS_DISABLED = env_list("CATALOG_NOTIFICATIONS_DISABLED", [])
# At most this many notifications wait in the outbox (a broker down for long): past it new
# ones are dropped and counted in the log, so the database cannot fill up.
CATALOG_NOTIFICATIONS_OUTBOX_MAX = env_int("CATALOG_NOTIFICATIONS_OUTBOX_MAX", 100000, minimum=1)
# Seconds between two runs of the worker's delivery job (outbox and webhooks).
CATALOG_EVENTS_DELIVERY_INTERVAL = env_int("CATALOG_EVENTS_DELIVERY_INTERVAL", 5, minimum=1)
# Days an audit record is kept (the worker's retention job deletes older ones); 0: forever.
CATALOG_AUDIT_RETENTION_DAYS = env_int("CATALOG_AUDIT_RETENTION_DAYS", 365, minimum=0)
# Webhook deliveries: attempts before a delivery is marked failed (the waits between them
# double from 10 s), and seconds a receiver has to answer. Webhook URLs follow the
# web-download URL rules (CATALOG_IMPORT_ALLOWED_HOSTS, ..._PORTS, ..._ALLOW_PRIVATE_NETWORKS).
CATALOG_WEBHOOK_MAX_ATTEMPTS = env_int("CATALOG_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
CATALOG_WEBHOOK_TIMEOUT = env_int("CATALOG_WEBHOOK_TIMEOUT", 10, minimum=1)

# --- 16. Logging -------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
