"""The topology app: only its run_topology command (no models)."""
from django.apps import AppConfig


class TopologyConfig(AppConfig):
    """Registers `manage.py run_topology`."""

    name = "topology"
