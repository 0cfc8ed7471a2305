"""Admin for orders: lines inline, filters by status, and a cancel action that goes through the checkout."""
from django.contrib import admin, messages

from common.admin_utils import ReadOnlyAdminMixin, ReadOnlyInline
from common.errors import BoundaryUnavailable, DomainError

from . import checkout
from .models import Order, OrderLine


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("sku", "name", "quantity", "unit_price", "line_total")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "customer_id", "email", "status", "total_amount", "currency", "created_at")
    list_filter = ("status", "cancel_code", "created_at")
    search_fields = ("id", "email", "customer_id")
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    actions = ["cancel_orders"]

    @admin.action(description="Cancel selected orders (refund and return stock)")
    def cancel_orders(self, request, queryset):
        for order in queryset:
            try:
                checkout.order_cancel(order=order, reason=f"cancelled by staff ({request.user.get_username()})")
            except (DomainError, BoundaryUnavailable) as error:
                self.message_user(request, f"{order}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{order}: cancelled", messages.SUCCESS)
