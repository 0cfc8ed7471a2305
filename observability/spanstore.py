"""A span processor that keeps the newest finished spans in the default database, so any process's spans
can be read back (the order waterfall) with no collector running. Bounded: at most `keep` rows, pruned in
bounded batches, and at most `buffer` spans waiting in memory (the oldest are dropped when it is full)."""
from __future__ import annotations

import collections
import json
import logging
import os
import threading
import time
from datetime import datetime, timezone

from django.db import connections
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import StatusCode, format_span_id, format_trace_id

logger = logging.getLogger(__name__)
PRUNE_BATCH = 5000
ORDER_ATTRIBUTE = "order_id"


class SpanStore(SpanProcessor):
    """Buffers ended spans; a thread of the process (restarted after a fork) writes them every `flush_seconds`
    (0: only when flush() is called). Writing never raises into the traced code: a failed batch is dropped."""

    def __init__(self, *, keep: int = 50000, flush_seconds: float = 1.0, buffer: int = 5000):
        self.keep, self.flush_seconds = keep, flush_seconds
        self._buffer: collections.deque = collections.deque(maxlen=buffer)
        self._write_lock = threading.Lock()
        self._pid: int | None = None
        self._written_since_prune = 0

    def on_end(self, span: ReadableSpan) -> None:
        self._buffer.append(span)
        if self.flush_seconds and self._pid != os.getpid():
            self._start_thread()  # first span of this process, or of a forked Celery child

    def _start_thread(self) -> None:
        self._pid = os.getpid()
        threading.Thread(target=self._loop, name="span-store", daemon=True).start()

    def _loop(self) -> None:
        pid = os.getpid()
        while self._pid == pid:
            time.sleep(self.flush_seconds)
            self.flush()

    def discard(self) -> None:
        """Forget the buffered spans, unwritten."""
        self._buffer.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self.flush()
        return True

    def shutdown(self) -> None:
        if self.flush_seconds:  # a process that writes its spans as it goes writes the last ones as it exits
            self.flush()

    def flush(self) -> int:
        """Write every buffered span now; the number written (0 when the database refused the batch)."""
        with self._write_lock, suppress_instrumentation():  # the store's own queries are not traced
            spans = []
            while self._buffer:
                try:
                    spans.append(self._buffer.popleft())
                except IndexError:
                    break
            if not spans:
                return 0
            try:
                self._write(spans)
            except Exception as error:  # the database is away or busy: these spans are lost, the shop goes on
                logger.warning("span store: %s spans dropped (%s)", len(spans), error)
                connections["default"].close()
                return 0
            finally:
                if threading.current_thread().name == "span-store":
                    # Not kept between flushes: a connection per process held for spans would count against
                    # the server's max_connections beside the process's own.
                    connections["default"].close()
            return len(spans)

    def _write(self, spans: list[ReadableSpan]) -> None:
        from .models import SpanRecord

        SpanRecord.objects.using("default").bulk_create([record(span) for span in spans], batch_size=500)
        self._written_since_prune += len(spans)
        if self._written_since_prune >= max(self.keep // 10, 100):
            self._written_since_prune = 0
            prune(keep=self.keep)


def prune(*, keep: int, batches: int = 20) -> int:
    """Delete the oldest rows beyond the newest `keep`, at most `batches` x PRUNE_BATCH per call; rows deleted."""
    from .models import SpanRecord

    rows = SpanRecord.objects.using("default")
    newest = rows.order_by("-id").values_list("id", flat=True).first()
    if newest is None:
        return 0
    deleted = 0
    for _ in range(batches):
        ids = list(rows.filter(id__lte=newest - keep).order_by("id").values_list("id", flat=True)[:PRUNE_BATCH])
        if not ids:
            break
        deleted += rows.filter(id__in=ids).delete()[0]
    return deleted


def _plain(value):
    return value if isinstance(value, (str, int, float, bool)) or value is None else json.dumps(list(value))


def record(span: ReadableSpan):
    """The row for one finished span."""
    from .models import SpanRecord

    context, parent = span.get_span_context(), span.parent
    attributes = {key: _plain(value) for key, value in (span.attributes or {}).items()}
    error = span.status.status_code == StatusCode.ERROR
    return SpanRecord(
        trace_id=format_trace_id(context.trace_id), span_id=format_span_id(context.span_id),
        parent_id=format_span_id(parent.span_id) if parent is not None else "",
        name=span.name[:200], service=str(span.resource.attributes.get("service.name", ""))[:80],
        kind=span.kind.name.lower()[:12],
        started_at=datetime.fromtimestamp(span.start_time / 1e9, tz=timezone.utc),
        duration_us=max(0, (span.end_time or span.start_time) - span.start_time) // 1000,
        error=error, status_message=(span.status.description or "")[:300],
        order_id=str(attributes.get(ORDER_ATTRIBUTE) or "")[:36], attributes=attributes,
        links=[{"trace_id": format_trace_id(link.context.trace_id), "span_id": format_span_id(link.context.span_id)}
               for link in span.links],
    )
