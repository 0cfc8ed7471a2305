"""App config for the scenarios (a tool, not a context: it talks to the shop over HTTP and reads its tables)."""
from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "scenarios"
