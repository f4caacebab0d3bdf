"""The byte store on local disk and on a real SeaweedFS, and its settings."""

from __future__ import annotations

import hashlib
import os
import stat
import sysconfig
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from boto3.exceptions import S3UploadFailedError
from django.core.files.storage import FileSystemStorage
from django.test import override_settings
from storages.backends.s3 import S3Storage

from storage.blobs import (
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    LocalBlobStore,
    S3BlobStore,
    blob_store,
)
from tests.conftest import run_cli
from tests.seaweedfs import (  # seaweedfs is a fixture
    SeaweedFS,
    seaweedfs,  # noqa: F401
    weed_binary,
)

MiB = 1024 * 1024
BODY = bytes(range(256)) * 40  # 10,240 bytes


@dataclass
class Backend:
    """A store under test and a way to list everything it left behind."""

    store: BlobStore
    prefix: str  # every key a test uses starts with it
    spool: Path
    seaweed: SeaweedFS | None = None
    bucket: str | None = None

    def key(self, name: str = "object.txt") -> str:
        return f"{self.prefix}/{name}/{uuid.uuid4()}"

    def leftovers(self) -> list[str]:
        """Files, objects and unfinished uploads under the test's prefix, and
        temporary files of the spool directory."""
        found = [str(path) for path in self.spool.rglob("*")]
        if isinstance(self.store, LocalBlobStore):
            found += [str(path) for path in (self.store.root / self.prefix).rglob("*")]
            return found
        client = self.seaweed.client()
        listing = client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix)
        found += [item["Key"] for item in listing.get("Contents", [])]
        uploads = client.list_multipart_uploads(Bucket=self.bucket, Prefix=self.prefix)
        found += [upload["Key"] for upload in uploads.get("Uploads", [])]
        return found


@pytest.fixture(scope="module")
def s3_bucket(seaweedfs) -> str:  # noqa: F811
    return seaweedfs.new_bucket()


@pytest.fixture(scope="module")
def s3_store(seaweedfs, s3_bucket) -> S3BlobStore:  # noqa: F811
    # One store for the module: a boto3 session takes a quarter second to make.
    return S3BlobStore(S3Storage(**seaweedfs.storage_options(s3_bucket)))


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path, settings) -> Backend:
    spool = tmp_path / "spool"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    prefix = f"bucket-{uuid.uuid4().hex[:8]}"
    if request.param == "local":
        storage = FileSystemStorage(location=tmp_path / "blobs")
        return Backend(LocalBlobStore(storage), prefix, spool)
    return Backend(
        request.getfixturevalue("s3_store"),
        prefix,
        spool,
        request.getfixturevalue("seaweedfs"),
        request.getfixturevalue("s3_bucket"),
    )


def pieces(data: bytes, size: int = 1000) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


def read(store: BlobStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    with store.open(key, start, end) as reader:
        return b"".join(reader)


def test_put_streams_chunks_and_open_returns_the_same_bytes(backend):
    key = backend.key()

    size = backend.store.put(key, pieces(BODY), limit=None, content_type="text/plain")

    assert size == len(BODY)
    assert read(backend.store, key) == BODY
    assert backend.store.size(key) == len(BODY)
    assert backend.store.exists(key) is True


def test_s3_object_keeps_its_content_type(seaweedfs, s3_bucket, s3_store):  # noqa: F811
    """A local file has no content type; the object's row keeps it."""
    key = f"types-{uuid.uuid4().hex}/data.json/v1"

    s3_store.put(key, [b"{}"], limit=None, content_type="application/json")

    head = seaweedfs.client().head_object(Bucket=s3_bucket, Key=key)
    assert head["ContentType"] == "application/json"


def test_an_upload_the_s3_api_refuses_leaves_no_spool_file(
    seaweedfs,  # noqa: F811
    s3_bucket,
    tmp_path,
    settings,
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    options = seaweedfs.storage_options(s3_bucket) | {"secret_key": "wrong-secret"}
    store = S3BlobStore(S3Storage(**options))
    key = f"refused-{uuid.uuid4().hex}/object/v1"

    with pytest.raises(S3UploadFailedError, match="SignatureDoesNotMatch"):
        store.put(key, pieces(BODY), limit=None, content_type="text/plain")

    assert list(tmp_path.iterdir()) == []
    listing = seaweedfs.client().list_objects_v2(Bucket=s3_bucket, Prefix=key)
    assert listing["KeyCount"] == 0


def test_an_empty_body_is_an_empty_object(backend):
    key = backend.key()

    size = backend.store.put(key, [], limit=0, content_type="text/plain")

    assert size == 0
    assert read(backend.store, key) == b""
    assert backend.store.size(key) == 0
    assert read(backend.store, key, 0, 10) == b""


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (100, None, BODY[100:]),
        (10, 19, BODY[10:20]),
        (len(BODY) - 1, len(BODY) - 1, BODY[-1:]),
        (len(BODY) - 1, None, BODY[-1:]),
        (0, 0, BODY[:1]),
        (5000, 10**9, BODY[5000:]),
        (len(BODY), None, b""),
        (len(BODY) + 10, len(BODY) + 20, b""),
    ],
)
def test_open_reads_an_inclusive_byte_range(backend, start, end, expected):
    key = backend.key()
    backend.store.put(key, [BODY], limit=None, content_type="text/plain")

    assert read(backend.store, key, start, end) == expected


@pytest.mark.parametrize(("start", "end"), [(-1, None), (10, 9), (-5, -1)])
def test_open_refuses_a_backwards_or_negative_range(backend, start, end):
    key = backend.key()
    backend.store.put(key, [BODY], limit=None, content_type="text/plain")

    with pytest.raises(ValueError, match="bad byte range"):
        backend.store.open(key, start, end)


def test_a_missing_key_is_not_found_at_once(backend):
    key = backend.key()

    with pytest.raises(BlobNotFound) as raised:
        backend.store.open(key)
    with pytest.raises(BlobNotFound):
        backend.store.open(key, 5, 10)
    with pytest.raises(BlobNotFound):
        backend.store.size(key)

    assert backend.store.exists(key) is False
    assert raised.value.status == 404
    assert raised.value.key == key


def test_put_over_the_limit_stops_at_the_first_chunk_past_it_and_leaves_nothing(
    backend,
):
    key = backend.key()
    pulled = []

    def body() -> Iterator[bytes]:
        for number in range(10):
            pulled.append(number)
            yield b"x" * 100

    with pytest.raises(BlobTooLarge) as raised:
        backend.store.put(key, body(), limit=250, content_type="text/plain")

    assert pulled == [0, 1, 2]
    assert raised.value.status == 413
    assert backend.store.exists(key) is False
    assert backend.leftovers() == []


def test_put_of_exactly_the_limit_is_stored(backend):
    key = backend.key()

    size = backend.store.put(key, pieces(BODY), limit=len(BODY), content_type="a/b")

    assert size == len(BODY)
    assert read(backend.store, key) == BODY


def test_a_body_that_fails_midway_leaves_nothing(backend):
    key = backend.key()

    def body() -> Iterator[bytes]:
        yield b"first part "
        yield b"second part "
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        backend.store.put(key, body(), limit=None, content_type="text/plain")

    assert backend.store.exists(key) is False
    assert backend.leftovers() == []


def test_a_failed_put_keeps_what_the_key_held(backend):
    key = backend.key()
    backend.store.put(key, [b"version one"], limit=None, content_type="text/plain")

    with pytest.raises(BlobTooLarge):
        backend.store.put(key, [b"x" * 50], limit=20, content_type="text/plain")

    assert read(backend.store, key) == b"version one"


def test_put_on_an_existing_key_replaces_its_bytes(backend):
    key = backend.key()
    backend.store.put(key, [b"old bytes, longer"], limit=None, content_type="a/b")

    backend.store.put(key, [b"new"], limit=None, content_type="a/b")

    assert read(backend.store, key) == b"new"


def test_delete_removes_the_object_and_a_missing_key_is_no_error(backend):
    key = backend.key()
    backend.store.put(key, [BODY], limit=None, content_type="text/plain")

    backend.store.delete(key)
    backend.store.delete(key)
    backend.store.delete(backend.key("never-written"))

    assert backend.store.exists(key) is False
    with pytest.raises(BlobNotFound):
        backend.store.open(key)
    assert backend.leftovers() == []


def test_copy_stores_the_same_bytes_under_the_new_key(backend):
    source, target = backend.key("a.txt"), backend.key("b.txt")
    backend.store.put(source, pieces(BODY), limit=None, content_type="text/plain")

    backend.store.copy(source, target)
    backend.store.delete(source)

    assert read(backend.store, target) == BODY
    assert backend.store.size(target) == len(BODY)


def test_copy_of_a_missing_key_is_not_found_and_writes_nothing(backend):
    source, target = backend.key("a.txt"), backend.key("b.txt")

    with pytest.raises(BlobNotFound):
        backend.store.copy(source, target)

    assert backend.store.exists(target) is False
    assert backend.leftovers() == []


BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "bucket/../../outside",
    "bucket/name/..",
    "bucket/./name",
    "bucket//name",
    "bucket/name/",
    "bucket\\..\\outside",
    "bucket/na\x00me",
    "bucket/\udcff",
    "bucket/" + "x" * 1100,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_are_not_plain_relative_paths_are_refused(backend, key):
    store = backend.store
    good = backend.key()
    store.put(good, [b"kept"], limit=None, content_type="text/plain")
    calls = [
        lambda: store.put(key, [b"x"], limit=None, content_type="text/plain"),
        lambda: store.open(key),
        lambda: store.size(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
        lambda: store.copy(good, key),
        lambda: store.copy(key, good),
    ]

    for call in calls:
        with pytest.raises(ValueError, match="blob key"):
            call()

    assert read(store, good) == b"kept"


def test_local_files_and_directories_are_private_to_the_server(tmp_path):
    store = LocalBlobStore(FileSystemStorage(location=tmp_path / "blobs"))

    store.put("avatars/me.png/v1", [b"png"], limit=None, content_type="image/png")

    file = tmp_path / "blobs" / "avatars" / "me.png" / "v1"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in file.parent.iterdir()) == ["v1"]


def test_local_delete_prunes_empty_directories_but_not_the_root(tmp_path):
    root = tmp_path / "blobs"
    store = LocalBlobStore(FileSystemStorage(location=root))
    store.put("avatars/a/v1", [b"1"], limit=None, content_type="a/b")
    store.put("avatars/b/v1", [b"2"], limit=None, content_type="a/b")

    store.delete("avatars/a/v1")
    store.delete("avatars/b/v1")

    assert root.is_dir()
    assert list(root.iterdir()) == []


def test_local_put_leaves_no_file_under_the_key_while_writing(tmp_path):
    store = LocalBlobStore(FileSystemStorage(location=tmp_path / "blobs"))
    final = tmp_path / "blobs" / "docs" / "a.txt" / "v1"
    seen = []

    def body() -> Iterator[bytes]:
        yield b"half"
        seen.append(final.exists())
        yield b" and the rest"

    store.put("docs/a.txt/v1", body(), limit=None, content_type="text/plain")

    assert seen == [False]
    assert final.read_bytes() == b"half and the rest"


@pytest.mark.slow
def test_a_256_mib_body_streams_through_put_and_open_in_bounded_memory(backend):
    """Memory stays at a few MiB: nothing holds the whole body."""
    block = os.urandom(MiB)
    blocks = 256
    expected = hashlib.sha256()
    for _ in range(blocks):
        expected.update(block)
    key = backend.key("big.bin")
    # Clients, connections and imports are made once; they are not the body.
    backend.store.put(backend.key(), [b"warm"], limit=None, content_type="a/b")

    tracemalloc.start()
    try:
        size = backend.store.put(
            key,
            (block for _ in range(blocks)),
            limit=blocks * MiB,
            content_type="application/octet-stream",
        )
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        with backend.store.open(key) as reader:
            for chunk in reader:
                digest.update(chunk)
        _, open_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert size == blocks * MiB
    assert digest.hexdigest() == expected.hexdigest()
    assert put_peak < 6 * MiB, f"put peaked at {put_peak / MiB:.1f} MiB"
    assert open_peak < 6 * MiB, f"open peaked at {open_peak / MiB:.1f} MiB"
    backend.store.delete(key)


def test_blob_store_is_local_under_the_project_by_default(settings):
    blob_store.cache_clear()
    try:
        store = blob_store()
    finally:
        blob_store.cache_clear()

    assert isinstance(store, LocalBlobStore)
    assert store.root == settings.PROJECT_DIR / "storage"
    assert settings.STORAGE_DIR == settings.PROJECT_DIR / "storage"


def test_blob_store_follows_an_s3_storages_entry(seaweedfs, s3_bucket):  # noqa: F811
    entry = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": seaweedfs.storage_options(s3_bucket),
    }
    key = f"settings-{uuid.uuid4().hex}/object/v1"
    with override_settings(STORAGES={"blobs": entry}):
        blob_store.cache_clear()
        try:
            store = blob_store()
            store.put(key, [b"via settings"], limit=None, content_type="text/plain")
        finally:
            blob_store.cache_clear()

    assert isinstance(store, S3BlobStore)
    body = seaweedfs.client().get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    assert body == b"via settings"


def project_with(tmp_path: Path, lines: str) -> Path:
    """A project directory whose .env holds a secret and `lines`."""
    project = tmp_path / "app"
    project.mkdir()
    (project / ".env").write_text(
        "KOYALITE_JWT_SECRET=" + "s" * 64 + "\n" + lines + "\n"
    )
    return project


def test_s3_settings_reach_seaweedfs_from_the_command_line(
    tmp_path,
    seaweedfs,  # noqa: F811
    s3_bucket,
):
    project = project_with(
        tmp_path,
        "KOYALITE_STORAGE_BACKEND=s3\n"
        f"KOYALITE_S3_ENDPOINT={seaweedfs.endpoint}/\n"
        f"KOYALITE_S3_BUCKET={s3_bucket}\n"
        f"KOYALITE_S3_ACCESS_KEY={seaweedfs.access_key}\n"
        f"KOYALITE_S3_SECRET_KEY={seaweedfs.secret_key}\n",
    )
    key = f"cli-{uuid.uuid4().hex}/object/v1"
    code = (
        "from storage.blobs import blob_store\n"
        f"size = blob_store().put({key!r}, [b'from the cli'], limit=None, "
        "content_type='text/csv')\n"
        "print(type(blob_store()).__name__, size)\n"
    )

    result = run_cli(project, "shell", "-c", code)

    assert result.stdout.splitlines()[-1] == "S3BlobStore 12"
    head = seaweedfs.client().head_object(Bucket=s3_bucket, Key=key)
    assert head["ContentType"] == "text/csv"
    assert seaweedfs.secret_key not in result.stdout + result.stderr


SECRET = "do-not-print-this-secret-value"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            "KOYALITE_STORAGE_BACKEND=ftp",
            "KOYALITE_STORAGE_BACKEND must be one of local, s3, not 'ftp'.",
        ),
        (
            "KOYALITE_STORAGE_BACKEND=s3",
            "KOYALITE_STORAGE_BACKEND=s3 needs KOYALITE_S3_ENDPOINT and "
            "KOYALITE_S3_BUCKET.",
        ),
        (
            "KOYALITE_STORAGE_BACKEND=s3\nKOYALITE_S3_ENDPOINT=http://127.0.0.1:8333",
            "KOYALITE_STORAGE_BACKEND=s3 needs KOYALITE_S3_BUCKET.",
        ),
        (
            "KOYALITE_STORAGE_BACKEND=s3\nKOYALITE_S3_BUCKET=files",
            "KOYALITE_STORAGE_BACKEND=s3 needs KOYALITE_S3_ENDPOINT.",
        ),
        (
            "KOYALITE_STORAGE_BACKEND=s3\nKOYALITE_S3_BUCKET=files\n"
            "KOYALITE_S3_ENDPOINT=127.0.0.1:8333",
            "KOYALITE_S3_ENDPOINT must be an http(s) URL, not '127.0.0.1:8333'.",
        ),
        (
            "KOYALITE_STORAGE_BACKEND=s3\nKOYALITE_S3_BUCKET=My_Files\n"
            "KOYALITE_S3_ENDPOINT=http://127.0.0.1:8333",
            "KOYALITE_S3_BUCKET must be 3 to 63 lowercase letters, digits, dots "
            "and hyphens, not 'My_Files'.",
        ),
        (
            "KOYALITE_STORAGE_BACKEND=s3\nKOYALITE_S3_BUCKET=files\n"
            f"KOYALITE_S3_ENDPOINT=http://127.0.0.1:8333\nKOYALITE_S3_SECRET_KEY={SECRET}",
            "KOYALITE_S3_ACCESS_KEY and KOYALITE_S3_SECRET_KEY must be set together.",
        ),
    ],
)
def test_bad_storage_settings_stop_start_up_with_one_line(tmp_path, lines, message):
    project = project_with(tmp_path, lines)

    result = run_cli(project, "check", check=False)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"koyalite: {message}"]
    assert SECRET not in result.stdout + result.stderr


def test_a_storage_directory_that_cannot_be_made_stops_start_up(tmp_path):
    project = project_with(tmp_path, "KOYALITE_STORAGE_DIR=notes.txt/blobs")
    (project / "notes.txt").write_text("a file, not a directory")

    result = run_cli(project, "check", check=False)

    assert result.returncode != 0
    assert result.stderr == (
        f"koyalite: KOYALITE_STORAGE_DIR is {project / 'notes.txt' / 'blobs'}, "
        f"but {project / 'notes.txt'} is not a directory.\n"
    )


def test_a_missing_weed_binary_fails_with_a_clear_message(monkeypatch, tmp_path):
    """No SeaweedFS means failed S3 tests, never skipped ones."""
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(pytest.fail.Exception, match="`make install` installs it"):
        weed_binary()
