"""Admin for reviews: read them, find them by product or customer."""
from django.contrib import admin

from common.admin_utils import ReadOnlyAdminMixin

from .models import Review


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("sku", "rating", "customer_id", "created_at")
    list_filter = ("rating",)
    search_fields = ("sku", "customer_id", "text")
