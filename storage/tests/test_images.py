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


def jpeg(size: tuple[int, int], orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(
    ("query", "size"),
    [
        ({"width": 100, "height": 100}, (100, 100)),
        ({"width": 100, "height": 100, "resize": "contain"}, (100, 50)),
        ({"width": 30, "height": 90, "resize": "fill"}, (30, 90)),
        ({"height": 25}, (50, 25)),
    ],
)
def test_jpeg_decoded_at_a_reduced_scale_still_gives_the_box(query, size):
    body, image_format = images.render(jpeg((800, 400)), parse_options(query), "")

    assert image_format == "JPEG"
    assert Image.open(io.BytesIO(body)).size == size


@pytest.mark.parametrize(
    ("options", "size"),
    [
        (TransformOptions(width=50), (50, 100)),
        # Stored 800×400, shown 400×800: the reduced decode must cover the
        # box as shown, or the crop comes out short.
        (TransformOptions(width=200, height=100), (200, 100)),
    ],
)
def test_exif_orientation_is_applied_before_resizing(options, size):
    # Orientation 6: stored landscape, shown rotated a quarter turn.
    source = jpeg((200, 100) if options.height is None else (800, 400), 6)

    body, _ = images.render(source, options, "")

    assert Image.open(io.BytesIO(body)).size == size
