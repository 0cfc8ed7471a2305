"""The benchmarks' profile: the shop as deployed (base settings, beat's schedule, no test-only subscribers), without
DEBUG or request logs, and with queues of the run's own (BENCH_QUEUE), so no other worker takes its messages."""
import os

from config.settings.base import *  # noqa: F401,F403
from config.settings.base import OUTBOX

DEBUG = False
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_QUEUE", "bench")
OUTBOX = {**OUTBOX, "QUEUE_PREFIX": f"{CELERY_TASK_DEFAULT_QUEUE}."}
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
