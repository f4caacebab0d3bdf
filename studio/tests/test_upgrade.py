"""Projects from before operators had their own table: staff rows become
operators, and Django's history is repaired so `migrate` runs."""

from __future__ import annotations

import sqlite3

from tests.conftest import new_project, run_cli


def _staff_layout(db: str) -> None:
    """Put a migrated project back into the layout of an older KoyaLite: no
    operator table, admin's log recorded against app users, a staff row."""
    with sqlite3.connect(db) as conn:
        for (table,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name LIKE 'koyalite\\_%' ESCAPE '\\'"
        ).fetchall():
            conn.execute(f'DROP TABLE "{table}"')
        conn.executescript(
            """
            DELETE FROM django_migrations WHERE app IN ('studio', 'admin_dashboard')
                OR (app = 'accounts' AND name >= '0005');
            ALTER TABLE auth_users ADD COLUMN is_staff bool NOT NULL DEFAULT 0;
            ALTER TABLE auth_users ADD COLUMN is_superuser bool NOT NULL DEFAULT 0;
            CREATE TABLE auth_users_groups (id integer primary key, user_id char(36), group_id integer);
            CREATE TABLE auth_users_user_permissions (id integer primary key, user_id char(36), permission_id integer);
            """
        )


def test_staff_rows_become_operators_and_leave_the_app_users(tmp_path):
    project = new_project(tmp_path)
    run_cli(project, "migrate")
    run_cli(
        project,
        "shell",
        "-c",
        "from accounts.models import User\n"
        "User.objects.create_user(email='staff@example.com', password='old-pass-123')\n"
        "User.objects.create_user(email='app@example.com', password='app-pass-123')\n",
    )
    db = str(project / "koyalite.sqlite3")
    _staff_layout(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE auth_users SET is_staff = 1 WHERE email LIKE 'staff@%'")

    result = run_cli(project, "migrate", check=False)

    assert result.returncode == 0, result.stderr
    check = run_cli(
        project,
        "shell",
        "-c",
        "from accounts.models import User; from studio.models import Operator\n"
        "print(sorted(User.objects.values_list('email', flat=True)))\n"
        "op = Operator.objects.get()\n"
        "print(op.email, op.check_password('old-pass-123'))\n",
    ).stdout.splitlines()
    assert check[-2:] == ["['app@example.com']", "staff@example.com True"]
    with sqlite3.connect(db) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(auth_users)")}
    assert "is_staff" not in columns
