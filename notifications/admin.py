"""Admin for the log of sent messages."""
from django.contrib import admin

from common.admin_utils import ReadOnlyAdminMixin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "subject", "status", "sent_at")
    list_filter = ("kind", "status")
    search_fields = ("recipient", "order_id", "subject")
