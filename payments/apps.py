"""App config for payments."""
from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        from .conf import payments_settings

        payments_settings.register_check()  # unknown keys and bad values fail manage.py check
