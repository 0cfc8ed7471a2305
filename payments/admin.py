"""Admin for payments, with a refund action that goes through the service."""
from django.contrib import admin, messages

from common.admin_utils import ReadOnlyAdminMixin
from common.errors import DomainError

from . import services
from .models import Invoice, Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "order_id", "amount", "currency", "status", "decline_reason", "created_at")
    list_filter = ("status", "decline_reason")
    search_fields = ("order_id", "provider_ref")
    actions = ["refund"]

    @admin.action(description="Refund selected payments")
    def refund(self, request, queryset):
        for payment in queryset.filter(status=Payment.Status.CHARGED):
            try:
                services.payment_refund(order_id=str(payment.order_id))
            except DomainError as error:
                self.message_user(request, f"{payment}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"refunded {payment}", messages.SUCCESS)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("number", "order_id", "customer_id", "amount", "currency", "created_at")
    search_fields = ("order_id",)
