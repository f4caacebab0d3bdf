"""Django settings for KoyaLite; the only module that reads the environment.

A KoyaLite project is a directory holding `.env`, `migrations/` and `functions/`
(see `koyalite init`). Settings come from the process environment first, then
that directory's `.env`. A missing or malformed value raises
`ImproperlyConfigured` naming the variable; semantic checks (secret length,
writable paths) are system checks in `koyalite/checks.py`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from accounts import catalogue

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = Path(os.environ.get("KOYALITE_PROJECT_DIR") or os.getcwd()).resolve()

env = environ.Env()
if (PROJECT_DIR / ".env").is_file():
    environ.Env.read_env(PROJECT_DIR / ".env", overwrite=False)

# Every KOYALITE_* variable the code understands; anything else with the prefix is
# reported by the koyalite.E003 check, since a typo would otherwise be ignored.
KNOWN_VARIABLES = frozenset(
    {
        "KOYALITE_PROJECT_DIR",
        "KOYALITE_JWT_SECRET",
        "KOYALITE_DEBUG",
        "KOYALITE_LOG_LEVEL",
        "KOYALITE_API_URL",
        "KOYALITE_MAX_BODY_BYTES",
        "KOYALITE_MAX_ROWS",
        "KOYALITE_API_SAFE_UPDATES",
        "KOYALITE_ALLOWED_HOSTS",
        "KOYALITE_WORKERS",
        "KOYALITE_THREADS",
        "KOYALITE_REQUEST_LOG_ROWS",
        "KOYALITE_STUDIO_RATE_LIMIT_SIGN_IN",
        "KOYALITE_STORAGE_MAX_FILE_SIZE",
        "KOYALITE_GRAPHQL_INTROSPECTION",
        "KOYALITE_GRAPHQL_MAX_ROWS",
        "KOYALITE_GRAPHQL_MAX_DEPTH",
        "KOYALITE_GRAPHQL_MAX_ALIASES",
        "KOYALITE_GRAPHQL_MAX_FIELDS",
        "KOYALITE_GRAPHQL_TIME_LIMIT_MS",
    }
)
# Every KOYALITE_AUTH_* variable is read below; later capabilities add theirs.
KNOWN_VARIABLES = (
    KNOWN_VARIABLES
    | {
        "KOYALITE_STUDIO_SESSION_SECONDS",
        "KOYALITE_STUDIO_RATE_LIMIT_SIGN_IN",
        "KOYALITE_AUTH_AUTOCONFIRM",
        "KOYALITE_AUTH_ANONYMOUS_USERS",
        "KOYALITE_AUTH_ENABLE_SIGNUP",
        "KOYALITE_AUTH_MANUAL_LINKING",
        "KOYALITE_AUTH_JWT_EXPIRY",
        "KOYALITE_AUTH_SITE_URL",
        "KOYALITE_AUTH_REDIRECT_URLS",
        "KOYALITE_AUTH_PASSWORD_MIN_LENGTH",
        "KOYALITE_AUTH_PASSWORD_REQUIRED_CHARACTERS",
        "KOYALITE_AUTH_PASSWORD_REJECT_COMMON",
        "KOYALITE_AUTH_REFRESH_REUSE_INTERVAL",
        "KOYALITE_AUTH_OTP_EXPIRY",
        "KOYALITE_AUTH_EMAIL_INTERVAL",
        "KOYALITE_AUTH_RATE_LIMIT_SIGN_IN",
        "KOYALITE_AUTH_RATE_LIMIT_OTP",
        "KOYALITE_AUTH_RATE_LIMIT_VERIFY",
        "KOYALITE_AUTH_RATE_LIMIT_REFRESH",
        "KOYALITE_AUTH_RATE_LIMIT_HEADER",
        "KOYALITE_EMAIL_URL",
        "KOYALITE_EMAIL_FROM",
    }
    | catalogue.variables()
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def _int(name: str, default: int | None, minimum: int = 0) -> int | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {raw!r}."
        ) from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name, default).strip().lower()
    if raw not in choices:
        allowed = ", ".join(choices)
        raise ImproperlyConfigured(f"{name} must be one of {allowed}, not {raw!r}.")
    return raw


# Django's SQLite backend plus the SQL functions the query compiler uses.
SQLITE_ENGINE = "database.sqlite"


def _database(url: str | None) -> dict:
    default = PROJECT_DIR / "koyalite.sqlite3"
    if not url:
        return {"ENGINE": SQLITE_ENGINE, "NAME": str(default)}
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a URL: {url!r}; use e.g. sqlite:///koyalite.sqlite3."
        )
    if scheme != "sqlite":
        raise ImproperlyConfigured(
            f"DATABASE_URL uses {scheme!r}; only sqlite:/// URLs are supported yet."
        )
    # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
    name = rest[1:] if rest.startswith("/") else rest
    if name in ("", ":memory:"):
        raise ImproperlyConfigured(
            "DATABASE_URL must name a database file, e.g. sqlite:///koyalite.sqlite3."
        )
    path = Path(name)
    if not path.is_absolute():
        path = PROJECT_DIR / path
    return {"ENGINE": SQLITE_ENGINE, "NAME": str(path)}


JWT_SECRET: str = os.environ.get("KOYALITE_JWT_SECRET", "")
DEBUG = _bool("KOYALITE_DEBUG", False)
LOG_LEVEL = _choice("KOYALITE_LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
API_URL = os.environ.get("KOYALITE_API_URL", "http://127.0.0.1:8000").rstrip("/")
MAX_BODY_BYTES = _int("KOYALITE_MAX_BODY_BYTES", 10 * 1024 * 1024, minimum=1024)
MAX_ROWS = _int("KOYALITE_MAX_ROWS", None, minimum=1)
# PATCH and DELETE need a filter, as Supabase's pg-safeupdate requires.
API_SAFE_UPDATES = _bool("KOYALITE_API_SAFE_UPDATES", True)
# /graphql/v1: introspection is on, as on Supabase; a collection returns at
# most GRAPHQL_MAX_ROWS rows whatever `first` asks (pg_graphql's max_rows);
# documents deeper, with more aliases or more fields than these are refused
# before anything runs, and each statement stops after the time limit.
GRAPHQL_INTROSPECTION = _bool("KOYALITE_GRAPHQL_INTROSPECTION", True)
GRAPHQL_MAX_ROWS = _int("KOYALITE_GRAPHQL_MAX_ROWS", 30, minimum=1)
GRAPHQL_MAX_DEPTH = _int("KOYALITE_GRAPHQL_MAX_DEPTH", 16, minimum=2)
GRAPHQL_MAX_ALIASES = _int("KOYALITE_GRAPHQL_MAX_ALIASES", 30, minimum=1)
GRAPHQL_MAX_FIELDS = _int("KOYALITE_GRAPHQL_MAX_FIELDS", 500, minimum=10)
GRAPHQL_TIME_LIMIT_MS = _int("KOYALITE_GRAPHQL_TIME_LIMIT_MS", 5000, minimum=10)
# The Studio's request log keeps the newest N API requests; 0 records none.
# The largest object any bucket takes (a bucket's file_size_limit may lower
# it); Supabase's hosted default.
STORAGE_MAX_FILE_SIZE = _int(
    "KOYALITE_STORAGE_MAX_FILE_SIZE", 50 * 1024 * 1024, minimum=1
)
REQUEST_LOG_ROWS = _int("KOYALITE_REQUEST_LOG_ROWS", 10_000, minimum=0)
# One process per core, as Granian counts them (it warns above that): while
# one thread waits for the write lock the process's other thread keeps its
# core busy, and two threads keep GIL hand-offs (which stretch the time a
# writer holds the lock) rare. On 2 cores, 2 x 2 served as much as 3 x 2
# (interleaved bench/ runs) at 2-8% less CPU per write; see README.
SERVE_WORKERS = _int("KOYALITE_WORKERS", os.cpu_count() or 1, minimum=1)
SERVE_THREADS = _int("KOYALITE_THREADS", 2, minimum=1)

# Auth (GoTrue-compatible /auth/v1); defaults follow GoTrue's.
AUTH_AUTOCONFIRM = _bool("KOYALITE_AUTH_AUTOCONFIRM", False)
AUTH_ANONYMOUS_USERS = _bool("KOYALITE_AUTH_ANONYMOUS_USERS", False)
AUTH_ENABLE_SIGNUP = _bool("KOYALITE_AUTH_ENABLE_SIGNUP", True)
# Users linking and unlinking identities themselves: off, as in Supabase.
AUTH_MANUAL_LINKING = _bool("KOYALITE_AUTH_MANUAL_LINKING", False)
AUTH_JWT_EXPIRY = _int("KOYALITE_AUTH_JWT_EXPIRY", 3600, minimum=30)
AUTH_SITE_URL = os.environ.get(
    "KOYALITE_AUTH_SITE_URL", "http://localhost:3000"
).rstrip("/")
AUTH_REDIRECT_URLS = env.list("KOYALITE_AUTH_REDIRECT_URLS", default=[])
AUTH_PASSWORD_MIN_LENGTH = _int("KOYALITE_AUTH_PASSWORD_MIN_LENGTH", 6, minimum=1)


def _password_validators() -> list[dict[str, Any]]:
    """Django's validators for GoTrue's password rules (accounts.passwords)."""
    validators: list[dict[str, Any]] = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": AUTH_PASSWORD_MIN_LENGTH},
        }
    ]
    # GoTrue's format: groups of characters separated by ':'.
    required = os.environ.get("KOYALITE_AUTH_PASSWORD_REQUIRED_CHARACTERS", "")
    groups = [group for group in required.split(":") if group]
    if groups:
        validators.append(
            {
                "NAME": "accounts.passwords.RequiredCharactersValidator",
                "OPTIONS": {"groups": groups},
            }
        )
    if _bool("KOYALITE_AUTH_PASSWORD_REJECT_COMMON", False):
        validators.append(
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"}
        )
    return validators


AUTH_PASSWORD_VALIDATORS = _password_validators()
AUTH_REFRESH_REUSE_INTERVAL = _int(
    "KOYALITE_AUTH_REFRESH_REUSE_INTERVAL", 10, minimum=0
)
AUTH_OTP_EXPIRY = _int("KOYALITE_AUTH_OTP_EXPIRY", 3600, minimum=60)
AUTH_EMAIL_INTERVAL = _int("KOYALITE_AUTH_EMAIL_INTERVAL", 60, minimum=0)


def _header_meta_key(name: str) -> str:
    """The WSGI environ key of the request header named by `name`, if set."""
    header = os.environ.get(name, "").strip()
    if not header:
        return ""
    if not all(c.isalnum() or c == "-" for c in header):
        raise ImproperlyConfigured(
            f"{name} must be an HTTP header name such as X-Real-IP, not {header!r}."
        )
    return "HTTP_" + header.upper().replace("-", "_")


# Behind a proxy every request comes from the proxy's address: rate limits
# then count per address in this header (the last one, which the proxy set).
AUTH_RATE_LIMIT_HEADER = _header_meta_key("KOYALITE_AUTH_RATE_LIMIT_HEADER")
# Requests per 5 minutes, per client IP and per email address (0 = no limit);
# GoTrue's defaults.
AUTH_RATE_LIMITS = {
    "sign_in": _int("KOYALITE_AUTH_RATE_LIMIT_SIGN_IN", 30),
    "otp": _int("KOYALITE_AUTH_RATE_LIMIT_OTP", 30),
    "verify": _int("KOYALITE_AUTH_RATE_LIMIT_VERIFY", 30),
    "refresh": _int("KOYALITE_AUTH_RATE_LIMIT_REFRESH", 150),
    # Operator sign-in attempts to the Studio and admin, per IP and per address.
    "studio_sign_in": _int("KOYALITE_STUDIO_RATE_LIMIT_SIGN_IN", 10),
}


def _external_providers() -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """OAuth sign-in providers enabled by KOYALITE_AUTH_<PROVIDER>_CLIENT_ID and
    _SECRET (both or neither; see accounts.catalogue): GoTrue's name → allauth's
    provider id, and allauth's SOCIALACCOUNT_PROVIDERS entries for them."""
    enabled: dict[str, str] = {}
    apps: dict[str, dict[str, Any]] = {}
    for name, provider_id in catalogue.PROVIDERS.items():
        prefix = f"KOYALITE_AUTH_{name.upper()}"
        client_id = os.environ.get(f"{prefix}_CLIENT_ID", "").strip()
        secret = os.environ.get(f"{prefix}_SECRET", "").strip()
        url = os.environ.get(f"{prefix}_URL", "").strip()
        if not (client_id or secret or url):
            continue
        if not client_id or not secret:
            raise ImproperlyConfigured(
                f"{prefix}_CLIENT_ID and {prefix}_SECRET must be set together."
            )
        if url and not url.startswith(("https://", "http://")):
            raise ImproperlyConfigured(
                f"{prefix}_URL must be an http(s) URL, not {url!r}."
            )
        app: dict[str, Any] = {"client_id": client_id, "secret": secret}
        entry: dict[str, Any] = {"APPS": [app]}
        if name == "oidc":
            if not url:
                raise ImproperlyConfigured(f"{prefix}_URL (the issuer) must be set.")
            label = os.environ.get(f"{prefix}_NAME", "oidc").strip().lower()
            if label != "oidc" and (
                not label.replace("_", "").replace("-", "").isalnum()
                or label in catalogue.RESERVED_NAMES
            ):
                raise ImproperlyConfigured(
                    f"{prefix}_NAME must be a new provider name of letters, digits, "
                    f"- and _, not {label!r}."
                )
            app |= {
                "provider_id": label,
                "name": label,
                "settings": {"server_url": url.rstrip("/")},
            }
            name = label
        elif url:
            entry[catalogue.URL_SETTINGS[name]] = url.rstrip("/")
        enabled[name] = provider_id
        apps[provider_id] = entry
    return enabled, apps


AUTH_EXTERNAL_PROVIDERS, SOCIALACCOUNT_PROVIDERS = _external_providers()
# allauth serves as the provider catalogue; its account model is KoyaLite's
# user (email, no username), and KoyaLite keeps the identities itself.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10

# Mail: printed to the log by default; smtp://user:pass@host:port (also
# smtp+tls://, smtps://) sends it, filemail:///path writes it to files.
EMAIL_URL = os.environ.get("KOYALITE_EMAIL_URL", "consolemail://")
try:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
except (ImproperlyConfigured, KeyError, ValueError) as error:
    raise ImproperlyConfigured(
        f"KOYALITE_EMAIL_URL is not a valid email URL: {error}"
    ) from None
DEFAULT_FROM_EMAIL = os.environ.get(
    "KOYALITE_EMAIL_FROM", "KoyaLite <noreply@localhost>"
)
# Local mail (console, file) is also kept for the Studio's Mailbox, newest
# MAILBOX_LIMIT; studio.mail_capture delivers it on to the configured backend.
MAILBOX_LIMIT = 500
MAILBOX_DELIVERY_BACKEND = EMAIL_BACKEND  # noqa: F821 — set from EMAIL_URL above
MAILBOX_ENABLED = MAILBOX_DELIVERY_BACKEND in (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)
if MAILBOX_ENABLED:
    EMAIL_BACKEND = "studio.mail_capture.CapturingEmailBackend"

# Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane): ~24 ms per check on
# the development machine, against ~67 ms for bcrypt at cost 10. bcrypt stays
# second so hashes imported from Supabase (`$2a$`/`$2b$`) verify, and Django
# re-hashes them with Argon2id at the next sign-in.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "accounts.hashers.GoTrueBCryptPasswordHasher",
]

# Django's own signing key is derived from the JWT secret, so a project has one
# secret to keep; the label keeps the two keys from ever being equal.
SECRET_KEY = hashlib.sha256(b"koyalite.django:" + JWT_SECRET.encode()).hexdigest()
ALLOWED_HOSTS = env.list(
    "KOYALITE_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)

_db = _database(os.environ.get("DATABASE_URL"))
_db.update(
    {
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            # Writes take the lock up front, so a read never has to upgrade to a
            # write lock mid-transaction and fail with SQLITE_BUSY.
            "transaction_mode": "IMMEDIATE",
            "timeout": 5,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=5000;"
                "PRAGMA temp_store=MEMORY;"
                "PRAGMA cache_size=-20000;"
                "PRAGMA mmap_size=268435456;"
            ),
        },
    }
)
DATABASES = {"default": _db}

INSTALLED_APPS = [
    "koyalite",
    "database",
    "rls",
    "accounts",
    "api",
    "graphql_api",
    "studio",
    "storage",
    "webhooks",
    "emails",
    "scheduler",
    "edge_functions",
    "django_q",
    "rest_framework",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    # Last: its admin module adjusts what Django's apps registered.
    "admin_dashboard",
]
# Before "accounts", whose admin module unregisters allauth's admin pages.
INSTALLED_APPS[INSTALLED_APPS.index("accounts") : 0] = catalogue.installed_apps()

MIDDLEWARE = [
    "koyalite.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before everything that reads a session or a body: a static file needs
    # neither.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "koyalite.middleware.ApiCorsMiddleware",
    "koyalite.middleware.BrowserMiddleware",
    # allauth requires it; it gives allauth's provider code the request.
    "allauth.account.middleware.AccountMiddleware",
]

# The admin checks look for session, auth and messages middleware in MIDDLEWARE;
# BrowserMiddleware runs them, for browser pages only.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]

ROOT_URLCONF = "koyalite.urls"
WSGI_APPLICATION = "koyalite.wsgi.application"
# Operators of the Studio and admin, not the app's users (accounts.User).
AUTH_USER_MODEL = "studio.Operator"
LOGIN_URL = "studio:login"
LOGIN_REDIRECT_URL = "studio:overview"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
APPEND_SLASH = False
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
STATIC_URL = "static/"
# Built by `make static` (npm packages bundled into static/vendor, then
# collectstatic): hashed names, gzip and brotli copies, served by WhiteNoise
# with far-future cache headers.
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Object bytes of Storage (storage.blobs): files under the project directory by
# default, or one bucket of an S3 API (SeaweedFS, MinIO, AWS S3).
KNOWN_VARIABLES = KNOWN_VARIABLES | {
    "KOYALITE_STORAGE_BACKEND",
    "KOYALITE_STORAGE_DIR",
    "KOYALITE_S3_ENDPOINT",
    "KOYALITE_S3_BUCKET",
    "KOYALITE_S3_REGION",
    "KOYALITE_S3_ACCESS_KEY",
    "KOYALITE_S3_SECRET_KEY",
}
STORAGE_BACKEND = _choice("KOYALITE_STORAGE_BACKEND", "local", ("local", "s3"))
STORAGE_DIR = PROJECT_DIR / (
    os.environ.get("KOYALITE_STORAGE_DIR", "").strip() or "storage"
)
# Transformed images (storage.images): a cache, safe to delete at any time.
STORAGE_RENDER_CACHE_DIR = PROJECT_DIR / "cache" / "renders"
# Parts of resumable uploads under way (storage.resumable), whatever the backend.
STORAGE_UPLOADS_DIR = PROJECT_DIR / "storage-uploads"


def _blob_storage() -> dict[str, Any]:
    """The STORAGES entry for object bytes; no message here quotes a secret."""
    if STORAGE_BACKEND == "local":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(STORAGE_DIR),
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        }
    endpoint = os.environ.get("KOYALITE_S3_ENDPOINT", "").strip()
    bucket = os.environ.get("KOYALITE_S3_BUCKET", "").strip()
    region = os.environ.get("KOYALITE_S3_REGION", "").strip() or "us-east-1"
    access_key = os.environ.get("KOYALITE_S3_ACCESS_KEY", "").strip()
    secret_key = os.environ.get("KOYALITE_S3_SECRET_KEY", "").strip()
    missing = [
        name
        for name, value in (
            ("KOYALITE_S3_ENDPOINT", endpoint),
            ("KOYALITE_S3_BUCKET", bucket),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            f"KOYALITE_STORAGE_BACKEND=s3 needs {' and '.join(missing)}."
        )
    if not endpoint.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"KOYALITE_S3_ENDPOINT must be an http(s) URL, not {endpoint!r}."
        )
    # S3's bucket naming rules, which SeaweedFS and MinIO enforce as well.
    if not (
        3 <= len(bucket) <= 63
        and all(c.islower() or c.isdigit() or c in ".-" for c in bucket)
        and bucket[0].isalnum()
        and bucket[-1].isalnum()
    ):
        raise ImproperlyConfigured(
            "KOYALITE_S3_BUCKET must be 3 to 63 lowercase letters, digits, dots "
            f"and hyphens, not {bucket!r}."
        )
    # Neither means boto3's own credential chain (AWS_* variables, an
    # instance role); one alone is a mistake.
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "KOYALITE_S3_ACCESS_KEY and KOYALITE_S3_SECRET_KEY must be set together."
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "endpoint_url": endpoint.rstrip("/"),
            "bucket_name": bucket,
            "region_name": region,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            # Bucket-in-the-path URLs work on every S3 API; virtual hosts
            # need DNS for each bucket, which SeaweedFS and MinIO lack.
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": True,
            "default_acl": None,
        },
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    "blobs": _blob_storage(),
}

# Background work: django-q2 clusters run jobs (webhook deliveries, ...) from
# a queue in the project's database, or in Redis with KOYALITE_REDIS_URL
# (several worker machines). `koyalite worker` runs one; `koyalite serve`
# starts one beside the server unless told not to.
KNOWN_VARIABLES = KNOWN_VARIABLES | {
    "KOYALITE_WORKER_PROCESSES",
    "KOYALITE_WORKER_JOB_TIMEOUT",
    "KOYALITE_WORKER_TICK_MS",
    "KOYALITE_REDIS_URL",
    "KOYALITE_OUTBOX_RETENTION_HOURS",
    "KOYALITE_AUDIT_LOG_DAYS",
}
WORKER_PROCESSES = _int("KOYALITE_WORKER_PROCESSES", 2, minimum=1)
# How long one job may run before its process is killed. A job taken by a
# worker that died is handed out again twice this long after.
WORKER_JOB_TIMEOUT = _int("KOYALITE_WORKER_JOB_TIMEOUT", 120, minimum=1)
# How often the worker looks for new change events and for work that is due.
WORKER_TICK_MS = _int("KOYALITE_WORKER_TICK_MS", 200, minimum=10)
# What the worker does on each tick, in order.
WORKER_TICKS = [
    "scheduler.ticks.tick",
    "webhooks.dispatch.tick",
    "emails.ticks.tick",
    "database.outbox.prune_tick",
    "admin_dashboard.audit.prune_tick",
]
# Change events every consumer has read are kept this long, then deleted.
OUTBOX_RETENTION_HOURS = _int("KOYALITE_OUTBOX_RETENTION_HOURS", 24, minimum=0)
# Operators' changes (the audit log) are kept this many days; 0 keeps them all.
AUDIT_LOG_DAYS = _int("KOYALITE_AUDIT_LOG_DAYS", 365, minimum=0)
REDIS_URL = os.environ.get("KOYALITE_REDIS_URL", "").strip() or None
Q_CLUSTER = {
    "name": "koyalite",
    "workers": WORKER_PROCESSES,
    "timeout": WORKER_JOB_TIMEOUT,
    "retry": WORKER_JOB_TIMEOUT * 2,
    # Jobs keep their own status rows (deliveries, runs, mails) and retry on
    # their own schedule; a job that raised is done as far as the queue goes.
    "ack_failures": True,
    "max_attempts": 3,
    "save_limit": 200,
    "catch_up": False,
    "poll": 0.05,
    "label": "Jobs",
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default"}),
}

# Webhooks: when to try a failed delivery again (seconds after each failed
# attempt, in the spirit of Standard Webhooks senders), when to stop sending
# to an endpoint for a while (the circuit breaker), and when to switch an
# endpoint that keeps failing off and tell its owner.
KNOWN_VARIABLES = KNOWN_VARIABLES | {
    "KOYALITE_WEBHOOKS_RETRY_SCHEDULE",
    "KOYALITE_WEBHOOKS_ALLOW_PRIVATE",
    "KOYALITE_WEBHOOKS_BREAKER_THRESHOLD",
    "KOYALITE_WEBHOOKS_BREAKER_SECONDS",
    "KOYALITE_WEBHOOKS_DISABLE_AFTER_HOURS",
}


def _seconds_list(name: str, default: str) -> tuple[int, ...]:
    raw = os.environ.get(name, default).strip()
    try:
        values = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or any(v < 0 for v in values):
        raise ImproperlyConfigured(
            f"{name} must be whole seconds separated by commas "
            f"(e.g. 5,300,1800), not {raw!r}."
        )
    return values


WEBHOOKS_RETRY_SCHEDULE = _seconds_list(
    "KOYALITE_WEBHOOKS_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000"
)
# Private, loopback and link-local targets are refused unless this is on
# (development against a local receiver).
WEBHOOKS_ALLOW_PRIVATE = _bool("KOYALITE_WEBHOOKS_ALLOW_PRIVATE", False)
WEBHOOKS_BREAKER_THRESHOLD = _int("KOYALITE_WEBHOOKS_BREAKER_THRESHOLD", 5, minimum=1)
WEBHOOKS_BREAKER_SECONDS = _int("KOYALITE_WEBHOOKS_BREAKER_SECONDS", 60, minimum=1)
WEBHOOKS_DISABLE_AFTER_HOURS = _int(
    "KOYALITE_WEBHOOKS_DISABLE_AFTER_HOURS", 5 * 24, minimum=1
)

# The email queue: every mail (auth's too) is a row sent through one backend,
# "url" (KOYALITE_EMAIL_URL: console, file or SMTP) or "resend" (Resend's
# HTTP API). A mail whose attempt failed for a passing reason is tried again
# after KOYALITE_EMAIL_RETRY_SECONDS, doubling each time (with jitter), up to
# KOYALITE_EMAIL_MAX_ATTEMPTS attempts in all.
KNOWN_VARIABLES = KNOWN_VARIABLES | {
    "KOYALITE_EMAIL_BACKEND",
    "KOYALITE_EMAIL_MAX_ATTEMPTS",
    "KOYALITE_EMAIL_RETRY_SECONDS",
    "KOYALITE_RESEND_API_KEY",
    "KOYALITE_RESEND_API_URL",
}
EMAIL_QUEUE_BACKEND = _choice("KOYALITE_EMAIL_BACKEND", "url", ("url", "resend"))
EMAIL_MAX_ATTEMPTS = _int("KOYALITE_EMAIL_MAX_ATTEMPTS", 6, minimum=1)
EMAIL_RETRY_SECONDS = _int("KOYALITE_EMAIL_RETRY_SECONDS", 30, minimum=1)
# No retry waits longer than this, however many attempts came before.
EMAIL_RETRY_MAX_SECONDS = 3600
RESEND_API_KEY = os.environ.get("KOYALITE_RESEND_API_KEY", "").strip()
RESEND_API_URL = os.environ.get(
    "KOYALITE_RESEND_API_URL", "https://api.resend.com"
).rstrip("/")
# Cron jobs (scheduler): how long a SQL job may run before it is stopped and
# rolled back, how long a function or URL job waits for an answer, and how
# many runs of each job the history keeps. Both limits stay under
# KOYALITE_WORKER_JOB_TIMEOUT, past which the worker kills a job's process.
KNOWN_VARIABLES = KNOWN_VARIABLES | {
    "KOYALITE_CRON_SQL_TIME_LIMIT_MS",
    "KOYALITE_CRON_HTTP_TIMEOUT_MS",
    "KOYALITE_CRON_HISTORY_PER_JOB",
}
CRON_SQL_TIME_LIMIT_MS = _int("KOYALITE_CRON_SQL_TIME_LIMIT_MS", 60_000, minimum=1)
CRON_HTTP_TIMEOUT_MS = _int("KOYALITE_CRON_HTTP_TIMEOUT_MS", 10_000, minimum=1)
CRON_HISTORY_PER_JOB = _int("KOYALITE_CRON_HISTORY_PER_JOB", 500, minimum=1)

# Operator sessions: a browser session expires after SESSION_COOKIE_AGE of
# inactivity (saved on every request), and never outlives the browser.
SESSION_COOKIE_AGE = _int("KOYALITE_STUDIO_SESSION_SECONDS", 12 * 3600, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True

# The Studio's SQL editor: operator SQL stops after this long (SQLite's progress
# handler, as Datasette's sql_time_limit_ms) and rolls back, so no query can
# hold the single writer; at most this many rows of a result reach the browser.
KNOWN_VARIABLES = KNOWN_VARIABLES | {
    "KOYALITE_STUDIO_SQL_TIME_LIMIT_MS",
    "KOYALITE_STUDIO_SQL_MAX_ROWS",
}
STUDIO_SQL_TIME_LIMIT_MS = _int("KOYALITE_STUDIO_SQL_TIME_LIMIT_MS", 10_000, minimum=1)
STUDIO_SQL_MAX_ROWS = _int("KOYALITE_STUDIO_SQL_MAX_ROWS", 1000, minimum=1)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Operators' passwords (AUTH_PASSWORD_VALIDATORS judge app users', as GoTrue).
OPERATOR_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# The Studio's JSON endpoints: operators only, by session with CSRF.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["studio.permissions.IsOperator"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES

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
                "studio.navigation.navigation",
            ]
        },
    }
]

LOGGING_CONFIG = None  # koyalite.logging configures structlog and the stdlib once.

# Edge functions (edge_functions): TypeScript under functions/<name>/index.ts,
# each served by a Deno process of its own. Per-function settings live in the
# project's config.toml (`[functions.<name>]`); these are the defaults.
KNOWN_VARIABLES = KNOWN_VARIABLES | {
    "KOYALITE_FUNCTIONS_DIR",
    "KOYALITE_FUNCTIONS_HOT_RELOAD",
    "KOYALITE_FUNCTIONS_TIMEOUT_SECONDS",
    "KOYALITE_FUNCTIONS_MEMORY_MB",
    "KOYALITE_FUNCTIONS_MAX_CONCURRENCY",
    "KOYALITE_FUNCTIONS_LOG_ROWS",
}
FUNCTIONS_DIR = PROJECT_DIR / os.environ.get("KOYALITE_FUNCTIONS_DIR", "functions")
FUNCTIONS_CACHE_DIR = PROJECT_DIR / "cache" / "functions"
# `serve --dev` sets it: a function whose files changed gets a fresh Deno.
FUNCTIONS_HOT_RELOAD = _bool("KOYALITE_FUNCTIONS_HOT_RELOAD", False)
# Supabase's request idle timeout and memory limit.
FUNCTIONS_TIMEOUT_SECONDS = _int("KOYALITE_FUNCTIONS_TIMEOUT_SECONDS", 150, minimum=1)
FUNCTIONS_MEMORY_MB = _int("KOYALITE_FUNCTIONS_MEMORY_MB", 256, minimum=16)
FUNCTIONS_MAX_CONCURRENCY = _int("KOYALITE_FUNCTIONS_MAX_CONCURRENCY", 32, minimum=1)
FUNCTIONS_LOG_ROWS = _int("KOYALITE_FUNCTIONS_LOG_ROWS", 10_000, minimum=0)
