"""A UUID primary key stored as canonical dashed text on SQLite."""

from __future__ import annotations

import uuid

from django.db import models


class DashedUUIDField(models.UUIDField):
    """Store UUIDs as `xxxxxxxx-xxxx-…` text where the database has no uuid type.

    Django's UUIDField stores 32 hex digits on SQLite. User tables reference users
    by the canonical dashed string (the JWT `sub`, `auth.uid()`, API bodies), so the
    stored value must be that same string or foreign keys and policies would never
    match.
    """

    def db_type(self, connection) -> str:
        if connection.features.has_native_uuid_field:
            return super().db_type(connection)
        return "char(36)"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        if not isinstance(value, uuid.UUID):
            value = self.to_python(value)
        if connection.features.has_native_uuid_field:
            return value
        return str(value)
