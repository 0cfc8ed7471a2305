"""Observability: the communication map read from code and settings, and this process's traces."""
from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Tools that look at the shop from outside its contexts; no context imports them."""

    name = "observability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from common.observers import register

        from . import boundary_spans, tracing

        if tracing.configure() is not None:
            register("boundary_try", boundary_spans.watch_try)
