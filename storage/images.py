"""Image transformations of `/storage/v1/render/image`: the options a request
may ask for, the output format it gets, Pillow's rendering, and the cache of
rendered images.

Options follow Supabase Storage (whose server hands them to imgproxy):

- `width`, `height`: whole numbers from 1 to 2500; with only one of them the
  other follows the image's aspect ratio.
- `resize`: `cover` (the default) scales to fill the box and crops the
  excess, centred; `contain` scales to fit inside the box; `fill` stretches
  to the box. As imgproxy does by default, an image is never enlarged: a box
  larger than the image keeps the image's own size (cropped to the box's
  shape by `cover`).
- `quality`: 20 to 100, default 80, for the lossy formats (JPEG, WebP, AVIF).
- `format`: `origin` keeps the stored format; `webp` or `avif` ask for that
  one. Without it the output is WebP when the request's `Accept` header
  names `image/webp` (every current browser sends it for images), and the
  stored format otherwise: Supabase's "automatic image optimization".
  BMP, TIFF and ICO sources come out as PNG, formats browsers show.

Sources are refused before any pixel is decoded when their type is not an
image (415), their size is over 25 MiB or their header declares more than
50 megapixels (Supabase's documented limits), so a small file claiming huge
dimensions (a decompression bomb) costs nothing. Broken images are 400.

A rendered image is cached under the object's version and the normalised
options, so asking again reads a file instead of decoding anything; a new
upload is a new version and never meets an old rendering, and the versions
an upload, move or delete drops take their renderings with them (`forget`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from storage import errors
from storage.blobs import blob_store
from storage.names import blob_key
from storage.records import ObjectRow

MIN_SIZE = 1
MAX_SIZE = 2500
MIN_QUALITY = 20
MAX_QUALITY = 100
DEFAULT_QUALITY = 80
RESIZE_MODES = ("cover", "contain", "fill")
FORMATS = ("origin", "webp", "avif")
MAX_SOURCE_BYTES = 25 * 1024 * 1024
MAX_SOURCE_PIXELS = 50_000_000

# What Pillow may decode: the formats Supabase lists, minus SVG and HEIC
# (which Pillow cannot read); fewer decoders, less attack surface.
_READABLE = ("PNG", "JPEG", "WEBP", "AVIF", "GIF", "BMP", "TIFF", "ICO")
# Stored format → the format an `origin` rendering is written in.
_ORIGIN = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "AVIF": "AVIF", "GIF": "GIF"}
_CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
    "GIF": "image/gif",
}
_LOSSY = ("JPEG", "WEBP", "AVIF")
_ORIENTATION = 0x0112  # the EXIF tag
_QUARTER_TURNS = (5, 6, 7, 8)  # orientations that swap width and height

# Renderings done by this process; tests read it to tell a cache hit from a
# fresh render.
renders = 0
# A 50 MP source decodes to up to 200 MB: two at a time per process bound the
# memory (and the CPU, which more threads would only share).
_rendering = threading.BoundedSemaphore(2)
# Pillow only warns between its MAX_IMAGE_PIXELS (89 MP) and twice that;
# MAX_SOURCE_PIXELS, lower, refuses those images anyway. Set once here, since
# warnings.catch_warnings() is not thread-safe.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


@dataclass(frozen=True, slots=True)
class TransformOptions:
    width: int | None = None
    height: int | None = None
    resize: str = "cover"
    quality: int = DEFAULT_QUALITY
    format: str | None = None

    def as_claim(self) -> dict[str, Any]:
        """The options as a signed URL's token carries them."""
        claim: dict[str, Any] = {"resize": self.resize, "quality": self.quality}
        for name in ("width", "height", "format"):
            value = getattr(self, name)
            if value is not None:
                claim[name] = value
        return claim


def parse_options(values: Any) -> TransformOptions:
    """Options from a query string or a JSON `transform` object; an unknown
    key is ignored (as Supabase does), a bad value is 400."""
    return TransformOptions(
        width=_whole(values.get("width"), "width", MIN_SIZE, MAX_SIZE),
        height=_whole(values.get("height"), "height", MIN_SIZE, MAX_SIZE),
        resize=_choice(values.get("resize"), "resize", RESIZE_MODES) or "cover",
        quality=_whole(values.get("quality"), "quality", MIN_QUALITY, MAX_QUALITY)
        or DEFAULT_QUALITY,
        format=_choice(values.get("format"), "format", FORMATS),
    )


def _whole(value: object, name: str, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise errors.invalid_request(
            f"{name} must be a whole number from {low} to {high}"
        )
    return value


def _choice(value: object, name: str, allowed: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise errors.invalid_request(f"{name} must be one of {', '.join(allowed)}")
    return str(value)


def output_format(options: TransformOptions, source: str, accept: str) -> str:
    """The Pillow format written for a `source` image and an `Accept` header."""
    if options.format == "webp":
        return "WEBP"
    if options.format == "avif":
        return "AVIF"
    if options.format is None and "image/webp" in accept.lower():
        return "WEBP"
    return _ORIGIN.get(source, "PNG")


def content_type(image_format: str) -> str:
    return _CONTENT_TYPES[image_format]


# ---------------------------------------------------------------- rendering


def open_source(data: bytes) -> Image.Image:
    """The image in `data`, its header read and checked, no pixel decoded."""
    try:
        image = Image.open(io.BytesIO(data), formats=_READABLE)
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _unreadable() from None
    width, height = image.size
    if width * height > MAX_SOURCE_PIXELS:
        raise _too_many_pixels()
    return image


def render(data: bytes, options: TransformOptions, accept: str) -> tuple[bytes, str]:
    """`data` transformed: the bytes and the Pillow format they are in."""
    global renders
    image = open_source(data)
    target = output_format(options, image.format or "", accept)
    with _rendering:
        body = _transformed(image, options, target)
    renders += 1
    return body, target


def _transformed(image: Image.Image, options: TransformOptions, target: str) -> bytes:
    try:
        if image.format == "JPEG":
            # Decode at the smallest 1/2, 1/4 or 1/8 scale still covering the
            # box, which is in the stored orientation, not the shown one.
            width, height = _box(image.size, options)
            if image.getexif().get(_ORIENTATION) in _QUARTER_TURNS:
                width, height = _box(image.size, _turned(options))
            image.draft("RGB", (width, height))
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _resized(image, options)
        out = io.BytesIO()
        _save(image, out, target, options.quality)
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _unreadable() from None
    return out.getvalue()


def _turned(options: TransformOptions) -> TransformOptions:
    return TransformOptions(
        options.height, options.width, options.resize, options.quality, options.format
    )


def _box(size: tuple[int, int], options: TransformOptions) -> tuple[int, int]:
    width, height = size
    return (options.width or width, options.height or height)


def _resized(image: Image.Image, options: TransformOptions) -> Image.Image:
    source_width, source_height = image.size
    if options.width is None and options.height is None:
        return image
    if options.width is None or options.height is None:
        # One side given: scale to it, the other side following the ratio.
        if options.width is not None:
            scale = options.width / source_width
        else:
            scale = (options.height or source_height) / source_height
        return _scaled(image, min(1.0, scale))
    width, height = options.width, options.height
    if options.resize == "fill":
        size = (min(width, source_width), min(height, source_height))
        return image.resize(size, Image.Resampling.LANCZOS)
    if options.resize == "contain":
        return _scaled(image, min(1.0, width / source_width, height / source_height))
    # cover: fill the box, crop the excess around the centre.
    scale = min(1.0, max(width / source_width, height / source_height))
    box = (
        min(width, max(1, round(source_width * scale))),
        min(height, max(1, round(source_height * scale))),
    )
    return ImageOps.fit(image, box, Image.Resampling.LANCZOS)


def _scaled(image: Image.Image, scale: float) -> Image.Image:
    if scale >= 1:
        return image
    width, height = image.size
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _save(image: Image.Image, out: io.BytesIO, target: str, quality: int) -> None:
    if target == "JPEG" and image.mode not in ("RGB", "L"):
        image = _flattened(image)
    elif target in ("WEBP", "AVIF") and image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    elif target == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        image = image.convert("RGBA")
    parameters: dict[str, Any] = {}
    if target in _LOSSY:
        parameters["quality"] = quality
    image.save(out, format=target, **parameters)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _flattened(image: Image.Image) -> Image.Image:
    """On white, since JPEG has no alpha channel."""
    if not _has_alpha(image):
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _unreadable() -> errors.StorageError:
    return errors.image_processing(
        "The source image is invalid or unsupported for rendering"
    )


def _too_many_pixels() -> errors.StorageError:
    return errors.image_processing(
        "The source image resolution is too large to process "
        f"(more than {MAX_SOURCE_PIXELS // 1_000_000} megapixels)"
    )


# ---------------------------------------------------------------- the cache


@dataclass(frozen=True, slots=True)
class Rendered:
    path: Path
    size: int
    content_type: str
    etag: str


def rendered(row: ObjectRow, options: TransformOptions, accept: str) -> Rendered:
    """The rendering of `row` for `options`, from the cache or made now."""
    metadata = row.metadata
    mimetype = str(metadata.get("mimetype") or "")
    if not mimetype.lower().startswith("image/"):
        raise errors.invalid_mime_type(mimetype or "application/octet-stream")
    if int(metadata.get("size") or 0) > MAX_SOURCE_BYTES:
        raise errors.image_processing(
            "The source image file is too large to process "
            f"(more than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB)"
        )
    # The output format depends on the source's, so its header comes first;
    # reading it needs the bytes, which a cache hit then does not decode.
    directory = _version_directory(row.bucket_id, row.version)
    negotiated = _negotiated_name(options, accept)
    cached = _find(directory, negotiated)
    if cached is not None:
        return _describe(cached, row)
    with blob_store().open(blob_key(row.bucket_id, row.version)) as chunks:
        data = b"".join(chunks)
    source = open_source(data).format or ""
    target = output_format(options, source, accept)
    name = f"{negotiated}.{target.lower()}"
    path = directory / name
    if not path.is_file():
        body, _ = render(data, options, accept)
        _write(path, body)
    return _describe(path, row)


def _negotiated_name(options: TransformOptions, accept: str) -> str:
    """The cache name of the options, with what `Accept` decides folded in."""
    negotiated = options.format or (
        "webp" if "image/webp" in accept.lower() else "origin"
    )
    return (
        f"w{options.width or 0}-h{options.height or 0}-{options.resize}"
        f"-q{options.quality}-{negotiated}"
    )


def _find(directory: Path, negotiated: str) -> Path | None:
    for image_format in _CONTENT_TYPES:
        path = directory / f"{negotiated}.{image_format.lower()}"
        if path.is_file():
            return path
    return None


def _describe(path: Path, row: ObjectRow) -> Rendered:
    image_format = path.suffix[1:].upper()
    tag = hashlib.sha256(
        f"{row.bucket_id}/{row.version}/{path.name}".encode()
    ).hexdigest()[:32]
    return Rendered(
        path=path,
        size=path.stat().st_size,
        content_type=_CONTENT_TYPES[image_format],
        etag=f'"{tag}"',
    )


def cache_root() -> Path:
    return Path(settings.STORAGE_RENDER_CACHE_DIR)


def _version_directory(bucket_id: str, version: str) -> Path:
    # Hashed: a bucket id may hold characters a path should not.
    digest = hashlib.sha256(f"{bucket_id}/{version}".encode()).hexdigest()
    return cache_root() / digest[:2] / digest


def _write(path: Path, body: bytes) -> None:
    """Whole or not at all: a concurrent reader never sees half a file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=".", suffix=".part", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(body)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def forget(bucket_id: str, version: str) -> None:
    """Drop the renderings of a version whose bytes are gone."""
    shutil.rmtree(_version_directory(bucket_id, version), ignore_errors=True)
