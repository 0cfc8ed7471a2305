"""Admin helpers shared by the contexts."""
from django.contrib import admin


class ReadOnlyAdminMixin:
    """Rows that only services may change: the admin shows them but cannot add, edit or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """An inline that shows rows only."""

    extra = 0
    can_delete = False
