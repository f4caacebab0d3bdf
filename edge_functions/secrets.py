"""The project's function secrets: `koyalite secrets set NAME=value`.

Values are stored Fernet-encrypted (AES-128-CBC with an HMAC-SHA256) under a
key derived by HKDF from the project's JWT secret, so the SQLite file alone
does not reveal them; rotating the JWT secret makes them unreadable, and they
must be set again. Every function sees every secret as an environment variable,
as on Supabase.
"""

from __future__ import annotations

import base64
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from edge_functions.errors import InvalidSecret
from edge_functions.models import Secret

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Set by KoyaLite for every function; a secret may not shadow them.
RESERVED_PREFIX = "SUPABASE_"


@cache
def _fernet(jwt_secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"koyalite.functions.secrets",
    ).derive(jwt_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def touch_secrets_stamp() -> None:
    from edge_functions.deno import touch_secrets_stamp as touch

    touch()


def validate_secret_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise InvalidSecret(
            f"secret name {name!r} is not valid: use letters, digits and '_', "
            "not starting with a digit"
        )
    if name.upper().startswith(RESERVED_PREFIX):
        raise InvalidSecret(
            f"secret name {name!r} is reserved: names starting with SUPABASE_ "
            "are set by KoyaLite"
        )
    return name


def set_secrets(values: dict[str, str]) -> None:
    for name in values:
        validate_secret_name(name)
    fernet = _fernet(settings.JWT_SECRET)
    for name, value in values.items():
        Secret.objects.update_or_create(
            name=name,
            defaults={"encrypted_value": fernet.encrypt(value.encode())},
        )
    touch_secrets_stamp()


def unset_secrets(names: list[str]) -> list[str]:
    """Delete `names`; return those that did not exist."""
    missing = [n for n in names if not Secret.objects.filter(name=n).exists()]
    Secret.objects.filter(name__in=names).delete()
    touch_secrets_stamp()
    return missing


def secret_names() -> list[str]:
    return list(Secret.objects.order_by("name").values_list("name", flat=True))


def secret_values() -> dict[str, str]:
    """Every secret, decrypted; one the current key cannot read is skipped."""
    fernet = _fernet(settings.JWT_SECRET)
    values: dict[str, str] = {}
    for name, encrypted in Secret.objects.values_list("name", "encrypted_value"):
        try:
            values[name] = fernet.decrypt(bytes(encrypted)).decode()
        except InvalidToken:
            continue
    return values
