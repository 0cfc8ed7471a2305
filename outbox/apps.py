"""App config for the outbox: every context's handlers.py is imported when the apps are ready."""
from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox (events)"

    def ready(self):
        # Subscribers register themselves by decorator, like admin.py: the publisher never lists them.
        autodiscover_modules("handlers")
        from . import checks  # noqa: F401  (registers the visibility-timeout check)
        from .conf import outbox_settings

        outbox_settings.register_check()  # unknown keys and bad values of settings.OUTBOX fail manage.py check
