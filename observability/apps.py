"""Observability: the communication map read from code and settings, and the shop's Prometheus metrics."""
from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Tools that look at the shop from outside its contexts; no context imports them."""

    name = "observability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .metrics import install

        install()  # Celery task timings, this process counted by its kind
