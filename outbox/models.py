"""Stored events: one row per event, written in the same transaction as the change it records."""
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class OutboxEvent(models.Model):
    """An event as published: a stable name and version, the aggregate it is about, and its payload."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    aggregate_type = models.CharField(max_length=50)
    aggregate_id = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    headers = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["aggregate_type", "aggregate_id"])]

    def __str__(self):
        return f"{self.name} v{self.version} {self.aggregate_type}:{self.aggregate_id}"
