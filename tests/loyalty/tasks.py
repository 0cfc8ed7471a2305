"""The benchmark's floor: one plain Celery task per event, with the same effect as the Bench subscriber."""
import time

import os
import signal
import uuid

from celery import shared_task

from common.tasks import RedeliveryCappedTask

from .handlers import record_effect


@shared_task(name="loyalty.bench_plain", acks_late=True, ignore_result=True)
def bench_plain(event_id: str, payload: dict) -> None:
    record_effect({**payload, "_started": time.time()}, "loyalty.bench_plain", event_id)


@shared_task(name="loyalty.kill_my_worker", base=RedeliveryCappedTask, max_redeliveries=2)
def kill_my_worker(key: str) -> None:
    """Record a start, then die like a segfault: the worker loses the task and requeues it."""
    record_effect({"key": key, "n": 0}, "loyalty.kill_my_worker", uuid.uuid4())
    os.kill(os.getpid(), signal.SIGKILL)
