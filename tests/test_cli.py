"""The koyalite command line: happy paths and every user mistake."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sqlite3
import subprocess
from fnmatch import fnmatch

import httpx
import jwt
import pytest

from tests.conftest import run_cli, start_server, stop_server


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "app"
    run_cli(path, "init", str(path))
    return path


def tables(project) -> set[str]:
    with sqlite3.connect(project / "koyalite.sqlite3") as db:
        return {
            r[0]
            for r in db.execute("select name from sqlite_schema where type = 'table'")
        }


def test_init_scaffolds_a_project(project):
    env = (project / ".env").read_text()

    assert (project / "migrations").is_dir()
    assert (project / "functions").is_dir()
    secret = next(
        line.split("=", 1)[1]
        for line in env.splitlines()
        if line.startswith("KOYALITE_JWT_SECRET=")
    )
    assert len(secret) >= 64
    assert (project / ".env").stat().st_mode & 0o077 == 0


def test_init_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")

    result = run_cli(tmp_path, "init", str(tmp_path), check=False)

    assert result.returncode != 0
    assert result.stderr.startswith("koyalite: ")
    assert "not empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".env").exists()


def test_keys_prints_json_with_signed_keys(project):
    keys = json.loads(run_cli(project, "keys", "--json").stdout)
    secret = (project / ".env").read_text().split("KOYALITE_JWT_SECRET=")[1].split()[0]

    assert keys["url"] == "http://127.0.0.1:8000"
    assert jwt.decode(keys["anon_key"], secret, algorithms=["HS256"])["role"] == "anon"
    assert (
        jwt.decode(keys["service_role_key"], secret, algorithms=["HS256"])["role"]
        == "service_role"
    )
    assert json.loads(run_cli(project, "keys", "--json").stdout) == keys


def test_sql_on_a_fresh_project_creates_tables(project):
    script = project / "schema.sql"
    script.write_text(
        "create table things (id integer primary key, name text);\ninsert into things (name) values ('a');\nselect name from things;"
    )

    result = run_cli(project, "sql", "-f", str(script))

    assert "things" in tables(project)
    assert "CREATE TABLE" in result.stdout
    assert "a" in result.stdout


def test_sql_reads_standard_input(project):
    run_cli(
        project, "sql", "-f", "-", stdin="create table piped (id integer primary key);"
    )

    assert "piped" in tables(project)


def test_sql_error_names_statement_and_line_and_rolls_back(project):
    script = project / "bad.sql"
    script.write_text(
        "create table first_one (id integer primary key);\n\ncreate table second (id integer primary key);\nselect * from missing_table;\n"
    )

    result = run_cli(project, "sql", "-f", str(script), check=False)

    assert result.returncode != 0
    assert "statement 3" in result.stderr and "line 4" in result.stderr
    assert "Traceback" not in result.stderr
    assert "first_one" not in tables(project)


def test_sql_missing_file_is_one_line(project):
    result = run_cli(project, "sql", "-f", "nope.sql", check=False)

    assert result.returncode != 0
    assert result.stderr.strip() == "koyalite: nope.sql: no such file"


def test_sql_refuses_internal_table_names(project):
    result = run_cli(
        project,
        "sql",
        "-f",
        "-",
        stdin="create table django_session (id integer);",
        check=False,
    )

    assert result.returncode != 0
    assert "internal" in result.stderr


def test_sql_changes_a_column_type_and_refuses_values_that_do_not_convert(project):
    run_cli(
        project,
        "sql",
        "-f",
        "-",
        stdin="create table notes (id integer primary key, priority text);\n"
        "insert into notes (priority) values ('3'), ('abc');",
    )

    failed = run_cli(
        project,
        "sql",
        "-f",
        "-",
        stdin="insert into notes (priority) values ('7');\n"
        "alter table public.notes alter column priority type bigint;",
        check=False,
    )
    changed = run_cli(
        project,
        "sql",
        "-f",
        "-",
        stdin="alter table notes alter column priority type bigint "
        "using case when priority glob '[0-9]*' then priority end;",
    )

    assert failed.returncode != 0
    assert failed.stderr.splitlines()[0] == (
        "koyalite: statement 2 (line 2): invalid input syntax for type bigint: "
        '"abc" (column "priority", row id = 2)'
    )
    assert "ALTER TABLE" in changed.stdout
    with sqlite3.connect(project / "koyalite.sqlite3") as db:
        assert db.execute("select id, priority from notes").fetchall() == [
            (1, 3),
            (2, None),
        ]


def test_migrate_changes_a_column_type_in_a_migration(project):
    migrations = project / "migrations"
    (migrations / "0001_notes.sql").write_text(
        "create table notes (id integer primary key, priority text);\n"
        "insert into notes (priority) values ('3');"
    )
    (migrations / "0002_priority.sql").write_text(
        "alter table notes alter column priority set data type integer;"
    )

    run_cli(project, "migrate")

    with sqlite3.connect(project / "koyalite.sqlite3") as db:
        assert db.execute("select typeof(priority) from notes").fetchall() == [
            ("integer",)
        ]


def test_migrate_applies_sql_files_once_and_refuses_edits(project):
    migration = project / "migrations" / "0001_first.sql"
    migration.write_text("create table m1 (id integer primary key);")

    first = run_cli(project, "migrate")
    second = run_cli(project, "migrate")
    migration.write_text("create table m1 (id integer primary key, extra text);")
    edited = run_cli(project, "migrate", check=False)

    assert "m1" in tables(project)
    assert "0001_first.sql" in first.stdout
    assert "No SQL migrations to apply" in second.stdout
    assert edited.returncode != 0
    assert "0001_first.sql" in edited.stderr and "edited" in edited.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "KOYALITE_JWT_SECRET",
            "short",
            "KOYALITE_JWT_SECRET is shorter than 32 bytes",
        ),
        ("DATABASE_URL", "postgres://x", "DATABASE_URL"),
        ("DATABASE_URL", "nonsense", "DATABASE_URL"),
        ("KOYALITE_DEBUG", "maybe", "KOYALITE_DEBUG"),
        ("KOYALITE_LOG_LEVEL", "loud", "KOYALITE_LOG_LEVEL"),
        ("KOYALITE_TYPO", "1", "KOYALITE_TYPO"),
    ],
)
def test_serve_refuses_bad_settings_with_one_line(project, variable, value, message):
    env_file = project / ".env"
    env_file.write_text(env_file.read_text() + f"\n{variable}={value}\n")

    result = run_cli(project, "serve", "--port", "1", check=False)

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("koyalite: ")
    assert message in lines[0]


@contextlib.contextmanager
def read_only(directory):
    """`directory` unwritable even for root, who ignores permission bits but
    not the immutable attribute."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(directory)], check=True)
    else:
        directory.chmod(0o555)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
        else:
            directory.chmod(0o755)


@pytest.mark.parametrize(
    ("directory", "what"),
    [
        ("storage", "KOYALITE_STORAGE_DIR"),
        ("storage-uploads", "Storage's resumable upload directory"),
        ("cache", "Storage's image render cache"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "check"])
def test_an_unwritable_storage_directory_stops_start_up_with_one_line(
    project, directory, what, command
):
    (project / directory).mkdir()

    with read_only(project / directory):
        args = ["--port", "1"] if command == "serve" else []
        refused = run_cli(project, command, *args, check=False)
    after = run_cli(project, "check", check=False)

    assert refused.returncode == 2
    configured = project / directory
    if directory == "cache":
        configured /= "renders"
    assert refused.stderr.strip().splitlines() == [
        f"koyalite: {what} is {configured}, "
        f"but {project / directory} is not writable. "
        "Let the user running KoyaLite write there."
    ]
    assert after.returncode == 0, after.stderr


@pytest.mark.parametrize(
    ("args", "missing"),
    [
        (["init"], "directory"),
        (["sql"], "-f/--file"),
        (["sql", "-f", "x.sql", "--nope"], "--nope"),
    ],
)
def test_bad_arguments_print_usage_and_exit_2(project, args, missing):
    result = run_cli(project, *args, check=False)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"usage: koyalite {args[0]}")
    assert missing in result.stderr.strip().splitlines()[-1]


def test_unknown_command_is_one_line(project):
    result = run_cli(project, "frobnicate", check=False)

    assert result.returncode == 2
    assert result.stderr.strip().startswith("koyalite: unknown command")


def test_serve_migrates_serves_and_warns_about_open_tables_and_views(project):
    (project / "migrations" / "0001.sql").write_text(
        "create table open_table (id integer primary key);\n"
        "create table closed (id integer primary key);\nalter table closed enable row level security;\n"
        "create view leaky as select id from closed;\n"
        "create view leaky_too as select leaky.id from leaky join open_table using (id);\n"
        "create view guarded with (security_invoker) as select id from closed;\n"
        "create view open_view as select id from open_table;\n"
    )

    server = start_server(project)
    try:
        health = httpx.get(f"{server.url}/health")
        listed = httpx.get(f"{server.url}/rest/v1/open_table", headers=server.headers())
    finally:
        stop_server(server)

    assert health.json() == {"status": "ok"}
    assert listed.status_code == 200
    log = server.log.read_text()
    assert "table.rls_disabled" in log and "open_table" in log
    assert '"table": "closed"' not in log
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    warned = [
        (event["view"], event["tables"])
        for event in events
        if event.get("event") == "view.security_definer"
    ]
    assert warned == [("leaky", ["closed"]), ("leaky_too", ["closed"])]


def test_serve_with_default_workers_starts_without_server_warnings(project):
    server = start_server(project, serve_args=())
    try:
        health = httpx.get(f"{server.url}/health")
    finally:
        stop_server(server)

    assert health.json() == {"status": "ok"}
    log = server.log.read_text()
    starting = next(
        json.loads(line) for line in log.splitlines() if '"server.starting"' in line
    )
    # Granian warns when there are more worker processes than it counts cores.
    assert starting["workers"] == multiprocessing.cpu_count()
    assert "[WARNING]" not in log


def test_serve_without_a_project_names_the_missing_secret(tmp_path):
    result = run_cli(tmp_path, "serve", "--port", "1", check=False)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "koyalite: KOYALITE_JWT_SECRET is not set. Run `koyalite init` to create a project with a generated secret."
    ]


def test_sql_with_a_bad_database_url_is_one_line(project):
    env_file = project / ".env"
    env_file.write_text(env_file.read_text() + "\nDATABASE_URL=mysql://db/app\n")

    result = run_cli(project, "sql", "-f", "-", stdin="select 1;", check=False)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "koyalite: DATABASE_URL uses 'mysql'; only sqlite:/// URLs are supported yet."
    ]


def test_gitignore_of_a_new_project_covers_every_file_the_database_makes(project):
    run_cli(project, "sql", "-f", "-", stdin="create table notes (id integer);")
    patterns = [
        line for line in (project / ".gitignore").read_text().splitlines() if line
    ]

    made = [p.name for p in project.iterdir() if p.name.startswith("koyalite.sqlite3")]

    assert "koyalite.sqlite3.write-lock" in made
    assert [n for n in made if not any(fnmatch(n, p) for p in patterns)] == []
