"""Parsing of create/alter/drop policy and alter table ... row level security."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koyalite.errors import KoyaError
from rls.errors import PolicySyntaxError
from rls.grammar import parse_policy_statement
from rls.types import AlterPolicy, AlterTableSecurity, CreatePolicy, DropPolicy

# ---------------------------------------------------------------- create policy


def test_supabase_docs_select_policy_parses_verbatim():
    statement = parse_policy_statement(
        'create policy "Individuals can view their own todos." on todos for select '
        "using ( (select auth.uid()) = user_id );"
    )

    assert statement == CreatePolicy(
        name="Individuals can view their own todos.",
        table="todos",
        command="select",
        using="(select auth.uid()) = user_id",
    )


def test_supabase_docs_update_policy_with_roles_using_and_check():
    statement = parse_policy_statement(
        """
        create policy "Users can update their own profile."
        on profiles for update
        to authenticated
        using ( (select auth.uid()) = user_id )
        with check ( (select auth.uid()) = user_id );
        """
    )

    assert statement == CreatePolicy(
        name="Users can update their own profile.",
        table="profiles",
        command="update",
        roles=("authenticated",),
        using="(select auth.uid()) = user_id",
        check="(select auth.uid()) = user_id",
    )


def test_dashboard_style_policy_with_schema_and_uppercase_keywords():
    statement = parse_policy_statement(
        'CREATE POLICY "Enable read access for all users" ON "public"."todos" '
        "AS PERMISSIVE FOR SELECT TO public USING (true)"
    )

    assert statement == CreatePolicy(
        name="Enable read access for all users",
        table="todos",
        schema="public",
        permissive=True,
        command="select",
        roles=("public",),
        using="true",
    )


def test_restrictive_policy_for_insert_with_check_only():
    statement = parse_policy_statement(
        'create policy "Only permanent users can post to the news feed" '
        "on news_feed as restrictive for insert to authenticated "
        "with check ((select (auth.jwt()->>'is_anonymous')::boolean) is false );"
    )

    assert statement == CreatePolicy(
        name="Only permanent users can post to the news feed",
        table="news_feed",
        permissive=False,
        command="insert",
        roles=("authenticated",),
        check="(select (auth.jwt()->>'is_anonymous')::boolean) is false",
    )


def test_defaults_are_for_all_to_public_permissive():
    statement = parse_policy_statement("create policy p on t using (a = 1)")

    assert statement == CreatePolicy(
        name="p",
        table="t",
        permissive=True,
        command="all",
        roles=("public",),
        using="a = 1",
    )


def test_bare_names_fold_to_lowercase_quoted_names_keep_case():
    statement = parse_policy_statement(
        'create policy MyPolicy on "MyTable" to Anon, "authenticated" using (true)'
    )

    assert statement == CreatePolicy(
        name="mypolicy",
        table="MyTable",
        roles=("anon", "authenticated"),
        using="true",
    )


def test_quoted_name_unescapes_doubled_quotes():
    statement = parse_policy_statement('create policy "say ""hi""" on t using (true)')

    assert isinstance(statement, CreatePolicy)
    assert statement.name == 'say "hi"'


def test_repeated_roles_are_kept_once():
    statement = parse_policy_statement(
        "create policy p on t to anon, anon using (true)"
    )

    assert isinstance(statement, CreatePolicy)
    assert statement.roles == ("anon",)


@pytest.mark.parametrize(
    "expression",
    [
        "task = ')'",
        "task = 'it''s (' and x = 1",
        'a."weird)col" = 1',
        "task = $$)$$",
        "task = $tag$ ) $$ ( $tag$",
        "f(a, (b)) = ((c))",
        "a = 1 -- comment with )\n",
        "a = 1 /* nested /* ) */ ( */",
        r"task = E'\')'",
    ],
)
def test_expression_ends_at_its_balancing_parenthesis(expression):
    statement = parse_policy_statement(f"create policy p on t using ({expression}) ;")

    assert isinstance(statement, CreatePolicy)
    assert statement.using == expression.strip()


def test_comments_around_the_statement_are_ignored():
    statement = parse_policy_statement(
        "-- owners only\n/* block */ create /* inline */ policy p on t using (true); -- end"
    )

    assert statement == CreatePolicy(name="p", table="t", using="true")


# ---------------------------------------------------------------- drop / alter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('drop policy "p" on todos', DropPolicy(name="p", table="todos")),
        (
            "DROP POLICY IF EXISTS p ON public.todos;",
            DropPolicy(name="p", table="todos", if_exists=True),
        ),
        ("drop policy p on todos cascade", DropPolicy(name="p", table="todos")),
    ],
)
def test_drop_policy(text, expected):
    assert parse_policy_statement(text) == expected


def test_alter_policy_rename():
    statement = parse_policy_statement('alter policy "old" on todos rename to "new"')

    assert statement == AlterPolicy(name="old", table="todos", rename_to="new")


def test_alter_policy_changes_roles_and_expressions():
    statement = parse_policy_statement(
        "alter policy p on todos to authenticated using (a = 1) with check (b = 2)"
    )

    assert statement == AlterPolicy(
        name="p", table="todos", roles=("authenticated",), using="a = 1", check="b = 2"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "alter table todos enable row level security;",
            AlterTableSecurity(table="todos", action="enable"),
        ),
        (
            "ALTER TABLE public.todos DISABLE ROW LEVEL SECURITY",
            AlterTableSecurity(table="todos", action="disable"),
        ),
        (
            "alter table if exists only todos force row level security",
            AlterTableSecurity(table="todos", action="force", if_exists=True),
        ),
        (
            'alter table "Todos" no force row level security',
            AlterTableSecurity(table="Todos", action="no_force"),
        ),
    ],
)
def test_alter_table_row_level_security(text, expected):
    assert parse_policy_statement(text) == expected


# ---------------------------------------------------------------- not ours


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-- only a comment",
        "/* unterminated comment",
        "select 1",
        "create table policy (id integer)",
        "create index policy_idx on t (a)",
        "alter table todos add column policy text",
        "alter table todos rename to todos_old",
        "alter table todos rename column a to b",
        "drop table policy",
        "(",
    ],
)
def test_other_statements_are_left_to_sqlite(text):
    assert parse_policy_statement(text) is None


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("create policy p todos using (true)", 'syntax error at or near "todos"'),
        ("create policy p on", "syntax error at end of input"),
        ("create policy p on t for everything", 'syntax error at or near "everything"'),
        ("create policy p on t using (a = 1", "syntax error at end of input"),
        ("create policy p on t using ()", 'syntax error at or near ")"'),
        ("create policy p on t using a = 1", 'syntax error at or near "a"'),
        ("create policy p on t with check (true) using (true)", 'near "using"'),
        ("create policy p on t using (true) extra", 'syntax error at or near "extra"'),
        ("create policy p on t to using (true)", 'syntax error at or near "("'),
        ("create policy p on t using (true);;", 'syntax error at or near ";"'),
        ('create policy "" on t', 'zero-length delimited identifier at or near """"'),
        ('create policy "p on t', "unterminated quoted identifier"),
        ("create policy p on t using (a = 'x)", "unterminated quoted string"),
        ("create policy p on t using (a = $$x)", "unterminated dollar-quoted string"),
        ("create policy p on t using (true) /* open", "unterminated /* comment"),
        ("create policy p on a.b.c using (true)", "cross-database references"),
        ("drop policy p", "syntax error at end of input"),
        ("alter policy p on t rename to", "syntax error at end of input"),
        ("alter table t enable row security", 'syntax error at or near "security"'),
        ("alter table t force row level security now", 'near "now"'),
    ],
)
def test_malformed_policy_statements_raise_42601(text, message):
    with pytest.raises(PolicySyntaxError) as error:
        parse_policy_statement(text)

    assert error.value.code == "42601"
    assert message in str(error.value)


def test_unknown_policy_kind_is_rejected_with_postgres_hint():
    with pytest.raises(PolicySyntaxError) as error:
        parse_policy_statement("create policy p on t as sideways using (true)")

    assert str(error.value) == 'unrecognized row security option "sideways"'
    assert error.value.hint == (
        "Only PERMISSIVE or RESTRICTIVE policies are supported currently."
    )


# ---------------------------------------------------------------- properties

_PIECES = [
    "create", "policy", "drop", "alter", "table", "on", "as", "for", "to", "using",
    "with", "check", "rename", "if", "exists", "row", "level", "security", "enable",
    "no", "force", "select", "restrictive", "anon", '"q"', '"', "'", "(", ")", ";",
    "$$", "$t$", "--", "/*", "*/", ".", ",", "E'", "\\", "t", "x = 1",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_koya_errors(text):
    try:
        parse_policy_statement(text)
    except KoyaError:
        pass


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map(" ".join))
def test_statement_like_text_raises_only_koya_errors(text):
    try:
        statement = parse_policy_statement(text)
    except KoyaError:
        return
    assert statement is None or hasattr(statement, "table")
