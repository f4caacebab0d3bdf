"""What a bucket id and an object name may be, and where an object's bytes live.

Object names are paths inside their bucket (`alice/avatar.png`): a name with
an empty, `.` or `..` segment, a leading `/`, a backslash, NUL or another
control character is refused here, once, for every route, so that names stay
unambiguous paths for listing, policies (`storage.foldername`) and clients.
"""

from __future__ import annotations

import re
import uuid

from storage import errors

MAX_NAME_BYTES = 1024
MAX_BUCKET_ID_LENGTH = 100
# Supabase Storage's rule for bucket names: word characters and a few symbols.
_BUCKET_ID = re.compile(r"[\w!\-.*'() &$@=;:+,?]+", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_bucket_id(bucket_id: object) -> str:
    if not isinstance(bucket_id, str) or not bucket_id:
        raise errors.invalid_bucket_name("a bucket needs a non-empty id")
    if len(bucket_id) > MAX_BUCKET_ID_LENGTH:
        raise errors.invalid_bucket_name(
            f"longer than {MAX_BUCKET_ID_LENGTH} characters"
        )
    if not _BUCKET_ID.fullmatch(bucket_id) or bucket_id in (".", ".."):
        raise errors.invalid_bucket_name(
            "use letters, digits, spaces and !-.*'()&$@=;:+,?_"
        )
    return bucket_id


def check_object_name(name: object) -> str:
    """`name` if it is a safe path inside a bucket; InvalidKey (400) if not."""
    if not isinstance(name, str) or not name:
        raise errors.invalid_key("")
    shown = _CONTROL.sub("?", name)[:200]
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise errors.invalid_key(shown[:100] + "… (longer than 1024 bytes)")
    if _CONTROL.search(name) or "\\" in name or name.startswith("/"):
        raise errors.invalid_key(shown)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        raise errors.invalid_key(shown) from None
    if any(s in ("", ".", "..") for s in name.split("/")):
        raise errors.invalid_key(shown)
    return name


def new_version() -> str:
    return str(uuid.uuid4())


def blob_key(bucket_id: str, version: str) -> str:
    """Where one version of an object's bytes live in the byte store.

    Each upload writes a new version beside the old one, and the metadata row
    switches to it in one transaction: a reader never sees half a file, and a
    failed upload leaves the old version in place. The key holds no part of
    the object's name, so no name can reach another key, and a rename moves no
    bytes; the first two hex digits spread versions over 256 directories.
    """
    return f"{bucket_id}/{version[:2]}/{version}"
