"""App config for the shop."""
from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop (catalog and storefront)"
