"""A resumable upload's length may wait for a later part (Upload-Defer-Length)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("storage", "0002_resumable_uploads"),
    ]

    operations = [
        migrations.AlterField(
            model_name="resumableupload",
            name="length",
            field=models.BigIntegerField(blank=True, null=True),
        ),
    ]
