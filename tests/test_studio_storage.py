"""The Studio's Storage page: its JSON endpoints (auth, CSRF, the storage
services they call as the service role, with the bucket's limits) and the
page in Chromium (buckets, folders, uploads with progress, previews, signed
URLs, rename, delete)."""

from __future__ import annotations

import io
import uuid
from urllib.parse import quote

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import ALICE
from tests.studio_http import StudioClient

API = "/studio/api/storage/buckets"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
XSS_NAME = '<img src=x onerror="window.__xss=1">.txt'


def png(color: str = "red", size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, "PNG")
    return buffer.getvalue()


def new_bucket_id() -> str:
    return "sb_" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def operator(studio_live) -> StudioClient:
    client = StudioClient(studio_live.url)
    yield client
    client.http.close()


def upload(
    operator: StudioClient,
    bucket: str,
    name: str,
    data: bytes,
    content_type: str = "text/plain",
    *,
    upsert: bool = False,
    csrf: bool = True,
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if csrf:
        headers["X-CSRFToken"] = operator.http.cookies["csrftoken"]
    return operator.http.put(
        f"{API}/{quote(bucket, safe='')}/objects/{quote(name)}"
        + ("?upsert=true" if upsert else ""),
        content=data,
        headers=headers,
    )


def make_bucket(operator: StudioClient, **options) -> str:
    bucket_id = new_bucket_id()
    response = operator.send("POST", API, {"name": bucket_id, **options})
    assert response.status_code == 201, response.text
    return bucket_id


def names(operator: StudioClient, bucket: str, path: str = "") -> list[str]:
    response = operator.get(f"{API}/{bucket}/objects", params={"path": path})
    return [entry["path"] for entry in response.json()["entries"]]


@pytest.fixture
def bucket(operator) -> str:
    """A private bucket holding `a.txt`."""
    bucket_id = make_bucket(operator)
    assert upload(operator, bucket_id, "a.txt", b"alpha").status_code == 201
    return bucket_id


# ------------------------------------------------------------------ auth matrix

WRITES = [
    ("POST", API, {"name": "sb_intruder"}),
    ("PUT", API + "/{b}", {"public": True}),
    ("DELETE", API + "/{b}", None),
    ("POST", API + "/{b}/empty", {}),
    ("DELETE", API + "/{b}/objects", {"names": ["a.txt"]}),
    ("PUT", API + "/{b}/objects/new.txt", None),
    ("POST", API + "/{b}/move", {"from": "a.txt", "to": "b.txt"}),
    ("POST", API + "/{b}/sign", {"name": "a.txt", "expires_in": 60}),
]
READS = [
    ("GET", API, None),
    ("GET", API + "/{b}", None),
    ("GET", API + "/{b}/objects", None),
    ("GET", API + "/{b}/objects/a.txt", None),
    ("GET", API + "/{b}/file/a.txt", None),
]


def state(operator: StudioClient, bucket: str) -> tuple:
    buckets = operator.get(API).json()["buckets"]
    detail = operator.get(f"{API}/{bucket}").json()
    return (
        "sb_intruder" in [b["id"] for b in buckets],
        detail["public"],
        names(operator, bucket),
    )


@pytest.mark.parametrize(("method", "path", "body"), WRITES + READS)
def test_endpoints_refuse_requests_without_an_operator_session(
    studio_live, operator, bucket, method, path, body
):
    response = httpx.request(
        method, studio_live.url + path.format(b=bucket), json=body, timeout=30
    )

    assert response.status_code == 403
    assert "alpha" not in response.text
    assert state(operator, bucket) == (False, False, ["a.txt"])


@pytest.mark.parametrize(("method", "path", "body"), WRITES + READS)
def test_endpoints_refuse_an_app_users_token(
    studio_live, operator, bucket, method, path, body
):
    response = httpx.request(
        method,
        studio_live.url + path.format(b=bucket),
        headers=studio_live.headers(ALICE, key=studio_live.service_key),
        json=body,
        timeout=30,
    )

    assert response.status_code == 403
    assert "alpha" not in response.text
    assert state(operator, bucket) == (False, False, ["a.txt"])


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_without_the_csrf_header_are_refused(
    operator, bucket, method, path, body
):
    response = operator.http.request(
        method, path.format(b=bucket), json=body, headers={"X-CSRFToken": ""}
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert state(operator, bucket) == (False, False, ["a.txt"])


def test_an_upload_without_the_csrf_header_stores_nothing(operator, bucket):
    response = upload(operator, bucket, "sneaky.txt", b"x", csrf=False)

    assert response.status_code == 403
    assert names(operator, bucket) == ["a.txt"]


@pytest.mark.parametrize("path", ["/studio/storage/", "/studio/storage/{b}/"])
def test_pages_send_visitors_without_a_session_to_sign_in(studio_live, bucket, path):
    response = httpx.get(studio_live.url + path.format(b=bucket))

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/studio/login/")


# ------------------------------------------------------------------ buckets


def test_a_bucket_is_created_with_its_limits_and_listed_with_its_usage(operator):
    bucket_id = make_bucket(
        operator,
        public=True,
        file_size_limit="1KB",
        allowed_mime_types=["image/*", "text/plain"],
    )
    upload(operator, bucket_id, "one.txt", b"12345")
    upload(operator, bucket_id, "docs/two.txt", b"123")
    upload(operator, bucket_id, "empty/.emptyFolderPlaceholder", b"")

    listed = {b["id"]: b for b in operator.get(API).json()["buckets"]}[bucket_id]

    assert (listed["public"], listed["file_size_limit"]) == (True, 1024)
    assert listed["allowed_mime_types"] == ["image/*", "text/plain"]
    assert (listed["files"], listed["size"]) == (2, 8)


def test_uploads_obey_the_buckets_size_and_type_limits(operator):
    bucket_id = make_bucket(
        operator, file_size_limit=1024, allowed_mime_types=["image/*"]
    )

    allowed = upload(operator, bucket_id, "pic.png", png(), "image/png")
    wrong_type = upload(operator, bucket_id, "notes.txt", b"text", "text/plain")
    too_big = upload(operator, bucket_id, "big.png", b"\0" * 2048, "image/png")

    assert allowed.status_code == 201
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (
        415,
        "InvalidMimeType",
    )
    assert (too_big.status_code, too_big.json()["code"]) == (413, "EntityTooLarge")
    assert names(operator, bucket_id) == ["pic.png"]


def test_bucket_settings_change_and_a_lowered_limit_applies(operator, bucket):
    response = operator.send(
        "PUT", f"{API}/{bucket}", {"file_size_limit": "4B", "public": True}
    )
    too_big = upload(operator, bucket, "b.txt", b"12345")

    assert response.status_code == 200
    assert (response.json()["public"], response.json()["file_size_limit"]) == (
        True,
        4,
    )
    assert too_big.status_code == 413


def test_a_bad_size_limit_is_the_apis_error(operator):
    response = operator.send(
        "POST", API, {"name": new_bucket_id(), "file_size_limit": "lots"}
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid file size format")


def test_a_non_empty_bucket_is_deleted_only_once_emptied(operator, bucket):
    refused = operator.send("DELETE", f"{API}/{bucket}")
    emptied = operator.send("POST", f"{API}/{bucket}/empty", {})
    deleted = operator.send("DELETE", f"{API}/{bucket}")

    assert (refused.status_code, refused.json()["code"]) == (409, "ResourceNotEmpty")
    assert emptied.status_code == 200
    assert deleted.status_code == 200
    assert operator.get(f"{API}/{bucket}").status_code == 404


# ------------------------------------------------------------------ objects


def test_an_existing_name_is_a_409_unless_upserted(operator, bucket):
    refused = upload(operator, bucket, "a.txt", b"beta")
    replaced = upload(operator, bucket, "a.txt", b"beta", upsert=True)

    assert (refused.status_code, refused.json()["code"]) == (409, "KeyAlreadyExists")
    assert replaced.status_code == 201
    assert operator.get(f"{API}/{bucket}/file/a.txt").content == b"beta"


def test_a_folder_lists_its_folders_and_files_by_name_a_page_at_a_time(
    operator, bucket
):
    for name in ["docs/x.txt", "docs/sub/y.txt", "docs/.emptyFolderPlaceholder"]:
        upload(operator, bucket, name, b"x")
    for index in range(5):
        upload(operator, bucket, f"docs/f{index}.txt", b"x")

    first = operator.get(f"{API}/{bucket}/objects?path=docs/&per_page=3").json()
    last = operator.get(f"{API}/{bucket}/objects?path=docs&per_page=3&page=3").json()
    found = operator.get(f"{API}/{bucket}/objects?path=docs/&search=F3").json()

    # The placeholder takes its place on a page but is never shown.
    assert [(e["path"], e["is_folder"]) for e in first["entries"]] == [
        ("docs/f0.txt", False),
        ("docs/f1.txt", False),
    ]
    assert (first["has_more"], first["breadcrumbs"]) == (
        True,
        [{"name": "docs", "path": "docs/"}],
    )
    assert [(e["path"], e["is_folder"]) for e in last["entries"]] == [
        ("docs/sub/", True),
        ("docs/x.txt", False),
    ]
    assert last["has_more"] is False
    assert [e["path"] for e in found["entries"]] == ["docs/f3.txt"]


def test_a_page_size_over_the_apis_maximum_is_refused(operator, bucket):
    response = operator.get(f"{API}/{bucket}/objects?per_page=5000")

    assert response.status_code == 400
    assert "per_page" in response.json()["message"]


def test_details_describe_the_object_and_a_public_url_serves_it(studio_live, operator):
    bucket_id = make_bucket(operator, public=True)
    upload(operator, bucket_id, "img/dot.png", png(), "image/png")

    details = operator.get(f"{API}/{bucket_id}/objects/img/dot.png").json()
    public = httpx.get(details["public_url"])

    assert details["name"] == "img/dot.png"
    assert (details["size"], details["content_type"]) == (len(png()), "image/png")
    assert (details["preview"], details["cache_control"]) == ("image", "max-age=3600")
    assert details["public_url"] == (
        f"{studio_live.url}/storage/v1/object/public/{bucket_id}/img/dot.png"
    )
    assert public.content == png()


def test_a_private_bucket_has_no_public_url(operator, bucket):
    details = operator.get(f"{API}/{bucket}/objects/a.txt").json()

    assert (details["public_url"], details["preview"]) == (None, "text")


def test_files_are_served_sandboxed_except_pdfs(operator, bucket):
    upload(operator, bucket, "page.html", b"<script>1</script>", "text/html")
    upload(operator, bucket, "doc.pdf", PDF, "application/pdf")

    html = operator.get(f"{API}/{bucket}/file/page.html")
    pdf = operator.get(f"{API}/{bucket}/file/doc.pdf")
    download = operator.get(f"{API}/{bucket}/file/a.txt?download")

    assert html.headers["Content-Security-Policy"] == "sandbox"
    assert html.headers["X-Content-Type-Options"] == "nosniff"
    assert (pdf.content, pdf.headers["Content-Type"]) == (PDF, "application/pdf")
    assert "Content-Security-Policy" not in pdf.headers
    assert download.headers["Content-Disposition"].startswith(
        'attachment; filename="a.txt"'
    )


def test_a_signed_url_serves_the_bytes_until_it_expires(operator, bucket):
    upload(operator, bucket, "dir/with space?.txt", b"signed bytes")

    response = operator.send(
        "POST",
        f"{API}/{bucket}/sign",
        {"name": "dir/with space?.txt", "expires_in": 60},
    )
    bad_expiry = operator.send(
        "POST", f"{API}/{bucket}/sign", {"name": "a.txt", "expires_in": 0}
    )

    url = response.json()["signed_url"]
    assert "/object/sign/" + bucket + "/dir/with%20space%3F.txt?token=" in url
    assert httpx.get(url).content == b"signed bytes"
    assert bad_expiry.status_code == 400


def test_an_object_is_renamed_and_a_taken_name_refused(operator, bucket):
    upload(operator, bucket, "b.txt", b"beta")

    moved = operator.send(
        "POST", f"{API}/{bucket}/move", {"from": "a.txt", "to": "dir/c.txt"}
    )
    taken = operator.send(
        "POST", f"{API}/{bucket}/move", {"from": "b.txt", "to": "dir/c.txt"}
    )

    assert moved.status_code == 200
    assert (taken.status_code, taken.json()["code"]) == (409, "KeyAlreadyExists")
    assert operator.get(f"{API}/{bucket}/file/dir/c.txt").content == b"alpha"
    assert names(operator, bucket) == ["b.txt", "dir/"]


def test_files_and_whole_folders_are_deleted(operator, bucket):
    for name in ["keep.txt", "old/x.txt", "old/deep/y.txt", "older/z.txt"]:
        upload(operator, bucket, name, b"x")

    response = operator.send(
        "DELETE",
        f"{API}/{bucket}/objects",
        {"names": ["a.txt"], "folders": ["old/"]},
    )

    assert response.json() == {"removed": 3}
    assert names(operator, bucket) == ["keep.txt", "older/"]


@pytest.mark.parametrize("name", ["a//b.txt", "dir/"])
def test_names_the_storage_rules_refuse_are_refused(operator, bucket, name):
    response = upload(operator, bucket, name, b"x")

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidKey"


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?page=0", 400, "page must be a whole number of at least 1"),
        ("?path=a//b", 400, "Invalid key: a//b"),
    ],
)
def test_a_bad_folder_query_shows_the_apis_error(
    operator, bucket, query, status, message
):
    response = operator.get(f"/studio/storage/{bucket}/{query}")

    assert response.status_code == status
    assert message in response.text


def test_an_unknown_bucket_is_a_404_page(operator):
    response = operator.get("/studio/storage/no_such_bucket/")

    assert response.status_code == 404


# ------------------------------------------------------------------ the page


def drop_files(page, files: list[tuple[str, str, bytes]]) -> None:
    """Drop `files` (name, type, bytes) on the folder listing, as a browser
    does when files are dragged onto it."""
    page.evaluate(
        """(files) => {
          const transfer = new DataTransfer();
          for (const [name, type, bytes] of files) {
            transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
          }
          const zone = document.querySelector("[data-dropzone]");
          for (const kind of ["dragenter", "dragover", "drop"]) {
            zone.dispatchEvent(new DragEvent(kind, {
              dataTransfer: transfer, bubbles: true, cancelable: true,
            }));
          }
        }""",
        [[name, kind, list(data)] for name, kind, data in files],
    )


def upload_row(page, name: str):
    return page.get_by_test_id("upload-item").filter(has_text=name)


def confirm(page, label: str) -> None:
    page.locator("dialog.confirm").get_by_role("button", name=label).click()


def test_an_operator_browses_uploads_previews_shares_renames_and_deletes(
    studio, studio_live
):
    page = studio.goto("/studio/storage/")
    bucket_id = new_bucket_id()
    page.get_by_role("button", name="New bucket").click()
    page.get_by_label("Name").fill(bucket_id)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/studio/storage/{bucket_id}/")
    expect(page.get_by_role("heading", name=bucket_id)).to_be_visible()
    expect(page.get_by_text("This folder is empty.")).to_be_visible()

    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Folder name").fill("photos")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**path=photos%2F**")
    expect(page.get_by_role("navigation", name="Breadcrumbs")).to_contain_text("photos")

    page.set_input_files(
        "#upload-input",
        files=[
            {"name": "dot.png", "mimeType": "image/png", "buffer": png()},
            {"name": "doc.pdf", "mimeType": "application/pdf", "buffer": PDF},
        ],
    )
    for name in ["dot.png", "doc.pdf"]:
        expect(upload_row(page, name).get_by_test_id("upload-status")).to_have_text(
            "done"
        )
        expect(page.get_by_label(f"Upload of {name}")).to_have_js_property("value", 1)
    drop_files(page, [("notes.txt", "text/plain", b"dropped text")])
    expect(upload_row(page, "notes.txt").get_by_test_id("upload-status")).to_have_text(
        "done"
    )
    expect(page.get_by_test_id("file")).to_have_text(
        ["doc.pdf", "dot.png", "notes.txt"]
    )
    studio.screenshot("storage-uploads")

    page.get_by_role("link", name="dot.png").click()
    image = page.get_by_test_id("image-preview")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=image-preview]').naturalWidth === 8"
    )
    details = page.get_by_test_id("details")
    expect(details).to_contain_text("image/png")
    expect(details).to_contain_text("max-age=3600")
    page.get_by_label("Signed URL, valid for").select_option(label="1 minute")
    page.get_by_role("button", name="Create and copy").click()
    signed = page.get_by_label("Signed URL", exact=True)
    expect(signed).to_have_value(
        re_signed(studio_live.url, bucket_id, "photos/dot.png")
    )
    assert httpx.get(signed.input_value()).content == png()
    studio.screenshot("storage")

    page.get_by_role("link", name="doc.pdf").click()
    pdf = page.get_by_test_id("pdf-preview")
    expect(pdf).to_be_visible()
    source = pdf.get_attribute("src")
    served = page.request.get(studio_live.url + source)
    assert (served.body(), served.headers["content-type"]) == (PDF, "application/pdf")

    page.get_by_role("link", name="notes.txt").click()
    expect(page.get_by_test_id("text-preview")).to_have_text("dropped text")
    page.get_by_role("button", name="Rename or move").click()
    page.get_by_label(f"New path in {bucket_id}").fill("photos/renamed.txt")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="photos/renamed.txt")).to_be_visible()
    expect(page.get_by_test_id("file")).to_have_text(
        ["doc.pdf", "dot.png", "renamed.txt"]
    )

    page.get_by_test_id("details").get_by_role("button", name="Delete").click()
    expect(page.locator("dialog.confirm")).to_contain_text("photos/renamed.txt")
    confirm(page, "Delete")
    expect(page.get_by_test_id("details")).to_have_count(0)
    expect(page.get_by_test_id("file")).to_have_text(["doc.pdf", "dot.png"])

    page.get_by_label("Select doc.pdf").check()
    page.get_by_label("Select dot.png").check()
    page.get_by_role("button", name="Delete selected").click()
    confirm(page, "Delete")
    expect(page.get_by_test_id("file")).to_have_count(0)
    assert studio.console_errors == []


def re_signed(url: str, bucket_id: str, name: str):
    import re

    return re.compile(
        re.escape(f"{url}/storage/v1/object/sign/{bucket_id}/{name}?token=") + r".+"
    )


def test_a_lowered_size_limit_refuses_an_upload_with_the_apis_413(studio, operator):
    bucket_id = make_bucket(operator)
    page = studio.goto(f"/studio/storage/{bucket_id}/")

    page.get_by_role("button", name="Bucket settings").click()
    page.get_by_label("File size limit").fill("1KB")
    page.get_by_label("Allowed MIME types").fill("image/*, text/plain")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Size limit: 1.0 KB")).to_be_visible()
    expect(page.get_by_text("Allowed types: image/*, text/plain")).to_be_visible()

    page.set_input_files(
        "#upload-input",
        files=[
            {"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * 4096},
            {"name": "a.bin", "mimeType": "application/zip", "buffer": b"PK"},
            {"name": "small.txt", "mimeType": "text/plain", "buffer": b"ok"},
        ],
    )

    status = upload_row(page, "big.txt").get_by_test_id("upload-status")
    expect(status).to_have_text("413: The object exceeded the maximum allowed size")
    expect(upload_row(page, "a.bin").get_by_test_id("upload-status")).to_have_text(
        "415: mime type application/zip is not supported"
    )
    expect(upload_row(page, "small.txt").get_by_test_id("upload-status")).to_have_text(
        "done"
    )
    expect(page.get_by_test_id("file")).to_have_text(["small.txt"])


def test_an_existing_name_shows_409_unless_overwrite_is_chosen(studio, operator):
    bucket_id = make_bucket(operator)
    upload(operator, bucket_id, "same.txt", b"old")
    page = studio.goto(f"/studio/storage/{bucket_id}/")
    file = {"name": "same.txt", "mimeType": "text/plain", "buffer": b"new"}

    page.set_input_files("#upload-input", files=[file])
    expect(upload_row(page, "same.txt").get_by_test_id("upload-status")).to_have_text(
        "409: The resource already exists"
    )
    page.get_by_label("Overwrite files that exist").check()
    page.set_input_files("#upload-input", files=[file])

    expect(
        upload_row(page, "same.txt").first.get_by_test_id("upload-status")
    ).to_have_text("done")
    assert operator.get(f"{API}/{bucket_id}/file/same.txt").content == b"new"


def test_a_bucket_is_deleted_only_after_it_is_emptied(studio, operator):
    bucket_id = make_bucket(operator, public=True)
    upload(operator, bucket_id, "left/behind.txt", b"x")
    page = studio.goto(f"/studio/storage/{bucket_id}/")
    expect(page.get_by_role("navigation", name="Buckets")).to_contain_text("Public")

    page.get_by_role("button", name="Delete bucket").click()
    confirm(page, "Delete bucket")
    expect(page.get_by_test_id("storage-error")).to_have_text(
        "The bucket you tried to delete is not empty"
    )
    page.get_by_role("button", name="Empty bucket").click()
    confirm(page, "Empty bucket")
    expect(page.get_by_text("This folder is empty.")).to_be_visible()
    page.get_by_role("button", name="Delete bucket").click()
    confirm(page, "Delete bucket")

    page.wait_for_url("**/studio/storage/")
    expect(page.get_by_role("link", name=bucket_id)).to_have_count(0)
    assert operator.get(f"{API}/{bucket_id}").status_code == 404


def test_names_with_markup_are_shown_as_text(studio, operator):
    bucket_id = "sb x&y='1';(" + uuid.uuid4().hex[:6] + ")"
    assert operator.send("POST", API, {"name": bucket_id}).status_code == 201
    assert (
        upload(operator, bucket_id, f"{XSS_NAME}/{XSS_NAME}", b"x").status_code == 201
    )

    page = studio.goto(f"/studio/storage/{quote(bucket_id, safe='')}/")
    page.get_by_role("link", name=XSS_NAME + "/").click()
    page.get_by_test_id("file").click()

    expect(page.get_by_role("heading", name=f"{XSS_NAME}/{XSS_NAME}")).to_be_visible()
    expect(page.get_by_role("heading", name=bucket_id)).to_be_visible()
    expect(page.get_by_role("navigation", name="Breadcrumbs")).to_contain_text(XSS_NAME)
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("() => window.__xss") is None


def test_the_storage_page_links_to_the_policies_of_storage_objects(studio):
    page = studio.goto("/studio/storage/")
    expect(page.get_by_role("link", name="Storage", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    page.get_by_role("link", name="Policies for storage.objects").click()

    expect(page.get_by_role("heading", name="storage.objects")).to_be_visible()


def test_a_large_folder_is_paged_on_the_server(studio, operator):
    bucket_id = make_bucket(operator)
    for index in range(5):
        upload(operator, bucket_id, f"many/f{index}.txt", b"x")
    page = studio.goto(f"/studio/storage/{bucket_id}/?path=many/&per_page=2")
    expect(page.get_by_test_id("file")).to_have_text(["f0.txt", "f1.txt"])

    page.get_by_role("link", name="Next").click()
    expect(page.get_by_test_id("file")).to_have_text(["f2.txt", "f3.txt"])
    page.get_by_role("link", name="Next").click()

    expect(page.get_by_test_id("file")).to_have_text(["f4.txt"])
    expect(page.get_by_text("Page 3")).to_be_visible()
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    page.get_by_role("search").get_by_label("Search this folder").fill("F3")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("file")).to_have_text(["f3.txt"])
    assert "path=many%2F" in page.url


def test_a_public_files_url_and_download_give_its_bytes(studio, operator):
    bucket_id = make_bucket(operator, public=True)
    upload(operator, bucket_id, "docs/readme.md", b"# hello", "text/markdown")
    page = studio.goto(f"/studio/storage/{bucket_id}/?path=docs/")
    page.get_by_role("link", name="readme.md").click()
    expect(page.get_by_test_id("text-preview")).to_have_text("# hello")

    public_url = page.get_by_label("Public URL").input_value()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()

    assert httpx.get(public_url).content == b"# hello"
    assert download.value.suggested_filename == "readme.md"
    assert download.value.path().read_bytes() == b"# hello"
