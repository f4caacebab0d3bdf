"""Resumable uploads at `/storage/v1/upload/resumable` against a live server,
driven by the tus protocol's own Python client (tuspy) and by raw requests."""

from __future__ import annotations

import base64
import fcntl
import io
import json
import socket
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError

from tests import storage_fixtures
from tests.conftest import (
    ALICE,
    BOB,
    LiveServer,
    create_users,
    new_project,
    run_cli,
    start_server,
    stop_server,
)
from tests.storage_fixtures import live_storage_server

POLICIES = """
insert into storage.buckets (id, name) values ('videos', 'videos');
insert into storage.buckets (id, name, file_size_limit, allowed_mime_types)
  values ('small', 'small', 1024, '["image/*"]');

create policy "read own files" on storage.objects for select to authenticated
  using (owner = auth.uid());
create policy "write own folder" on storage.objects for insert to authenticated
  with check ((storage.foldername(name))[1] = auth.uid()::text);
create policy "update own files" on storage.objects for update to authenticated
  using (owner = auth.uid());
"""

DATA = bytes(range(256)) * 1200  # 300 KiB, parts of 64 KiB
PART = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> LiveServer:
    with live_storage_server(tmp_path_factory.mktemp("resumable"), POLICIES) as live:
        yield live


http = storage_fixtures.http


def endpoint(server: LiveServer) -> str:
    return f"{server.url}/storage/v1/upload/resumable"


def tus_client(server: LiveServer, user: str | None) -> TusClient:
    return TusClient(endpoint(server), headers=server.headers(user))


def tus_headers(server: LiveServer, user: str | None) -> dict[str, str]:
    return server.headers(user) | {"Tus-Resumable": "1.0.0"}


def metadata_header(**fields: str) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in fields.items()
    )


def spool_files(server: LiveServer) -> list[str]:
    spool = server.project / "storage-uploads"
    return sorted(p.name for p in spool.iterdir()) if spool.exists() else []


def create(
    http: httpx.Client, server: LiveServer, user: str | None, name: str, **extra: str
) -> httpx.Response:
    fields = {"bucketName": "videos", "objectName": name} | extra
    return http.post(
        "/upload/resumable",
        headers=tus_headers(server, user)
        | {
            "Upload-Length": str(len(DATA)),
            "Upload-Metadata": metadata_header(**fields),
        },
    )


def test_options_advertise_the_protocol_without_a_key(http):
    response = http.options("/upload/resumable")

    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Version"] == "1.0.0"
    assert response.headers["Tus-Extension"] == (
        "creation,creation-with-upload,creation-defer-length,termination,expiration"
    )
    assert response.headers["Tus-Max-Size"] == str(50 * 1024 * 1024)


def test_tuspy_uploads_in_parts_and_the_object_downloads(server, http):
    before = spool_files(server)
    uploader = tus_client(server, ALICE).uploader(
        file_stream=io.BytesIO(DATA),
        chunk_size=PART,
        metadata={
            "bucketName": "videos",
            "objectName": f"{ALICE}/clip.mp4",
            "contentType": "video/mp4",
            "cacheControl": "60",
            "metadata": json.dumps({"camera": "front"}),
        },
    )

    uploader.upload()

    assert uploader.url.startswith(f"{endpoint(server)}/")
    assert uploader.offset == len(DATA)
    download = http.get(
        f"/object/authenticated/videos/{ALICE}/clip.mp4", headers=server.headers(ALICE)
    )
    assert download.status_code == 200
    assert download.content == DATA
    assert download.headers["Content-Type"] == "video/mp4"
    assert download.headers["Cache-Control"] == "max-age=60"
    info = http.get(
        f"/object/info/videos/{ALICE}/clip.mp4", headers=server.headers(ALICE)
    ).json()
    assert (info["size"], info["metadata"]) == (len(DATA), {"camera": "front"})
    assert spool_files(server) == before
    finished = http.head(uploader.url, headers=tus_headers(server, ALICE))
    assert finished.status_code == 404


def test_an_interrupted_upload_resumes_from_the_offset_head_reports(server, http):
    before = spool_files(server)
    name = f"{ALICE}/resumed.bin"
    first = tus_client(server, ALICE).uploader(
        file_stream=io.BytesIO(DATA),
        chunk_size=PART,
        metadata={"bucketName": "videos", "objectName": name},
    )
    first.upload(stop_at=2 * PART)
    url = first.url
    # The connection drops in the middle of the next part: half of it is sent.
    sent = _patch_and_drop(url, server.headers(ALICE), 2 * PART, DATA[2 * PART :])
    del first

    second = tus_client(server, ALICE).uploader(
        file_stream=io.BytesIO(DATA), chunk_size=PART, url=url
    )
    resumed_at = second.offset
    second.upload()

    assert resumed_at == 2 * PART + sent
    download = http.get(
        f"/object/authenticated/videos/{name}", headers=server.headers(ALICE)
    )
    assert download.content == DATA
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert spool_files(server) == before


def _patch_and_drop(url: str, headers: dict[str, str], offset: int, rest: bytes) -> int:
    """Send a PATCH that declares all of `rest` but delivers half, then hang
    up; wait for the server to close its side, and return the bytes sent."""
    parts = urlsplit(url)
    sent = len(rest) // 2
    head = [
        f"PATCH {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Tus-Resumable: 1.0.0",
        f"Upload-Offset: {offset}",
        "Content-Type: application/offset+octet-stream",
        f"Content-Length: {len(rest)}",
        *(f"{key}: {value}" for key, value in headers.items()),
    ]
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + rest[:sent])
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(4096):
            pass
    return sent


def test_a_user_refused_by_policy_gets_403_before_sending_bytes(server, http):
    before = spool_files(server)
    into_alices_folder = tus_client(server, BOB).uploader(
        file_stream=io.BytesIO(DATA),
        chunk_size=PART,
        metadata={"bucketName": "videos", "objectName": f"{ALICE}/planted.bin"},
    )

    with pytest.raises(TusCommunicationError) as refused:
        into_alices_folder.upload()
    with_body = http.post(
        "/upload/resumable",
        headers=tus_headers(server, None)
        | {
            "Upload-Length": "4",
            "Upload-Metadata": metadata_header(
                bucketName="videos", objectName="anon.bin"
            ),
            "Content-Type": "application/offset+octet-stream",
        },
        content=b"data",
    )

    assert refused.value.status_code == 403
    assert json.loads(refused.value.response_content) == {
        "statusCode": "403",
        "code": "AccessDenied",
        "error": "Unauthorized",
        "message": "new row violates row-level security policy",
    }
    assert with_body.status_code == 403
    assert "Location" not in with_body.headers
    assert spool_files(server) == before
    listed = http.post(
        "/object/list/videos",
        headers=server.headers(key=server.service_key),
        json={"prefix": ALICE},
    ).json()
    assert "planted.bin" not in [item["name"] for item in listed]


def test_bucket_limits_are_checked_on_creation(server, http):
    before = spool_files(server)

    def create_in_small(length: int, content_type: str) -> httpx.Response:
        return http.post(
            "/upload/resumable",
            headers=tus_headers(server, ALICE)
            | {
                "Upload-Length": str(length),
                "Upload-Metadata": metadata_header(
                    bucketName="small",
                    objectName=f"{ALICE}/a.png",
                    contentType=content_type,
                ),
            },
        )

    too_big = create_in_small(1025, "image/png")
    wrong_type = create_in_small(10, "text/plain")

    assert too_big.status_code == 413
    assert too_big.json()["code"] == "EntityTooLarge"
    assert wrong_type.status_code == 415
    assert wrong_type.json() == {
        "statusCode": "415",
        "code": "InvalidMimeType",
        "error": "invalid_mime_type",
        "message": "mime type text/plain is not supported",
    }
    assert spool_files(server) == before


def test_a_part_at_the_wrong_offset_is_409_and_changes_nothing(server, http):
    created = create(http, server, ALICE, f"{ALICE}/offset.bin")
    url = created.headers["Location"]

    wrong = http.patch(
        url,
        headers=tus_headers(server, ALICE)
        | {"Upload-Offset": "5", "Content-Type": "application/offset+octet-stream"},
        content=DATA[5:100],
    )
    head = http.head(url, headers=tus_headers(server, ALICE))

    assert created.status_code == 201
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "InvalidUploadOffset"
    assert (head.status_code, head.headers["Upload-Offset"]) == (200, "0")
    assert head.headers["Upload-Length"] == str(len(DATA))
    http.delete(url, headers=tus_headers(server, ALICE))


def test_termination_deletes_the_upload_and_its_bytes(server, http):
    before = spool_files(server)
    created = create(http, server, ALICE, f"{ALICE}/terminated.bin")
    url = created.headers["Location"]
    upload_id = url.rsplit("/", 1)[1]
    part = http.patch(
        url,
        headers=tus_headers(server, ALICE)
        | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=DATA[:PART],
    )
    held = spool_files(server)

    deleted = http.delete(url, headers=tus_headers(server, ALICE))
    head = http.head(url, headers=tus_headers(server, ALICE))

    assert (part.status_code, part.headers["Upload-Offset"]) == (204, str(PART))
    assert set(held) - set(before) == {upload_id}
    assert deleted.status_code == 204
    assert head.status_code == 404
    assert spool_files(server) == before
    missing = http.get(
        f"/object/authenticated/videos/{ALICE}/terminated.bin",
        headers=server.headers(ALICE),
    )
    assert missing.status_code == 404


def test_only_the_creator_can_see_or_continue_an_upload(server, http):
    url = create(http, server, ALICE, f"{ALICE}/private.bin").headers["Location"]
    part = {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}

    bob_head = http.head(url, headers=tus_headers(server, BOB))
    bob_patch = http.patch(url, headers=tus_headers(server, BOB) | part, content=b"x")
    anon_delete = http.delete(url, headers=tus_headers(server, None))
    alice_head = http.head(url, headers=tus_headers(server, ALICE))

    assert (bob_head.status_code, bob_patch.status_code) == (404, 404)
    assert anon_delete.status_code == 404
    assert (alice_head.status_code, alice_head.headers["Upload-Offset"]) == (200, "0")
    http.delete(url, headers=tus_headers(server, ALICE))


def test_protocol_errors(server, http):
    url = create(http, server, ALICE, f"{ALICE}/protocol.bin").headers["Location"]

    no_version = http.head(url, headers=server.headers(ALICE))
    wrong_type = http.patch(
        url,
        headers=tus_headers(server, ALICE)
        | {"Upload-Offset": "0", "Content-Type": "application/octet-stream"},
        content=b"x",
    )
    past_the_end = http.patch(
        url,
        headers=tus_headers(server, ALICE)
        | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=DATA + b"x",
    )
    no_length = http.post(
        "/upload/resumable",
        headers=tus_headers(server, ALICE)
        | {"Upload-Metadata": metadata_header(bucketName="videos", objectName="a")},
    )
    no_name = http.post(
        "/upload/resumable",
        headers=tus_headers(server, ALICE)
        | {"Upload-Length": "1", "Upload-Metadata": metadata_header(bucketName="v")},
    )
    no_key = http.post("/upload/resumable", headers={"Tus-Resumable": "1.0.0"})

    assert (no_version.status_code, no_version.headers["Tus-Version"]) == (
        412,
        "1.0.0",
    )
    assert wrong_type.status_code == 415
    assert past_the_end.status_code == 413
    assert no_length.json()["message"] == (
        "Upload-Length must be a whole number of bytes"
    )
    assert no_name.json()["message"] == (
        "Upload-Metadata must name bucketName and objectName"
    )
    assert (no_length.status_code, no_name.status_code) == (400, 400)
    assert no_key.status_code == 401
    head = http.head(url, headers=tus_headers(server, ALICE))
    assert head.headers["Upload-Offset"] == "0"
    http.delete(url, headers=tus_headers(server, ALICE))


def test_a_part_while_another_writes_is_423(server, http):
    url = create(http, server, ALICE, f"{ALICE}/locked.bin").headers["Location"]
    spool = server.project / "storage-uploads" / url.rsplit("/", 1)[1]

    with spool.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        locked = http.patch(
            url,
            headers=tus_headers(server, ALICE)
            | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
            content=DATA[:PART],
        )

    assert locked.status_code == 423
    assert locked.json()["code"] == "ResourceLocked"
    assert (
        http.head(url, headers=tus_headers(server, ALICE)).headers["Upload-Offset"]
        == "0"
    )
    http.delete(url, headers=tus_headers(server, ALICE))


def test_creation_with_upload_and_upsert(server, http):
    before = spool_files(server)
    name = f"{ALICE}/whole.txt"
    fields = metadata_header(
        bucketName="videos", objectName=name, contentType="text/plain"
    )

    def upload(body: bytes, upsert: str) -> httpx.Response:
        return http.post(
            "/upload/resumable",
            headers=tus_headers(server, ALICE)
            | {
                "Upload-Length": str(len(body)),
                "Upload-Metadata": fields,
                "Content-Type": "application/offset+octet-stream",
                "x-upsert": upsert,
            },
            content=body,
        )

    first = upload(b"first", "false")
    duplicate = upload(b"again", "false")
    replaced = upload(b"second", "true")

    assert (first.status_code, first.headers["Upload-Offset"]) == (201, "5")
    assert first.headers["Tus-Complete"] == "1"
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "KeyAlreadyExists"
    assert replaced.status_code == 201
    download = http.get(
        f"/object/authenticated/videos/{name}", headers=server.headers(ALICE)
    )
    assert (download.content, download.headers["Content-Type"]) == (
        b"second",
        "text/plain",
    )
    assert spool_files(server) == before


def test_an_expired_upload_is_gone_and_cleaned_up_lazily(server, http):
    before = spool_files(server)
    expired = create(http, server, ALICE, f"{ALICE}/late.bin").headers["Location"]
    abandoned = create(http, server, BOB, f"{BOB}/left.bin").headers["Location"]
    # A day passes: no route moves the clock, so the row is edited in place.
    db = sqlite3.connect(server.project / "koyalite.sqlite3", timeout=10)
    with db:
        db.execute(
            "update storage_resumable_uploads set expires_at = '2000-01-01 00:00:00'"
        )
    db.close()

    gone = http.head(expired, headers=tus_headers(server, ALICE))
    fresh = create(http, server, ALICE, f"{ALICE}/fresh.bin").headers["Location"]

    assert gone.status_code == 410
    assert http.head(abandoned, headers=tus_headers(server, BOB)).status_code == 404
    assert set(spool_files(server)) - set(before) == {fresh.rsplit("/", 1)[1]}
    http.delete(fresh, headers=tus_headers(server, ALICE))


def test_an_upload_survives_a_server_restart(tmp_path):
    project = new_project(tmp_path)
    create_users(project, {ALICE: "alice@example.com"})
    run_cli(project, "sql", "-f", "-", stdin=POLICIES)
    first = start_server(project)
    try:
        uploader = tus_client(first, ALICE).uploader(
            file_stream=io.BytesIO(DATA),
            chunk_size=PART,
            metadata={"bucketName": "videos", "objectName": f"{ALICE}/long.bin"},
        )
        uploader.upload(stop_at=PART)
        path = urlsplit(uploader.url).path
    finally:
        stop_server(first)
    second = start_server(project)
    try:
        url = f"{second.url}{path}"
        resumed = tus_client(second, ALICE).uploader(
            file_stream=io.BytesIO(DATA), chunk_size=PART, url=url
        )
        offset = resumed.offset
        resumed.upload()
        download = httpx.get(
            f"{second.url}/storage/v1/object/authenticated/videos/{ALICE}/long.bin",
            headers=second.headers(ALICE),
        )
    finally:
        stop_server(second)

    assert offset == PART
    assert download.content == DATA


def test_browsers_may_send_and_read_the_tus_headers(server, http):
    preflight = http.options(
        "/upload/resumable/any",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "tus-resumable, upload-offset",
        },
    )
    created = create(http, server, ALICE, f"{ALICE}/browser.bin")

    allowed = preflight.headers["Access-Control-Allow-Headers"].split(", ")
    assert {"tus-resumable", "upload-metadata", "upload-offset", "x-signature"} <= (
        set(allowed)
    )
    exposed = created.headers["Access-Control-Expose-Headers"].split(", ")
    assert {"Location", "Upload-Offset", "Upload-Expires", "Tus-Resumable"} <= set(
        exposed
    )
    http.delete(created.headers["Location"], headers=tus_headers(server, ALICE))


def test_concurrent_parts_at_one_offset_write_once(server, http):
    url = create(http, server, ALICE, f"{ALICE}/raced.bin").headers["Location"]
    headers = tus_headers(server, ALICE) | {
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
    }

    def send(_: int) -> httpx.Response:
        with httpx.Client(timeout=10) as client:
            return client.patch(url, headers=headers, content=DATA[: 4 * PART])

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(send, range(2)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([204, 409], [204, 423])
    head = http.head(url, headers=tus_headers(server, ALICE))
    assert head.headers["Upload-Offset"] == str(4 * PART)
    rest = tus_client(server, ALICE).uploader(
        file_stream=io.BytesIO(DATA), chunk_size=PART, url=url
    )
    rest.upload()
    download = http.get(
        f"/object/authenticated/videos/{ALICE}/raced.bin",
        headers=server.headers(ALICE),
    )
    assert download.content == DATA


def test_a_part_for_a_name_taken_meanwhile_is_409_before_its_bytes(server, http):
    before = spool_files(server)
    name = f"{ALICE}/twice.bin"
    first = create(http, server, ALICE, name).headers["Location"]
    second = create(http, server, ALICE, name).headers["Location"]
    part = {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}

    finished = http.patch(
        first, headers=tus_headers(server, ALICE) | part, content=DATA
    )
    refused = http.patch(
        second, headers=tus_headers(server, ALICE) | part, content=DATA[::-1]
    )

    assert (finished.status_code, finished.headers["Tus-Complete"]) == (204, "1")
    assert refused.status_code == 409
    assert refused.json()["code"] == "KeyAlreadyExists"
    head = http.head(second, headers=tus_headers(server, ALICE))
    assert (head.status_code, head.headers["Upload-Offset"]) == (200, "0")
    assert http.delete(second, headers=tus_headers(server, ALICE)).status_code == 204
    assert spool_files(server) == before
    download = http.get(
        f"/object/authenticated/videos/{name}", headers=server.headers(ALICE)
    )
    assert download.content == DATA


def test_a_limit_lowered_before_the_last_byte_ends_the_upload(server, http):
    before = spool_files(server)
    service = server.headers(key=server.service_key)
    assert http.post("/bucket", headers=service, json={"name": "shrinking"}).is_success
    created = http.post(
        "/upload/resumable",
        headers=tus_headers(server, ALICE)
        | {
            "Upload-Length": str(len(DATA)),
            "Upload-Metadata": metadata_header(
                bucketName="shrinking", objectName=f"{ALICE}/big.bin"
            ),
        },
    )
    url = created.headers["Location"]
    lowered = http.put(
        "/bucket/shrinking", headers=service, json={"file_size_limit": 1000}
    )

    last = http.patch(
        url,
        headers=tus_headers(server, ALICE)
        | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=DATA,
    )

    assert (created.status_code, lowered.status_code) == (201, 200)
    assert last.status_code == 413
    assert last.json()["code"] == "EntityTooLarge"
    assert http.head(url, headers=tus_headers(server, ALICE)).status_code == 404
    assert spool_files(server) == before
    listed = http.post(
        "/object/list/shrinking", headers=service, json={"prefix": ALICE}
    )
    assert listed.json() == []


def test_a_refused_first_part_leaves_no_upload_behind(server, http):
    before = spool_files(server)

    too_long = http.post(
        "/upload/resumable",
        headers=tus_headers(server, ALICE)
        | {
            "Upload-Length": "4",
            "Upload-Metadata": metadata_header(
                bucketName="videos", objectName=f"{ALICE}/short.bin"
            ),
            "Content-Type": "application/offset+octet-stream",
        },
        content=b"12345678",
    )

    assert too_long.status_code == 413
    assert "Location" not in too_long.headers
    assert spool_files(server) == before


def signed_upload_token(
    http: httpx.Client, server: LiveServer, name: str, *, upsert: bool = False
) -> str:
    """The token of createSignedUploadUrl, made by Alice."""
    response = http.post(
        f"/object/upload/sign/videos/{name}",
        headers=server.headers(ALICE) | {"x-upsert": "true" if upsert else "false"},
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


def signed_tus(server: LiveServer, token: str, name: str, data: bytes = DATA):
    client = TusClient(f"{endpoint(server)}/sign", headers={"x-signature": token})
    return client.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=PART,
        metadata={
            "bucketName": "videos",
            "objectName": name,
            "contentType": "video/mp4",
        },
    )


def test_tuspy_uploads_with_a_signed_upload_urls_token(server, http):
    name = f"{ALICE}/signed-tus.mp4"
    uploader = signed_tus(server, signed_upload_token(http, server, name), name)

    uploader.upload()

    assert uploader.url.startswith(f"{endpoint(server)}/sign/")
    # Alice reads only what she owns: the upload is hers, not the service role's.
    download = http.get(
        f"/object/authenticated/videos/{name}", headers=server.headers(ALICE)
    )
    assert (download.status_code, download.content) == (200, DATA)
    assert download.headers["Content-Type"] == "video/mp4"


def test_a_signed_resumable_upload_replaces_only_if_its_token_says_so(server, http):
    name = f"{ALICE}/signed-twice.mp4"
    first, second = (signed_upload_token(http, server, name) for _ in range(2))
    signed_tus(server, first, name, b"one").upload()

    with pytest.raises(TusCommunicationError) as taken:
        signed_tus(server, second, name, b"two").upload()
    upsert = signed_upload_token(http, server, name, upsert=True)
    signed_tus(server, upsert, name, b"three").upload()

    assert taken.value.status_code == 409
    download = http.get(
        f"/object/authenticated/videos/{name}", headers=server.headers(ALICE)
    )
    assert download.content == b"three"


def test_signed_resumable_uploads_need_a_token_for_that_object(server, http):
    name = f"{ALICE}/signed-refused.mp4"
    token = signed_upload_token(http, server, name)
    other = signed_upload_token(http, server, f"{ALICE}/other.mp4")
    http.post(
        "/object/videos/" + name, headers=server.headers(ALICE), content=b"x"
    ).raise_for_status()
    download_token = (
        http.post(
            f"/object/sign/videos/{name}",
            headers=server.headers(ALICE),
            json={"expiresIn": 60},
        )
        .json()["signedURL"]
        .split("token=")[1]
    )
    deleted = http.delete(
        f"/object/videos/{name}", headers=server.headers(key=server.service_key)
    )
    assert deleted.status_code == 200
    before = spool_files(server)

    def create_with(signature: str | None) -> httpx.Response:
        headers = {
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "4",
            "Upload-Metadata": metadata_header(bucketName="videos", objectName=name),
        }
        return http.post(
            "/upload/resumable/sign",
            headers=headers | ({"x-signature": signature} if signature else {}),
        )

    missing, wrong, download = (
        create_with(None),
        create_with(other),
        create_with(download_token),
    )
    created = create_with(token)
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    part = {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    tus = {"Tus-Resumable": "1.0.0"}
    head_unsigned = http.head(url, headers=tus)
    patch_other = http.patch(
        url, headers=tus | part | {"x-signature": other}, content=b"data"
    )
    via_jwt = http.head(url.replace("/sign/", "/"), headers=tus_headers(server, ALICE))
    head = http.head(url, headers=tus | {"x-signature": token})

    assert missing.status_code == wrong.status_code == download.status_code == 400
    assert missing.json()["message"] == "Missing x-signature header"
    assert {wrong.json()["code"], download.json()["code"]} == {"InvalidSignature"}
    assert created.status_code == 201
    assert url.startswith(f"{endpoint(server)}/sign/")
    assert head_unsigned.status_code == patch_other.status_code == 400
    # An upload made with a signature is not the user's own tus upload.
    assert via_jwt.status_code == 404
    assert (head.status_code, head.headers["Upload-Offset"]) == (200, "0")
    http.delete(url, headers=tus | {"x-signature": token})
    assert spool_files(server) == before


def deferred(http: httpx.Client, server: LiveServer, name: str, **extra: str):
    return http.post(
        "/upload/resumable",
        headers=tus_headers(server, ALICE)
        | {
            "Upload-Defer-Length": "1",
            "Upload-Metadata": metadata_header(bucketName="videos", objectName=name),
        }
        | extra,
    )


def test_a_deferred_length_is_given_by_a_later_part(server, http):
    name = f"{ALICE}/deferred.bin"
    part = {"Content-Type": "application/offset+octet-stream"}
    created = deferred(http, server, name)
    url = created.headers["Location"]

    head = http.head(url, headers=tus_headers(server, ALICE))
    first = http.patch(
        url,
        headers=tus_headers(server, ALICE) | part | {"Upload-Offset": "0"},
        content=DATA[:PART],
    )
    shrinking = http.patch(
        url,
        headers=tus_headers(server, ALICE)
        | part
        | {"Upload-Offset": str(PART), "Upload-Length": "10"},
        content=b"",
    )
    last = http.patch(
        url,
        headers=tus_headers(server, ALICE)
        | part
        | {"Upload-Offset": str(PART), "Upload-Length": str(len(DATA))},
        content=DATA[PART:],
    )

    assert created.status_code == 201
    assert head.headers["Upload-Defer-Length"] == "1"
    assert "Upload-Length" not in head.headers
    assert (first.status_code, first.headers["Upload-Offset"]) == (204, str(PART))
    assert "Tus-Complete" not in first.headers
    assert shrinking.status_code == 400
    assert (last.status_code, last.headers["Tus-Complete"]) == (204, "1")
    download = http.get(
        f"/object/authenticated/videos/{name}", headers=server.headers(ALICE)
    )
    assert download.content == DATA


def test_a_deferred_length_is_still_bounded_by_the_bucket(server, http):
    before = spool_files(server)
    small = http.post(
        "/upload/resumable",
        headers=tus_headers(server, ALICE)
        | {
            "Upload-Defer-Length": "1",
            "Upload-Metadata": metadata_header(
                bucketName="small", objectName=f"{ALICE}/a.png", contentType="image/png"
            ),
        },
    )
    url = small.headers["Location"]
    part = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}

    too_long = http.patch(
        url, headers=tus_headers(server, ALICE) | part | {"Upload-Length": "2048"}
    )
    too_much = http.patch(
        url, headers=tus_headers(server, ALICE) | part, content=b"x" * 2048
    )
    both = deferred(http, server, f"{ALICE}/both.bin", **{"Upload-Length": "4"})
    not_one = deferred(http, server, f"{ALICE}/two.bin", **{"Upload-Defer-Length": "2"})

    assert (too_long.status_code, too_much.status_code) == (413, 413)
    assert (both.status_code, not_one.status_code) == (400, 400)
    head = http.head(url, headers=tus_headers(server, ALICE))
    assert (head.headers["Upload-Offset"], head.headers["Upload-Defer-Length"]) == (
        "0",
        "1",
    )
    http.delete(url, headers=tus_headers(server, ALICE))
    assert spool_files(server) == before
