"""Ready-to-run client code for a table: supabase-js, supabase-py and curl.

Snippets are plain text built here and escaped by the template that shows them.
Names and values become string literals of each language (JSON for
JavaScript, `repr` for Python, `shlex.quote` for the shell), so a table called
`it's` still gives code that runs. They carry the anon key, never the
service_role key.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from urllib.parse import quote

from database.schema import ColumnInfo, TableInfo

_SAMPLES: dict[str, object] = {
    "integer": 1,
    "numeric": 1.5,
    "boolean": True,
    "uuid": "00000000-0000-4000-8000-000000000000",
    "date": "2026-01-01",
    "time": "12:00:00",
    "timestamp": "2026-01-01T12:00:00",
    "timestamptz": "2026-01-01T12:00:00Z",
    "json": {"key": "value"},
    "array": [],
}


@dataclass(frozen=True, slots=True)
class Snippet:
    slug: str  # unique on the page: labels and test ids
    title: str
    language: str
    code: str


def _sample(column: ColumnInfo) -> object:
    return _SAMPLES.get(column.kind, "example")


def _filter_column(table: TableInfo) -> ColumnInfo:
    for name in table.primary_key:
        if name in table.columns:
            return table.columns[name]
    return next(iter(table.columns.values()))


def _row(table: TableInfo) -> dict[str, object]:
    """A row to insert: the columns it needs (not null, no default), or one
    column to show. Nullable columns are left out: a sample value for a
    foreign key would point at a row that may not exist."""
    writable = [c for c in table.columns.values() if not c.generated]
    needed = [c for c in writable if not c.has_default and not c.nullable]
    chosen = needed or [c for c in writable if not c.is_rowid_alias][:1] or writable[:1]
    return {c.name: _sample(c) for c in chosen}


def _update(table: TableInfo, filter_name: str) -> dict[str, object]:
    for column in table.columns.values():
        if column.name != filter_name and not column.generated:
            return {column.name: _sample(column)}
    return {}


def _js(value: object) -> str:
    return json.dumps(value)


def _js_object(value: dict[str, object]) -> str:
    return json.dumps(value, indent=None)


def _py(value: object) -> str:
    return repr(value)


def _rest_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def table_snippets(table: TableInfo, url: str, anon_key: str) -> list[Snippet]:
    """select with a filter, insert, update and delete in each client."""
    column = _filter_column(table)
    value = _sample(column)
    row = _row(table)
    changes = _update(table, column.name)
    name, col = table.name, column.name
    rest = f"{url}/rest/v1/{quote(name, safe='')}"
    where = f"{quote(col, safe='')}=eq.{quote(_rest_value(value), safe='')}"
    headers = (
        f"  -H {shlex.quote('apikey: ' + anon_key)} \\\n"
        f"  -H {shlex.quote('Authorization: Bearer ' + anon_key)}"
    )
    js_client = (
        "import { createClient } from '@supabase/supabase-js'\n\n"
        f"const supabase = createClient({_js(url)}, {_js(anon_key)})\n\n"
    )
    py_client = (
        "from supabase import create_client\n\n"
        f"supabase = create_client({_py(url)}, {_py(anon_key)})\n\n"
    )
    snippets = [
        Snippet(
            "js-select",
            "Select with a filter",
            "supabase-js",
            js_client + "const { data, error } = await supabase\n"
            f"  .from({_js(name)})\n  .select('*')\n  .eq({_js(col)}, {_js(value)})",
        ),
        Snippet(
            "py-select",
            "Select with a filter",
            "supabase-py",
            py_client + f"response = (\n    supabase.table({_py(name)})\n"
            f"    .select('*')\n    .eq({_py(col)}, {_py(value)})\n"
            "    .execute()\n)\nrows = response.data",
        ),
        Snippet(
            "curl-select",
            "Select with a filter",
            "curl",
            f"curl {shlex.quote(rest + '?select=*&' + where)} \\\n{headers}",
        ),
    ]
    if table.is_view:
        return snippets
    snippets += [
        Snippet(
            "js-insert",
            "Insert a row",
            "supabase-js",
            "const { data, error } = await supabase\n"
            f"  .from({_js(name)})\n  .insert({_js_object(row)})\n  .select()",
        ),
        Snippet(
            "py-insert",
            "Insert a row",
            "supabase-py",
            f"response = supabase.table({_py(name)}).insert({_py(row)}).execute()",
        ),
        Snippet(
            "curl-insert",
            "Insert a row",
            "curl",
            f"curl -X POST {shlex.quote(rest)} \\\n{headers} \\\n"
            "  -H 'Content-Type: application/json' \\\n"
            "  -H 'Prefer: return=representation' \\\n"
            f"  -d {shlex.quote(json.dumps(row))}",
        ),
    ]
    if changes:
        snippets += [
            Snippet(
                "js-update",
                "Update rows",
                "supabase-js",
                "const { data, error } = await supabase\n"
                f"  .from({_js(name)})\n  .update({_js_object(changes)})\n"
                f"  .eq({_js(col)}, {_js(value)})\n  .select()",
            ),
            Snippet(
                "py-update",
                "Update rows",
                "supabase-py",
                f"response = (\n    supabase.table({_py(name)})\n"
                f"    .update({_py(changes)})\n    .eq({_py(col)}, {_py(value)})\n"
                "    .execute()\n)",
            ),
            Snippet(
                "curl-update",
                "Update rows",
                "curl",
                f"curl -X PATCH {shlex.quote(rest + '?' + where)} \\\n{headers} \\\n"
                "  -H 'Content-Type: application/json' \\\n"
                f"  -d {shlex.quote(json.dumps(changes))}",
            ),
        ]
    snippets += [
        Snippet(
            "js-delete",
            "Delete rows",
            "supabase-js",
            "const { error } = await supabase\n"
            f"  .from({_js(name)})\n  .delete()\n  .eq({_js(col)}, {_js(value)})",
        ),
        Snippet(
            "py-delete",
            "Delete rows",
            "supabase-py",
            f"supabase.table({_py(name)}).delete().eq({_py(col)}, {_py(value)})"
            ".execute()",
        ),
        Snippet(
            "curl-delete",
            "Delete rows",
            "curl",
            f"curl -X DELETE {shlex.quote(rest + '?' + where)} \\\n{headers}",
        ),
    ]
    return snippets


def auth_snippets(url: str, anon_key: str) -> list[Snippet]:
    """Sign up and sign in with a password in each client."""
    email, password = "user@example.com", "a-long-password"
    body = json.dumps({"email": email, "password": password})
    headers = (
        f"  -H {shlex.quote('apikey: ' + anon_key)} \\\n"
        "  -H 'Content-Type: application/json'"
    )
    return [
        Snippet(
            "js-auth",
            "Sign up and sign in",
            "supabase-js",
            "import { createClient } from '@supabase/supabase-js'\n\n"
            f"const supabase = createClient({_js(url)}, {_js(anon_key)})\n\n"
            "const { data, error } = await supabase.auth.signUp({\n"
            f"  email: {_js(email)},\n  password: {_js(password)},\n}})\n\n"
            "const { data: session } = await supabase.auth.signInWithPassword({\n"
            f"  email: {_js(email)},\n  password: {_js(password)},\n}})",
        ),
        Snippet(
            "py-auth",
            "Sign up and sign in",
            "supabase-py",
            "from supabase import create_client\n\n"
            f"supabase = create_client({_py(url)}, {_py(anon_key)})\n\n"
            f"supabase.auth.sign_up({{'email': {_py(email)}, "
            f"'password': {_py(password)}}})\n"
            f"session = supabase.auth.sign_in_with_password(\n"
            f"    {{'email': {_py(email)}, 'password': {_py(password)}}}\n)",
        ),
        Snippet(
            "curl-auth",
            "Sign up and sign in",
            "curl",
            f"curl -X POST {shlex.quote(url + '/auth/v1/signup')} \\\n{headers} \\\n"
            f"  -d {shlex.quote(body)}\n\n"
            f"curl -X POST {shlex.quote(url + '/auth/v1/token?grant_type=password')}"
            f" \\\n{headers} \\\n  -d {shlex.quote(body)}",
        ),
    ]
