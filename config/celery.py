"""The Celery application; each context's tasks.py is discovered automatically."""
import os
from pathlib import Path

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun, worker_ready

from config import kombu_fixes

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

kombu_fixes.install()
app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _replace_broken_connections(task=None, **kwargs) -> None:
    # CELERY_DB_REUSE_MAX keeps connections across tasks, and Celery's fixup then looks at them only every
    # N tasks: after a database restart every task would fail on the dead connection until then (forever at
    # idle). Django's request-boundary check does it per task instead: a connection that raised is closed,
    # and a kept one is tested before its first query, so the next task reconnects. The test is a look at the
    # socket, not CONN_HEALTH_CHECKS' `SELECT 1` round trip per task, unless the server said something on it.
    from common.db import close_old_connections_trusting_quiet_ones

    if task is not None and task.request.is_eager:
        return  # run inside the caller (maybe in its transaction): the caller's connection, the caller's rules
    close_old_connections_trusting_quiet_ones()


@worker_ready.connect
def _tell_the_launcher(**_):
    # run_topology waits for this file: a worker is ready only once it consumes its queues.
    ready_file = os.environ.get("TOPOLOGY_READY_FILE")
    if ready_file:
        Path(ready_file).touch()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _stamp_trace_ids(logger=None, format=None, **_) -> None:
    # A worker replaces the root logger's handlers with its own (LOGGING's filter and format are gone): stamp its
    # records with the trace, span and correlation ids too, so a worker's line leads to its checkout's trace.
    from celery.app.log import TaskFormatter
    from django.utils.module_loading import import_string

    # Named by its path, as LOGGING names it: config reaches observability only through settings-like strings.
    TraceContextFilter = import_string("observability.logs.TraceContextFilter")
    stamped = format.replace("%(message)s", "[trace=%(trace_id)s span=%(span_id)s correlation=%(correlation_id)s] "
                                            "%(message)s")
    for handler in logger.handlers:
        handler.addFilter(TraceContextFilter())
        handler.setFormatter(TaskFormatter(stamped, use_color=False))
