"""Settings shared by every profile; values that differ per deployment come from the environment."""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SHOP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite file, broker folders and logs live here


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_celery_results",
    "common",
    "outbox",
    "shop",
    "orders",
    "inventory",
    "payments",
    "shipping",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A web process and a worker write to one file: wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # BEGIN IMMEDIATE: a transaction that reads then writes (the relay) waits for the lock instead of failing.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

REST_FRAMEWORK = {
    # Token first, so an anonymous call gets 401 with a WWW-Authenticate header rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "shop.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shop storefront API",
    "DESCRIPTION": "Catalog, stock availability and orders of the modular-monolith shop.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Celery: commands and (later) event deliveries -------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "django-db")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: a broker that needs no server, for the embedded default.
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }

# --- Outbox: events and commands delivered reliably (see README "Events") -----------------------
OUTBOX = {
    "BATCH_SIZE": int(os.environ.get("OUTBOX_BATCH_SIZE", "500")),  # messages (and deliveries) per relay cycle
    "TASK_BATCH": int(os.environ.get("OUTBOX_TASK_BATCH", "100")),  # deliveries per Celery message
    # An in-flight delivery whose worker never finished is handed out again after this (the inbox dedupes).
    "LEASE_SECONDS": float(os.environ.get("OUTBOX_LEASE_SECONDS", "300")),
    "POLL_SECONDS": float(os.environ.get("OUTBOX_POLL_SECONDS", "1")),  # the relay's cycle when nothing wakes it
    "MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8")),  # then the delivery is dead-lettered
    "RETRY_BASE_SECONDS": float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "2")),  # doubled per attempt
    "RETRY_MAX_SECONDS": 600.0,
    "RETENTION_DAYS": float(os.environ.get("OUTBOX_RETENTION_DAYS", "7")),  # done work older than this is pruned
    "QUEUE_PREFIX": "",  # each context's handlers run on the Celery queue "<prefix><context>"
    "WAKE": os.environ.get("OUTBOX_WAKE", "auto"),  # postgres (LISTEN/NOTIFY) | redis (pub/sub) | poll
}
MIDDLEWARE.append("outbox.middleware.MessageContextMiddleware")  # correlation id per request
# Redis redelivers an unacknowledged message only after this; no countdown/ETA may exceed it (it would
# run twice). Retries of deliveries wait in the database (next_attempt_at), never in the broker.
CELERY_REDIS_VISIBILITY_TIMEOUT = 3600
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_REDIS_VISIBILITY_TIMEOUT}
CELERY_MAX_REDELIVERIES = 5  # a plain command whose worker dies this often more is dead-lettered (common.tasks)
CELERY_DB_REUSE_MAX = 1000  # else Celery's Django fixup closes the connection around every task
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True
CELERY_BEAT_SCHEDULE = {
    "outbox-relay-safety-net": {"task": "outbox.relay", "schedule": 30.0},
    "outbox-prune": {"task": "outbox.prune", "schedule": 3600.0},
}

# --- Boundaries between contexts -------------------------------------------------------------
# Per boundary: which transport carries calls into that context. Read when called.
BOUNDARIES = {
    "inventory": {"transport": "local"},
    "orders": {"transport": "local"},
    "payments": {"transport": "local"},
    "shipping": {"transport": "local"},
}

# --- The simulated payment provider ----------------------------------------------------------
PAYMENT_PROVIDER = {
    # Tokens the provider always declines, with the reason it gives.
    "decline_tokens": {"tok_declined": "card_declined", "tok_insufficient_funds": "insufficient_funds"},
    # Charges above this amount are declined (a fraud rule); None disables it.
    "decline_over_amount": "5000.00",
    "latency_ms": 0,
    "failure_rate": 0.0,
}

# --- Orders ----------------------------------------------------------------------------------
ORDER_MAX_LINES = 50
ORDER_MAX_QUANTITY = 1000

# --- Inventory -------------------------------------------------------------------------------
STOCK_LOW_THRESHOLD = 5

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "shop@example.com"
STAFF_ALERT_EMAILS = ["staff@example.com"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own console handler would print every request log a second time.
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
