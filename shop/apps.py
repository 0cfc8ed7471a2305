"""App config for the shop."""
from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop (catalog and storefront)"

    def ready(self):
        from .conf import shop_settings

        shop_settings.register_check()  # unknown keys and bad values fail manage.py check
