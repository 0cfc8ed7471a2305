"""Test profile: locmem email, fast hashing; DATABASE_URL and CELERY_BROKER_URL choose the servers."""
import os

from outbox.conf import outbox_settings
from shop.conf import shop_settings

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, DATABASES, VAR_DIR, env_bool

DEBUG = False
SECRET_KEY = "test-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_RESULT_BACKEND = "django-db"
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 900}
elif not CELERY_BROKER_URL.startswith("amqp://"):  # RabbitMQ keeps base.py's (publisher confirms)
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
# A queue of this run's own, so workers started by tests never take another run's messages.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", f"shop-test-{os.getpid()}")
# Each context's queue is this run's too; short leases and backoffs so crash tests recover in seconds.
OUTBOX = outbox_settings.from_env("OUTBOX", default={
    "QUEUE_PREFIX": f"{CELERY_TASK_DEFAULT_QUEUE}.", "LEASE_SECONDS": 5.0, "HANDOFF_SECONDS": 2.0, "POLL_SECONDS": 0.5,
    "MAX_ATTEMPTS": 3, "RETRY_BASE_SECONDS": 0.2,
})
CELERY_BEAT_SCHEDULE = {}
# A subscriber added without touching the publisher (loyalty points), and probes for the delivery tests.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.loyalty"]  # noqa: F405
# Spans are written when a test calls observability.tracing.flush(), never by a thread of the pytest process
# (it would write outside the test's transaction); processes a test starts may set the variable.
TRACING = {**TRACING, "store_flush_seconds": float(os.environ.get("TRACING_STORE_FLUSH_SECONDS", "0"))}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
if env_bool("SHOP_TEST_DATABASE_PER_CONTEXT", False) and not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Every context (an app with an api.py, but the outbox that each of them holds) on a database of its own,
    # on default's server: what DATABASE_URLS does in production (scripts/test runs tests/e2e this way).
    for _context in INSTALLED_APPS:  # noqa: F405
        if "." not in _context and _context != "outbox" and (BASE_DIR / _context / "api.py").exists():  # noqa: F405
            DATABASES.setdefault(_context, {**DATABASES["default"], "NAME": f"{DATABASES['default']['NAME']}_{_context}"})
    CONTEXT_DATABASES = {alias: alias for alias in DATABASES if alias != "default"}
for _alias, _database in DATABASES.items():
    if _database["ENGINE"].endswith("sqlite3"):
        # A file, not memory, so worker processes started by tests see the same test database.
        _database["TEST"] = {"NAME": str(VAR_DIR / f"test-{_alias}-{os.getpid()}.sqlite3"
                                         if _alias != "default" else VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    else:
        # One test database per run, so two checkouts can run their suites at once on one server.
        _database["TEST"] = {"NAME": f"test_{_database['NAME']}_{os.getpid()}"}
# Rate limits off (suites place many orders per customer); tests/security turns them on to test them.
API_THROTTLE = shop_settings.from_env("API_THROTTLE", default={"enabled": False})
