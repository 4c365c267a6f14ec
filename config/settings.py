"""Vitrine settings: one file, driven by the environment, with working defaults.

A bare checkout runs on SQLite and a filesystem store under ``var/``. Everything else
(PostgreSQL, a public endpoint, quotas, ...) is switched on by environment variables;
malformed values fail loudly at start-up instead of being silently ignored.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

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


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Translate ``DATABASE_URL`` (postgres://, postgresql://, sqlite:///) to Django's form."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as dj-database-url reads them.
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path or path == ":memory:":
            return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
        name = Path(path) if Path(path).is_absolute() else BASE_DIR / path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(name)}
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL names no database.")
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        }
        return config
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported (use postgres:// or sqlite:///)."
    )


# --- Paths -------------------------------------------------------------------------------

VAR_DIR = Path(env_str("CATALOG_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> tuple[str, bool]:
    """The SECRET_KEY from the environment, else one generated once into var/secret_key."""
    given = os.environ.get("SECRET_KEY")
    if given:
        return given, False
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip(), True


SECRET_KEY, SECRET_KEY_GENERATED = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Applications ------------------------------------------------------------------------

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
    "catalog.identity",
    "catalog",
]

MIDDLEWARE = [
    # Request ids first, so that every response (errors included) carries one.
    "catalog.api.middleware.RequestIdMiddleware",
    "catalog.api.middleware.VersionNegotiationMiddleware",
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

# Glance answers 404 for a trailing slash (/v2/images/); never redirect to add one.
APPEND_SLASH = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

# --- Database ----------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# --- Internationalisation and static files -----------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security headers --------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
LOGIN_URL = "ui:login"

# --- Django REST framework ---------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "catalog.api.authentication.TokenAuthentication",
        "catalog.api.authentication.SessionContextAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["catalog.api.permissions.HasRequestContext"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Request bodies are parsed explicitly per action (catalog.api.parsing): Glance's
    # media-type rules differ per route and the data routes must never be parsed at all.
    "DEFAULT_PARSER_CLASSES": [],
    "EXCEPTION_HANDLER": "catalog.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "OpenStack Image Service API v2 (Vitrine)",
    "VERSION": "2.17",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Logging -----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# --- Catalog -----------------------------------------------------------------------------

# The URL clients reach this service at (version documents, Location headers, the
# identity catalog). Empty: taken from each request's Host header.
CATALOG_PUBLIC_ENDPOINT = env_str("CATALOG_PUBLIC_ENDPOINT", "").rstrip("/")
CATALOG_STORE_DIR = Path(env_str("CATALOG_STORE_DIR", str(VAR_DIR / "images")))
CATALOG_TOKEN_TTL = env_int("CATALOG_TOKEN_TTL", 3600, minimum=60)
CATALOG_MAX_REQUEST_ID_LENGTH = env_int("CATALOG_MAX_REQUEST_ID_LENGTH", 64, minimum=8)
# Glance's image_property_quota / image_tag_quota / image_member_quota; negative = unlimited.
CATALOG_IMAGE_PROPERTY_QUOTA = env_int("CATALOG_IMAGE_PROPERTY_QUOTA", 128)
CATALOG_IMAGE_TAG_QUOTA = env_int("CATALOG_IMAGE_TAG_QUOTA", 128)
CATALOG_IMAGE_MEMBER_QUOTA = env_int("CATALOG_IMAGE_MEMBER_QUOTA", 128)
# Glance's user_storage_quota: bytes of image data per project, 0 = unlimited.
CATALOG_USER_STORAGE_QUOTA = env_int("CATALOG_USER_STORAGE_QUOTA", 0, minimum=0)
CATALOG_ENABLED_IMPORT_METHODS = env_list(
    "CATALOG_ENABLED_IMPORT_METHODS", ["glance-direct", "web-download", "copy-image"]
)

# --- Per-project quotas (issue 6) --------------------------------------------------------
# Defaults of Glance's four unified-limit quotas, for projects without an override (set by
# admins in the Django admin or with `manage.py project_quota`). Sizes in MiB, counts in
# images, as Glance reports them in /v2/info/usage; -1 means unlimited.
CATALOG_QUOTA_IMAGE_SIZE_TOTAL = env_int("CATALOG_QUOTA_IMAGE_SIZE_TOTAL", -1, minimum=-1)
CATALOG_QUOTA_IMAGE_STAGE_TOTAL = env_int("CATALOG_QUOTA_IMAGE_STAGE_TOTAL", -1, minimum=-1)
CATALOG_QUOTA_IMAGE_COUNT_TOTAL = env_int("CATALOG_QUOTA_IMAGE_COUNT_TOTAL", -1, minimum=-1)
CATALOG_QUOTA_IMAGE_COUNT_UPLOADING = env_int("CATALOG_QUOTA_IMAGE_COUNT_UPLOADING", -1, minimum=-1)
