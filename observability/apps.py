"""Observability: the communication map read from code and settings."""
from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Tools that look at the shop from outside its contexts; no context imports them."""

    name = "observability"
    default_auto_field = "django.db.models.BigAutoField"
