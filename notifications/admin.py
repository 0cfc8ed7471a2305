"""Admin for the log of sent messages."""
from django.contrib import admin

from common.admin_utils import ReadOnlyAdminMixin

from .models import Notification, OrderActivity


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "subject", "status", "sent_at")
    list_filter = ("kind", "status")
    search_fields = ("recipient", "order_id", "subject")


@admin.register(OrderActivity)
class OrderActivityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "event_name", "order_id", "summary")
    list_filter = ("event_name",)
    search_fields = ("order_id",)
