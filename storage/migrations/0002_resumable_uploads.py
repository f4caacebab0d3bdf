"""`storage_resumable_uploads`: resumable uploads under way (`storage.resumable`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("storage", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ResumableUpload",
            fields=[
                ("id", models.TextField(primary_key=True, serialize=False)),
                ("bucket_id", models.TextField()),
                ("name", models.TextField()),
                ("length", models.BigIntegerField()),
                ("offset", models.BigIntegerField(default=0)),
                ("content_type", models.TextField()),
                ("cache_control", models.TextField()),
                ("user_metadata", models.JSONField(blank=True, null=True)),
                ("upsert", models.BooleanField(default=False)),
                ("role", models.TextField()),
                ("uid", models.TextField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "db_table": "storage_resumable_uploads",
                "ordering": ["created_at"],
            },
        ),
    ]
