"""Request bodies decoded as JSON with a bound on nesting: the one decoder
that /auth/v1 and /rest/v1 share.

orjson reads documents nested up to 1,024 levels but writes at most 254. A
body it read could then be stored and never be served again: the JSON that
returns it wraps it in more levels (a user object, a session, a page of
users), and serialising that fails. Bodies nested deeper than `MAX_DEPTH`
are refused before anything is stored, so anything stored fits in any
wrapper with room to spare.
"""

from __future__ import annotations

import orjson

# Well below orjson's write limit (254 levels): a stored document, wrapped in
# the responses that carry it, is serialisable with over a hundred levels free.
MAX_DEPTH = 128


class TooDeep(ValueError):
    """A document is nested deeper than the limit; str() says so in one line."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON is nested deeper than {limit} levels")
        self.limit = limit


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> object:
    """Decode `data`; raise `TooDeep` past `max_depth` levels of arrays and
    objects (a scalar is level 0, `{}` and `[]` are 1) and
    `orjson.JSONDecodeError` if it is not JSON."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        # orjson's own limit (1,024 levels) is this same fault, only further in.
        if error.msg == "depth limit exceeded":
            raise TooDeep(max_depth) from None
        raise
    raw = data.encode() if isinstance(data, str) else data
    # Nesting needs an opening bracket per level: with few of them (brackets
    # inside strings count too), the document cannot be deep, and the walk,
    # which costs about as much as decoding, is skipped.
    if raw.count(b"[") + raw.count(b"{") > max_depth and depth_exceeds(
        document, max_depth
    ):
        raise TooDeep(max_depth)
    return document


def depth_exceeds(document: object, limit: int) -> bool:
    """Whether `document` (as orjson returns it) nests deeper than `limit`."""
    if type(document) is not dict and type(document) is not list:
        return False
    if limit < 1:
        return True
    # Iterative, so that no document can exhaust Python's recursion limit.
    stack: list[tuple[dict | list, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        for child in value.values() if type(value) is dict else value:
            if type(child) is dict or type(child) is list:
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False
