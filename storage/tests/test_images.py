"""The renderer and its cache in-process: options, format negotiation, and
that a cached rendering is never rendered twice."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings
from PIL import Image

from storage import images
from storage.blobs import blob_store
from storage.errors import StorageError
from storage.images import TransformOptions, output_format, parse_options
from storage.names import blob_key, new_version
from storage.records import ObjectRow


def png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, format="PNG")
    return out.getvalue()


def stored(data: bytes, mimetype: str = "image/png") -> ObjectRow:
    version = new_version()
    blob_store().put(
        blob_key("imgs", version), [data], limit=None, content_type=mimetype
    )
    return ObjectRow(
        id="1",
        bucket_id="imgs",
        name="a.png",
        owner=None,
        metadata={"mimetype": mimetype, "size": len(data), "eTag": '"x"'},
        user_metadata=None,
        version=version,
        created_at="",
        updated_at="",
        last_accessed_at="",
    )


def test_options_parse_from_text_or_json_numbers():
    assert parse_options({"width": "100", "height": 50.0, "quality": "90"}) == (
        TransformOptions(width=100, height=50, quality=90)
    )
    assert parse_options({}) == TransformOptions()
    assert TransformOptions(width=10, format="origin").as_claim() == {
        "width": 10,
        "format": "origin",
        "resize": "cover",
        "quality": 80,
    }
    with pytest.raises(StorageError):
        parse_options({"width": True})


@pytest.mark.parametrize(
    ("format_option", "source", "accept", "expected"),
    [
        (None, "JPEG", "image/webp,*/*", "WEBP"),
        (None, "JPEG", "*/*", "JPEG"),
        ("origin", "PNG", "image/webp", "PNG"),
        ("avif", "PNG", "*/*", "AVIF"),
        (None, "BMP", "", "PNG"),
        ("origin", "TIFF", "", "PNG"),
    ],
)
def test_output_format_negotiation(format_option, source, accept, expected):
    options = TransformOptions(format=format_option)

    assert output_format(options, source, accept) == expected


def test_a_cached_rendering_is_not_rendered_again(tmp_path):
    row = stored(png((80, 40)))
    options = TransformOptions(width=20, format="origin")

    with override_settings(STORAGE_RENDER_CACHE_DIR=tmp_path):
        before = images.renders
        first = images.rendered(row, options, "*/*")
        second = images.rendered(row, options, "*/*")
        images.forget(row.bucket_id, row.version)
        third = images.rendered(row, options, "*/*")

    assert images.renders == before + 2
    assert first == second
    assert third.etag == first.etag
    assert Image.open(first.path).size == (20, 10)
    blob_store().delete(blob_key(row.bucket_id, row.version))


def test_a_non_image_is_refused_before_reading_its_bytes(tmp_path):
    row = stored(b"plain text", "text/plain")

    with override_settings(STORAGE_RENDER_CACHE_DIR=tmp_path):
        with pytest.raises(StorageError) as raised:
            images.rendered(row, TransformOptions(), "*/*")

    assert (raised.value.status, raised.value.code) == (415, "InvalidMimeType")
    assert list(tmp_path.iterdir()) == []
    blob_store().delete(blob_key(row.bucket_id, row.version))
