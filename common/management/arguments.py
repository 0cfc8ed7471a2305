"""argparse types for management commands: numbers bounded before they reach a database, a timer or a fork."""
from __future__ import annotations

import argparse
import math


def bounded(kind: type, low: float, high: float):
    """An argparse `type` reading `kind` (int or float) and refusing values outside [low, high] (and NaN)."""

    def read(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n integer' if kind is int else ' number'}") from None
        if (kind is float and math.isnan(value)) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return read
