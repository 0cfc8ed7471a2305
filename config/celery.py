"""The Celery application; each context's tasks.py is discovered automatically."""
import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _tell_the_launcher(**_):
    # run_topology waits for this file: a worker is ready only once it consumes its queues.
    ready_file = os.environ.get("TOPOLOGY_READY_FILE")
    if ready_file:
        Path(ready_file).touch()
