"""`storage.buckets` and `storage.objects` with Supabase's declared types.

Row level security is always on for both (`rls.services.load_catalog`)."""

from django.db import migrations, models

from database.coerce import NOW_SQL

NOW = f"({NOW_SQL})"

CREATE = [
    f"""CREATE TABLE storage_buckets (
    id text NOT NULL PRIMARY KEY,
    name text NOT NULL UNIQUE,
    owner text NOT NULL DEFAULT '',
    public boolean NOT NULL DEFAULT false,
    file_size_limit bigint CHECK (file_size_limit IS NULL OR file_size_limit >= 0),
    allowed_mime_types "text[]" CHECK (
        allowed_mime_types IS NULL OR json_type(allowed_mime_types) = 'array'),
    created_at timestamptz NOT NULL DEFAULT {NOW},
    updated_at timestamptz NOT NULL DEFAULT {NOW}
)""",
    f"""CREATE TABLE storage_objects (
    id uuid NOT NULL PRIMARY KEY,
    bucket_id text NOT NULL REFERENCES storage_buckets (id),
    name text NOT NULL,
    owner uuid,
    metadata jsonb,
    user_metadata jsonb,
    version text,
    created_at timestamptz NOT NULL DEFAULT {NOW},
    updated_at timestamptz NOT NULL DEFAULT {NOW},
    last_accessed_at timestamptz NOT NULL DEFAULT {NOW},
    UNIQUE (bucket_id, name)
)""",
]


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.RunSQL(
            CREATE,
            reverse_sql=["DROP TABLE storage_objects", "DROP TABLE storage_buckets"],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Bucket",
                    fields=[
                        ("id", models.TextField(primary_key=True, serialize=False)),
                        ("name", models.TextField(unique=True)),
                        ("owner", models.TextField(blank=True, default="")),
                        ("public", models.BooleanField(default=False)),
                        (
                            "file_size_limit",
                            models.BigIntegerField(blank=True, null=True),
                        ),
                        (
                            "allowed_mime_types",
                            models.JSONField(blank=True, null=True),
                        ),
                        ("created_at", models.DateTimeField()),
                        ("updated_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "storage_buckets",
                        "ordering": ["name"],
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="StorageObject",
                    fields=[
                        ("id", models.UUIDField(primary_key=True, serialize=False)),
                        ("name", models.TextField()),
                        ("owner", models.TextField(blank=True, null=True)),
                        ("metadata", models.JSONField(blank=True, null=True)),
                        ("user_metadata", models.JSONField(blank=True, null=True)),
                        ("version", models.TextField(blank=True, null=True)),
                        ("created_at", models.DateTimeField()),
                        ("updated_at", models.DateTimeField()),
                        ("last_accessed_at", models.DateTimeField()),
                        (
                            "bucket",
                            models.ForeignKey(
                                on_delete=models.DO_NOTHING, to="storage.bucket"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "object",
                        "db_table": "storage_objects",
                        "ordering": ["bucket_id", "name"],
                        "managed": False,
                    },
                ),
            ]
        ),
    ]
