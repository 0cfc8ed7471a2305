"""The inventory context's settings, declared once: read them through `inventory_settings`."""
from common.conf import AppSettings, Key, not_negative, positive

inventory_settings = AppSettings(
    "inventory",
    Key("STOCK_LOW_THRESHOLD", 5, "a sale that leaves fewer units than this announces StockLow", check=not_negative),
    Key("RESERVATION_HOLD_SECONDS", 900.0, "a reservation not sold within this is released by beat and its owner "
        "told (ReservationExpired); a checkout still running renews it", env="RESERVATION_HOLD_SECONDS",
        check=positive),
    doc="stock and reservations",
)
