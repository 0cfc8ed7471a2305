from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('outbox', '0005_payload_as_json_text'),
    ]

    operations = [
        migrations.AddField(
            model_name='delivery',
            name='started_at',
            field=models.DateTimeField(blank=True, help_text='When a worker last started it.', null=True),
        ),
    ]
