"""Money as an exact Decimal amount with an ISO 4217 currency; never a float."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # what a DecimalField(max_digits=12, decimal_places=2) holds


@dataclass(frozen=True)
class Money:
    """An amount in one currency, kept to the cent."""

    amount: Decimal
    currency: str = "EUR"

    def __post_init__(self):
        if isinstance(self.amount, float):
            raise TypeError("Money refuses floats; pass a Decimal or a string")
        object.__setattr__(self, "amount", Decimal(self.amount).quantize(CENT, ROUND_HALF_EVEN))
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"currency must be a 3-letter ISO code, got {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int):
            raise TypeError("Money can be multiplied by an integer quantity only")
        return Money(self.amount * quantity, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str = "EUR") -> Money:
        """No money, in the given currency."""
        return cls(Decimal("0"), currency)

    def to_dict(self) -> dict:
        """The wire form: the amount as a string so no float ever carries it."""
        return {"amount": str(self.amount), "currency": self.currency}

    @classmethod
    def from_dict(cls, data: dict) -> Money:
        """Read the wire form back; an amount no column can hold is refused (ValueError)."""
        money = cls(Decimal(str(data["amount"])), data["currency"])
        if not -MAX_AMOUNT <= money.amount <= MAX_AMOUNT:
            raise ValueError(f"amount must be within ±{MAX_AMOUNT}")
        return money

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
