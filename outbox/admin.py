"""Admin for messages and their deliveries: filters, payloads, replay and retry, and the outbox lag."""
from django.contrib import admin, messages
from django.db.models import Value
from django.db.models.functions import Concat
from django.utils import timezone

from common.admin_utils import ReadOnlyAdminMixin, ReadOnlyInline

from .models import Delivery, InboxRecord, OutboxEvent
from .selectors import outbox_status
from .wake import wake_now


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("subscriber", "status", "attempts", "next_attempt_at", "last_error", "done_at")
    readonly_fields = fields


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "name", "version", "aggregate_type", "aggregate_id", "occurred_at", "dispatched_at")
    list_filter = ("name", "aggregate_type", ("dispatched_at", admin.EmptyFieldListFilter))
    search_fields = ("aggregate_id", "event_id")
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    inlines = [DeliveryInline]


class _Actions:
    def _reset(self, request, queryset, statuses, *, fresh: bool, verb: str):
        changes = {"status": Delivery.Status.PENDING, "next_attempt_at": timezone.now(), "leased_until": None,
                   "started_at": None, "updated_at": timezone.now()}
        if fresh:
            changes["attempts"] = 0
        count = queryset.filter(status__in=statuses).update(**changes)
        wake_now()
        self.message_user(request, f"{count} deliveries {verb}", messages.SUCCESS if count else messages.WARNING)


@admin.register(Delivery)
class DeliveryAdmin(_Actions, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "event_name", "subscriber", "status", "attempts", "next_attempt_at", "short_error",
                    "created_at")
    list_filter = ("status", "subscriber", "event__name")
    search_fields = ("event__aggregate_id", "event__event_id", "subscriber")
    list_select_related = ("event",)
    readonly_fields = ("event", "subscriber", "status", "ordered", "aggregate_key", "attempts", "next_attempt_at",
                       "leased_until", "started_at", "last_error", "created_at", "updated_at", "done_at", "payload",
                       "headers")
    actions = ["replay", "retry_now", "dead_letter"]

    @admin.display(description="event", ordering="event__name")
    def event_name(self, obj):
        return f"{obj.event.name} v{obj.event.version}"

    @admin.display(description="last error")
    def short_error(self, obj):
        return (obj.last_error.strip().splitlines() or [""])[-1][:80]

    def payload(self, obj):
        return obj.event.payload

    def headers(self, obj):
        return obj.event.headers

    @admin.action(description="Replay selected deliveries that are not done (attempts start again)")
    def replay(self, request, queryset):
        # A done one is left alone: its inbox record would make a replay a no-op anyway.
        self._reset(request, queryset, [Delivery.Status.DEAD, Delivery.Status.FAILED, Delivery.Status.PENDING,
                                        Delivery.Status.IN_FLIGHT], fresh=True, verb="replayed")

    @admin.action(description="Dead-letter selected deliveries that are not done (no more attempts)")
    def dead_letter(self, request, queryset):
        now = timezone.now()
        count = queryset.exclude(status__in=[Delivery.Status.DONE, Delivery.Status.DEAD]).update(
            status=Delivery.Status.DEAD, leased_until=None, updated_at=now,
            last_error=Concat(Value(f"dead-lettered by {request.user.get_username()} at {now:%Y-%m-%d %H:%M:%S}"
                                    f"\n"), "last_error"),
        )
        wake_now()  # an ordered delivery behind it may go now
        self.message_user(request, f"{count} deliveries dead-lettered", messages.SUCCESS if count else messages.WARNING)

    @admin.action(description="Retry selected failed or pending deliveries now")
    def retry_now(self, request, queryset):
        self._reset(request, queryset, [Delivery.Status.FAILED, Delivery.Status.PENDING], fresh=False,
                    verb="due now")

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "outbox_stats": outbox_status()})


@admin.register(InboxRecord)
class InboxRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("processed_at", "event_id", "subscriber")
    list_filter = ("subscriber",)
    search_fields = ("event_id",)
