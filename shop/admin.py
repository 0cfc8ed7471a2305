"""Admin for the catalog, its ratings (kept from reviews' events) and the stored idempotent responses."""
from django.contrib import admin

from common.admin_utils import ReadOnlyAdminMixin

from .models import IdempotencyRecord, Product, ProductRating


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "price_amount", "price_currency", "active")
    list_filter = ("active", "price_currency")
    list_editable = ("active",)
    search_fields = ("sku", "name")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("key", "user", "response_status", "created_at", "completed_at")
    search_fields = ("key", "user__username")


@admin.register(ProductRating)
class ProductRatingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("sku", "count", "rating_sum", "updated_at")
    search_fields = ("sku",)
