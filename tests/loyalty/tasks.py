"""The benchmark's floor: one plain Celery task per event, with the same effect as the Bench subscriber."""
import time

from celery import shared_task

from .handlers import record_effect


@shared_task(name="loyalty.bench_plain", acks_late=True, ignore_result=True)
def bench_plain(event_id: str, payload: dict) -> None:
    record_effect({**payload, "_started": time.time()}, "loyalty.bench_plain", event_id)
