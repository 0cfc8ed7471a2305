"""Settings of the chaos suite's processes: the test profile, with production's beat schedule and budgets."""
import os

from config.settings import base
from config.settings.test import *  # noqa: F401,F403
from config.settings.test import OUTBOX

CELERY_BEAT_SCHEDULE = {
    **base.CELERY_BEAT_SCHEDULE,
    # The safety nets run often enough to act within a test's bounded wait.
    "outbox-relay-safety-net": {"task": "outbox.relay", "schedule": 5.0},
    "resume-stuck-sagas": {"task": "orders.resume_stuck_sagas", "schedule": 3.0},
}
OUTBOX = {**OUTBOX, "MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))}
# Production's: no redelivery by the broker within a test, and a publisher gives up on a broker that is away.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **base.BROKER_CONNECT_RETRY}
LOGGING = {"version": 1, "disable_existing_loggers": False, "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
