"""The checkout benchmark's floor: a bare Django view writing an order's rows in one transaction, served by gunicorn.

    gunicorn bench._floor:application --worker-class gthread ...   (DJANGO_SETTINGS_MODULE, DATABASE_URL set)

The same rows a confirmed checkout leaves: the order and its lines, the stock update with its reservation and
lines, the payment, the shipment, and the same six outbox messages (OrderPlaced, ItemsReserved,
PaymentProcessed, ShipmentScheduled, OrderConfirmed, SendOrderConfirmation) written by outbox.api.publish.
It prices the lines from the catalog as the storefront does. What it leaves out is what the benchmark
measures: DRF, authentication, validation, the Idempotency-Key record, the saga and its log, the boundaries'
policy layer and transports, and the steps' separate transactions.

With FLOOR_TRANSACTIONS=per-context the same view writes each context's rows in a transaction of its own: five
(the order placed, the stock reserved, the payment, the shipment, the order confirmed, which is then an UPDATE),
the fewest a checkout needs whose contexts can each move to a database of their own. bench/checkout.py shows it as
a second row beside the floor, for information: the targets stay against the one-transaction floor.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import os
import sys
import types
import uuid

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

# The bench reaches into every context's models and events on purpose: it is the floor, not the shop.
from common.money import Money  # noqa: E402
from inventory.api import ItemsReserved, StockLine  # noqa: E402
from inventory.models import Reservation, ReservationLine, StockItem  # noqa: E402
from notifications.api import SendOrderConfirmation  # noqa: E402
from orders.api import OrderConfirmed, OrderPlaced, PricedLine  # noqa: E402
from orders.models import Order, OrderLine  # noqa: E402
from outbox.api import publish  # noqa: E402
from payments.api import PaymentProcessed  # noqa: E402
from payments.models import Payment  # noqa: E402
from shipping.api import ShipmentScheduled  # noqa: E402
from shipping.models import Shipment  # noqa: E402
from shop.models import Product  # noqa: E402


PER_CONTEXT = os.environ.get("FLOOR_TRANSACTIONS", "one") == "per-context"


@csrf_exempt
def place(request):
    data = json.loads(request.body)
    wanted = {line["sku"]: line["quantity"] for line in data["lines"]}
    products = {p.sku: p for p in Product.objects.filter(sku__in=wanted)}
    lines = [PricedLine(sku=sku, name=products[sku].name, quantity=quantity, unit_price=products[sku].price)
             for sku, quantity in wanted.items()]
    total = sum((line.unit_price * line.quantity for line in lines), Money.zero("EUR"))
    # One transaction around everything, or one per context (and none around them).
    whole, each = ((contextlib.nullcontext, transaction.atomic) if PER_CONTEXT
                   else (transaction.atomic, contextlib.nullcontext))
    with whole():
        with each():
            order = Order.objects.create(customer_id=1, email="floor@example.com", currency="EUR",
                                         total_amount=total.amount, shipping_address=data["shipping_address"],
                                         status=Order.Status.PENDING if PER_CONTEXT else Order.Status.CONFIRMED)
            OrderLine.objects.bulk_create(OrderLine(order=order, sku=line.sku, name=line.name, quantity=line.quantity,
                                                    unit_price=line.unit_price.amount,
                                                    line_total=(line.unit_price * line.quantity).amount)
                                          for line in lines)
            publish(OrderPlaced(order_id=str(order.id), customer_id=1, lines=tuple(lines), total=total))
        with each():
            for line in lines:
                StockItem.objects.filter(sku=line.sku, on_hand__gte=line.quantity).update(
                    on_hand=F("on_hand") - line.quantity, reserved=F("reserved") + line.quantity,
                    updated_at=timezone.now())
            reservation = Reservation.objects.create(order_id=order.id,
                                                     held_until=timezone.now() + datetime.timedelta(minutes=15))
            ReservationLine.objects.bulk_create(ReservationLine(reservation=reservation, sku=line.sku,
                                                                quantity=line.quantity) for line in lines)
            publish(ItemsReserved(order_id=str(order.id), reservation_id=str(reservation.id),
                                  lines=tuple(StockLine(line.sku, line.quantity) for line in lines)))
        with each():
            payment = Payment.objects.create(order_id=order.id, amount=total.amount, currency="EUR",
                                             status=Payment.Status.CHARGED,
                                             provider_ref=f"ch_{uuid.uuid4().hex[:20]}")
            publish(PaymentProcessed(order_id=str(order.id), payment_id=str(payment.id), amount=total))
        with each():
            shipment = Shipment.objects.create(order_id=order.id, address=data["shipping_address"],
                                               pickup_date=timezone.localdate() + datetime.timedelta(days=1),
                                               tracking_code=f"TRK{uuid.uuid4().hex[:12].upper()}")
            publish(ShipmentScheduled(order_id=str(order.id), shipment_id=str(shipment.id),
                                      pickup_date=shipment.pickup_date))
        with each():
            if PER_CONTEXT:
                order.status = Order.Status.CONFIRMED
                Order.objects.filter(id=order.id).update(status=order.status, updated_at=timezone.now())
            publish(OrderConfirmed(order_id=str(order.id)))
            publish(SendOrderConfirmation(order_id=str(order.id), email=order.email, total=str(total.amount),
                                          currency="EUR",
                                          lines=tuple(f"{line.quantity} x {line.name}" for line in lines)))
    return JsonResponse({"order_id": str(order.id), "status": order.status}, status=201)


def healthz(request):
    return HttpResponse("ok")


urlconf = types.ModuleType("bench_floor_urls")
urlconf.urlpatterns = [path("api/orders/", place), path("healthz", healthz)]
sys.modules[urlconf.__name__] = urlconf
settings.ROOT_URLCONF = urlconf.__name__
settings.MIDDLEWARE = []  # bare: no middleware at all
application = get_wsgi_application()
