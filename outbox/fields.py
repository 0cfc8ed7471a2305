"""A JSON field stored as PostgreSQL `json` rather than `jsonb`, for documents written once and read whole."""
from django.db import models


class JSONTextField(models.JSONField):
    """JSON kept as written (PostgreSQL `json`): no binary conversion on INSERT, which every producer pays.

    The outbox never searches inside a payload in SQL, so jsonb's indexable form buys nothing there.
    """

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        if value is not None and not isinstance(value, (str, bytes, bytearray)):
            return value  # psycopg parses a `json` column itself
        return super().from_db_value(value, expression, connection)
