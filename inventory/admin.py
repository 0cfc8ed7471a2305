"""Admin for stock: quantities change only through recorded adjustments; reservations are shown."""
from django import forms
from django.contrib import admin, messages

from common.admin_utils import ReadOnlyAdminMixin, ReadOnlyInline
from common.errors import QUANTITY_MAX, DomainError

from . import services
from .models import Reservation, ReservationLine, StockAdjustment, StockItem


class StockItemForm(forms.ModelForm):
    adjustment = forms.IntegerField(
        required=False, min_value=-QUANTITY_MAX, max_value=QUANTITY_MAX, help_text="Units to add (or, negative, to remove) from the free stock."
    )
    adjustment_reason = forms.CharField(required=False, max_length=200, help_text="Why (kept on record).")

    class Meta:
        model = StockItem
        fields = ("sku", "low_stock_threshold")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("adjustment") and not cleaned.get("adjustment_reason"):
            self.add_error("adjustment_reason", "Say why the stock changes.")
        return cleaned


class StockAdjustmentInline(ReadOnlyInline):
    model = StockAdjustment
    fields = ("created_at", "delta", "reason", "actor")
    readonly_fields = fields


@admin.register(StockItem)
class StockItemAdmin(admin.ModelAdmin):
    form = StockItemForm
    list_display = ("sku", "on_hand", "reserved", "sold", "low_stock_threshold", "updated_at")
    search_fields = ("sku",)
    readonly_fields = ("on_hand", "reserved", "sold")
    inlines = [StockAdjustmentInline]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("sku",) if obj else ())

    def save_model(self, request, obj, form, change):
        obj.save()
        delta = form.cleaned_data.get("adjustment") or 0
        if delta:
            try:
                services.stock_adjust(
                    sku=obj.sku, delta=delta, reason=form.cleaned_data["adjustment_reason"],
                    actor=request.user.get_username(),
                )
            except DomainError as error:
                self.message_user(request, str(error), messages.ERROR)


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "stock_item", "delta", "reason", "actor")
    list_filter = ("actor",)
    search_fields = ("stock_item__sku", "reason")


class ReservationLineInline(ReadOnlyInline):
    model = ReservationLine
    fields = ("sku", "quantity")


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "order_id", "status", "created_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("order_id",)
    inlines = [ReservationLineInline]
