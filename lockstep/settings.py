"""Lockstep settings: one module, everything that differs between machines comes from the environment."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LOCKSTEP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def _secret_key() -> str:
    """SECRET_KEY from the environment; otherwise one made once for this checkout and kept under var/."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting at once agree on one key instead of overwriting each other's.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"] if DEBUG else ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The host printed into QR tags (https://HOST/t/CODE): the name phones reach the app by. `make run` serves
# plain HTTP on the LAN, so it sets the scheme to http; production sits behind a TLS proxy.
LOCKSTEP_PUBLIC_HOST = os.environ.get("LOCKSTEP_PUBLIC_HOST", "localhost:8000")
LOCKSTEP_PUBLIC_SCHEME = os.environ.get("LOCKSTEP_PUBLIC_SCHEME", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "lockstep",
    "audit",
    "accounts",
    "inventory",
    "comms",
    "checklists",
    "maintenance",
    "live",
    "incidents",
    "credits",
    "debriefs",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "lockstep.middleware.RefuseNulCharactersMiddleware",
    "lockstep.middleware.DeviceCookieMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "lockstep.urls"
WSGI_APPLICATION = "lockstep.wsgi.application"
ASGI_APPLICATION = "lockstep.asgi.application"

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
                "accounts.context_processors.roles",
                "lockstep.context_processors.idempotency_key",
            ],
        },
    },
]

# Each worker keeps its connection between requests: opening one costs a PostgreSQL backend process and the
# authentication, several milliseconds that every 3-second poll of 50 phones paid. A kept connection is
# checked (one cheap round trip) before a request uses it, so a database restart costs one failed check,
# never a 500. Gunicorn's sync workers (README) hold one connection each.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'lockstep.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a writer takes the lock when its transaction begins, so two requests never read the
    # same audit-chain head and then race to append after it; they queue instead.
    # WAL lets readers go on while one request writes, and synchronous=NORMAL under WAL still never corrupts
    # the database; it makes each commit a few milliseconds cheaper, which every tap on a phone pays.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    VAR_DIR.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # stored and computed in UTC; each site's own zone is applied when shown
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The QR reader for phones without a built-in BarcodeDetector, served straight from node_modules (`npm ci`,
# never copied into git); skipped until npm has run, so Django still starts.
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    (prefix, path)
    for prefix, path in [
        ("vendor/barcode-detector", BASE_DIR / "node_modules/barcode-detector/dist/iife"),
        ("vendor/zxing-wasm", BASE_DIR / "node_modules/zxing-wasm/dist/reader"),
    ]
    if path.is_dir()
]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at every start when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
WHITENOISE_AUTOREFRESH = DEBUG

# Phones in a cage drop connections; a short session would log a tech out mid-window.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)
# Failed logins, counted from the audit log over a sliding window (accounts/throttle.py): past each allowance the
# next attempt waits, even with the right password; for one name from one address and for one name from anywhere
# the wait doubles with each failure up to the window, for one address it stays short.
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15)
LOGIN_FAILURES_PER_NAME_AND_ADDRESS = env_int("LOGIN_FAILURES_PER_NAME_AND_ADDRESS", 10)
LOGIN_FAILURES_PER_NAME = env_int("LOGIN_FAILURES_PER_NAME", 20)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 50)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default for forms

# Production runs behind a TLS proxy (see README). These default to safe when DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page runs only our own static scripts and styles: no inline script or style, no style attribute, no
# eval, so text that slips past escaping still cannot run. The one widening is per view: the step pages
# compile the QR reader's WebAssembly (lockstep/csp.py). The admin needs no exception: Django's admin runs no
# inline script, and its one inline style is for a change list with both action bars turned off (none of ours).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies stand in front of the app, each appending the address it saw to X-Forwarded-For: the client's
# address (for the audit log and the login limits) is the entry that many from the right (audit/origin.py). 0 reads
# the connection's address. TRUST_X_FORWARDED_FOR=1, the older switch, still means one proxy.
LOCKSTEP_TRUSTED_PROXIES = env_int(
    "LOCKSTEP_TRUSTED_PROXIES", 1 if env_bool("TRUST_X_FORWARDED_FOR", False) else 0
)
if LOCKSTEP_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(f"LOCKSTEP_TRUSTED_PROXIES must be 0 or more, not {LOCKSTEP_TRUSTED_PROXIES}")

# The audit chain's keys and checkpoints live outside the database (audit/keys.py, audit/checkpoints.py):
# someone who can rewrite the database can then neither re-sign a rewritten chain nor hide a wiped or cut one.
LOCKSTEP_AUDIT_KEY = os.environ.get("LOCKSTEP_AUDIT_KEY", "")
LOCKSTEP_AUDIT_KEY_FILE = Path(os.environ.get("LOCKSTEP_AUDIT_KEY_FILE", VAR_DIR / "audit_keys"))
LOCKSTEP_AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("LOCKSTEP_AUDIT_CHECKPOINT_FILE", VAR_DIR / "audit_checkpoints.jsonl")
)
# Each checkpoint is also mailed here (through the task queue), to a mailbox the database cannot reach.
LOCKSTEP_AUDIT_CHECKPOINT_EMAIL = env_list("LOCKSTEP_AUDIT_CHECKPOINT_EMAIL", [])

# Live checks (live/): devices are asked through NAPALM by the worker, never by a request. Credentials come from
# this file (or LOCKSTEP_DEVICE_USERNAME / _PASSWORD), never from the database. Every call has a timeout and is
# tried a few times with back-off; a check still unanswered after the deadline counts as no answer.
LOCKSTEP_DEVICE_SECRETS = Path(os.environ.get("LOCKSTEP_DEVICE_SECRETS", VAR_DIR / "device_secrets.json"))
LOCKSTEP_DEVICE_TIMEOUT = env_int("LOCKSTEP_DEVICE_TIMEOUT", 10)
LOCKSTEP_DEVICE_ATTEMPTS = env_int("LOCKSTEP_DEVICE_ATTEMPTS", 3)
LOCKSTEP_DEVICE_BACKOFF = float(os.environ.get("LOCKSTEP_DEVICE_BACKOFF", "1"))
LOCKSTEP_LIVE_CHECK_DEADLINE = env_int("LOCKSTEP_LIVE_CHECK_DEADLINE", 120)
# The try-out: how long the links are watched after a step is signed done, and how often they are read.
LOCKSTEP_TRYOUT_SECONDS = float(os.environ.get("LOCKSTEP_TRYOUT_SECONDS", "20"))
LOCKSTEP_TRYOUT_INTERVAL = float(os.environ.get("LOCKSTEP_TRYOUT_INTERVAL", "5"))
# The locate LED, by NAPALM driver: [command to turn it on, command to turn it off], run through the driver's
# cli. A platform not listed is not offered the button. JSON, e.g. {"eos": ["...", "..."]}.
LOCKSTEP_LOCATE_COMMANDS = json.loads(os.environ.get("LOCKSTEP_LOCATE_COMMANDS", "{}"))

# Bad input never becomes a 500: form bodies over this size are refused with 400 (uploaded files have their
# own limit, LOCKSTEP_IMPORT_MAX_BYTES, checked before they are read).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
# NetBox CSV imports: the size of one uploaded file, and rows per file.
LOCKSTEP_IMPORT_MAX_BYTES = env_int("LOCKSTEP_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
LOCKSTEP_IMPORT_MAX_ROWS = env_int("LOCKSTEP_IMPORT_MAX_ROWS", 250_000)
# Label prints of up to this many labels render in the request (a few seconds at most); bigger ones go to the
# worker, and their page shows the progress and then the download.
LOCKSTEP_LABELS_IN_REQUEST = env_int("LOCKSTEP_LABELS_IN_REQUEST", 200)
# A runbook of up to this many steps prints (as the runbook or its as-run record) in the request, in a few
# seconds; a longer one (a 200-step runbook takes WeasyPrint 10-15 s) is made by the worker, asked for by POST.
LOCKSTEP_PDF_STEPS_IN_REQUEST = env_int("LOCKSTEP_PDF_STEPS_IN_REQUEST", 60)
# Device roles (NetBox's role name or slug, any case) whose devices are where connectivity comes from: an
# import marks them as upstream roots when they arrive or their role changes. Comma-separated in the env.
LOCKSTEP_UPSTREAM_ROLES = env_list("LOCKSTEP_UPSTREAM_ROLES", ["core", "router"])
# A rack's labels count as proven for this many days after a label audit scanned every one of them: at approval,
# a window whose targets sit in a rack not audited since (or with open discrepancies) says so.
LOCKSTEP_LABEL_AUDIT_DAYS = env_int("LOCKSTEP_LABEL_AUDIT_DAYS", 90)

# A device driver's error can quote its credentials: every line the log writes goes through a filter that masks
# every form of every device secret (live/secrets.py), so the full text of a failure is kept here, and only here.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"device_secrets": {"()": "live.secrets.RedactDeviceSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["device_secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint and fontTools narrate every page at INFO; their warnings are what matters.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Background work (notices, webhooks) runs in Django's tasks API on the database: `manage.py db_worker` is the
# worker. `make run` starts one beside the server; production runs it as a service of its own, as many as needed
# (they share the queue through row locks and never run one task twice).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Mail to customers. In development (and the demo) each message is a file under var/mail, so a new user can read
# what customers would have received; in production, SMTP from the environment.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Lockstep status <status@localhost>")
# Notices: reminders this many minutes before a window starts; delivery attempts before a message is "failed".
LOCKSTEP_REMINDER_MINUTES = [int(m) for m in env_list("LOCKSTEP_REMINDER_MINUTES", ["4320", "60"])]
LOCKSTEP_DELIVERY_ATTEMPTS = env_int("LOCKSTEP_DELIVERY_ATTEMPTS", 5)
# Webhooks go to public https addresses only; these open that up for a private network that needs it.
LOCKSTEP_WEBHOOK_ALLOW_HTTP = env_bool("LOCKSTEP_WEBHOOK_ALLOW_HTTP", False)
LOCKSTEP_WEBHOOK_ALLOW_PRIVATE = env_bool("LOCKSTEP_WEBHOOK_ALLOW_PRIVATE", False)
# Subscription requests from one address per hour before the form stops sending confirmations.
LOCKSTEP_SUBSCRIBE_PER_HOUR = env_int("LOCKSTEP_SUBSCRIBE_PER_HOUR", 10)
# An open incident with no public update for this long alerts the coordinators (desk and mail).
LOCKSTEP_INCIDENT_STALE_MINUTES = env_int("LOCKSTEP_INCIDENT_STALE_MINUTES", 30)
# SLA credits are counted per billing month, in this time zone.
LOCKSTEP_BILLING_TIME_ZONE = os.environ.get("LOCKSTEP_BILLING_TIME_ZONE", "UTC")
