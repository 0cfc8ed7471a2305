"""Admin for shipments, with an action to mark them dispatched."""
from django.contrib import admin, messages

from common.admin_utils import ReadOnlyAdminMixin
from common.errors import DomainError

from . import services
from .models import Shipment


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("tracking_code", "order_id", "status", "pickup_date", "created_at")
    list_filter = ("status", "pickup_date")
    search_fields = ("order_id", "tracking_code")
    actions = ["dispatch"]

    @admin.action(description="Mark selected shipments dispatched")
    def dispatch(self, request, queryset):
        for shipment in queryset:
            try:
                services.shipment_dispatch(shipment_id=shipment.pk)
            except DomainError as error:
                self.message_user(request, f"{shipment}: {error}", messages.ERROR)
