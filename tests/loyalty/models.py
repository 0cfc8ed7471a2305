"""Effects of the test subscribers; no unique constraints, so a duplicate effect would show as a second row."""
from django.db import models


class PointsAward(models.Model):
    """Loyalty points given for an order."""

    order_id = models.CharField(max_length=64, db_index=True)
    customer_id = models.BigIntegerField()
    points = models.IntegerField()


class ProbeEffect(models.Model):
    """One run of a probe handler: which message, in which order, when it started."""

    event_id = models.UUIDField(db_index=True)
    subscriber = models.CharField(max_length=100)
    key = models.CharField(max_length=64)
    n = models.IntegerField()
    started_at = models.FloatField()  # time.time() when the handler started
    pid = models.IntegerField()
