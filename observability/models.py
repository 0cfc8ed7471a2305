"""The span store: the newest finished spans of every process, kept in the default database (bounded)."""
from django.db import models


class SpanRecord(models.Model):
    """One finished span as the waterfall reads it; written in batches by observability.spanstore.SpanStore."""

    trace_id = models.CharField(max_length=32, db_index=True)
    span_id = models.CharField(max_length=16)
    parent_id = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=200)
    service = models.CharField(max_length=80)  # the process: web, orders, worker:payments, relay...
    kind = models.CharField(max_length=12)
    started_at = models.DateTimeField()
    duration_us = models.BigIntegerField()
    error = models.BooleanField(default=False)
    status_message = models.CharField(max_length=300, blank=True)
    order_id = models.CharField(max_length=36, blank=True, db_index=True)  # the span's `order_id` attribute
    attributes = models.JSONField(default=dict)
    links = models.JSONField(default=list)  # [{"trace_id": ..., "span_id": ...}]: e.g. a handler to its delivery

    class Meta:
        indexes = [models.Index(fields=["trace_id", "started_at"], name="span_trace_started")]

    def __str__(self):
        return f"{self.service}: {self.name} ({self.duration_us} µs)"
