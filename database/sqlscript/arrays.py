"""Postgres array literals (`'{a,b}'`) as the JSON text KoyaLite stores."""

from __future__ import annotations

import json

from database.schema import TypeKind
from database.sqlscript.vocabulary import BOOLEAN_STRINGS


def pg_array_json(literal: str, element: TypeKind | None) -> str | None:
    """JSON for a Postgres array literal like `{a,"b c",NULL}`; None if it is not one."""
    text = literal.strip()
    if not text.startswith("{"):
        return None
    try:
        items, end = _parse_pg_array(text, 0)
        if text[end:].strip():
            return None
        converted = _convert_items(items, element)
    except (ValueError, IndexError, RecursionError):
        return None
    return json.dumps(converted, ensure_ascii=False)


def _parse_pg_array(text: str, i: int) -> tuple[list[object], int]:
    """Parse the `{…}` at `i`; elements are str, None (NULL) or nested lists."""
    items: list[object] = []
    i += 1
    while text[i].isspace():
        i += 1
    if text[i] == "}":
        return items, i + 1
    while True:
        while text[i].isspace():
            i += 1
        item: object
        if text[i] == "{":
            item, i = _parse_pg_array(text, i)
        elif text[i] == '"':
            chars: list[str] = []
            i += 1
            while text[i] != '"':
                if text[i] == "\\":
                    i += 1
                chars.append(text[i])
                i += 1
            item, i = "".join(chars), i + 1
        else:
            start = i
            while text[i] not in ",}":
                if text[i] in '{"':
                    raise ValueError("malformed array literal")
                i += 1
            raw = text[start:i].strip()
            item = None if raw.upper() == "NULL" else raw
        items.append(item)
        while text[i].isspace():
            i += 1
        if text[i] == "}":
            return items, i + 1
        if text[i] != ",":
            raise ValueError("malformed array literal")
        i += 1


def _convert_items(items: list[object], element: TypeKind | None) -> list[object]:
    converted: list[object] = []
    for item in items:
        if isinstance(item, list):
            converted.append(_convert_items(item, element))
        elif item is None or not isinstance(item, str):
            converted.append(item)
        elif element == "integer":
            converted.append(int(item))
        elif element == "numeric":
            number = float(item)
            converted.append(
                int(number) if number.is_integer() and "." not in item else number
            )
        elif element == "boolean":
            boolean = BOOLEAN_STRINGS.get(item.lower())
            if boolean is None:
                raise ValueError(f"not a boolean: {item}")
            converted.append(boolean == "TRUE")
        else:
            converted.append(item)
    return converted
