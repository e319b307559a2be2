"""Pair files in the project's JSONL format (streamed, strictly validated), and telling a ConvoKit corpus directory
apart (`data/convokit.py` loads one).

    >>> from pathlib import Path
    >>> p = Path(getfixture("tmp_path")) / "pairs.jsonl"
    >>> _ = p.write_text('{"id": "x", "domain": "d", "individual": "Ann", "conversation_id": "c", '
    ...                  '"turn_index": 1, "context": [], "action": "Hi there", "meta": {}}\\n')
    >>> [ex.id for ex in iter_jsonl(p)]
    ['x']
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from recon.data.json_checks import DEPTH_MESSAGE, check_json
from recon.data.schema import parse_example
from recon.errors import DataError
from recon.types import Example


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, object]]:
    """Yield (line number, decoded JSON value) for each non-blank line; bad UTF-8 or JSON, nesting past
    `MAX_DEPTH` or a lone surrogate (`data/json_checks.py`) is a DataError."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise DataError("no such file", path=path) from None
    except IsADirectoryError:
        raise DataError("is a directory, expected a .jsonl file", path=path) from None
    except OSError as exc:                      # e.g. no read permission
        raise DataError(f"cannot read it: {exc.strerror or exc}", path=path) from None
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(f"invalid UTF-8 at byte {exc.start} of the line", path=path,
                                line=lineno) from None
            if lineno == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if not text.strip():
                continue
            try:
                value = json.loads(text, parse_constant=_reject_constant)
            except ValueError as exc:
                detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                col = f" (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
                raise DataError(f"malformed JSON: {detail}{col}", path=path, line=lineno) from None
            except RecursionError:
                raise DataError(DEPTH_MESSAGE, path=path, line=lineno) from None
            check_json(value, path=path, line=lineno, text=text)
            yield lineno, value


def iter_jsonl(path: str | Path, *, seen_ids: set[str] | None = None) -> Iterator[Example]:
    """Stream validated examples from one JSONL file; a repeated id (also across files via
    `seen_ids`) is a DataError."""
    seen = set() if seen_ids is None else seen_ids
    for lineno, value in iter_json_lines(path):
        example = parse_example(value, path=path, line=lineno)
        if example.id in seen:
            raise DataError(f"duplicate id {example.id!r}", path=path, line=lineno)
        seen.add(example.id)
        yield example


def load_examples(paths: Iterable[str | Path]) -> list[Example]:
    """Load and validate every example of several JSONL files; ids must be unique across all of them, and a
    file without any pair is an error."""
    seen: set[str] = set()
    out: list[Example] = []
    for path in paths:
        before = len(out)
        out.extend(iter_jsonl(path, seen_ids=seen))
        if len(out) == before:
            raise DataError("no pairs in this file (it is empty)", path=path)
    return out


def is_convokit_dir(path: str | Path) -> bool:
    """True when `path` is a directory holding a ConvoKit `utterances.jsonl`."""
    return Path(path).is_dir() and (Path(path) / "utterances.jsonl").is_file()
