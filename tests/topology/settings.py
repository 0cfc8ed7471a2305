"""Settings of processes a topology test runs on their own: the test profile with production's beat schedule.

The test profile empties the beat schedule (tests drive the sweepers themselves); a topology whose beat must
finish the checkout (a charge retried after payments comes back) needs the real one.
"""
from config.settings import base
from config.settings.test import *  # noqa: F401,F403

CELERY_BEAT_SCHEDULE = base.CELERY_BEAT_SCHEDULE
