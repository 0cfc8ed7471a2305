"""App config for inventory."""
from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self):
        from .conf import inventory_settings

        inventory_settings.register_check()  # unknown keys and bad values fail manage.py check
