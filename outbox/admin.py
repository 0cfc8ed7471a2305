"""Admin for messages and their deliveries on every database: filters, payloads, replay and retry, the outbox lag."""
from django.contrib import admin, messages
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Value
from django.db.models.functions import Concat
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from common.admin_utils import ReadOnlyAdminMixin, ReadOnlyInline
from common.db import aliases, using

from .models import Delivery, InboxRecord, OutboxEvent
from .selectors import outbox_status
from .wake import wake_now


DATABASE = "database"  # the query parameter naming the database a page shows


def database_of(request) -> str:
    """The alias a page shows: its `database` parameter, or the changelist's it came from; `default` else."""
    alias = request.GET.get(DATABASE) or QueryDict(request.GET.get("_changelist_filters", "")).get(DATABASE)
    return alias if alias in aliases() else DEFAULT_DB_ALIAS


class DatabaseFilter(admin.SimpleListFilter):
    """Which database's outbox the changelist shows: each has its own (hidden when there is one)."""

    title = "database"
    parameter_name = DATABASE

    def lookups(self, request, model_admin):
        return [(alias, alias) for alias in aliases()] if len(aliases()) > 1 else []

    def value(self):
        alias = super().value()
        return alias if alias in aliases() else DEFAULT_DB_ALIAS

    def choices(self, changelist):
        # No "All": the rows of several databases cannot be listed, paged or acted on as one queryset.
        for alias, title in self.lookup_choices:
            yield {"selected": self.value() == alias, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: alias})}

    def queryset(self, request, queryset):
        return queryset.using(self.value())


class OnChosenDatabase:
    """Django's multi-database admin pattern: get_queryset() reads the page's database."""

    def get_queryset(self, request):
        return super().get_queryset(request).using(database_of(request))


class PerDatabase(OnChosenDatabase):
    """A model admin whose rows, and everything its pages read or wake, are on the chosen database."""

    def changelist_view(self, request, extra_context=None):
        # using(): the filters' choices, the related rows and the actions' wake-up go to that database too.
        with using(database_of(request)):
            return super().changelist_view(request, extra_context)

    def changeform_view(self, request, *args, **kwargs):
        with using(database_of(request)):
            return super().changeform_view(request, *args, **kwargs)

    def get_list_filter(self, request):
        return (DatabaseFilter, *super().get_list_filter(request))


class DeliveryInline(OnChosenDatabase, ReadOnlyInline):
    model = Delivery
    fields = ("subscriber", "status", "attempts", "next_attempt_at", "last_error", "done_at")
    readonly_fields = fields


@admin.register(OutboxEvent)
class OutboxEventAdmin(PerDatabase, ReadOnlyAdminMixin, admin.ModelAdmin):
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
        with using(queryset.db):  # the relay of the database the rows are in
            count = queryset.filter(status__in=statuses).update(**changes)
            wake_now()
        self.message_user(request, f"{count} deliveries {verb}", messages.SUCCESS if count else messages.WARNING)


@admin.register(Delivery)
class DeliveryAdmin(PerDatabase, _Actions, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "event_name", "subscriber", "status", "attempts", "next_attempt_at", "short_error",
                    "created_at")
    list_filter = ("status", "subscriber", "event__name")
    search_fields = ("event__aggregate_id", "event__event_id", "subscriber")
    list_select_related = ("event",)
    readonly_fields = ("message", "subscriber", "status", "ordered", "aggregate_key", "attempts", "next_attempt_at",
                       "leased_until", "started_at", "last_error", "created_at", "updated_at", "done_at", "payload",
                       "headers")
    actions = ["replay", "retry_now", "dead_letter"]

    @admin.display(description="event", ordering="event__name")
    def event_name(self, obj):
        return f"{obj.event.name} v{obj.event.version}"

    @admin.display(description="last error")
    def short_error(self, obj):
        return (obj.last_error.strip().splitlines() or [""])[-1][:80]

    @admin.display(description="event")
    def message(self, obj):
        # Django's own link to a related row drops the database: name it, the message is in the same one.
        url = reverse("admin:outbox_outboxevent_change", args=[obj.event_id])
        return format_html('<a href="{}?{}={}">{}</a>', url, DATABASE, obj._state.db, obj.event)

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
        with using(queryset.db):
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
        alias = database_of(request)
        with using(alias):
            stats = {**outbox_status(), "database": alias if len(aliases()) > 1 else None}
        return super().changelist_view(request, {**(extra_context or {}), "outbox_stats": stats})


@admin.register(InboxRecord)
class InboxRecordAdmin(PerDatabase, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("processed_at", "event_id", "subscriber")
    list_filter = ("subscriber",)
    search_fields = ("event_id",)
