"""Wharf's settings: every knob is an environment variable with an embedded default.

The README's configuration table documents each variable read here. A bad value raises
``ImproperlyConfigured`` naming the variable, so the hub refuses to start rather than half-work.
"""

import ipaddress
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from hub import datadir
from hub.env import env_bool, env_int, env_list, env_networks, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Data directory: SQLite database, blobs, build workspaces, the generated secret key ---
DATA_DIR = datadir.configured()
# Private (0700, files 0600): it holds live session keys and the secret key, and other local
# users include the build user, who runs other people's RUN steps (hub/datadir.py).
try:
    _data_dir_note = datadir.make_private(
        DATA_DIR,
        skip=[Path(env_str("WHARF_BUILD_DIR")).resolve()] if env_str("WHARF_BUILD_DIR") else [],
    )
except datadir.NotPrivate as exc:
    raise ImproperlyConfigured(f"WHARF_DATA_DIR: {exc}") from exc
except OSError as exc:
    raise ImproperlyConfigured(
        f"WHARF_DATA_DIR {str(DATA_DIR)!r} cannot be created: {exc}"
    ) from exc
if _data_dir_note:
    print(_data_dir_note, file=sys.stderr)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into the data dir.

    Generated rather than defaulted so that no two installations share a key and none is ever
    committed; kept in a file so sessions and tokens survive a restart.
    """
    from_env = env_str("SECRET_KEY")
    if from_env:
        if len(from_env) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
        return from_env
    if env_str("WHARF_STORAGE_URL"):
        # Blobs in S3 mean hosts that share no disk: a key generated into each one's data dir
        # would differ, and every session and registry token would fail on the other hosts.
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when WHARF_STORAGE_URL is (every web and worker host signs"
            " and checks sessions and tokens with the same key)"
        )
    path = DATA_DIR / "secret_key"
    if not path.exists():
        key = secrets.token_urlsafe(50)
        try:
            # O_EXCL: when two processes start together, the first one's key wins.
            with path.open("x", encoding="ascii") as fh:
                fh.write(key)
            path.chmod(0o600)
        except FileExistsError:
            pass
    return path.read_text(encoding="ascii").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
PORT = env_int("PORT", 8000, minimum=1, maximum=65535)
# Address `make run` binds the web server to; every interface by default, so teammates reach it.
HOST = env_str("HOST", "0.0.0.0")
try:
    ipaddress.ip_address(HOST)
except ValueError:
    raise ImproperlyConfigured(f"HOST must be an IP address to bind to, got {HOST!r}") from None
WHARF_WORKER_CONCURRENCY = env_int("WHARF_WORKER_CONCURRENCY", 2, minimum=1, maximum=64)
# Whether `make run`'s worker also runs Celery beat, the clock of the periodic tasks (gc, the
# build reaper, pull counts). Once per deployment: on several hosts, 0 on all but one.
WHARF_BEAT = env_bool("WHARF_BEAT", True)
# Web server processes `make run` starts, sharing the port: one per core by default.
WHARF_WEB_WORKERS = env_int(
    "WHARF_WEB_WORKERS", len(os.sched_getaffinity(0)) or 1, minimum=1, maximum=64
)
WHARF_URL = env_url("WHARF_URL", f"http://localhost:{PORT}", schemes={"http", "https"})
_wharf_host = urlsplit(WHARF_URL).hostname or "localhost"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_wharf_host, "localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = [f"{urlsplit(WHARF_URL).scheme}://{urlsplit(WHARF_URL).netloc}"]
# Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: the client address
# (sign-in lockouts count per address) and scheme come from these headers only when the peer is
# one of these. Empty: no forwarding header is believed from anyone, since any local process
# (127.0.0.1) could send one. hub/webserver.py hands this to uvicorn.
WHARF_TRUSTED_PROXIES = env_networks("WHARF_TRUSTED_PROXIES")
if WHARF_URL.startswith("https://"):
    # No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from any peer. uvicorn
    # already sets the request's scheme from that header when (only when) a trusted proxy sent
    # it, and Django takes the scheme from there.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Applications ---
INSTALLED_APPS = [
    # First, so its createsuperuser (which checks the case-insensitive email rule) wins.
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "hub",
    "orgs",
    "builds",
    "audit",
    "webhooks",
    "proxy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that may answer early (CSRF failures, whitenoise), so all pages get it.
    "hub.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: events recorded while answering are by the request's caller.
    "hub.events.ActingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hub.urls"
ASGI_APPLICATION = "hub.asgi.application"
WSGI_APPLICATION = None

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
                "hub.context_processors.site",
            ],
        },
    },
]

# --- Database: SQLite in the data dir (WAL) unless DATABASE_URL names another ---
from hub.settings_database import WHARF_DB_POOL_SIZE, databases  # noqa: E402, F401

DATABASES = databases(DATA_DIR)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, Channels layer, cache (hub/settings_redis.py) ---
from hub.settings_redis import (  # noqa: E402, F401
    CACHES,
    CELERY_BEAT_SCHEDULER,
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP,
    CELERY_BROKER_URL,
    CELERY_TASK_ACKS_LATE,
    CELERY_TASK_IGNORE_RESULT,
    CELERY_WORKER_HIJACK_ROOT_LOGGER,
    CELERY_WORKER_PREFETCH_MULTIPLIER,
    CHANNEL_LAYERS,
    REDIS_IS_PRIVATE,
    REDIS_URL,
    WHARF_REDIS_PREFIX,
)

# --- Registry ---
WHARF_REGISTRY_DIR = DATA_DIR / "registry"
# The rest of the registry's knobs (hub/settings_registry.py).
from hub.settings_registry import (  # noqa: E402, F401
    REGISTRY_BEAT_SCHEDULE,
    WHARF_API_TOKEN_TTL,
    WHARF_DEFAULT_VISIBILITY,
    WHARF_GC_GRACE_HOURS,
    WHARF_GC_INTERVAL_HOURS,
    WHARF_PROXY_RETENTION_DAYS,
    WHARF_PROXY_TAG_TTL,
    WHARF_PULL_FLUSH_SECONDS,
    WHARF_REGISTRY_CACHE_SECONDS,
    WHARF_REGISTRY_TOKEN_TTL,
    WHARF_S3_ENDPOINT_URL,
    WHARF_S3_REDIRECT,
    WHARF_S3_REGION,
    WHARF_STORAGE_URL,
)

CELERY_BEAT_SCHEDULE = {
    # Builds whose worker died mid-build end as "worker lost" instead of running forever.
    "builds-reap-lost": {"task": "builds.tasks.reap_lost_builds", "schedule": 60},
    **REGISTRY_BEAT_SCHEDULE,
}

# --- Automated builds (hub/settings_builds.py) ---
# Django reads settings from this module's names: each is imported here, hence F401.
from hub.settings_builds import (  # noqa: E402, F401
    WHARF_BUILD_ALLOW_LOCAL_SOURCES,
    WHARF_BUILD_ALLOW_PRIVATE_SOURCES,
    WHARF_BUILD_CLONE_TIMEOUT,
    WHARF_BUILD_DIR,
    WHARF_BUILD_LOG_MAX_BYTES,
    WHARF_BUILD_LOG_MAX_LINES,
    WHARF_BUILD_NETWORK,
    WHARF_BUILD_PRUNE_INTERVAL_HOURS,
    WHARF_BUILD_REGISTRY,
    WHARF_BUILD_TIMEOUT,
    WHARF_BUILD_USER,
    WHARF_BUILDER,
)

if WHARF_BUILD_PRUNE_INTERVAL_HOURS:
    CELERY_BEAT_SCHEDULE["builds-prune"] = {
        "task": "builds.tasks.prune_build_stores",
        "schedule": WHARF_BUILD_PRUNE_INTERVAL_HOURS * 3600,
    }
if WHARF_BUILD_REGISTRY and not env_str("ALLOWED_HOSTS"):
    # The web service must answer to the address workers use for it.
    ALLOWED_HOSTS.append(urlsplit(WHARF_BUILD_REGISTRY).hostname or "")

# --- Audit log and webhooks (hub/settings_events.py) ---
from hub.settings_events import (  # noqa: E402, F401
    EVENTS_BEAT_SCHEDULE,
    WHARF_AUDIT_RETENTION_DAYS,
    WHARF_WEBHOOK_ALLOW_PRIVATE,
    WHARF_WEBHOOK_DISABLE_AFTER_DAYS,
    WHARF_WEBHOOK_HISTORY_DAYS,
    WHARF_WEBHOOK_RETRY_DELAYS,
    WHARF_WEBHOOK_TIMEOUT_SECONDS,
)

CELERY_BEAT_SCHEDULE.update(EVENTS_BEAT_SCHEDULE)

# --- Accounts ---
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 9},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
WHARF_LOGIN_MAX_FAILURES = env_int("WHARF_LOGIN_MAX_FAILURES", 10, minimum=1)
WHARF_LOGIN_LOCKOUT_SECONDS = env_int("WHARF_LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)

# --- Email: printed to the console unless EMAIL_HOST names an SMTP server ---
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"Wharf <noreply@{_wharf_host}>")

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.BasicTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.TokenScopeAllows"],
    # DRF's own, but for JSON nested too deeply (a 400, not a 500).
    "DEFAULT_PARSER_CLASSES": [
        "hub.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "hub.api.pagination.Pagination",
    "PAGE_SIZE": 25,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Wharf API",
    "DESCRIPTION": (
        "Docker-Hub-shaped REST API of Wharf: repositories, tags, stars, search, builds, "
        "organizations, teams and robot accounts."
    ),
    "VERSION": "2",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets come from the sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Static files: whitenoise serves hashed, compressed names from STATIC_ROOT ---
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
# Files Django's storages write (collected static files) are private like all of the data dir;
# Django's own default would chmod each one to 0644.
FILE_UPLOAD_PERMISSIONS = datadir.FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = datadir.DIR_MODE
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Internationalisation ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "hub.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Content-Security-Policy: hub/middleware.py puts it on every HTML response ---
# Everything from this hub, nothing inline: no <script> blocks, no on*= handlers, no style=
# attributes or <style> blocks (pages load static/js/*.js and static/css/wharf.css). 'self' in
# connect-src also covers the pages' websockets to /ws/: CSP3 lets 'self' match ws: from an
# http: page and wss: from an https: one on the same host and port, so none is listed.
# data: images: the icons Swagger UI's stylesheet embeds (/api/docs/). https: images: the badges
# and screenshots a repository's README links, as on Docker Hub (an image runs no code; the
# viewer's browser fetches it from that host).
WHARF_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "https:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Replaces style-src on pages of DRF's browsable API only (an /api/ endpoint opened in a
# browser, see hub/middleware.py): DRF lays them out with style="..." attributes and a <style>
# block of code colours. Scripts stay barred there too, and those pages show only escaped JSON.
WHARF_CSP_BROWSABLE_API = {"style-src": ["'self'", "'unsafe-inline'"]}
# Swagger UI at /api/docs/ would load a badge from validator.swagger.io on every visit, telling
# it the schema's URL: off.
SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] = {"validatorUrl": None}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
