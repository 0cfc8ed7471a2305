"""On PostgreSQL, NOTIFY the relay from a trigger: sent at commit only, and no extra round trip for the producer."""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
"""
DROP = "DROP TRIGGER IF EXISTS outbox_notify ON outbox_outboxevent; DROP FUNCTION IF EXISTS outbox_notify();"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("outbox", "0002_deliveries_inbox")]
    operations = [migrations.RunPython(create, drop)]
