"""Observability: the communication map read from code and settings, the shop's Prometheus metrics and this
process's traces."""
from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Tools that look at the shop from outside its contexts; no context imports them."""

    name = "observability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from common.observers import register

        from . import boundary_spans, tracing
        from .metrics import install

        install()  # Celery task timings, this process counted by its kind
        if tracing.configure() is not None:
            register("boundary_try", boundary_spans.watch_try)
