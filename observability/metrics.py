"""The shop's Prometheus metrics, and the observer (common/observers.py) that records them.

Every name starts with `shop_`, counts end in `_total`, durations in `_seconds` (docs/observability.md,
"Metrics", lists them with their labels; a test keeps that list in step with this module). With
PROMETHEUS_MULTIPROC_DIR set (run_topology sets it), every process writes its samples to files there and
any /metrics of a process sharing the directory serves them all (observability/scrape.py).
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from prometheus_client import Counter, Gauge, Histogram

from common.errors import BoundaryTimeout, BoundaryUnavailable, DomainError, NotYetKnown
from common.observers import Observer
from common.resilience.breaker import BreakerOpen
from common.runtime import runtime

# Seconds. A local boundary call takes tens of microseconds, a remote one a millisecond or more; a message
# waits from milliseconds to the minutes of a backoff.
CALL_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
WAIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

BOUNDARY_CALL = Histogram(
    "shop_boundary_call_seconds", "Boundary calls as the caller sees them (every try, backoff and fallback included).",
    ["caller", "boundary", "operation", "transport", "outcome"], buckets=CALL_BUCKETS)
BOUNDARY_RETRIES = Counter("shop_boundary_retries_total", "Tries made again after a failed one.",
                           ["boundary", "operation", "transport"])
BOUNDARY_FALLBACKS = Counter("shop_boundary_fallbacks_total", "Calls answered by the operation's fallback.",
                             ["boundary", "operation", "transport"])
FAULTS_INJECTED = Counter("shop_faults_injected_total", "Faults injected by a fault rule (kind: delay or abort).",
                          ["boundary", "kind"])
BREAKER_STATE = Gauge("shop_breaker_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open (the highest "
                      "among live processes).", ["boundary"], multiprocess_mode="livemax")
BREAKER_TRANSITIONS = Counter("shop_breaker_transitions_total", "Circuit breaker state changes.",
                              ["boundary", "from_state", "to_state"])
HANDLER = Histogram("shop_outbox_handler_seconds", "One run of a subscriber's handler for one message.",
                    ["subscriber", "message", "outcome"], buckets=CALL_BUCKETS)
DELIVERY_LATENCY = Histogram(
    "shop_outbox_delivery_latency_seconds", "From a message's occurrence to the end of its handler's successful run.",
    ["subscriber", "message"], buckets=WAIT_BUCKETS)
SAGA_STEP = Histogram("shop_saga_step_seconds", "One try of a checkout step or compensation.",
                      ["mode", "step", "kind", "outcome"], buckets=CALL_BUCKETS)
SAGA = Histogram("shop_saga_seconds", "A checkout from its start to its end (completed or compensated).",
                 ["mode", "outcome"], buckets=WAIT_BUCKETS)
CELERY_TASK = Histogram("shop_celery_task_seconds", "A Celery task's run in a worker, by its final state.",
                        ["task", "state"], buckets=CALL_BUCKETS)
CELERY_QUEUED = Histogram("shop_celery_task_queued_seconds", "From a task's sending to its start in a worker "
                          "(wall clocks of two processes).", ["task"], buckets=WAIT_BUCKETS)
PROCESSES = Gauge("shop_processes", "Live processes of each kind writing metrics.", ["kind"],
                  multiprocess_mode="livesum")

ALL = (BOUNDARY_CALL, BOUNDARY_RETRIES, BOUNDARY_FALLBACKS, FAULTS_INJECTED, BREAKER_STATE, BREAKER_TRANSITIONS,
       HANDLER, DELIVERY_LATENCY, SAGA_STEP, SAGA, CELERY_TASK, CELERY_QUEUED, PROCESSES)
BREAKER_LEVELS = {"closed": 0, "forced-closed": 0, "half-open": 1, "open": 2, "forced-open": 2}
_children: dict = runtime.store("metrics.children", built_from={"BOUNDARIES"})


def _transport(boundary: str) -> str:
    return settings.BOUNDARIES.get(boundary, {}).get("transport", "local")


def _caller(frame) -> str:
    """The context whose code made the call: the first module up the stack outside the shared kernel."""
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(("common.", "observability.")):
            return module.split(".", 1)[0] or "unknown"
        frame = frame.f_back
    return "unknown"


def _outcome(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return "domain_error"  # the far side answered: a business "no"
    if isinstance(error, BreakerOpen):
        return "breaker_open"
    if isinstance(error, BoundaryTimeout):
        return "timeout"
    if isinstance(error, BoundaryUnavailable):
        return "unavailable"
    return "error"


class PrometheusObserver(Observer):
    """Records what common/observers.py reports as the metrics above."""

    def __init__(self):
        self._local = threading.local()

    def boundary_call(self, boundary, operation, invoke, target, args, kwargs):
        started = time.perf_counter()
        self._local.fallback = None
        try:
            result = invoke(boundary, operation, target, args, kwargs)
        except BaseException as error:
            self._observe(sys._getframe(1), boundary, operation, _outcome(error), time.perf_counter() - started)
            raise
        outcome = "fallback" if self._local.fallback == (boundary, operation) else "ok"
        self._observe(sys._getframe(1), boundary, operation, outcome, time.perf_counter() - started)
        return result

    def _observe(self, frame, boundary, operation, outcome, seconds):
        caller = _caller(frame)
        key = (caller, boundary, operation, outcome)
        child = _children.get(key)
        if child is None:
            child = _children[key] = BOUNDARY_CALL.labels(caller, boundary, operation, _transport(boundary), outcome)
        child.observe(seconds)

    def boundary_retry(self, boundary, operation):
        BOUNDARY_RETRIES.labels(boundary, operation, _transport(boundary)).inc()

    def boundary_fallback(self, boundary, operation):
        self._local.fallback = (boundary, operation)
        BOUNDARY_FALLBACKS.labels(boundary, operation, _transport(boundary)).inc()

    def fault_injected(self, boundary, kind):
        FAULTS_INJECTED.labels(boundary, kind).inc()

    def breaker_changed(self, boundary, old, new):
        BREAKER_TRANSITIONS.labels(boundary, old, new).inc()
        BREAKER_STATE.labels(boundary).set(BREAKER_LEVELS.get(new, 2))

    def handling(self, subscriber, envelope):
        return _Handling(subscriber.name, envelope)

    def saga_step(self, *, mode, step, kind, outcome, seconds):
        SAGA_STEP.labels(mode, step, kind, outcome).observe(seconds)

    def saga_ended(self, *, mode, outcome, seconds):
        SAGA.labels(mode, outcome).observe(seconds)

    def process_exited(self, pid):
        mark_process_dead(pid)


class _Handling:
    """Times one handler run; a successful one also records how long its message took to get there."""

    __slots__ = ("subscriber", "envelope", "started")

    def __init__(self, subscriber: str, envelope):
        self.subscriber, self.envelope = subscriber, envelope

    def __enter__(self):
        self.started = time.perf_counter()

    def __exit__(self, kind, error, traceback):
        seconds = time.perf_counter() - self.started
        outcome = "ok" if kind is None else "waiting" if issubclass(kind, NotYetKnown) else "error"
        HANDLER.labels(self.subscriber, self.envelope.name, outcome).observe(seconds)
        if kind is None:
            waited = (timezone.now() - self.envelope.occurred_at).total_seconds()
            DELIVERY_LATENCY.labels(self.subscriber, self.envelope.name).observe(max(waited, 0.0))
        return False


def reset() -> None:
    """Forget every sample of this process (runtime.reset() calls it: each test starts with none)."""
    for metric in ALL:
        metric.clear()


runtime.on_reload(reset)


# --- processes: Celery tasks, process kinds, dead processes ------------------------------------

_task_started: dict[str, float] = {}
SENT_AT = "shop_sent_at"  # a message header: when the task was sent (time.time() of the sender)


def _before_publish(headers=None, **_):
    if headers is not None:
        headers[SENT_AT] = time.time()


def _task_prerun(task_id=None, task=None, **_):
    _task_started[task_id] = time.perf_counter()
    sent_at = getattr(task.request, SENT_AT, None) if task is not None else None
    if isinstance(sent_at, (int, float)):  # not for an eager task: it was never sent
        CELERY_QUEUED.labels(task.name).observe(max(time.time() - sent_at, 0.0))


def _task_postrun(task_id=None, task=None, state=None, **_):
    started = _task_started.pop(task_id, None)
    if started is not None and task is not None:
        CELERY_TASK.labels(task.name, state or "UNKNOWN").observe(time.perf_counter() - started)


def multiprocess_dir() -> str | None:
    """The directory every process writes its samples to (PROMETHEUS_MULTIPROC_DIR), or None: one process."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def mark_process_dead(pid: int) -> None:
    """Drop a dead process's live gauges (prometheus_client's multiprocess rule); nothing in one process."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def process_kind(argv: list[str]) -> str | None:
    """web, serve_context:<context>, worker, beat or relay, read from the command line; None for others."""
    program = Path(argv[0]) if argv else Path()
    runs = {program.name, program.parent.name}  # `python -m celery` is .../celery/__main__.py
    if "celery" in runs:
        return "beat" if "beat" in argv else "worker" if "worker" in argv else None
    if "gunicorn" in runs or argv[1:2] == ["runserver"]:
        return "web"
    if argv[1:2] == ["serve_context"] and len(argv) > 2:
        return f"serve_context:{argv[2]}"
    if argv[1:2] == ["relay_outbox"]:
        return "relay"
    return None


def install() -> None:
    """Connect the Celery signals and count this process by its kind (observability's AppConfig.ready)."""
    from celery.signals import before_task_publish, task_postrun, task_prerun, worker_process_shutdown

    before_task_publish.connect(_before_publish, weak=False, dispatch_uid="shop-metrics-publish")
    task_prerun.connect(_task_prerun, weak=False, dispatch_uid="shop-metrics-prerun")
    task_postrun.connect(_task_postrun, weak=False, dispatch_uid="shop-metrics-postrun")
    worker_process_shutdown.connect(lambda **_: mark_process_dead(os.getpid()), weak=False,
                                    dispatch_uid="shop-metrics-child-exit")
    if multiprocess_dir():  # a missing directory would make every sample written (so every call) fail
        os.makedirs(multiprocess_dir(), exist_ok=True)
    kind = process_kind(sys.argv)
    if kind:
        PROCESSES.labels(kind).set(1)
    port = getattr(settings, "METRICS", {}).get("PORT")
    if port and kind in ("worker", "relay", "beat"):  # the web and context servers serve /metrics themselves
        from .exporter import serve_metrics

        serve_metrics(port)
