"""Admin for orders: lines inline, filters by status, and a cancel action that goes through the checkout."""
from django.contrib import admin, messages

from common.admin_utils import ReadOnlyAdminMixin, ReadOnlyInline
from common.errors import BoundaryUnavailable, DomainError
from outbox.api import messages_about

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from . import saga
from .models import CheckoutSaga, Order, OrderLine, SagaStep


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
    readonly_fields = ("checkout_log", "trace")

    @admin.display(description="Trace")
    def trace(self, order):
        # The waterfall is observability's page (it reads every process's spans); orders only links to it.
        return format_html('<a href="{}" id="order-trace-link">Trace of this checkout (waterfall)</a>',
                           reverse("order-trace", args=[order.pk]))

    @admin.display(description="Checkout (steps, compensations and requests; the event chain for older orders)")
    def checkout_log(self, order):
        steps = SagaStep.objects.filter(saga_id=order.pk)
        if not steps:
            events = messages_about(context="orders", aggregate_type="order", aggregate_id=str(order.pk))
            rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", (
                (e.occurred_at.strftime("%H:%M:%S.%f")[:-3], e.name, e.headers.get("causation_id", ""))
                for e in events))
            return format_html("<table><tr><th>at</th><th>event</th><th>caused by (event id)</th></tr>{}</table>",
                               rows)
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>#{}</td><td>{}</td><td>{}</td></tr>",
            ((s.started_at.strftime("%H:%M:%S.%f")[:-3], s.kind, s.name, s.attempt, s.outcome, s.error)
             for s in steps),
        )
        return format_html("<table><tr><th>at</th><th>kind</th><th>step</th><th>try</th><th>outcome</th>"
                           "<th>error</th></tr>{}</table>", rows)

    @admin.action(description="Cancel selected orders (refund and return stock)")
    def cancel_orders(self, request, queryset):
        for order in queryset:
            try:
                saga.checkout_cancel(order=order, reason=f"cancelled by staff ({request.user.get_username()})")
            except (DomainError, BoundaryUnavailable) as error:
                self.message_user(request, f"{order}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{order}: cancelled", messages.SUCCESS)


class SagaStepInline(ReadOnlyInline):
    model = SagaStep
    fields = ("started_at", "finished_at", "kind", "name", "attempt", "outcome", "error")
    readonly_fields = fields


@admin.register(CheckoutSaga)
class CheckoutSagaAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("order", "state", "step", "attempts", "waiting", "deadline", "updated_at")
    list_filter = ("state", "step", "waiting")
    search_fields = ("order__id",)
    exclude = ("payment_token",)
    inlines = [SagaStepInline]
    actions = ["resume_now"]

    @admin.action(description="Resume selected sagas now (if nobody runs them)")
    def resume_now(self, request, queryset):
        for checkout_saga in queryset:
            order = saga.saga_resume(order_id=str(checkout_saga.pk))
            self.message_user(request, f"{order}: {order.status}")
