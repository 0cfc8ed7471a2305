"""Load demo data: a catalog with stock, reviews, a demo customer and an admin user; prints the logins."""
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from inventory.api import get_inventory_api
from reviews.api import ReviewAlreadyPosted, get_reviews_api
from shop.models import Product

CATALOG = [
    ("MUG-001", "Enamel camp mug", "12.50", 40),
    ("TEE-002", "Organic cotton tee", "24.00", 25),
    ("BOOK-003", "Patterns of distributed systems", "39.90", 10),
    ("SOCK-004", "Merino hiking socks", "15.00", 60),
    ("LAMP-005", "Desk lamp", "79.00", 6),
    ("PEN-006", "Fountain pen", "45.00", 3),
    ("BAG-007", "Canvas tote bag", "18.75", 30),
    ("RARE-008", "Signed first edition", "950.00", 1),
]
# (sku, reviewer, rating, text): the home list recommends the best rated once the worker has read them.
REVIEWS = [
    ("BOOK-003", "alice", 5, "Finally understood why the outbox matters."),
    ("BOOK-003", "admin", 5, "Required reading for the team."),
    ("MUG-001", "alice", 4, "Keeps coffee hot on the trail; chips if dropped."),
    ("LAMP-005", "admin", 3, "Bright enough, wobbly base."),
    ("SOCK-004", "alice", 5, "Warm and no blisters after 20 km."),
]
DEMO_CUSTOMER = ("alice", "alice@example.com", "alice-demo-pass")
DEMO_ADMIN = ("admin", "admin@example.com", "admin-demo-pass")


class Command(BaseCommand):
    help = "Load the demo catalog, its stock, a demo customer and an admin user (safe to run again)."

    def handle(self, *args, **options):
        inventory = get_inventory_api()
        known = {a.sku for a in inventory.get_availability(skus=[sku for sku, *_ in CATALOG])}
        for sku, name, price, stock in CATALOG:
            Product.objects.update_or_create(
                sku=sku, defaults={"name": name, "price_amount": Decimal(price), "price_currency": "EUR"}
            )
            if sku not in known:
                inventory.restock(sku=sku, quantity=stock, reason="demo data")
            self.stdout.write(f"  product {sku:<9} {name:<32} {price:>7} EUR")
        users = get_user_model()
        customer = self._user(users, *DEMO_CUSTOMER, staff=False)
        self._user(users, *DEMO_ADMIN, staff=True)
        token, _ = Token.objects.get_or_create(user=customer)
        self._reviews(users)
        self.stdout.write(self.style.SUCCESS(f"Loaded {len(CATALOG)} products with stock."))
        self.stdout.write(f"  customer login: {DEMO_CUSTOMER[0]} / {DEMO_CUSTOMER[2]}   API token: {token.key}")
        self.stdout.write(f"  admin login:    {DEMO_ADMIN[0]} / {DEMO_ADMIN[2]}")

    def _user(self, users, username, email, password, *, staff):
        user, created = users.objects.get_or_create(username=username, defaults={"email": email})
        if created:
            user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.save()
        return user

    def _reviews(self, users):
        reviews = get_reviews_api()
        for sku, username, rating, text in REVIEWS:
            try:
                reviews.post_review(sku=sku, customer_id=users.objects.get(username=username).pk, rating=rating, text=text)
            except ReviewAlreadyPosted:
                pass  # loaded before
        self.stdout.write(f"  {len(REVIEWS)} reviews of {len({sku for sku, *_ in REVIEWS})} products")
