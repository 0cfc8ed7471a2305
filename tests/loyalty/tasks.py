"""The benchmark's floor: one plain Celery task per event, with the same effect as the Bench subscriber."""
import time

from celery import shared_task

from .handlers import record_effect


@shared_task(name="loyalty.bench_plain", acks_late=True, ignore_result=True)
def bench_plain(event_id: str, payload: dict) -> None:
    record_effect({**payload, "_started": time.time()}, "loyalty.bench_plain", event_id)


@shared_task(name="loyalty.retrying_command", autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=5)
def retrying_command() -> None:
    """A task that retries itself with countdowns up to 600 s: the visibility-timeout check has one to judge."""
