"""System checks: no Celery countdown may outlive the Redis visibility timeout (the message would run twice)."""
from celery import current_app
from django.conf import settings
from django.core import checks
from django.utils.module_loading import autodiscover_modules

from .conf import outbox_settings


@checks.register(checks.Tags.compatibility)
def countdowns_within_visibility_timeout(app_configs=None, **kwargs):
    """Every task's longest automatic retry delay stays below the broker's visibility timeout."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return []
    timeout = (settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}).get("visibility_timeout", 3600)
    autodiscover_modules("tasks")  # not Celery's loader: the worker runs these checks from inside it
    errors = []
    for name, task in sorted(current_app.tasks.items()):
        if not getattr(task, "autoretry_for", ()):
            continue  # a task that never retries itself schedules no countdown
        longest = task.retry_backoff_max if getattr(task, "retry_backoff", False) else task.default_retry_delay
        if longest and longest >= timeout:
            errors.append(checks.Error(
                f"task {name} may retry after {longest}s, beyond the Redis visibility timeout ({timeout}s)",
                hint="Lower its retry delay or raise CELERY_REDIS_VISIBILITY_TIMEOUT.", id="outbox.E001",
            ))
    if outbox_settings.OUTBOX["LEASE_SECONDS"] >= timeout:
        errors.append(checks.Warning("OUTBOX LEASE_SECONDS is not below the visibility timeout", id="outbox.W001"))
    if outbox_settings.OUTBOX["HANDOFF_SECONDS"] > outbox_settings.OUTBOX["LEASE_SECONDS"]:
        errors.append(checks.Warning("OUTBOX HANDOFF_SECONDS is above LEASE_SECONDS: a message lost with the broker "
                                     "would wait longer than a dead worker's deliveries", id="outbox.W002"))
    return errors
