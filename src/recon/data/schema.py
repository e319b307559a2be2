"""Strict parsing of one pair record. Nothing is coerced: a wrong type or a missing key is a `DataError`.
Nesting and lone surrogates are checked where JSON is decoded (`data/json_checks.py`), before this.

    >>> rec = {"id": "x", "domain": "d", "individual": "Ann", "conversation_id": "c", "turn_index": 1,
    ...        "context": [{"speaker": "Bob", "text": "Hi"}], "action": "Hello", "meta": {}}
    >>> parse_example(rec, path="f.jsonl", line=1).action
    'Hello'
"""

from __future__ import annotations

from typing import Any, TypedDict

from recon.errors import DataError
from recon.types import Example, Turn

STRING_FIELDS = ("id", "domain", "individual", "conversation_id")
REQUIRED_KEYS = frozenset(STRING_FIELDS + ("turn_index", "context", "action", "meta"))
TURN_KEYS = frozenset({"speaker", "text"})


class _Where(TypedDict):
    """Where a bad turn was found: `DataError`'s keyword arguments."""

    path: object
    line: int | None
    field: str


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _require_str(value: Any, what: str, path: object, line: int | None, *, nonempty: bool,
                 field: str | None = None) -> str:
    field = field or what
    if not isinstance(value, str):
        raise DataError(f"{what} must be a string, got {_type_name(value)}", path=path, line=line, field=field)
    if nonempty and not value.strip():
        raise DataError(f"{what} is empty", path=path, line=line, field=field)
    return value


def _parse_turn(value: Any, i: int, path: object, line: int | None) -> Turn:
    where: _Where = {"path": path, "line": line, "field": "context"}
    if not isinstance(value, dict):
        raise DataError(f"context[{i}] must be an object, got {_type_name(value)}", **where)
    missing = TURN_KEYS - value.keys()
    if missing:
        raise DataError(f"context[{i}] is missing key {sorted(missing)[0]!r}", **where)
    extra = value.keys() - TURN_KEYS
    if extra:
        raise DataError(f"context[{i}] has unknown key {sorted(extra)[0]!r} (allowed: speaker, text)", **where)
    speaker = _require_str(value["speaker"], f"context[{i}].speaker", path, line, nonempty=True, field="context")
    text = _require_str(value["text"], f"context[{i}].text", path, line, nonempty=False, field="context")
    return Turn(speaker=speaker, text=text)


def parse_example(record: Any, *, path: object = None, line: int | None = None) -> Example:
    """Validate one decoded JSON record and build an `Example`, or raise `DataError` naming path:line."""
    if not isinstance(record, dict):
        raise DataError(f"a record must be a JSON object, got {_type_name(record)}", path=path, line=line)
    missing = REQUIRED_KEYS - record.keys()
    if missing:
        raise DataError(f"missing key {sorted(missing)[0]!r}", path=path, line=line)
    extra = record.keys() - REQUIRED_KEYS
    if extra:
        raise DataError(f"unknown key {sorted(extra)[0]!r} (put extra fields under 'meta')",
                        path=path, line=line)
    strings = {k: _require_str(record[k], k, path, line, nonempty=True) for k in STRING_FIELDS}
    turn_index = record["turn_index"]
    if isinstance(turn_index, bool) or not isinstance(turn_index, int):
        raise DataError(f"turn_index must be an integer, got {_type_name(turn_index)}", path=path, line=line,
                        field="turn_index")
    if turn_index < 0:
        raise DataError(f"turn_index must be >= 0, got {turn_index}", path=path, line=line, field="turn_index")
    context = record["context"]
    if not isinstance(context, list):
        raise DataError(f"context must be a list, got {_type_name(context)}", path=path, line=line, field="context")
    turns = tuple(_parse_turn(t, i, path, line) for i, t in enumerate(context))
    action = _require_str(record["action"], "action", path, line, nonempty=True)
    meta = record["meta"]
    if not isinstance(meta, dict):
        raise DataError(f"meta must be an object, got {_type_name(meta)}", path=path, line=line, field="meta")
    return Example(context=turns, action=action, meta=meta, turn_index=turn_index, **strings)
