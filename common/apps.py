"""App config for the shared kernel."""
from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"

    def ready(self):
        from .conf import common_settings

        common_settings.register_check()  # unknown keys and bad values fail manage.py check
