"""What every JSON value recon reads must satisfy beyond being JSON: objects and arrays nest at most
`MAX_DEPTH` deep (the outermost value is level 1), and no string or key holds a lone surrogate (JSON can
escape one, `"\\ud800"`, but it is not Unicode and cannot be written back as UTF-8).

    >>> json_problem({"meta": {"a": ["ok", "bad \\ud800"]}})
    ('meta', 'lone surrogate U+D800 in meta.a[1]: not valid Unicode (fix the text or its encoding)')
    >>> json_problem({"context": []}) is None
    True
"""

from __future__ import annotations

import re
from typing import Any

from recon.errors import DataError

MAX_DEPTH = 64
DEPTH_MESSAGE = f"nested deeper than {MAX_DEPTH} levels (the limit)"
UNICODE_HINT = "not valid Unicode (fix the text or its encoding)"
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _child(where: str, key: object) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)


def _surrogate(text: str) -> str | None:
    found = None if text.isascii() else _SURROGATE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def json_problem(value: Any) -> tuple[str | None, str] | None:
    """(the top-level field at fault, what is wrong) for the first problem found, else None. Walks with a
    stack, not recursion, so any depth is safe to check."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            bad = _surrogate(item)
            if bad:
                return _field(where), f"lone surrogate {bad} in {where or 'the value'}: {UNICODE_HINT}"
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            return _field(where), f"{DEPTH_MESSAGE} in {_field(where) or 'the value'}"
        children = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
        for key, _ in children:
            bad = _surrogate(key) if isinstance(key, str) else None
            if bad:
                return _field(where), f"lone surrogate {bad} in a key of {where or 'the object'}: " \
                                      f"{UNICODE_HINT}"
        stack.extend((child, _child(where, key), depth + 1) for key, child in reversed(children))
    return None


def _field(where: str) -> str | None:
    """The top-level field of a path: `meta` of `meta.a[1]`, `context` of `context[0].text`."""
    if not where:
        return None
    return re.split(r"[.\[]", where, maxsplit=1)[0] or None


def may_break_rules(text: str) -> bool:
    r"""False when a JSON text cannot break the rules, so decoding it needs no walk: strict UTF-8 holds no
    surrogate, so one can only come from an escape, and nesting past the limit needs more brackets.

    >>> may_break_rules('{"a": "\\ud83d\\ude00"}'), may_break_rules('{"a": [1, {"b": 2}]}')
    (True, False)
    """
    return text.count("{") + text.count("[") > MAX_DEPTH or _ESCAPED_SURROGATE.search(text) is not None


def check_json(value: Any, *, path: object = None, line: int | None = None, text: str | None = None) -> None:
    """Raise a DataError naming path:line and the field when `value` breaks a rule above (`text`, the JSON it
    was decoded from, lets a value that cannot break them skip the walk)."""
    if text is not None and not may_break_rules(text):
        return
    problem = json_problem(value)
    if problem is not None:
        field, message = problem
        raise DataError(message, path=path, line=line, field=field)
