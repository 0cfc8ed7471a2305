"""The environment variables the settings files read for Django's, Celery's and the deployment's own settings.

An app's own settings declare theirs beside them (`<app>/conf.py`); these are the rest. A test
(tests/common/test_settings_files.py) fails when a settings file reads a variable declared nowhere, and
docs/settings.md lists them all (`manage.py settings_table --update docs/settings.md`).
"""
from common.conf import Env, Environment

ENVIRONMENT = Environment(
    Env("SECRET_KEY", "dev-only-insecure-key-change-me", "Django's; the production profile refuses to start without "
        "its own", ("SECRET_KEY",)),
    Env("DEBUG", "off (dev profile: on)", "Django's DEBUG", ("DEBUG",)),
    Env("ALLOWED_HOSTS", "127.0.0.1,localhost", "comma-separated host names", ("ALLOWED_HOSTS",)),
    Env("SHOP_VAR_DIR", "var/", "where the SQLite file, the filesystem broker's folders and logs live"),
    Env("DATABASE_URL", "sqlite:///var/db.sqlite3", "any URL dj-database-url reads (postgres://...)", ("DATABASES",)),
    Env("DATABASE_URLS", None, "context=URL,... : a database of its own per named context (docs/topology.md); "
        "unnamed contexts stay on DATABASE_URL", ("DATABASES", "CONTEXT_DATABASES")),
    Env("SHOP_TEST_DATABASE_PER_CONTEXT", "off", "test profile, PostgreSQL: every context on a test database of "
        "its own (scripts/test's per-context pass)", ("DATABASES",)),
    Env("DB_CONN_MAX_AGE", "60", "seconds a database connection is kept (checked before reuse)", ("DATABASES",)),
    Env("DB_PREPARED_STATEMENTS", "on", "PostgreSQL: server-side parameters and prepared statements (off behind a "
        "pooler in transaction mode that cannot keep them)", ("DATABASES",)),
    Env("LOG_LEVEL", "INFO", "the root logger's level", ("LOGGING",)),
    Env("CELERY_BROKER_URL", "filesystem:// (test profile: memory://)", "redis://127.0.0.1:6379/0 or "
        "amqp://... in production (docs/topology.md)", ("CELERY_BROKER_URL",)),
    Env("CELERY_RESULT_BACKEND", "django-db", "Celery's result backend", ("CELERY_RESULT_BACKEND",)),
    Env("CELERY_TASK_ALWAYS_EAGER", "off", "run commands in-process (no worker)", ("CELERY_TASK_ALWAYS_EAGER",)),
    Env("CELERY_TASK_DEFAULT_QUEUE", "shop-test-<pid> (test profile)", "the test run's own queue, so workers "
        "started by tests never take another run's messages", ("CELERY_TASK_DEFAULT_QUEUE",)),
    Env("TOPOLOGY_READY_FILE", None, "set by run_topology: a worker touches this file when it is ready"),
    Env("THROTTLE_CACHE_URL", None, "redis://...: every web process counts rate limits together (production "
        "profile: redis://127.0.0.1:6379/1); unset, each counts alone", ("CACHES",)),
    Env("BOUNDARIES_PROFILE", "embedded", "embedded (all in-process), rest, grpc, or split (docs/transports.md)",
        ("BOUNDARIES",)),
    Env("<CONTEXT>_TRANSPORT", None, "local, rest or grpc: moves one boundary whatever the profile", ("BOUNDARIES",)),
    Env("<CONTEXT>_REST_TARGET", "http://127.0.0.1:810N", "where a context's REST server is (N: inventory 1, "
        "orders 2, payments 3, shipping 4, reviews 5)", ("BOUNDARIES",)),
    Env("<CONTEXT>_GRPC_TARGET", "127.0.0.1:5010N", "where its gRPC server is", ("BOUNDARIES",)),
    Env("<CONTEXT>_SERVICE_TOKEN", "dev-<context>-service-token; production: none", "the token its "
        "internal endpoints accept; the production profile refuses weak ones when a boundary is remote",
        ("INTERNAL_SERVICE_TOKENS", "BOUNDARIES")),
    Env("BOUNDARY_TIMEOUT", "5", "seconds per remote call (cut further by the caller's deadline)", ("BOUNDARIES",)),
    Env("GRPC_TLS_CA", None, "gRPC clients use TLS, trusting this CA", ("BOUNDARIES_TLS",)),
    Env("GRPC_TLS_CLIENT_CERT", None, "with GRPC_TLS_CLIENT_KEY: the certificate clients present (mTLS)",
        ("BOUNDARIES_TLS",)),
    Env("GRPC_TLS_CLIENT_KEY", None, "its private key", ("BOUNDARIES_TLS",)),
    Env("GRPC_TLS_SERVER_NAME", None, "the name the server's certificate is checked against", ("BOUNDARIES_TLS",)),
    Env("BREAKER_WAIT_SECONDS", "10", "seconds a breaker stays open before its trial calls", ("RESILIENCE",)),
    Env("BREAKER_STORAGE", "memory", "memory (each process its own breakers) or redis (shared by every process)",
        ("RESILIENCE",)),
    Env("BREAKER_REDIS_URL", "redis://127.0.0.1:6379/0", "the Redis of shared breakers", ("RESILIENCE",)),
    Env("BREAKER_NAMESPACE", "shop", "the prefix of shared breakers' keys", ("RESILIENCE",)),
    Env("RESILIENCE_PROFILE", None, "naive: Scenario 1's \"before\" (no timeout, no breaker on the charge)",
        ("RESILIENCE",)),
    Env("METRICS_SCRAPE_TOKEN", None, "the bearer token a Prometheus scraper sends to /metrics (staff sessions "
        "need none); unset, only staff can read it", ("METRICS",)),
    Env("METRICS_DB_TIMEOUT_SECONDS", "2", "the statement timeout of the outbox gauges' read at scrape time",
        ("METRICS",)),
    Env("METRICS_PORT", "0 (none)", "a worker, relay or beat serves /metrics on 127.0.0.1:PORT (scrape token only)",
        ("METRICS",)),
    Env("PROMETHEUS_MULTIPROC_DIR", "<log dir>/metrics under run_topology", "prometheus-client's multiprocess "
        "directory: every process writes its samples there, any /metrics serves them all"),
    Env("TRACING_ENABLED", "on", "OpenTelemetry traces (docs/observability.md \"Traces\")", ("TRACING",)),
    Env("TRACING_EXPORTER", "none", "none, console, otlp-grpc or otlp-http (these read OTEL_EXPORTER_OTLP_*)",
        ("TRACING",)),
    Env("TRACING_STORE", "on", "keep the newest spans of every process in the default database (an order's "
        "waterfall in the admin)", ("TRACING",)),
    Env("TRACING_STORE_MAX_SPANS", "50000", "spans the store keeps (pruned in batches)", ("TRACING",)),
    Env("TRACING_STORE_FLUSH_SECONDS", "1.0", "how often a process writes its finished spans", ("TRACING",)),
    Env("TRACING_INSTRUMENT", "django,urllib3,grpc,celery", "instrumentations to install (add psycopg, redis: a "
        "span per query)", ("TRACING",)),
    Env("EMAIL_BACKEND", "smtp (production profile only)", "Django's email backend", ("EMAIL_BACKEND",)),
    Env("SECURE_SSL_REDIRECT", "on (production profile only)", "off behind a TLS proxy that redirects itself",
        ("SECURE_SSL_REDIRECT",)),
    Env("SECURE_PROXY_SSL_HEADER", None, "e.g. HTTP_X_FORWARDED_PROTO: the header a TLS proxy sets (production)",
        ("SECURE_PROXY_SSL_HEADER",)),
    Env("SECURE_HSTS_SECONDS", "31536000 (production profile only)", "HSTS max-age", ("SECURE_HSTS_SECONDS",)),
    Env("SECURE_HSTS_INCLUDE_SUBDOMAINS", "on (production profile only)", "HSTS includeSubDomains",
        ("SECURE_HSTS_INCLUDE_SUBDOMAINS",)),
    Env("SECURE_HSTS_PRELOAD", "on (production profile only)", "HSTS preload", ("SECURE_HSTS_PRELOAD",)),
)
