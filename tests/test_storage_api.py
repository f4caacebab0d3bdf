"""`/storage/v1` against a live server: supabase-py's storage client unchanged,
and the raw requests supabase-js sends, under row level security."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from storage3.exceptions import StorageApiError

from tests import storage_fixtures
from tests.conftest import ALICE, BOB, LiveServer
from tests.seaweedfs import SeaweedFS
from tests.storage_fixtures import live_storage_server

POLICIES = """
insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);
insert into storage.buckets (id, name) values ('docs', 'docs');
insert into storage.buckets (id, name, file_size_limit, allowed_mime_types)
  values ('photos', 'photos', 1024, '["image/*", "application/pdf"]');

create policy "read public avatars" on storage.objects
  for select using (bucket_id = 'avatars');
create policy "own files" on storage.objects
  for select to authenticated using (owner = auth.uid());
create policy "signed in users upload" on storage.objects
  for insert to authenticated with check (bucket_id in ('docs', 'photos', 'avatars'));
create policy "owners update" on storage.objects
  for update to authenticated using (owner = auth.uid())
  with check (bucket_id <> 'avatars' or owner = auth.uid());
create policy "owners delete" on storage.objects
  for delete to authenticated using (owner = auth.uid());

-- As Supabase's storage docs write it: a folder per user.
insert into storage.buckets (id, name) values ('folders', 'folders');
create policy "read own folder" on storage.objects for select to authenticated
  using (bucket_id = 'folders' and (storage.foldername(name))[1] = auth.uid()::text);
create policy "write own folder" on storage.objects for insert to authenticated
  with check (bucket_id = 'folders' and (storage.foldername(name))[1] = auth.uid()::text);
"""


@dataclass
class ByteStore:
    """Where the server under test keeps object bytes: its project's storage/
    directory, or a SeaweedFS bucket of its own."""

    seaweed: SeaweedFS | None = None
    bucket: str = ""

    def settings(self) -> dict[str, str]:
        if self.seaweed is None:
            return {}
        return {
            "KOYALITE_STORAGE_BACKEND": "s3",
            "KOYALITE_S3_ENDPOINT": self.seaweed.endpoint,
            "KOYALITE_S3_BUCKET": self.bucket,
            "KOYALITE_S3_REGION": self.seaweed.region,
            "KOYALITE_S3_ACCESS_KEY": self.seaweed.access_key,
            "KOYALITE_S3_SECRET_KEY": self.seaweed.secret_key,
        }

    def keys(self, project: Path) -> list[str]:
        """Every stored object, and every unfinished S3 multipart upload."""
        if self.seaweed is None:
            root = project / "storage"
            files = root.rglob("*") if root.exists() else []
            return sorted(str(p.relative_to(root)) for p in files if p.is_file())
        client = self.seaweed.client()
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        found = [item["Key"] for page in pages for item in page.get("Contents", [])]
        uploads = client.list_multipart_uploads(Bucket=self.bucket)
        found += [f"upload:{u['Key']}" for u in uploads.get("Uploads", [])]
        return sorted(found)


@pytest.fixture(scope="module", params=["local", "s3"])
def byte_store(request) -> ByteStore:
    if request.param == "local":
        return ByteStore()
    seaweed = request.getfixturevalue("seaweedfs")
    return ByteStore(seaweed, seaweed.new_bucket())


@pytest.fixture(scope="module")
def server(tmp_path_factory, byte_store) -> LiveServer:
    def env(project: Path) -> dict[str, str]:
        # Spooled uploads and multipart parts land here, where blobs() sees them.
        (project / "tmp").mkdir()
        return {"TMPDIR": str(project / "tmp")} | byte_store.settings()

    with live_storage_server(tmp_path_factory.mktemp("storage"), POLICIES, env) as live:
        yield live


service = storage_fixtures.service
alice = storage_fixtures.alice
bob = storage_fixtures.bob
anon = storage_fixtures.anon
http = storage_fixtures.http


@pytest.fixture
def blobs(server, byte_store) -> Callable[[], list[str]]:
    """What the server holds: stored bytes and temporary files."""

    def listing() -> list[str]:
        spool = sorted(f"tmp:{p.name}" for p in (server.project / "tmp").rglob("*"))
        return byte_store.keys(server.project) + spool

    return listing


def error_of(call) -> StorageApiError:
    with pytest.raises(StorageApiError) as raised:
        call()
    return raised.value


# ---------------------------------------------------------------- buckets


def test_bucket_lifecycle_through_supabase_py(service):
    assert service.create_bucket("tmp-life", options={"public": True}) == {
        "name": "tmp-life"
    }

    bucket = service.get_bucket("tmp-life")
    assert (bucket.id, bucket.name, bucket.owner, bucket.public) == (
        "tmp-life",
        "tmp-life",
        "",
        True,
    )
    assert bucket.file_size_limit is None and bucket.allowed_mime_types is None
    service.update_bucket(
        "tmp-life",
        {"public": False, "file_size_limit": "2MB", "allowed_mime_types": ["text/*"]},
    )
    bucket = service.get_bucket("tmp-life")
    assert (bucket.public, bucket.file_size_limit, bucket.allowed_mime_types) == (
        False,
        2 * 1024 * 1024,
        ["text/*"],
    )
    assert "tmp-life" in [b.id for b in service.list_buckets()]
    service.from_("tmp-life").upload("a.txt", b"a", {"content-type": "text/plain"})

    not_empty = error_of(lambda: service.delete_bucket("tmp-life"))
    assert (not_empty.status, not_empty.message) == (
        "409",
        "The bucket you tried to delete is not empty",
    )
    service.empty_bucket("tmp-life")
    service.delete_bucket("tmp-life")
    missing = error_of(lambda: service.get_bucket("tmp-life"))
    assert (missing.status, missing.code) == ("404", "Bucket not found")


def test_bucket_errors_carry_storage_codes(server, http):
    headers = server.headers(key=server.service_key)
    duplicate = http.post(
        "/bucket", headers=headers, json={"id": "docs", "name": "docs"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "statusCode": "409",
        "code": "BucketAlreadyExists",
        "error": "Duplicate",
        "message": "The resource already exists",
    }
    bad = http.post("/bucket", headers=headers, json={"id": "a/b"})
    assert (bad.status_code, bad.json()["code"]) == (400, "InvalidBucketName")
    size = http.post(
        "/bucket", headers=headers, json={"id": "z", "file_size_limit": "big"}
    )
    assert size.status_code == 400


def test_bucket_list_searches_sorts_and_pages_as_supabase_js_asks(server, http):
    headers = server.headers(key=server.service_key)

    def names(**query) -> list[str]:
        response = http.get("/bucket", headers=headers, params=query)
        assert response.status_code == 200, response.text
        return [bucket["name"] for bucket in response.json()]

    # Any case, anywhere in the name: not avatars.
    assert names(search="O") == ["docs", "folders", "photos"]
    assert names(search="O", sortColumn="id", sortOrder="desc") == [
        "photos",
        "folders",
        "docs",
    ]
    assert names(search="o", limit="1", offset="1") == ["folders"]
    assert names(search="%") == names(search="_") == []
    for bad in (
        {"sortColumn": "owner"},
        {"sortColumn": "NAME"},
        {"sortOrder": "up"},
        {"sortOrder": "DESC"},
        {"limit": "0"},
        {"limit": "1.5"},
        {"limit": "ten"},
        {"offset": "-1"},
    ):
        refused = http.get("/bucket", headers=headers, params=bad)
        assert (refused.status_code, refused.json()["code"]) == (400, "InvalidRequest")
        assert refused.json()["statusCode"] == "400"


def test_bucket_list_sorts_by_creation_and_update_times(server, http):
    headers = server.headers(key=server.service_key)
    for bucket_id in ("times-zz-first", "times-aa-second"):
        created = http.post("/bucket", headers=headers, json={"id": bucket_id})
        assert created.status_code == 200, created.text
    http.put("/bucket/times-zz-first", headers=headers, json={"public": True})

    def names(column: str, order: str) -> list[str]:
        query = {"search": "times-", "sortColumn": column, "sortOrder": order}
        return [
            b["id"] for b in http.get("/bucket", headers=headers, params=query).json()
        ]

    assert names("created_at", "asc") == ["times-zz-first", "times-aa-second"]
    assert names("created_at", "desc") == ["times-aa-second", "times-zz-first"]
    assert names("updated_at", "asc") == ["times-aa-second", "times-zz-first"]
    assert names("id", "asc") == ["times-aa-second", "times-zz-first"]
    for bucket_id in ("times-zz-first", "times-aa-second"):
        http.delete(f"/bucket/{bucket_id}", headers=headers)


@pytest.mark.parametrize("who", ["anon", "user"])
def test_only_the_service_role_changes_buckets(server, http, who):
    headers = server.headers(ALICE if who == "user" else None)

    for method, path, body in [
        ("POST", "/bucket", {"id": "mine"}),
        ("PUT", "/bucket/docs", {"public": True}),
        ("POST", "/bucket/docs/empty", None),
        ("DELETE", "/bucket/docs", {}),
    ]:
        response = http.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "AccessDenied"

    assert (
        http.get("/bucket/docs", headers=server.headers(key=server.service_key)).json()[
            "public"
        ]
        is False
    )


def test_buckets_are_read_under_their_policies(anon, alice, service):
    # No policy on storage.buckets: only the service role sees them.
    assert anon.list_buckets() == []
    assert alice.list_buckets() == []
    assert {b.id for b in service.list_buckets()} >= {"avatars", "docs", "photos"}


# ---------------------------------------------------------------- objects


def test_upload_download_info_and_exists(alice, server):
    files = alice.from_("docs")
    path = f"{ALICE}/notes/hello.txt"

    uploaded = files.upload(
        path,
        b"hello world",
        {"content-type": "text/plain", "cache-control": "60", "metadata": {"k": "v"}},
    )

    assert uploaded.full_path == f"docs/{path}"
    assert files.download(path) == b"hello world"
    info = files.info(path)
    assert info["name"] == path
    assert info["size"] == 11
    assert info["content_type"].startswith("text/plain")
    assert info["metadata"] == {"k": "v"}
    assert files.exists(path) is True
    assert files.exists(f"{ALICE}/notes/missing.txt") is False


def test_a_duplicate_upload_is_409_and_upsert_replaces(alice, blobs):
    files = alice.from_("docs")
    path = f"{ALICE}/dup.txt"
    start = blobs()
    files.upload(path, b"one")
    before = blobs()
    # The bytes went to the store under test, one key per version.
    assert [key.split("/")[0] for key in before if key not in start] == ["docs"]

    duplicate = error_of(lambda: files.upload(path, b"two"))
    assert (duplicate.status, duplicate.code) == ("409", "Duplicate")
    assert files.download(path) == b"one"
    assert blobs() == before

    files.upload(path, b"three", {"upsert": "true"})
    assert files.download(path) == b"three"
    files.update(path, b"four")
    assert files.download(path) == b"four"
    # Each replacement deleted the version it replaced.
    assert len(blobs()) == len(before)


def test_other_users_files_are_invisible_and_untouchable(alice, bob, server, http):
    path = f"{ALICE}/private.txt"
    alice.from_("docs").upload(path, b"secret")
    theirs = bob.from_("docs")

    assert error_of(lambda: theirs.download(path)).status == "404"
    assert theirs.exists(path) is False
    assert theirs.list(ALICE) == []
    refused = error_of(lambda: theirs.upload(path, b"mine now", {"upsert": "true"}))
    assert (refused.status, refused.message) == (
        "403",
        "new row violates row-level security policy",
    )
    assert error_of(lambda: theirs.move(path, f"{BOB}/stolen.txt")).status == "404"
    assert error_of(lambda: theirs.copy(path, f"{BOB}/stolen.txt")).status == "404"
    assert theirs.remove([path]) == []
    assert error_of(lambda: theirs.create_signed_url(path, 60)).status == "404"
    assert alice.from_("docs").download(path) == b"secret"


def test_the_docs_folder_per_user_policies(alice, bob):
    mine, theirs = alice.from_("folders"), bob.from_("folders")

    mine.upload(f"{ALICE}/a.txt", b"a")
    refused = error_of(lambda: mine.upload(f"{BOB}/a.txt", b"a"))
    top = error_of(lambda: mine.upload("top.txt", b"a"))

    assert refused.status == top.status == "403"
    assert [e["name"] for e in mine.list(ALICE)] == ["a.txt"]
    assert theirs.list(ALICE) == []
    assert theirs.exists(f"{ALICE}/a.txt") is False


def test_anon_reads_public_buckets_only(alice, anon, server, http):
    alice.from_("avatars").upload(
        f"{ALICE}/face.png", b"png", {"content-type": "image/png"}
    )
    alice.from_("docs").upload(
        f"{ALICE}/cv.pdf", b"pdf", {"content-type": "application/pdf"}
    )

    public = http.get(f"/object/public/avatars/{ALICE}/face.png")
    assert (public.status_code, public.content) == (200, b"png")
    assert public.headers["content-type"] == "image/png"
    assert http.get(f"/object/public/docs/{ALICE}/cv.pdf").status_code == 404
    assert (
        error_of(lambda: anon.from_("docs").download(f"{ALICE}/cv.pdf")).status == "404"
    )
    refused = http.post(
        "/object/docs/anon.txt",
        headers=server.headers() | {"Content-Type": "text/plain"},
        content=b"x",
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "AccessDenied")


def test_list_shows_folders_and_files_one_level_down(alice):
    files = alice.from_("docs")
    base = f"{ALICE}/tree"
    for name in ("b.txt", "a.txt", "sub/c.txt", "sub/deeper/d.txt", "other/e.txt"):
        files.upload(f"{base}/{name}", name.encode())

    listed = files.list(base)

    assert [(e["name"], e["id"] is None) for e in listed] == [
        ("a.txt", False),
        ("b.txt", False),
        ("other", True),
        ("sub", True),
    ]
    assert listed[0]["metadata"]["size"] == 5
    assert listed[0]["metadata"]["mimetype"].startswith("text/plain")
    assert [e["name"] for e in files.list(f"{base}/sub")] == ["c.txt", "deeper"]
    assert [e["name"] for e in files.list(base, {"search": "b"})] == ["b.txt"]
    assert [e["name"] for e in files.list(base, {"limit": 2, "offset": 1})] == [
        "b.txt",
        "other",
    ]
    descending = files.list(base, {"sortBy": {"column": "name", "order": "desc"}})
    assert [e["name"] for e in descending] == ["sub", "other", "b.txt", "a.txt"]


def list_v2(server, http, who: str, bucket: str = "docs", **body) -> dict:
    response = http.post(
        f"/object/list-v2/{bucket}", headers=server.headers(who), json=body
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_list_v2_pages_through_every_key_once(server, http, alice):
    files = alice.from_("docs")
    prefix = f"{ALICE}/v2/many/"
    names = [f"{prefix}{i:03}.txt" for i in range(250)]
    for name in names:
        files.upload(name, b"x")

    for sort in (None, {"column": "created_at", "order": "desc"}):
        seen: list[str] = []
        pages, cursor = [], None
        while True:
            body = {"prefix": prefix, "limit": 100}
            body |= {"sortBy": sort} if sort else {}
            body |= {"cursor": cursor} if cursor else {}
            page = list_v2(server, http, ALICE, **body)
            pages.append((len(page["objects"]), page["hasNext"]))
            seen += [entry["name"] for entry in page["objects"]]
            if len(seen) == 100:
                # Written mid-listing, before the cursor: no key comes twice.
                files.upload(f"{prefix}000-late.txt", b"late")
            if not page["hasNext"]:
                assert "nextCursor" not in page
                break
            cursor = page["nextCursor"]
            assert page["nextCursorKey"] == seen[-1]

        assert pages == [(100, True), (100, True), (50, False)]
        assert len(seen) == len(set(seen)) == 250
        assert set(seen) == set(names)
        files.remove([f"{prefix}000-late.txt"])
    ascending = list_v2(server, http, ALICE, prefix=prefix, limit=3)["objects"]
    assert [entry["name"] for entry in ascending] == names[:3]
    first = ascending[0]
    assert set(first) == {
        "id",
        "key",
        "name",
        "updated_at",
        "created_at",
        "last_accessed_at",
        "metadata",
    }
    assert (first["key"], first["metadata"]["size"]) == (names[0], 1)


def test_list_v2_with_a_delimiter_folds_folders(server, http, alice):
    files = alice.from_("docs")
    base = f"{ALICE}/v2/tree/"
    for name in ("b.txt", "a.txt", "sub/c.txt", "sub/deeper/d.txt", "subway.txt"):
        files.upload(f"{base}{name}", name.encode())

    folded = list_v2(server, http, ALICE, prefix=base, with_delimiter=True)
    flat = list_v2(server, http, ALICE, prefix=base)
    partial = list_v2(server, http, ALICE, prefix=f"{base}sub", with_delimiter=True)
    paged = list_v2(server, http, ALICE, prefix=base, with_delimiter=True, limit=3)
    rest = list_v2(
        server,
        http,
        ALICE,
        prefix=base,
        with_delimiter=True,
        cursor=paged["nextCursor"],
    )

    assert folded["folders"] == [{"key": "sub", "name": f"{base}sub/"}]
    assert [(o["key"], o["name"]) for o in folded["objects"]] == [
        ("a.txt", f"{base}a.txt"),
        ("b.txt", f"{base}b.txt"),
        ("subway.txt", f"{base}subway.txt"),
    ]
    assert folded["hasNext"] is False
    assert flat["folders"] == []
    assert [o["name"] for o in flat["objects"]] == [
        f"{base}{name}"
        for name in ("a.txt", "b.txt", "sub/c.txt", "sub/deeper/d.txt", "subway.txt")
    ]
    # A prefix need not end at a folder.
    assert [f["name"] for f in partial["folders"]] == [f"{base}sub/"]
    assert [o["name"] for o in partial["objects"]] == [f"{base}subway.txt"]
    # Folders and objects share one page's limit, in byte order: "/" < "w".
    assert [o["key"] for o in paged["objects"]] == ["a.txt", "b.txt"]
    assert (paged["folders"], paged["hasNext"]) == (folded["folders"], True)
    assert (rest["folders"], rest["hasNext"]) == ([], False)
    assert [o["key"] for o in rest["objects"]] == ["subway.txt"]


def test_list_v2_shows_only_what_select_policies_allow(server, http, alice, bob):
    alice.from_("docs").upload(f"{ALICE}/v2/rls/mine.txt", b"a")
    bob.from_("docs").upload(f"{BOB}/v2/rls/theirs.txt", b"b")

    def keys(who: str, **body) -> list[str]:
        listed = list_v2(server, http, who, limit=1000, **body)
        return [f["name"] for f in listed["folders"]] + [
            o["name"] for o in listed["objects"]
        ]

    assert keys(BOB, prefix=f"{ALICE}/") == []
    assert keys(BOB, prefix=f"{ALICE}/", with_delimiter=True) == []
    assert keys(BOB, with_delimiter=True) == [f"{BOB}/"]
    assert all(name.startswith(f"{BOB}/") for name in keys(BOB))
    assert f"{BOB}/v2/rls/theirs.txt" not in keys(ALICE)
    assert keys(ALICE, with_delimiter=True) == [f"{ALICE}/"]
    assert keys(None) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"limit": 0}, "InvalidRequest"),
        ({"limit": "many"}, "InvalidRequest"),
        ({"prefix": 5}, "InvalidRequest"),
        ({"with_delimiter": "yes"}, "InvalidRequest"),
        ({"sortBy": {"column": "size"}}, "InvalidRequest"),
        ({"sortBy": {"order": "asc"}}, "InvalidRequest"),
        ({"sortBy": {"column": "name", "order": "up"}}, "InvalidRequest"),
        ({"cursor": 5}, "InvalidRequest"),
        ({"cursor": "not base64!"}, "InvalidParameter"),
        ({"cursor": base64.b64encode(b"nonsense").decode()}, "InvalidParameter"),
        ({"cursor": base64.b64encode(b"l:a\nc:size").decode()}, "InvalidParameter"),
    ],
)
def test_list_v2_refuses_bad_bodies(server, http, body, code):
    response = http.post(
        "/object/list-v2/docs", headers=server.headers(ALICE), json=body
    )

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert set(response.json()) == {"statusCode", "code", "error", "message"}
    assert response.json()["statusCode"] == "400"


def test_list_v2_of_a_missing_bucket_is_404(server, http):
    response = http.post(
        "/object/list-v2/nowhere", headers=server.headers(ALICE), json={}
    )

    assert (response.status_code, response.json()["code"]) == (404, "NoSuchBucket")


def test_remove_move_and_copy(alice, server):
    files = alice.from_("docs")
    files.upload(f"{ALICE}/mv/a.txt", b"a")
    files.upload(f"{ALICE}/mv/b.txt", b"b")

    files.move(f"{ALICE}/mv/a.txt", f"{ALICE}/mv/moved.txt")
    files.copy(f"{ALICE}/mv/b.txt", f"{ALICE}/mv/copied.txt")

    assert files.download(f"{ALICE}/mv/moved.txt") == b"a"
    assert files.exists(f"{ALICE}/mv/a.txt") is False
    assert files.download(f"{ALICE}/mv/copied.txt") == b"b"
    removed = files.remove([f"{ALICE}/mv/moved.txt", f"{ALICE}/mv/nothing.txt"])
    assert [r["name"] for r in removed] == [f"{ALICE}/mv/moved.txt"]
    assert files.remove([f"{ALICE}/mv/nothing.txt"]) == []


def test_signed_urls_expire_and_name_one_object(alice, server):
    files = alice.from_("docs")
    files.upload(f"{ALICE}/signed.txt", b"signed bytes", {"content-type": "text/plain"})
    files.upload(f"{ALICE}/other.txt", b"other")

    url = files.create_signed_url(f"{ALICE}/signed.txt", 60)["signedURL"]
    fetched = httpx.get(url)
    assert (fetched.status_code, fetched.content) == (200, b"signed bytes")
    download = files.create_signed_url(
        f"{ALICE}/signed.txt", 60, {"download": "report.txt"}
    )["signedURL"]
    attachment = httpx.get(download)
    assert attachment.headers["content-disposition"].startswith(
        'attachment; filename="report.txt"'
    )

    token = url.split("token=")[1]
    wrong = httpx.get(
        f"{server.url}/storage/v1/object/sign/docs/{ALICE}/other.txt?token={token}"
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "InvalidSignature")
    short = files.create_signed_url(f"{ALICE}/signed.txt", 1)["signedURL"]
    time.sleep(2.1)
    expired = httpx.get(short)
    assert (expired.status_code, expired.json()["code"]) == (400, "ExpiredToken")

    many = files.create_signed_urls([f"{ALICE}/signed.txt", f"{ALICE}/nope.txt"], 60)
    assert httpx.get(many[0]["signedURL"]).content == b"signed bytes"
    assert many[1]["signedURL"] is None and many[1]["error"]


def test_signed_urls_for_a_name_with_spaces_and_accents(alice):
    files = alice.from_("avatars")
    path = f"{ALICE}/my file é.txt"
    files.upload(path, b"spaced", {"content-type": "text/plain"})

    url = files.create_signed_url(path, 60)["signedURL"]
    many = files.create_signed_urls([path], 60)[0]["signedURL"]
    signed = files.create_signed_upload_url(f"{ALICE}/up load é.txt")
    files.upload_to_signed_url(signed["path"], signed["token"], b"by url")

    assert httpx.get(url).content == httpx.get(many).content == b"spaced"
    assert files.download(f"{ALICE}/up load é.txt") == b"by url"


def test_signed_urls_for_a_name_with_a_question_mark_and_a_hash(alice):
    """supabase-py's signed URLs work for names that would end a URL's path."""
    files = alice.from_("avatars")
    path = f"{ALICE}/what?#1 100%.txt"
    files.upload(path, b"odd", {"content-type": "text/plain"})

    url = files.create_signed_url(path, 60)["signedURL"]
    signed = files.create_signed_upload_url(f"{ALICE}/up?#.txt")
    files.upload_to_signed_url(signed["path"], signed["token"], b"by url")

    assert httpx.get(url).content == b"odd"
    assert files.download(f"{ALICE}/up?#.txt") == b"by url"


def test_signed_upload_url(alice, server):
    files = alice.from_("docs")
    signed = files.create_signed_upload_url(f"{ALICE}/by-url.txt")

    files.upload_to_signed_url(signed["path"], signed["token"], b"uploaded by url")

    assert files.download(f"{ALICE}/by-url.txt") == b"uploaded by url"
    again = error_of(
        lambda: files.upload_to_signed_url(signed["path"], signed["token"], b"again")
    )
    assert again.status == "409"


def test_a_download_token_uploads_nothing(alice, server, http):
    files = alice.from_("docs")
    path = f"{ALICE}/download-only.txt"
    files.upload(path, b"first")
    url = files.create_signed_url(path, 60)["signedURL"]
    files.remove([path])

    refused = http.put(
        f"/object/upload/sign/docs/{path}?token={url.split('token=')[1]}",
        headers={"Content-Type": "text/plain"},
        content=b"planted",
    )

    assert refused.status_code == 400
    assert refused.json()["code"] == "InvalidSignature"
    assert files.exists(path) is False


def test_a_signed_upload_belongs_to_the_user_it_was_made_for(alice, service):
    signed = alice.from_("docs").create_signed_upload_url(f"{ALICE}/owned.txt")

    service.from_("docs").upload_to_signed_url(signed["path"], signed["token"], b"o")

    info = alice.from_("docs").info(f"{ALICE}/owned.txt")
    assert info["size"] == 1
    listed = service.from_("docs").list(ALICE, {"search": "owned.txt"})
    assert [e["name"] for e in listed] == ["owned.txt"]


# ---------------------------------------------------------------- limits


def test_size_and_type_limits_leave_nothing_behind(alice, server, http, blobs):
    files = alice.from_("photos")
    before = blobs()

    too_big = error_of(
        lambda: files.upload(
            f"{ALICE}/big.png", b"x" * 2000, {"content-type": "image/png"}
        )
    )
    wrong_type = error_of(
        lambda: files.upload(f"{ALICE}/a.txt", b"text", {"content-type": "text/plain"})
    )
    raw_big = http.post(
        f"/object/photos/{ALICE}/raw.png",
        headers=server.headers(ALICE) | {"Content-Type": "image/png"},
        content=iter([b"x" * 600, b"x" * 600]),
    )

    assert (too_big.status, too_big.code) == ("413", "Payload too large")
    assert (wrong_type.status, wrong_type.code) == ("415", "invalid_mime_type")
    assert raw_big.status_code == 413
    assert raw_big.json()["code"] == "EntityTooLarge"
    assert files.list(ALICE) == []
    assert blobs() == before
    files.upload(f"{ALICE}/ok.pdf", b"%PDF", {"content-type": "application/pdf"})


@pytest.mark.parametrize(
    "path",
    [
        "%2E%2E/escape.txt",
        "a/%2E%2E/%2E%2E/b.txt",
        "a//b.txt",
        "%2E/a.txt",
        "a%5Cb",
        "a%00b",
        "a%0Ab",
        "x" * 1100,
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "GET", "DELETE"])
def test_unsafe_names_are_refused(server, http, blobs, path, method):
    before = blobs()

    response = http.request(
        method,
        f"/object/docs/{path}",
        headers=server.headers(ALICE) | {"Content-Type": "text/plain"},
        content=b"x" if method in ("POST", "PUT") else None,
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "InvalidKey"
    assert blobs() == before


# ---------------------------------------------------------------- supabase-js's requests


def test_raw_body_upload_as_supabase_js_sends_it(server, http, alice):
    metadata = base64.b64encode(json.dumps({"from": "js"}).encode()).decode()
    response = http.post(
        f"/object/docs/{ALICE}/js.bin",
        headers=server.headers(ALICE)
        | {
            "Content-Type": "application/octet-stream",
            "Cache-Control": "max-age=120",
            "x-upsert": "false",
            "x-metadata": metadata,
        },
        content=b"\x00\x01\x02",
    )

    assert response.status_code == 200, response.text
    assert response.json()["Key"] == f"docs/{ALICE}/js.bin"
    info = alice.from_("docs").info(f"{ALICE}/js.bin")
    assert (info["metadata"], info["cache_control"]) == ({"from": "js"}, "max-age=120")


def test_multipart_with_an_empty_field_name_as_a_js_blob(server, http, alice):
    response = http.post(
        f"/object/docs/{ALICE}/blob.txt",
        headers=server.headers(ALICE),
        data={"cacheControl": "3600"},
        files={"": ("blob", b"from a blob", "text/plain")},
    )

    assert response.status_code == 200, response.text
    assert alice.from_("docs").download(f"{ALICE}/blob.txt") == b"from a blob"


def test_missing_objects_answer_no_such_key(server, http):
    response = http.get(
        f"/object/info/docs/{ALICE}/absent", headers=server.headers(ALICE)
    )

    assert response.status_code == 404
    assert response.json() == {
        "statusCode": "404",
        "code": "NoSuchKey",
        "error": "not_found",
        "message": "Object not found",
    }


# ---------------------------------------------------------------- HTTP


def test_ranges_etags_and_cache_headers(server, http, alice):
    alice.from_("avatars").upload(
        f"{ALICE}/range.txt",
        b"0123456789",
        {"content-type": "text/plain", "cache-control": "90"},
    )
    url = f"/object/public/avatars/{ALICE}/range.txt"

    whole = http.get(url)
    assert whole.headers["cache-control"] == "max-age=90"
    assert whole.headers["accept-ranges"] == "bytes"
    etag = whole.headers["etag"]
    assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
    part = http.get(url, headers={"Range": "bytes=2-4"})
    assert (part.status_code, part.content) == (206, b"234")
    assert part.headers["content-range"] == "bytes 2-4/10"
    assert http.get(url, headers={"Range": "bytes=-3"}).content == b"789"
    assert http.get(url, headers={"Range": "bytes=7-"}).content == b"789"
    for bogus in ("bytes=20-30", "bytes=5-2", "lines=1-2", "bytes=1-2,4-5"):
        refused = http.get(url, headers={"Range": bogus})
        assert refused.status_code == 416, bogus
        assert refused.json()["code"] == "InvalidRange"
        assert refused.headers["content-range"] == "bytes */10"
    named = http.get(url + "?download=r%C3%A9sum%C3%A9.txt")
    assert named.headers["content-disposition"] == (
        "attachment; filename=\"r_sum_.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
    )


def test_public_info_needs_no_key_and_only_serves_public_buckets(http, alice):
    alice.from_("avatars").upload(f"{ALICE}/info.txt", b"abc")
    alice.from_("docs").upload(f"{ALICE}/info.txt", b"abc")

    public = http.get(f"/object/info/public/avatars/{ALICE}/info.txt")
    private = http.get(f"/object/info/public/docs/{ALICE}/info.txt")

    assert (public.status_code, public.json()["size"]) == (200, 3)
    assert (private.status_code, private.json()["code"]) == (404, "NoSuchBucket")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/render/video/authenticated/docs/a.mp4"),
        ("GET", "/bucket/docs/extra"),
        ("DELETE", "/nothing"),
    ],
)
def test_routes_not_served_answer_storage_json(server, http, method, path):
    response = http.request(method, path, headers=server.headers(ALICE))

    assert response.status_code == 404
    assert response.json() == {
        "statusCode": "404",
        "code": "NotFound",
        "error": "Not Found",
        "message": f"Route {method}:/storage/v1{path} not found",
    }


def test_requests_without_a_key_are_refused(http):
    response = http.get(f"/object/docs/{ALICE}/x")

    assert response.status_code == 401
    assert response.json()["code"] == "InvalidJWT"


def test_a_truncated_multipart_upload_leaves_nothing(server, http, alice, blobs):
    body = httpx.Request(
        "POST", "http://x/", files={"file": ("t.txt", b"y" * 5000, "text/plain")}
    )
    whole = body.read()
    before = blobs()

    response = http.post(
        f"/object/docs/{ALICE}/truncated.txt",
        headers=server.headers(ALICE) | {"Content-Type": body.headers["content-type"]},
        content=whole[: len(whole) - 60],
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "InvalidRequest"
    assert alice.from_("docs").exists(f"{ALICE}/truncated.txt") is False
    assert blobs() == before


# ---------------------------------------------------------------- supabase-js

JS_TESTS = Path(__file__).parent / "js"


def node_websocket_flag(node: str) -> list[str]:
    """createClient() needs a global WebSocket, which Node 20 has only when asked."""
    version = subprocess.run([node, "--version"], capture_output=True, text=True)
    major = int(version.stdout.strip().lstrip("v").split(".")[0])
    return ["--experimental-websocket"] if major < 22 else []


def test_supabase_js_storage_client(server):
    """supabase-js's storage client, unchanged, passes tests/js/storage.test.mjs."""
    node = shutil.which("node")
    if node is None or not (JS_TESTS / "node_modules/@supabase/supabase-js").is_dir():
        pytest.fail(
            "node and supabase-js are needed; `make test` installs supabase-js "
            "(npm ci in tests/js).",
            pytrace=False,
        )
    env = os.environ | {
        "KOYALITE_URL": server.url,
        "ANON_KEY": server.anon_key,
        "SERVICE_KEY": server.service_key,
        "ALICE_ID": ALICE,
        "ALICE_TOKEN": server.token(ALICE),
        "BOB_TOKEN": server.token(BOB),
    }

    result = subprocess.run(
        [node, *node_websocket_flag(node), "--test", "storage.test.mjs"],
        cwd=JS_TESTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "content_type", "sandboxed"),
    [
        ("page.html", "text/html", True),
        ("image.svg", "image/svg+xml", True),
        ("doc.pdf", "application/pdf", False),
    ],
)
def test_served_files_run_no_script_in_koyalite_s_origin(
    http, alice, name, content_type, sandboxed
):
    path = f"{ALICE}/{name}"
    alice.from_("avatars").upload(
        path, b"<script>alert(1)</script>", {"content-type": content_type}
    )

    response = http.get(f"/object/public/avatars/{path}")

    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get("content-security-policy") == (
        "sandbox" if sandboxed else None
    )
