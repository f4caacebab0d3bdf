"""`/storage/v1/render/image` against a live server: Pillow-made images
resized, re-encoded and cached, on the public, authenticated and signed
routes, through supabase-py and raw requests."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import httpx
import pytest
from PIL import Image
from storage3.exceptions import StorageApiError

from tests import storage_fixtures
from tests.conftest import ALICE, BOB, LiveServer
from tests.storage_fixtures import live_storage_server

POLICIES = """
insert into storage.buckets (id, name, public) values ('pics', 'pics', true);
insert into storage.buckets (id, name) values ('private', 'private');

create policy "anyone reads pics" on storage.objects
  for select using (bucket_id = 'pics');
create policy "owners read private" on storage.objects
  for select to authenticated using (owner = auth.uid());
create policy "signed in users upload" on storage.objects
  for insert to authenticated with check (bucket_id in ('pics', 'private'));
create policy "owners update" on storage.objects
  for update to authenticated using (owner = auth.uid());
create policy "owners delete" on storage.objects
  for delete to authenticated using (owner = auth.uid());
"""

# Browsers send this for <img>; curl and the Python clients send */*.
BROWSER_ACCEPT = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> LiveServer:
    with live_storage_server(tmp_path_factory.mktemp("images"), POLICIES) as live:
        yield live


alice = storage_fixtures.alice
bob = storage_fixtures.bob
anon = storage_fixtures.anon
http = storage_fixtures.http


def image_bytes(
    size: tuple[int, int], image_format: str = "PNG", mode: str = "RGB"
) -> bytes:
    """A gradient, so that lossy encodings differ with quality."""
    width, height = size
    image = Image.new(mode, size)
    image.putdata(
        [
            (x * 255 // width, y * 255 // height, (x + y) % 256)[: len(mode)]
            if mode != "L"
            else (x + y) % 256
            for y in range(height)
            for x in range(width)
        ]
    )
    out = io.BytesIO()
    image.save(out, format=image_format)
    return out.getvalue()


def decoded(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


def renders(server: LiveServer) -> list[Path]:
    root = server.project / "cache" / "renders"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(files, path: str, body: bytes, content_type: str = "image/png") -> None:
    files.upload(path, body, {"content-type": content_type, "upsert": "true"})


@pytest.fixture(scope="module")
def landscape(alice) -> str:
    """A 400×200 PNG in the public bucket."""
    path = f"{ALICE}/landscape.png"
    upload(alice.from_("pics"), path, image_bytes((400, 200)))
    return path


# ---------------------------------------------------------------- resizing


@pytest.mark.parametrize(
    ("query", "size"),
    [
        ("width=100&height=100", (100, 100)),  # cover: filled, cropped
        ("width=100&height=100&resize=cover", (100, 100)),
        ("width=100&height=100&resize=contain", (100, 50)),
        ("width=100&height=100&resize=fill", (100, 100)),
        ("width=100", (100, 50)),
        ("height=50", (100, 50)),
        ("width=300&height=40&resize=contain", (80, 40)),
        ("width=2000&height=2000&resize=contain", (400, 200)),  # never enlarged
        ("width=800&height=100", (400, 100)),  # cover crops to the box, no bigger
        ("", (400, 200)),
    ],
)
def test_resize_modes_give_the_documented_dimensions(http, landscape, query, size):
    response = http.get(f"/render/image/public/pics/{landscape}?{query}&format=origin")

    assert response.status_code == 200, response.text
    image = decoded(response.content)
    assert (image.format, image.size) == ("PNG", size)
    assert response.headers["content-type"] == "image/png"
    assert int(response.headers["content-length"]) == len(response.content)


def test_cover_crops_the_centre_and_fill_stretches(http, alice):
    # Left half red, right half blue: a centred 1:1 crop keeps both, a
    # stretch keeps both too, but a crop from the left would be all red.
    image = Image.new("RGB", (400, 200), (255, 0, 0))
    image.paste((0, 0, 255), (200, 0, 400, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    upload(alice.from_("pics"), f"{ALICE}/halves.png", out.getvalue())

    for mode in ("cover", "fill"):
        response = http.get(
            f"/render/image/public/pics/{ALICE}/halves.png"
            f"?width=50&height=50&resize={mode}&format=origin"
        )
        rendered = decoded(response.content).convert("RGB")
        assert rendered.size == (50, 50)
        assert rendered.getpixel((2, 25)) == (255, 0, 0), mode
        assert rendered.getpixel((47, 25)) == (0, 0, 255), mode


# ---------------------------------------------------------------- formats


def test_webp_for_clients_that_accept_it_and_origin_keeps_the_format(http, alice):
    upload(
        alice.from_("pics"),
        f"{ALICE}/photo.jpg",
        image_bytes((300, 300), "JPEG"),
        "image/jpeg",
    )
    url = f"/render/image/public/pics/{ALICE}/photo.jpg?width=100"

    browser = http.get(url, headers={"Accept": BROWSER_ACCEPT})
    plain = http.get(url, headers={"Accept": "*/*"})
    origin = http.get(url + "&format=origin", headers={"Accept": BROWSER_ACCEPT})
    avif = http.get(url + "&format=avif")
    webp = http.get(url + "&format=webp", headers={"Accept": "*/*"})

    assert (browser.headers["content-type"], decoded(browser.content).format) == (
        "image/webp",
        "WEBP",
    )
    assert browser.headers["vary"] == "Accept"
    assert decoded(plain.content).format == "JPEG"
    assert (origin.headers["content-type"], decoded(origin.content).format) == (
        "image/jpeg",
        "JPEG",
    )
    assert (avif.headers["content-type"], decoded(avif.content).format) == (
        "image/avif",
        "AVIF",
    )
    assert decoded(webp.content).format == "WEBP"
    assert decoded(avif.content).size == (100, 100)
    # One ETag per rendering: negotiated WebP is the asked-for one, and a
    # client without WebP gets the origin's.
    assert browser.headers["etag"] == webp.headers["etag"]
    assert plain.headers["etag"] == origin.headers["etag"]
    assert len({r.headers["etag"] for r in (browser, origin, avif)}) == 3


def test_quality_changes_the_encoding(http, alice):
    upload(
        alice.from_("pics"),
        f"{ALICE}/quality.jpg",
        image_bytes((300, 300), "JPEG"),
        "image/jpeg",
    )
    url = f"/render/image/public/pics/{ALICE}/quality.jpg?format=origin&quality="

    low = http.get(url + "20")
    high = http.get(url + "100")
    default = http.get(url[: -len("&quality=")])

    assert low.status_code == high.status_code == default.status_code == 200
    assert len(low.content) < len(default.content) < len(high.content)


def test_a_transparent_png_becomes_a_jpeg_on_white_only_when_origin_is_jpeg(
    http, alice
):
    image = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    upload(alice.from_("pics"), f"{ALICE}/clear.png", out.getvalue())

    response = http.get(
        f"/render/image/public/pics/{ALICE}/clear.png?width=10&format=origin"
    )

    rendered = decoded(response.content)
    assert (rendered.format, rendered.mode) == ("PNG", "RGBA")
    assert rendered.getpixel((5, 5))[3] == 0


# ---------------------------------------------------------------- headers and cache


def test_headers_follow_the_object_and_if_none_match_is_304(http, alice):
    alice.from_("pics").upload(
        f"{ALICE}/cached.png",
        image_bytes((64, 64)),
        {"content-type": "image/png", "cache-control": "300", "upsert": "true"},
    )
    url = f"/render/image/public/pics/{ALICE}/cached.png?width=32&format=origin"

    first = http.get(url)
    again = http.get(url, headers={"If-None-Match": first.headers["etag"]})
    named = http.get(url + "&download=small.png")

    assert first.headers["cache-control"] == "max-age=300"
    assert first.headers["etag"].startswith('"')
    assert "content-disposition" not in first.headers
    assert again.status_code == 304
    assert named.headers["content-disposition"].startswith(
        'attachment; filename="small.png"'
    )


def test_a_repeated_request_is_served_from_the_cache(server, http, alice):
    upload(alice.from_("pics"), f"{ALICE}/once.png", image_bytes((120, 80)))
    url = f"/render/image/public/pics/{ALICE}/once.png?width=60&format=origin"
    before = set(renders(server))

    first = http.get(url)
    created = sorted(set(renders(server)) - before)
    assert len(created) == 1
    stamp = created[0].stat()
    second = http.get(url)
    # Same options spelt differently are the same rendering.
    reordered = http.get(
        f"/render/image/public/pics/{ALICE}/once.png"
        "?format=origin&quality=80&resize=cover&width=60"
    )

    assert first.content == second.content == reordered.content
    assert first.headers["etag"] == second.headers["etag"]
    # Not rendered again: a fresh rendering is written to a new file that
    # replaces the old one, so the inode would change.
    after = created[0].stat()
    assert (after.st_ino, after.st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)
    assert sorted(set(renders(server)) - before) == created


def test_a_new_upload_is_rendered_afresh_and_drops_old_renders(server, http, alice):
    files = alice.from_("pics")
    path = f"{ALICE}/changing.png"
    upload(files, path, image_bytes((100, 100)))
    url = f"/render/image/public/pics/{path}?width=50&format=origin"
    old = http.get(url)
    old_files = set(renders(server))

    red = Image.new("RGB", (100, 100), (255, 0, 0))
    out = io.BytesIO()
    red.save(out, format="PNG")
    upload(files, path, out.getvalue())
    new = http.get(url)

    assert old.headers["etag"] != new.headers["etag"]
    assert decoded(new.content).convert("RGB").getpixel((25, 25)) == (255, 0, 0)
    gone = old_files - set(renders(server))
    assert len(gone) == 1
    current = set(renders(server)) - old_files
    assert len(current) == 1
    files.remove([path])
    assert http.get(url).status_code == 404
    assert current - set(renders(server)) == current


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "query",
    [
        "width=0",
        "width=2501",
        "height=-5",
        "width=abc",
        "width=1.5",
        "quality=19",
        "quality=101",
        "resize=stretch",
        "format=gif",
    ],
)
def test_bad_parameters_are_400(http, landscape, query):
    response = http.get(f"/render/image/public/pics/{landscape}?{query}")

    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["statusCode"], body["code"]) == ("400", "InvalidRequest")
    assert query.split("=")[0] in body["message"]


def test_a_file_that_is_not_an_image_is_415(http, alice):
    alice.from_("pics").upload(
        f"{ALICE}/notes.txt", b"hello", {"content-type": "text/plain"}
    )

    response = http.get(f"/render/image/public/pics/{ALICE}/notes.txt?width=10")

    assert response.status_code == 415
    assert response.json() == {
        "statusCode": "415",
        "code": "InvalidMimeType",
        "error": "invalid_mime_type",
        "message": "mime type text/plain is not supported",
    }


def test_a_corrupted_image_is_400(server, http, alice):
    whole = image_bytes((200, 200))
    upload(alice.from_("pics"), f"{ALICE}/broken.png", whole[: len(whole) // 2])
    upload(alice.from_("pics"), f"{ALICE}/garbage.png", b"\x89PNG not really")
    before = renders(server)

    for name in ("broken.png", "garbage.png"):
        response = http.get(f"/render/image/public/pics/{ALICE}/{name}?width=10")
        assert response.status_code == 400, (name, response.text)
        assert response.json()["message"] == (
            "The source image is invalid or unsupported for rendering"
        )
    assert renders(server) == before


def bomb(width: int, height: int) -> bytes:
    """A valid PNG header declaring `width`×`height` over a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(10_000, 10_000), (100_000, 100_000)])
def test_a_decompression_bomb_is_refused_without_decoding(http, alice, size):
    """Both sides of Pillow's own limit: above 50 MP ours refuses, above
    twice MAX_IMAGE_PIXELS Pillow's."""
    name = f"{ALICE}/bomb-{size[0]}.png"
    upload(alice.from_("pics"), name, bomb(*size))

    started = time.monotonic()
    response = http.get(f"/render/image/public/pics/{name}?width=10")

    assert time.monotonic() - started < 5
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(
        "The source image resolution is too large to process"
    )


# ---------------------------------------------------------------- routes


def test_public_route_serves_public_buckets_only(http, alice):
    upload(alice.from_("private"), f"{ALICE}/secret.png", image_bytes((40, 40)))

    response = http.get(f"/render/image/public/private/{ALICE}/secret.png?width=10")

    assert (response.status_code, response.json()["code"]) == (404, "NoSuchBucket")


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 200), ("bob", 404), ("anon", 404), ("none", 401)]
)
def test_authenticated_route_applies_row_level_security(
    server, http, alice, who, status
):
    upload(alice.from_("private"), f"{ALICE}/mine.png", image_bytes((40, 40)))
    headers = {
        "alice": server.headers(ALICE),
        "bob": server.headers(BOB),
        "anon": server.headers(),
        "none": {},
    }[who]

    response = http.get(
        f"/render/image/authenticated/private/{ALICE}/mine.png?width=20&format=origin",
        headers=headers,
    )

    assert response.status_code == status, response.text
    if status == 200:
        assert decoded(response.content).size == (20, 20)


def test_signed_url_with_transform_carries_its_options(server, alice):
    files = alice.from_("private")
    upload(files, f"{ALICE}/signed.png", image_bytes((200, 100)))

    signed = files.create_signed_url(
        f"{ALICE}/signed.png",
        60,
        {
            "transform": {
                "width": 50,
                "height": 50,
                "resize": "contain",
                "format": "origin",
            }
        },
    )["signedURL"]
    assert "/storage/v1/render/image/sign/private/" in signed
    fetched = httpx.get(signed)
    # Options in the query cannot change what the token says.
    tampered = httpx.get(signed + "&width=150&resize=fill")
    plain = files.create_signed_url(f"{ALICE}/signed.png", 60)["signedURL"]

    assert fetched.status_code == 200, fetched.text
    assert decoded(fetched.content).size == (50, 25)
    assert decoded(tampered.content).size == (50, 25)
    assert "/storage/v1/object/sign/private/" in plain
    assert decoded(httpx.get(plain).content).size == (200, 100)
    # A plain signed URL's token renders the image untransformed.
    token = plain.split("token=")[1]
    untouched = httpx.get(
        f"{server.url}/storage/v1/render/image/sign/private/{ALICE}/signed.png"
        f"?token={token}",
        headers={"Accept": "*/*"},
    )
    assert decoded(untouched.content).size == (200, 100)


def test_signed_render_refuses_other_objects_bad_and_expired_tokens(server, alice):
    files = alice.from_("private")
    upload(files, f"{ALICE}/a.png", image_bytes((40, 40)))
    upload(files, f"{ALICE}/b.png", image_bytes((40, 40)))
    base = f"{server.url}/storage/v1/render/image/sign/private/{ALICE}"

    def token(seconds: int) -> str:
        url = files.create_signed_url(
            f"{ALICE}/a.png", seconds, {"transform": {"width": 10}}
        )["signedURL"]
        return url.split("token=")[1]

    # A long-lived token for the other refusals: a busy machine must not turn
    # them into expiries.
    lasting, short = token(600), token(1)
    other = httpx.get(f"{base}/b.png?token={lasting}")
    missing = httpx.get(f"{base}/a.png")
    forged = httpx.get(f"{base}/a.png?token={lasting[:-4]}AAAA")
    time.sleep(2.1)
    expired = httpx.get(f"{base}/a.png?token={short}")

    assert (other.status_code, other.json()["code"]) == (400, "InvalidSignature")
    assert (missing.status_code, missing.json()["code"]) == (400, "InvalidSignature")
    assert (forged.status_code, forged.json()["code"]) == (400, "InvalidSignature")
    assert (expired.status_code, expired.json()["code"]) == (400, "ExpiredToken")


def test_signing_with_bad_transform_options_is_400(alice):
    files = alice.from_("private")
    upload(files, f"{ALICE}/sign-bad.png", image_bytes((40, 40)))

    with pytest.raises(StorageApiError) as raised:
        files.create_signed_url(
            f"{ALICE}/sign-bad.png", 60, {"transform": {"width": 5000}}
        )

    assert raised.value.status == "400"


def test_signing_needs_read_access(bob, alice):
    upload(alice.from_("private"), f"{ALICE}/not-bobs.png", image_bytes((40, 40)))

    with pytest.raises(StorageApiError) as raised:
        bob.from_("private").create_signed_url(
            f"{ALICE}/not-bobs.png", 60, {"transform": {"width": 10}}
        )

    assert raised.value.status == "404"


# ---------------------------------------------------------------- supabase-py


def test_supabase_py_public_url_and_download_with_transform(alice, anon, landscape):
    url = anon.from_("pics").get_public_url(
        landscape, {"transform": {"width": 100, "height": 100, "resize": "contain"}}
    )
    assert "/storage/v1/render/image/public/pics/" in url

    public = httpx.get(url, headers={"Accept": BROWSER_ACCEPT})
    downloaded = alice.from_("pics").download(
        landscape, {"transform": {"width": 50, "format": "origin", "quality": 90}}
    )

    assert public.status_code == 200, public.text
    assert (decoded(public.content).format, decoded(public.content).size) == (
        "WEBP",
        (100, 50),
    )
    assert (decoded(downloaded).format, decoded(downloaded).size) == ("PNG", (50, 25))
