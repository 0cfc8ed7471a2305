"""Settings shared by every profile; values that differ per deployment come from the environment."""
import os
from pathlib import Path

import dj_database_url

from common.conf import common_settings
from common.conf import env_bool as parse_bool
from inventory.conf import inventory_settings
from orders.conf import orders_settings
from outbox.conf import outbox_settings
from payments.conf import payments_settings
from shop.conf import shop_settings

from . import environment  # noqa: F401  (declares the environment variables read below)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SHOP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite file, broker folders and logs live here


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true, as for every declared setting)."""
    value = os.environ.get(name)
    return default if value is None else parse_bool(value)


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
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc assets from our own static files (no CDN)
    "django_celery_results",
    "common",
    "outbox",
    "shop",
    "orders",
    "inventory",
    "payments",
    "shipping",
    "notifications",
    "reviews",
    "scenarios",
    "observability",
    "topology",  # manage.py run_topology (config/topologies/)
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
        # A kept connection is checked (one SELECT 1) before its first use in each request or task, so a
        # database restart costs no failed request or task: the dead connection is replaced instead.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A web process and a worker write to one file: wait for the lock instead of failing.
    # IMMEDIATE: take the write lock when a transaction starts, so two processes never deadlock
    # upgrading read locks ("database is locked" at once); WAL: readers do not wait for the writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
# A database per context (docs/topology.md): DATABASE_URLS="orders=postgres://.../orders,inventory=..." adds one
# alias per named context; a context not named, the storefront and Django's own apps stay on `default`.
DATABASES.update({
    context.strip(): {**dj_database_url.parse(url.strip(), conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]),
                      "CONN_HEALTH_CHECKS": True}
    for context, _, url in (item.partition("=") for item in os.environ.get("DATABASE_URLS", "").split(",") if item)
})
if env_bool("DB_PREPARED_STATEMENTS", True):
    for _database in DATABASES.values():
        if _database["ENGINE"].endswith("postgresql"):
            # Parameters bound by the server, not quoted into the SQL by psycopg: the same statement is the same
            # text, so psycopg prepares it on its connection after 5 runs (prepare_threshold; Django leaves it
            # off unless asked) and PostgreSQL parses and plans it once: a checkout's database CPU -20% through
            # gunicorn (bench/RESULTS.md). Off (DB_PREPARED_STATEMENTS=off) behind a pooler that cannot keep them.
            _database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
CONTEXT_DATABASES = {alias: alias for alias in DATABASES if alias != "default"}  # context -> alias (config/routers.py)
DATABASE_ROUTERS = ["config.routers.ContextRouter"]
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
    # No internet here: a CDN asset is a blank page. drf-spectacular-sidecar ships them as static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- The edges: body limits, rate limits, correlation ids (docs/edges.md) -----------------------
# JSON bodies beyond these answer 413 (size) or 400 (depth), never a 500. An order of 50 lines is ~5 KB.
JSON_LIMITS = common_settings.from_env("JSON_LIMITS")  # common/conf.py
INTERNAL_JSON_LIMITS = common_settings.from_env("INTERNAL_JSON_LIMITS")
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024  # form bodies (admin, browsable API login)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "common.parsers.BoundedJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# Rate limits per scope (shop/throttling.py; shop/conf.py declares the scopes, rates and their environment
# variables). Counts live in the "throttle" cache: THROTTLE_CACHE_URL (redis://...) makes every web process
# count together; unset, each counts alone.
API_THROTTLE = shop_settings.from_env("API_THROTTLE")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["THROTTLE_CACHE_URL"],
         "KEY_PREFIX": "throttle", "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}}
        if os.environ.get("THROTTLE_CACHE_URL") else
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}
IDEMPOTENCY = shop_settings.from_env("IDEMPOTENCY")  # Idempotency-Key claims: their lease (shop/conf.py)
# First, so the outbox's middleware and every error answer share the request's correlation id.
MIDDLEWARE.insert(0, "common.http.CorrelationIdMiddleware")

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
OUTBOX = outbox_settings.from_env("OUTBOX")  # its keys, defaults and environment variables: outbox/conf.py
MIDDLEWARE.append("outbox.middleware.MessageContextMiddleware")  # correlation id per request
# Redis redelivers an unacknowledged message only after this; no countdown/ETA may exceed it (it would
# run twice). Retries of deliveries wait in the database (next_attempt_at), never in the broker.
CELERY_REDIS_VISIBILITY_TIMEOUT = 3600
# A publisher (the relay's hand-off, its queue-depth check) gives up on a broker that is away after about a
# second instead of kombu's default of retrying forever at 2, 4, 6... s: the relay then logs it, keeps the
# deliveries in the database and tries again a second later, so it resumes within a second of the broker's
# return. Celery workers reconnect by their own schedule (broker_connection_max_retries), not by this.
BROKER_CONNECT_RETRY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.5}
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_REDIS_VISIBILITY_TIMEOUT, **BROKER_CONNECT_RETRY}
if CELERY_BROKER_URL.startswith(("amqp://", "pyamqp://")):
    # RabbitMQ as production runs it (docs/topology.md): quorum queues (replicated, durable; a broker
    # policy's delivery-limit dead-letters a message that keeps killing workers), publisher confirms
    # (a publish returns once the broker has the message), acks late (above). Topic exchanges, because
    # Celery's native delayed delivery (countdowns such as the saga's retries) needs them on quorum queues.
    CELERY_TASK_DEFAULT_QUEUE_TYPE = "quorum"
    CELERY_TASK_CREATE_MISSING_QUEUE_TYPE = "quorum"
    CELERY_TASK_DEFAULT_EXCHANGE_TYPE = "topic"
    CELERY_TASK_CREATE_MISSING_QUEUE_EXCHANGE_TYPE = "topic"
    CELERY_WORKER_DETECT_QUORUM_QUEUES = True  # quorum queues refuse a global QoS: prefetch per consumer
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
CELERY_DB_REUSE_MAX = 1000  # else Celery's Django fixup closes the connection around every task
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True

# --- Boundaries between contexts: transports, targets, service auth (README "Transports") -----
# Per boundary: the transport carrying calls into that context ("local", "rest" or "grpc") and,
# when remote, its target, per-call timeout (seconds), the context's service token and gRPC TLS.
# Read when called, so override_settings moves a boundary. BOUNDARIES_PROFILE picks a whole set:
# embedded (all in-process), rest, grpc, or split (a deliberate choice per interaction).
from .boundaries import WHY as BOUNDARIES_WHY  # noqa: E402  (the Scenario 3 reasons; the communication map shows them)
from .boundaries import boundaries as _boundaries  # noqa: E402

INTERNAL_SERVICE_TOKENS = {  # the token each context's internal endpoints accept
    context: os.environ.get(f"{context.upper()}_SERVICE_TOKEN", f"dev-{context}-service-token")
    for context in ("inventory", "orders", "payments", "shipping", "reviews")
}
# gRPC TLS for clients, when set: CA to trust, and a certificate and key for mutual TLS.
_GRPC_CLIENT_TLS = {k: v for k, v in {
    "ca": os.environ.get("GRPC_TLS_CA"), "cert": os.environ.get("GRPC_TLS_CLIENT_CERT"),
    "key": os.environ.get("GRPC_TLS_CLIENT_KEY"), "server_name": os.environ.get("GRPC_TLS_SERVER_NAME"),
}.items() if v}
BOUNDARIES_TLS = _GRPC_CLIENT_TLS or None
BOUNDARIES = _boundaries(
    os.environ.get("BOUNDARIES_PROFILE", "embedded"), os.environ, tokens=INTERNAL_SERVICE_TOKENS,
    timeout=float(os.environ.get("BOUNDARY_TIMEOUT", "5")), tls=BOUNDARIES_TLS,
)
STRONG_SERVICE_TOKENS = False  # production: serve_context refuses unset, development or short tokens
# serve_context: gRPC server TLS (with GRPC_TLS_CLIENT_CA, clients must present a certificate: mTLS),
# and the lean middleware its internal endpoints run with (no sessions, CSRF or users: callers are services).
INTERNAL_GRPC_TLS = common_settings.from_env("INTERNAL_GRPC_TLS")
INTERNAL_MIDDLEWARE = ["common.http.CorrelationIdMiddleware", "django.middleware.security.SecurityMiddleware"]

# --- Resilience: the policy layer around every boundary call ----------------------------------
# Timeouts in seconds. Only operations marked idempotent are retried in-line; a charge never is
# (a charge that times out leaves the order payment_pending; the checkout saga retries it later).
RESILIENCE = {
    "defaults": {
        "timeout": 5.0,
        "per_try_timeout": 2.0,
        "retry": {"attempts": 3, "backoff_initial": 0.05, "backoff_max": 1.0, "jitter": 0.5},
        "breaker": {
            "failure_rate_threshold": 50, "slow_call_rate_threshold": 80, "slow_call_duration": 1.0,
            "sliding_window_size": 20, "minimum_number_of_calls": 10,
            "wait_duration_in_open_state": float(os.environ.get("BREAKER_WAIT_SECONDS", "10")),
            "permitted_calls_in_half_open": 3,
        },
    },
    "boundaries": {
        "inventory": {"operations": {
            "reserve_items": {"idempotent": True},  # one reservation per order id
            "release_items": {"idempotent": True},
            "keep_reservation": {"idempotent": True},
            "get_availability": {"idempotent": True, "fallback": "inventory.api.availability_unknown"},
        }},
        "payments": {
            # A critical dependency: judge it on few calls and test it with one trial call, so that
            # while it is slow only a handful of orders ever wait for it (Scenario 1).
            "breaker": {"minimum_number_of_calls": 5, "permitted_calls_in_half_open": 1},
            "operations": {
                "charge": {"timeout": 1.0, "per_try_timeout": 1.0},
                "refund": {"idempotent": True},
                "get_payment": {"idempotent": True},
            },
        },
        "shipping": {"operations": {
            "schedule_shipment": {"idempotent": True},
            "cancel_shipment": {"idempotent": True},
        }},
        "reviews": {
            # The product page can do without its reviews: wait little, fall back to "unavailable" (docs/reviews.md).
            "timeout": 1.0, "per_try_timeout": 0.5,
            "breaker": {"slow_call_duration": 0.5},
            "operations": {
                "product_reviews": {"idempotent": True, "fallback": "reviews.api.reviews_unavailable"},
                "post_review": {"timeout": 2.0, "per_try_timeout": 2.0},  # refused when repeated: never retried
            },
        },
        "orders": {
            "timeout": 10.0, "per_try_timeout": 10.0,  # placing an order runs the whole checkout
            # ... which may wait a second for payments: that is slow payments, not a sick orders context.
            "breaker": {"slow_call_duration": 5.0},
            "operations": {
                "get_order": {"idempotent": True, "timeout": 5.0, "per_try_timeout": 2.0},
                "list_orders": {"idempotent": True, "timeout": 5.0, "per_try_timeout": 2.0},
                "cancel_order": {"idempotent": True},
            },
        },
    },
    # "memory": each process has its own breakers; "redis": state shared by every process.
    "breaker_storage": {"backend": os.environ.get("BREAKER_STORAGE", "memory"),
                        "url": os.environ.get("BREAKER_REDIS_URL", "redis://127.0.0.1:6379/0"),
                        "namespace": os.environ.get("BREAKER_NAMESPACE", "shop")},
    "fault_refresh_seconds": 1.0,
}

if os.environ.get("RESILIENCE_PROFILE") == "naive":
    # Scenario 1's "before": no timeout, no breaker, and the order waits for the charge however long.
    RESILIENCE["boundaries"]["payments"]["operations"]["charge"] = {
        "timeout": None, "per_try_timeout": None, "breaker": {"enabled": False}}
    RESILIENCE["boundaries"]["payments"]["breaker"] = {"enabled": False}

# The checkout (orders/saga.py, docs/checkout.md): its mode, its saga's deadlines and backoff, the sweeper's
# period (the beat schedule below); every key, default and environment variable is declared in orders/conf.py.
CHECKOUT_MODE = orders_settings.from_env("CHECKOUT_MODE")
CHECKOUT_SAGA = orders_settings.from_env("CHECKOUT_SAGA")
CHECKOUT_SWEEP_SECONDS = orders_settings.from_env("CHECKOUT_SWEEP_SECONDS")

# --- Metrics (docs/observability.md, "Metrics") ---
# What boundary calls, handlers, sagas and tasks report goes to this observer (common/observers.py).
OBSERVER = "observability.metrics.PrometheusObserver"
METRICS = {
    # GET /metrics answers a staff session, or this token as `Authorization: Bearer ...` ("": staff only).
    "SCRAPE_TOKEN": os.environ.get("METRICS_SCRAPE_TOKEN", ""),
    "DB_TIMEOUT_SECONDS": float(os.environ.get("METRICS_DB_TIMEOUT_SECONDS", "2")),  # the outbox gauges' read
    # A worker, relay or beat serves /metrics on 127.0.0.1:PORT (token only) when set (observability/exporter.py).
    "PORT": int(os.environ.get("METRICS_PORT", "0")),
}

# --- The simulated payment provider ----------------------------------------------------------
PAYMENT_PROVIDER = payments_settings.from_env("PAYMENT_PROVIDER")  # payments/conf.py

# --- Orders ----------------------------------------------------------------------------------
ORDER_MAX_LINES = orders_settings.from_env("ORDER_MAX_LINES")  # orders/conf.py
ORDER_MAX_QUANTITY = orders_settings.from_env("ORDER_MAX_QUANTITY")

# --- Inventory -------------------------------------------------------------------------------
STOCK_LOW_THRESHOLD = inventory_settings.from_env("STOCK_LOW_THRESHOLD")  # inventory/conf.py
RESERVATION_HOLD_SECONDS = inventory_settings.from_env("RESERVATION_HOLD_SECONDS")

# --- Periodic tasks: the one beat schedule (the test profile runs none) -------------------------
CELERY_BEAT_SCHEDULE = {
    "outbox-relay-safety-net": {"task": "outbox.relay", "schedule": 30.0},  # the relay's safety net
    "outbox-prune": {"task": "outbox.prune", "schedule": 300.0},  # retention (outbox/retention.py)
    "resume-stuck-sagas": {"task": "orders.resume_stuck_sagas", "schedule": CHECKOUT_SWEEP_SECONDS},
    "release-expired-reservations": {"task": "inventory.release_expired_reservations", "schedule": 60.0},
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "shop@example.com"
STAFF_ALERT_EMAILS = ["staff@example.com"]

# --- Traces (OpenTelemetry): docs/observability.md "Traces" -------------------------------------
TRACING = {
    "enabled": env_bool("TRACING_ENABLED", True),
    # none | console | otlp-grpc | otlp-http (the OTLP exporters read OTEL_EXPORTER_OTLP_ENDPOINT and friends)
    "exporter": os.environ.get("TRACING_EXPORTER", "none"),
    # The span store: the newest spans of every process in the default database (the order waterfall).
    "store": env_bool("TRACING_STORE", True),
    "store_max_spans": int(os.environ.get("TRACING_STORE_MAX_SPANS", "50000")),
    "store_flush_seconds": float(os.environ.get("TRACING_STORE_FLUSH_SECONDS", "1.0")),
    # Also psycopg and redis (a span per query: many rows in the store for one checkout).
    "instrument": [name for name in os.environ.get("TRACING_INSTRUMENT", "django,urllib3,grpc,celery").split(",")
                   if name],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every record carries the trace and span it was logged in and the correlation id of its request or message.
    "filters": {"trace": {"()": "observability.logs.TraceContextFilter"}},
    "formatters": {"traced": {"format": "%(levelname)s %(name)s [trace=%(trace_id)s span=%(span_id)s "
                                        "correlation=%(correlation_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["trace"], "formatter": "traced"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own console handler would print every request log a second time.
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
