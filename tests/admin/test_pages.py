"""Every model has a working admin page, and stock changes in the admin are recorded as adjustments."""
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.conftest import client_for, deliver_outbox, place_order_via_api, stock_of

pytestmark = pytest.mark.django_db
CONTEXTS = ["shop", "orders", "inventory", "payments", "shipping", "notifications", "outbox", "reviews"]
INLINE_ONLY = {"orders.OrderLine", "inventory.ReservationLine", "orders.SagaStep"}  # shown inside their parent's page


def admin_models():
    return [
        model for label in CONTEXTS for model in apps.get_app_config(label).get_models()
        if model._meta.label not in INLINE_ONLY
    ]


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "root-pass")
    client.force_login(user)
    return client


def test_every_context_model_is_registered():
    missing = [model._meta.label for model in admin_models() if not admin.site.is_registered(model)]
    assert missing == []


def test_changelists_and_change_pages_render(admin_client, catalog, customer):
    place_order_via_api(customer, "MUG", 2)
    client_for(customer).post("/api/products/MUG/reviews/", {"rating": 4, "text": "ok"}, format="json")
    deliver_outbox()
    for model in admin_models():
        info = (model._meta.app_label, model._meta.model_name)
        response = admin_client.get(reverse("admin:%s_%s_changelist" % info))
        assert response.status_code == 200, info
        obj = model.objects.first()
        if obj is not None:
            assert admin_client.get(reverse("admin:%s_%s_change" % info, args=[obj.pk])).status_code == 200, info


def test_orders_can_be_filtered_by_status(admin_client, catalog, customer):
    place_order_via_api(customer, "MUG", 1)
    response = admin_client.get(reverse("admin:orders_order_changelist"), {"status__exact": "confirmed"})
    assert response.status_code == 200
    assert "1 order" in response.content.decode()


def test_stock_adjustment_in_the_admin_is_recorded(admin_client, catalog):
    from inventory.models import StockItem

    item = StockItem.objects.get(sku="MUG")
    url = reverse("admin:inventory_stockitem_change", args=[item.pk])
    response = admin_client.post(url, {
        "sku": "MUG", "low_stock_threshold": "", "adjustment": "-3", "adjustment_reason": "damaged in transit",
        "adjustments-TOTAL_FORMS": "0", "adjustments-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stock_of("MUG") == (7, 0, 0)
    adjustment = item.adjustments.first()
    assert (adjustment.delta, adjustment.reason, adjustment.actor) == (-3, "damaged in transit", "root")


def test_adjustment_without_a_reason_is_refused(admin_client, catalog):
    from inventory.models import StockItem

    item = StockItem.objects.get(sku="MUG")
    url = reverse("admin:inventory_stockitem_change", args=[item.pk])
    response = admin_client.post(url, {
        "sku": "MUG", "adjustment": "5", "adjustment_reason": "",
        "adjustments-TOTAL_FORMS": "0", "adjustments-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "Say why the stock changes." in response.content.decode()
    assert stock_of("MUG") == (10, 0, 0)


def test_breakers_page_shows_state_and_actions_work(admin_client, catalog, customer):
    from common.resilience.breaker import all_breakers

    place_order_via_api(customer, "MUG", 1)  # the checkout calls every boundary once
    url = reverse("admin:common_breakers")
    page = admin_client.get(url).content.decode()
    for name in ("inventory", "payments", "shipping"):
        assert name in page
    response = admin_client.post(url, {"breaker": "payments", "action": "force_open"})
    assert response.status_code == 302
    payments = next(b for b in all_breakers() if b.name == "payments")
    assert payments.state == "forced-open"
    assert place_order_via_api(customer, "MUG", 1)["status"] == "payment_pending"
    admin_client.post(url, {"breaker": "payments", "action": "reset"})
    assert payments.state == "closed"
    assert admin_client.post(url, {"breaker": "nope", "action": "reset"}).status_code == 302


def test_the_outbox_pages_have_no_database_choice_with_one_database(admin_client):
    for name in ("outboxevent", "delivery", "inboxrecord"):
        page = admin_client.get(reverse(f"admin:outbox_{name}_changelist")).content.decode()
        assert 'data-filter-title="database"' not in page and "?database=" not in page, name
    page = admin_client.get(reverse("admin:outbox_delivery_changelist")).content.decode()
    assert "outbox lag" in page and "database <strong>" not in page
