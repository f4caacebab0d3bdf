"""Supabase's database webhooks, as the SQL its Studio writes for them.

    create trigger "t" after insert or update or delete on "public"."notes"
    for each row execute function "supabase_functions"."http_request"(
      'http://…', 'POST', '{"Content-Type":"application/json"}', '{}', '5000')

is read here into a `WebhookTrigger`; the runner hands it to `webhooks`, which
keeps it as an endpoint (no SQLite trigger: the outbox already records every
change). `drop trigger "t" on "public"."notes"` drops it again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from database.sqlscript.cursor import TokenCursor
from database.sqlscript.tokens import string_value

HTTP_REQUEST = ("supabase_functions", "http_request")
_EVENTS = ("insert", "update", "delete")
# What a webhook may be sent with, declared in SQL or in the Studio.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_TIMEOUT_MS = 60_000


@dataclass(frozen=True, slots=True)
class WebhookTrigger:
    name: str
    schema: str
    table: str
    events: tuple[str, ...]  # INSERT, UPDATE, DELETE
    url: str
    method: str
    headers: dict[str, str]
    params: dict[str, str]
    timeout_ms: int
    or_replace: bool


class WebhookTriggers(TokenCursor):
    """Reads `create trigger … execute function supabase_functions.http_request`."""

    def calls_http_request(self) -> bool:
        for j in range(len(self.tokens) - 3):
            if (
                self.word(j) == "execute"
                and self.word(j + 1) in ("function", "procedure")
                and (name := self.qualified(j + 2)) is not None
                and (name.schema or "").lower() == HTTP_REQUEST[0]
                and name.name.lower() == HTTP_REQUEST[1]
            ):
                return True
        return False

    def webhook_trigger(self) -> WebhookTrigger | None:
        """The webhook a `create trigger` statement declares, or None when it
        is not one; a malformed one fails with what is wrong."""
        if not self.is_words(0, "create"):
            return None
        k = 1
        or_replace = self.is_words(1, "or", "replace")
        if or_replace:
            k = 3
        if self.word(k) != "trigger" or not self.calls_http_request():
            return None
        name = self.name(k + 1)
        if name is None:
            self.fail("create trigger needs a name")
        k += 2
        if self.word(k) not in ("after", "before"):
            self.fail(
                "a webhook trigger fires after insert, update or delete",
                hint="Write: create trigger t after insert or update or delete on t …",
            )
        k += 1
        events: list[str] = []
        while self.word(k) in _EVENTS:
            events.append(self.word(k).upper())  # type: ignore[union-attr]
            k += 1
            if self.word(k) == "of":
                self.fail(
                    "a webhook trigger cannot fire on some columns only (update of)"
                )
            if self.word(k) != "or":
                break
            k += 1
        if not events or self.word(k) != "on":
            self.fail("a webhook trigger names its events: insert, update, delete")
        table = self.qualified(k + 1)
        if table is None:
            self.fail("a webhook trigger names its table: on public.notes")
        k = table.end
        if not self.is_words(k, "for", "each", "row"):
            self.fail(
                "a webhook trigger fires for each row",
                hint="Write: … on public.notes for each row execute function …",
            )
        k += 3
        if self.word(k) == "when":
            self.fail("a webhook trigger cannot have a when condition")
        function = self.qualified(k + 2)
        assert function is not None  # calls_http_request found it
        arguments = self._http_request_arguments(function.end)
        return WebhookTrigger(
            name=name,
            schema=(table.schema or "public").lower(),
            table=table.name,
            events=tuple(dict.fromkeys(events)),
            **arguments,
            or_replace=or_replace,
        )

    def _http_request_arguments(self, k: int) -> dict:
        """http_request(url, method, headers, params, timeout_ms), all strings."""
        end = self.group_end(k) if self.symbol(k) == "(" else -1
        if end < 0:
            self.fail("supabase_functions.http_request needs its arguments in brackets")
        values: list[str] = []
        j = k + 1
        while j < end - 1:
            value = string_value(self.tokens[j])
            if value is None:
                self.fail(
                    "supabase_functions.http_request takes string literals: "
                    "url, method, headers, params, timeout in milliseconds"
                )
            values.append(value)
            j += 1
            if self.symbol(j) == ",":
                j += 1
        if not 1 <= len(values) <= 5:
            self.fail(
                "supabase_functions.http_request takes 1 to 5 arguments: "
                "url, method, headers, params, timeout in milliseconds"
            )
        url, method, headers, params, timeout = (
            values + ["POST", "{}", "{}", "1000"][len(values) - 1 :]
        )[:5]
        method = method.upper()
        if method not in METHODS:
            self.fail(f"http_request's method must be one of {', '.join(METHODS)}")
        try:
            timeout_ms = int(timeout)
        except ValueError:
            timeout_ms = -1
        if not 1 <= timeout_ms <= MAX_TIMEOUT_MS:
            self.fail(
                f"http_request's timeout is whole milliseconds, 1 to {MAX_TIMEOUT_MS}"
            )
        return {
            "url": url,
            "method": method,
            "headers": self._object(headers, "headers"),
            "params": self._object(params, "params"),
            "timeout_ms": timeout_ms,
        }

    def _object(self, text: str, what: str) -> dict[str, str]:
        try:
            value = json.loads(text or "{}")
        except ValueError:
            value = None
        if not isinstance(value, dict) or not all(
            isinstance(v, str) for v in value.values()
        ):
            self.fail(f"http_request's {what} must be a JSON object of strings")
        return value
