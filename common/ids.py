"""Parsing of ids that cross boundaries as strings."""
import uuid

from .errors import ValidationFailed


def parse_uuid(value, *, field: str = "order_id") -> uuid.UUID:
    """`value` as a UUID, or ValidationFailed naming the field."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise ValidationFailed(f"{field} must be a UUID", field=field, value=str(value)) from None
