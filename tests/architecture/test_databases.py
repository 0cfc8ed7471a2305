"""Each context's data can live in a database of its own: no foreign key crosses contexts, and the router and the
query guard (tests/dbguard.py) really put each table on one database and catch a query that reaches another."""
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, models
from django.test.utils import isolate_apps

from common.db import alias_for, atomic_for, current_alias, using
from config.routers import ContextRouter
from tests.dbguard import CrossDatabaseQuery, no_cross_database_queries

# The contexts (an app with an api.py), and the shared apps whose tables every database holds.
EVERYWHERE = {"outbox"}
CONTEXTS = {app.label for app in apps.get_app_configs() if (Path(app.path) / "api.py").exists()} - EVERYWHERE


def crossing_foreign_keys(model_list) -> list[str]:
    """Relations from one context's model to another app's, or from any app to a context's or the outbox's."""
    crossing = []
    for model in model_list:
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            source, target = model._meta.app_label, field.related_model._meta.app_label
            if source != target and ({source, target} & (CONTEXTS | EVERYWHERE)):
                crossing.append(f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}")
    return crossing


def test_no_foreign_key_crosses_contexts():
    assert crossing_foreign_keys(apps.get_models()) == []


@isolate_apps("orders", "inventory")
def test_a_foreign_key_into_another_context_is_caught():
    class Order(models.Model):
        class Meta:
            app_label = "orders"

    class Reservation(models.Model):
        order = models.ForeignKey(Order, on_delete=models.CASCADE)

        class Meta:
            app_label = "inventory"

    assert crossing_foreign_keys([Order, Reservation]) == ["inventory.Reservation.order -> orders.Order"]


def test_the_router_puts_each_context_on_its_database_and_the_outbox_on_every_one(settings):
    settings.CONTEXT_DATABASES = {"orders": "orders", "reviews": "reviews"}  # any context, by its app label
    router = ContextRouter()
    order, delivery, user = apps.get_model("orders", "Order"), apps.get_model("outbox", "Delivery"), \
        apps.get_model("auth", "User")
    assert router.db_for_write(order) == "orders" and router.db_for_read(user) == "default"
    assert alias_for("reviews") == "reviews" and alias_for("payments") == "default"
    assert router.allow_migrate("orders", "orders") and not router.allow_migrate("default", "orders")
    assert router.allow_migrate("orders", "outbox") and router.allow_migrate("default", "outbox")
    assert not router.allow_migrate("orders", "auth")
    assert router.db_for_write(delivery) == "default"
    with using("orders"):
        assert router.db_for_write(delivery) == "orders" and current_alias() == "orders"
    assert current_alias() == "default"


@pytest.mark.django_db
def test_atomic_for_opens_the_transaction_on_the_contexts_database():
    with atomic_for("orders"):
        assert connection.in_atomic_block and current_alias() == alias_for("orders")
    assert current_alias() == "default"


@pytest.mark.django_db
def test_the_guard_fails_a_query_that_names_another_databases_table():
    # Two tables of this test's own, as if the router put the second one on another database.
    tables = {"default": {"guard_probe"}, "elsewhere": {"guard_probe_line"}}
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE guard_probe (id int)")
        cursor.execute("CREATE TEMPORARY TABLE guard_probe_line (id int)")
    with no_cross_database_queries(tables):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM guard_probe")  # its own table
            with pytest.raises(CrossDatabaseQuery, match="guard_probe_line"):
                cursor.execute("SELECT count(*) FROM guard_probe JOIN guard_probe_line ON 1 = 0")
    with connection.cursor() as cursor:  # the guard is gone with the block
        cursor.execute("SELECT count(*) FROM guard_probe_line")
