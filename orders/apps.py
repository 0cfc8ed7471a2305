"""App config for orders."""
from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from .conf import orders_settings

        orders_settings.register_check()  # unknown keys and bad values fail manage.py check
