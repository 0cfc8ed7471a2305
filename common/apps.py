"""App config for the shared kernel."""
from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"

    def ready(self):
        from django.core.signals import request_started

        from .conf import common_settings
        from .db import trust_quiet_connections

        common_settings.register_check()  # unknown keys and bad values fail manage.py check
        # After Django's close_old_connections (connected when django.db is imported): a request on a kept
        # connection the server has not spoken on pays no `SELECT 1` (in split, one per call between contexts).
        request_started.connect(trust_quiet_connections, dispatch_uid="common.db.trust_quiet_connections")
