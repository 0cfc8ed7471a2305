"""The benchmark's floor: one plain Celery task per event, with the same effect as the Bench subscriber."""
import os
import signal
import time
import uuid

from celery import shared_task

from .handlers import record_effect


@shared_task(name="loyalty.bench_plain", acks_late=True, ignore_result=True)
def bench_plain(event_id: str, payload: dict) -> None:
    record_effect({**payload, "_started": time.time()}, "loyalty.bench_plain", event_id)


@shared_task(name="loyalty.retrying_command", autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=5)
def retrying_command() -> None:
    """A task that retries itself with countdowns up to 600 s: the visibility-timeout check has one to judge."""


@shared_task(name="loyalty.kill_my_worker", acks_late=True)
def kill_my_worker(key: str) -> None:
    """Record a start, then die like a segfault: the worker loses the task and the broker requeues it (on
    RabbitMQ until the quorum queue's delivery limit dead-letters it: tests/topology/test_rabbitmq.py)."""
    record_effect({"key": key, "n": 0}, "loyalty.kill_my_worker", uuid.uuid4())
    os.kill(os.getpid(), signal.SIGKILL)
