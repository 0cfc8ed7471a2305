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
JSON_LIMITS = {"max_bytes": int(os.environ.get("API_JSON_MAX_BYTES", str(64 * 1024))), "max_depth": 10}
INTERNAL_JSON_LIMITS = {"max_bytes": int(os.environ.get("INTERNAL_JSON_MAX_BYTES", str(256 * 1024))), "max_depth": 10}
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024  # form bodies (admin, browsable API login)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "common.parsers.BoundedJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# Rates per scope (shop/throttling.py): "<n>/<sec|min|hour|day>"; the suffix says whom a scope counts.
# API_THROTTLE=off turns them off (load tests, benchmarks). Counts live in the "throttle" cache:
# THROTTLE_CACHE_URL (redis://...) makes every web process count together; unset, each counts alone.
API_THROTTLE = {
    "enabled": env_bool("API_THROTTLE", True),
    "cache": "throttle",
    "rates": {
        "auth_ip": os.environ.get("THROTTLE_AUTH_IP", "20/min"),  # token requests per client address
        "auth_username": os.environ.get("THROTTLE_AUTH_USERNAME", "10/min"),  # per account tried
        "order_user": os.environ.get("THROTTLE_ORDER_USER", "20/min"),  # orders placed per customer
        "order_ip": os.environ.get("THROTTLE_ORDER_IP", "60/min"),
        "cancel_user": os.environ.get("THROTTLE_CANCEL_USER", "20/min"),
    },
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["THROTTLE_CACHE_URL"],
         "KEY_PREFIX": "throttle", "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}}
        if os.environ.get("THROTTLE_CACHE_URL") else
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}
# Idempotency-Key claims: a request owns its key this long (longer than any request may run); a key whose
# request died is then bound to the order it created, or released (shop/idempotency.py).
IDEMPOTENCY = {"lease_seconds": float(os.environ.get("IDEMPOTENCY_LEASE_SECONDS", "60"))}
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
OUTBOX = {
    "BATCH_SIZE": int(os.environ.get("OUTBOX_BATCH_SIZE", "500")),  # messages (and deliveries) per relay cycle
    "TASK_BATCH": int(os.environ.get("OUTBOX_TASK_BATCH", "100")),  # deliveries per Celery message
    # An in-flight delivery whose worker never finished is handed out again after this (the inbox dedupes).
    # A Celery message (TASK_BATCH deliveries) must finish well within it.
    "LEASE_SECONDS": float(os.environ.get("OUTBOX_LEASE_SECONDS", "60")),
    # A delivery handed to the broker but not started by a worker within this is sent again, unless its
    # queue still holds messages (a backlog, not a loss): a message lost with the broker returns in seconds.
    "HANDOFF_SECONDS": float(os.environ.get("OUTBOX_HANDOFF_SECONDS", "10")),
    # A delivery whose handler waits for an earlier message (NotYetKnown) is tried again without spending an
    # attempt, every few seconds (at most WAIT_MAX_DELAY_SECONDS apart), until the message is this old.
    "WAIT_SECONDS": float(os.environ.get("OUTBOX_WAIT_SECONDS", "1800")),
    "WAIT_MAX_DELAY_SECONDS": float(os.environ.get("OUTBOX_WAIT_MAX_DELAY_SECONDS", "5")),
    # PostgreSQL: a handler's transaction (effects, inbox row, done mark) commits without waiting for the WAL
    # flush; a crash of the database server itself then only makes the last deliveries run again.
    "SYNCHRONOUS_HANDLER_COMMIT": env_bool("OUTBOX_SYNCHRONOUS_HANDLER_COMMIT", False),
    "POLL_SECONDS": float(os.environ.get("OUTBOX_POLL_SECONDS", "1")),  # the relay's cycle when nothing wakes it
    "MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8")),  # then the delivery is dead-lettered
    "RETRY_BASE_SECONDS": float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "2")),  # doubled per attempt
    "RETRY_MAX_SECONDS": 600.0,
    # Retention (outbox/retention.py): done deliveries and their inbox records go after DONE_RETENTION_SECONDS
    # (a duplicate can no longer arrive once a delivery is done); fully delivered messages, which order
    # timelines read, after RETENTION_DAYS; at most PRUNE_LIMIT rows of each per run (every 5 minutes).
    "RETENTION_DAYS": float(os.environ.get("OUTBOX_RETENTION_DAYS", "1")),
    "DONE_RETENTION_SECONDS": float(os.environ.get("OUTBOX_DONE_RETENTION_SECONDS", "3600")),
    "PRUNE_LIMIT": int(os.environ.get("OUTBOX_PRUNE_LIMIT", "100000")),
    "QUEUE_PREFIX": "",  # each context's handlers run on the Celery queue "<prefix><context>"
    "WAKE": os.environ.get("OUTBOX_WAKE", "auto"),  # postgres (LISTEN/NOTIFY) | redis (pub/sub) | poll
}
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
CELERY_BEAT_SCHEDULE = {
    "outbox-relay-safety-net": {"task": "outbox.relay", "schedule": 30.0},
    "outbox-prune": {"task": "outbox.prune", "schedule": 300.0},
}

# --- Boundaries between contexts: transports, targets, service auth (README "Transports") -----
# Per boundary: the transport carrying calls into that context ("local", "rest" or "grpc") and,
# when remote, its target, per-call timeout (seconds), the context's service token and gRPC TLS.
# Read when called, so override_settings moves a boundary. BOUNDARIES_PROFILE picks a whole set:
# embedded (all in-process), rest, grpc, or split (a deliberate choice per interaction).
from .boundaries import WHY as BOUNDARIES_WHY  # noqa: E402  (the Scenario 3 reasons; the communication map shows them)
from .boundaries import boundaries as _boundaries  # noqa: E402

INTERNAL_SERVICE_TOKENS = {  # the token each context's internal endpoints accept
    context: os.environ.get(f"{context.upper()}_SERVICE_TOKEN", f"dev-{context}-service-token")
    for context in ("inventory", "orders", "payments", "shipping")
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
INTERNAL_GRPC_TLS = {
    "cert": os.environ.get("GRPC_TLS_SERVER_CERT"), "key": os.environ.get("GRPC_TLS_SERVER_KEY"),
    "client_ca": os.environ.get("GRPC_TLS_CLIENT_CA"),
}
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

# The checkout (orders/saga.py; both modes run the same saga): seconds a step may take before the
# saga counts as stuck, the ONE give-up timeout of both modes (seconds after the order was placed
# during which a charge that cannot be made is retried; then the checkout is undone), and the
# backoff between tries. The sweeper below sends ResumeCheckout through the outbox for every saga
# whose retry is due or whose runner died.
CHECKOUT_SAGA = {
    "step_deadline": float(os.environ.get("CHECKOUT_SAGA_STEP_DEADLINE", "30")),
    "give_up_after": float(os.environ.get("CHECKOUT_GIVE_UP_AFTER",
                                          os.environ.get("CHECKOUT_SAGA_CHARGE_WINDOW", "600"))),
    "backoff_initial": float(os.environ.get("CHECKOUT_SAGA_BACKOFF_INITIAL", "1")),
    "backoff_max": float(os.environ.get("CHECKOUT_SAGA_BACKOFF_MAX", "60")),
}
CELERY_BEAT_SCHEDULE["resume-stuck-sagas"] = {
    "task": "orders.resume_stuck_sagas", "schedule": float(os.environ.get("CHECKOUT_SWEEP_SECONDS", "2"))}
# How the checkout runs: "orchestrated" (the saga runs every step in the placing call) or
# "choreographed" (one step each time the previous step's event arrives). Read when an order is
# placed and stored on it, so orders in flight finish the way they started.
CHECKOUT_MODE = os.environ.get("CHECKOUT_MODE", "orchestrated")

# --- The simulated payment provider ----------------------------------------------------------
PAYMENT_PROVIDER = {
    # Test tokens, as Stripe publishes them: these are charged; the decline_tokens are declined with
    # the reason given; any other token is declined as "invalid_token" (no such card).
    "test_tokens": ["tok_visa", "tok_visa_debit", "tok_mastercard", "tok_amex"],
    "decline_tokens": {"tok_declined": "card_declined", "tok_insufficient_funds": "insufficient_funds"},
    # Charges above this amount are declined (a fraud rule); None disables it.
    "decline_over_amount": "5000.00",
    # Milliseconds per call: a number, or "lo-hi" for a uniform random latency (Scenario 1 uses 5000-10000).
    "latency_ms": os.environ.get("PAYMENT_LATENCY_MS", "0"),
    "failure_rate": float(os.environ.get("PAYMENT_FAILURE_RATE", "0")),
}

# --- Orders ----------------------------------------------------------------------------------
ORDER_MAX_LINES = 50
ORDER_MAX_QUANTITY = 1000

# --- Inventory -------------------------------------------------------------------------------
STOCK_LOW_THRESHOLD = 5
# A reservation not turned into a sale (paid) within this many seconds is released by the beat task
# below and its owner told (inventory.ReservationExpired); a checkout still running renews it.
RESERVATION_HOLD_SECONDS = float(os.environ.get("RESERVATION_HOLD_SECONDS", "900"))
CELERY_BEAT_SCHEDULE["release-expired-reservations"] = {
    "task": "inventory.release_expired_reservations", "schedule": 60.0}

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
