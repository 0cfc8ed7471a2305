"""Every order still in its checkout gets a saga (choreographed ones had none): the sweeper then finishes it."""
from django.db import migrations
from django.utils import timezone

# How far an order without a saga got, by its status: the step to run next.
NEXT_STEP = {"pending": "reserve_stock", "reserved": "charge_payment", "payment_pending": "charge_payment",
             "paid": "schedule_shipment"}


def give_open_orders_a_saga(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    CheckoutSaga = apps.get_model("orders", "CheckoutSaga")
    now = timezone.now()
    for order in Order.objects.filter(status__in=list(NEXT_STEP), saga__isnull=True).iterator():
        # Due at once, nobody runs it. Its card token went with the old choreography (on the invoice), so a
        # charge still to make is declined as invalid_token and undone; an order paid already goes on.
        CheckoutSaga.objects.create(order=order, step=NEXT_STEP[order.status], state="running", waiting=True,
                                    deadline=now)


class Migration(migrations.Migration):

    dependencies = [("orders", "0005_alter_checkoutsaga_payment_token_alter_sagastep_kind")]

    operations = [migrations.RunPython(give_open_orders_a_saga, migrations.RunPython.noop)]
