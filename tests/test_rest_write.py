"""Writes through /rest/v1 with the official supabase-py client."""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_insert_returns_representation_with_defaults(service):
    body = unique("note")

    rows = service.table("notes").insert({"body": body, "score": 2.5}).execute().data

    assert len(rows) == 1
    assert rows[0]["body"] == body
    assert rows[0]["score"] == 2.5
    assert isinstance(rows[0]["id"], int)
    assert rows[0]["created_at"].endswith("+00:00")


def test_bulk_insert_with_missing_keys_uses_null_or_default(live, rest):
    a, b = unique("bulk"), unique("bulk")
    headers = {
        **live.headers(key=live.service_key),
        "Prefer": "return=representation,missing=default",
    }

    response = rest.post(
        "/notes?columns=body,score,created_at",
        json=[{"body": a, "score": 1}, {"body": b}],
        headers=headers,
    )

    assert response.status_code == 201
    rows = response.json()
    assert [r["body"] for r in rows] == [a, b]
    assert rows[1]["score"] is None
    assert rows[1]["created_at"] is not None


def test_bulk_insert_through_client(service):
    bodies = [unique("many") for _ in range(3)]

    rows = service.table("notes").insert([{"body": x} for x in bodies]).execute().data

    assert [r["body"] for r in rows] == bodies


def test_return_minimal_has_no_body(live, rest):
    response = rest.post(
        "/notes",
        json={"body": unique("min")},
        headers={**live.headers(key=live.service_key), "Prefer": "return=minimal"},
    )

    assert response.status_code == 201
    assert response.content == b""


def test_headers_only_returns_location(live, rest):
    response = rest.post(
        "/notes",
        json={"body": unique("loc")},
        headers={**live.headers(key=live.service_key), "Prefer": "return=headers-only"},
    )

    assert response.status_code == 201
    assert response.headers["location"].startswith("/notes?id=eq.")


def test_upsert_merges_on_conflict(service):
    name = unique("tag")
    first = service.table("tags").insert({"name": name}).execute().data[0]

    merged = (
        service.table("tags")
        .upsert({"id": first["id"], "name": name + "-renamed"})
        .execute()
        .data
    )

    assert merged == [{"id": first["id"], "name": name + "-renamed"}]


def test_upsert_on_conflict_column_and_ignore_duplicates(service):
    name = unique("tag")
    service.table("tags").insert({"name": name}).execute()

    ignored = (
        service.table("tags")
        .upsert({"name": name}, on_conflict="name", ignore_duplicates=True)
        .execute()
        .data
    )

    assert ignored == []
    assert len(service.table("tags").select("id").eq("name", name).execute().data) == 1


def test_update_with_filters_returns_rows(service):
    body = unique("upd")
    service.table("notes").insert({"body": body, "score": 1}).execute()

    rows = service.table("notes").update({"score": 7}).eq("body", body).execute().data

    assert [(r["body"], r["score"]) for r in rows] == [(body, 7)]


def test_update_of_no_rows_returns_empty_list(service):
    assert (
        service.table("notes")
        .update({"score": 1})
        .eq("body", "no such note")
        .execute()
        .data
        == []
    )


def test_delete_returns_deleted_rows(service):
    body = unique("del")
    service.table("notes").insert({"body": body}).execute()

    rows = service.table("notes").delete().eq("body", body).execute().data

    assert [r["body"] for r in rows] == [body]
    assert service.table("notes").select("id").eq("body", body).execute().data == []


def test_put_upserts_one_row_by_primary_key(live, rest):
    headers = {**live.headers(key=live.service_key), "Prefer": "return=representation"}

    created = rest.put(
        "/employees?id=eq.50", json={"id": 50, "name": "Put"}, headers=headers
    )
    replaced = rest.put(
        "/employees?id=eq.50", json={"id": 50, "name": "Put again"}, headers=headers
    )
    mismatch = rest.put(
        "/employees?id=eq.51", json={"id": 52, "name": "x"}, headers=headers
    )

    assert created.status_code == 201
    assert replaced.status_code == 200
    assert replaced.json() == [{"id": 50, "name": "Put again", "manager_id": None}]
    assert mismatch.status_code == 400
    assert mismatch.json()["code"] == "PGRST115"


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ({"name": "sql"}, "23505"),  # unique
        ({"name": None}, "23502"),  # not null
    ],
)
def test_constraint_violations_have_postgres_codes(service, row, code):
    with pytest.raises(APIError) as error:
        service.table("tags").insert(row).execute()

    assert error.value.code == code


def test_foreign_key_violation_is_409(live, rest):
    response = rest.post(
        "/comments",
        json={"post_id": 9999, "body": "x"},
        headers=live.headers(key=live.service_key),
    )

    assert response.status_code == 409
    assert response.json()["code"] == "23503"


def test_check_violation_is_400(live, rest):
    response = rest.post(
        "/todos",
        json={"owner": "00000000-0000-4000-8000-00000000a11c", "title": ""},
        headers=live.headers(key=live.service_key),
    )

    assert response.status_code == 400
    assert response.json()["code"] == "23514"


def test_failed_bulk_insert_writes_nothing(live, rest, service):
    marker = unique("atomic")

    response = rest.post(
        "/tags",
        json=[{"name": marker}, {"name": "sql"}],
        headers=live.headers(key=live.service_key),
    )

    assert response.status_code == 409
    assert service.table("tags").select("id").eq("name", marker).execute().data == []


def test_tx_rollback_preference_writes_nothing(live, rest, service):
    marker = unique("rollback")

    response = rest.post(
        "/notes",
        json={"body": marker},
        headers={
            **live.headers(key=live.service_key),
            "Prefer": "return=representation,tx=rollback",
        },
    )

    assert response.status_code == 201
    assert response.json()[0]["body"] == marker
    assert service.table("notes").select("id").eq("body", marker).execute().data == []


def test_single_object_insert_response(live, rest):
    response = rest.post(
        "/notes",
        json={"body": unique("one")},
        headers={
            **live.headers(key=live.service_key),
            "Prefer": "return=representation",
            "Accept": "application/vnd.pgrst.object+json",
        },
    )

    assert response.status_code == 201
    assert isinstance(response.json(), dict)


def test_count_on_write(live, rest):
    marker = unique("cnt")
    rest.post(
        "/notes",
        json=[{"body": marker}, {"body": marker}],
        headers=live.headers(key=live.service_key),
    )

    response = rest.patch(
        f"/notes?body=eq.{marker}",
        json={"score": 3},
        headers={**live.headers(key=live.service_key), "Prefer": "count=exact"},
    )

    assert response.status_code == 204
    assert response.headers["content-range"] == "0-1/2"
