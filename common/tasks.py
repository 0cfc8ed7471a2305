"""A Celery task base that dead-letters a message whose task keeps killing its worker, instead of looping."""
from __future__ import annotations

import json
import logging

from celery import Task
from celery.exceptions import Reject
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)
DEAD_LETTERS = "celery:dead-letters"  # a Redis list of {task, id, args, kwargs, at}


def _redis():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)


class RedeliveryCappedTask(Task):
    """acks_late + reject_on_worker_lost requeue a task whose worker died; after max_redeliveries, no more."""

    acks_late = True
    reject_on_worker_lost = True
    max_redeliveries: int | None = None  # None: settings.CELERY_MAX_REDELIVERIES

    def __call__(self, *args, **kwargs):
        request = self.request
        if not request.called_directly and not request.is_eager and settings.CELERY_BROKER_URL.startswith("redis"):
            cap = self.max_redeliveries if self.max_redeliveries is not None else settings.CELERY_MAX_REDELIVERIES
            key = f"celery:starts:{request.id}"
            client = _redis()
            starts = client.incr(key)  # counted before the body runs: a kill -9 cannot skip it
            client.expire(key, 2 * settings.CELERY_REDIS_VISIBILITY_TIMEOUT)
            if starts > cap + 1:
                client.lpush(DEAD_LETTERS, json.dumps({
                    "task": self.name, "id": request.id, "args": args, "kwargs": kwargs,
                    "at": timezone.now().isoformat(), "reason": f"started {starts - 1} times, never finished",
                }, default=str))
                logger.error("task %s[%s] dead-lettered after %s starts", self.name, request.id, starts - 1)
                raise Reject(f"dead-lettered after {starts - 1} starts", requeue=False)
        return super().__call__(*args, **kwargs)
