"""The database router: each context's models on its own database (settings.CONTEXT_DATABASES).

A context not named stays on `default`, with Django's own apps (users, tokens, sessions, Celery results) and the
storefront. The outbox's tables (messages, deliveries, inbox) are on every database: each context owns its
outbox and inbox, so a service commits its change and its messages in one local transaction.
"""
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from common.db import current_alias

EVERYWHERE = frozenset({"outbox"})


class ContextRouter:
    """Reads and writes by the model's app label; migrations of a context only on its alias."""

    def _alias(self, model, **hints):
        label = model._meta.app_label
        if label in EVERYWHERE:
            instance = hints.get("instance")
            return instance._state.db if instance is not None and instance._state.db else current_alias()
        return settings.CONTEXT_DATABASES.get(label, DEFAULT_DB_ALIAS)

    db_for_read = _alias
    db_for_write = _alias

    def allow_relation(self, obj1, obj2, **hints):
        return obj1._state.db == obj2._state.db

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label in EVERYWHERE:
            return True
        return settings.CONTEXT_DATABASES.get(app_label, DEFAULT_DB_ALIAS) == db
