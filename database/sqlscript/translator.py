"""One statement, translated: the public entry points."""

from __future__ import annotations

from dataclasses import dataclass, replace

from database.sqlscript.cron import CronCall, CronCalls
from database.sqlscript.ddl import ColumnTypeChange, DdlRewrites
from database.sqlscript.expressions import ExpressionRewrites
from database.sqlscript.statements import Statement
from database.sqlscript.view_options import ViewSecurity
from database.sqlscript.webhook_triggers import WebhookTrigger, WebhookTriggers


@dataclass(frozen=True, slots=True)
class Translation:
    """One statement rewritten for SQLite, with what the runner needs to know."""

    text: str  # "" when skipped
    command: str  # "CREATE TABLE", "INSERT", "GRANT", ...
    skipped: bool = False
    is_policy: bool = False  # for `rls.grammar` rather than SQLite
    dropped_tables: tuple[str, ...] = ()
    renamed_tables: tuple[tuple[str, str], ...] = ()  # (old, new)
    # `create view … with (security_invoker)`: the view, checked once created.
    invoker_view: str | None = None
    # `alter view … set|reset (…)`: run by the runner, not by SQLite.
    view_security: ViewSecurity | None = None
    # `alter table … alter column … type …`: a rebuild run by the runner.
    column_type: ColumnTypeChange | None = None
    # Supabase's database webhook (`… execute function
    # supabase_functions.http_request(…)`): kept by `webhooks`, not SQLite.
    webhook: WebhookTrigger | None = None
    # `drop trigger t [on table]`: which one, since it may be a webhook.
    dropped_trigger: str | None = None
    dropped_trigger_if_exists: bool = False
    # `select cron.schedule(…)` and kin: called by the runner, not SQLite.
    cron_call: CronCall | None = None


def translate(statement: Statement) -> str:
    """Return `statement` as SQLite SQL, or "" for a statement that is skipped."""
    return translate_statement(statement).text


def translate_statement(statement: Statement) -> Translation:
    """Translate `statement` and describe it; raise a `SqlScriptError` subclass."""
    return Translator(statement).translate()


def changes_column_type(statement: Statement) -> bool:
    """Whether `statement` changes a column's type, which rebuilds its table."""
    translator = Translator(statement)
    return bool(translator.tokens) and translator.changes_column_type()


class Translator(DdlRewrites, ExpressionRewrites, WebhookTriggers, CronCalls):
    """Rewrite one statement by replacing token ranges; never reorders text."""

    def translate(self) -> Translation:
        if not self.tokens:
            return Translation("", "", skipped=True)
        command = self.command()
        if self.is_skipped():
            return Translation("", command, skipped=True)
        webhook = self.webhook_trigger()
        if webhook is not None:
            return Translation("", "CREATE TRIGGER", webhook=webhook)
        self.refuse_unsupported(command)
        cron_call = self.cron_call()
        if cron_call is not None:
            return Translation("", command, cron_call=cron_call)
        if self.is_policy():
            # rls resolves `public.`, `auth.users` and `auth.uid()` itself.
            return Translation(self.text, command, is_policy=True)
        if self.is_words(0, "alter", "view"):
            return Translation("", command, view_security=self.alter_view())
        self.rewrite_head()
        self.walk()
        if self.column_type is not None:
            change = self.column_type
            if change.using is not None:
                change = replace(change, using=self.output().strip())
            return Translation("", command, column_type=change)
        return Translation(
            self.output(),
            command,
            dropped_tables=tuple(self.dropped),
            renamed_tables=tuple(self.renamed),
            invoker_view=self.invoker_view,
            **self._dropped_trigger(),
        )

    def _dropped_trigger(self) -> dict[str, object]:
        if not self.is_words(0, "drop", "trigger"):
            return {}
        exists = self.is_words(2, "if", "exists")
        name = self.qualified(4 if exists else 2)
        if name is None:
            return {}
        return {"dropped_trigger": name.name, "dropped_trigger_if_exists": exists}
