"""Supabase Storage's `storage.buckets` and `storage.objects`, as SQL sees them.

The tables are created by this app's migration in SQL, with the declared types
Supabase gives them (`boolean`, `uuid`, `jsonb`, `text[]`, `timestamptz`): the
schema cache reads those types to coerce values and shape JSON, exactly as it
does for user tables, so policies on `storage.objects` compile like any other.
The models of those two are unmanaged and read-only for Django (admin,
Studio listings); every write goes through `storage.objects`, which also moves
the bytes. `ResumableUpload` is KoyaLite's own bookkeeping, hidden from SQL.
"""

from __future__ import annotations

from django.db import models

from database.schema import STORAGE_BUCKETS_TABLE as BUCKETS_TABLE
from database.schema import STORAGE_OBJECTS_TABLE as OBJECTS_TABLE


class Bucket(models.Model):
    id = models.TextField(primary_key=True)
    name = models.TextField(unique=True)
    # Supabase-py's bucket model rejects a null owner: "" when no user owns it.
    owner = models.TextField(blank=True, default="")
    public = models.BooleanField(default=False)
    file_size_limit = models.BigIntegerField(null=True, blank=True)
    allowed_mime_types = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = BUCKETS_TABLE
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StorageObject(models.Model):
    id = models.UUIDField(primary_key=True)
    bucket = models.ForeignKey(Bucket, on_delete=models.DO_NOTHING)
    name = models.TextField()
    owner = models.TextField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    user_metadata = models.JSONField(null=True, blank=True)
    version = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    last_accessed_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = OBJECTS_TABLE
        ordering = ["bucket_id", "name"]
        verbose_name = "object"

    def __str__(self) -> str:
        return f"{self.bucket_id}/{self.name}"


class ResumableUpload(models.Model):
    """A resumable (tus) upload under way: its bytes so far sit in a spool
    file named after `id`; the object is written when `offset` reaches
    `length`. Only the role and user who created it may continue it."""

    id = models.TextField(primary_key=True)
    bucket_id = models.TextField()
    name = models.TextField()
    # Null until the client says it (Upload-Defer-Length).
    length = models.BigIntegerField(null=True, blank=True)
    offset = models.BigIntegerField(default=0)
    content_type = models.TextField()
    cache_control = models.TextField()
    user_metadata = models.JSONField(null=True, blank=True)
    upsert = models.BooleanField(default=False)
    role = models.TextField()
    uid = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "storage_resumable_uploads"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.bucket_id}/{self.name} ({self.offset}/{self.length})"
