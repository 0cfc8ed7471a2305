"""Settings that are easy to lose in a merge."""
from config.settings import base


def test_every_periodic_task_is_scheduled():
    tasks = {entry["task"] for entry in base.CELERY_BEAT_SCHEDULE.values()}
    assert {"outbox.relay", "outbox.prune", "orders.resume_stuck_sagas"} <= tasks
