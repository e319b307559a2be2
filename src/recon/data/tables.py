"""Tables → pairs: Parquet, CSV, JSON / JSONL in any schema, `datasets` folders (`save_to_disk`) and Hub
datasets (`table_sources.py`), read through the `datasets` library and mapped onto the pair schema by a
`ColumnMapping`.

Every row is validated by the same strict `parse_example` as a JSONL line; a bad row stops the whole
conversion with the file, the row number (1-based, the header not counted) and the column:
`corpus.parquet: row 12, column 'response': action is empty`.

- Values are taken as they are typed, except that integer ids (`id`, `domain`, `individual`,
  `conversation_id`) become their decimal text. CSV cells are text: `turn_index` must be a whole number, and
  `context` and `meta` cells hold JSON (a list of turns; an object).
- `context` is a list of `{speaker, text}` objects, or of strings with a speaker rule (`--speaker-field`).
- Defaults for unmapped fields: `domain` = the file's stem (or the folder's or Hub dataset's name);
  `turn_index` = the number of context turns; `id` = `DOMAIN:` + a hash of (individual, conversation,
  turn index, context, action), so ids do not depend on row order; `meta` = `{}` plus any `meta.NAME` columns.

Example (not run: needs a table)::

    pairs = load_table("corpus.parquet", mapping_from(entries=["context=history", "action=response",
                       "individual=user_id", "conversation_id=thread_id"]))
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from recon.data.json_checks import DEPTH_MESSAGE, json_problem
from recon.data.mapping import REQUIRED, CellError, ColumnMapping, mapped_columns, speaker_rule
from recon.data.schema import parse_example
from recon.data.table_sources import open_table, table_kind, table_name
from recon.errors import ConfigError, DataError
from recon.hashing import content_hash
from recon.hub import HubSnapshot
from recon.types import Example

ID_FIELDS = ("id", "domain", "individual", "conversation_id")


def check_columns(path: str | Path, mapping: ColumnMapping, columns: list[str]) -> None:
    listing = ", ".join(columns)
    for target in REQUIRED:
        if target not in mapping.columns:
            raise ConfigError(f"{path}: map the pair field {target!r} to a column (--map {target}=COLUMN); "
                              f"columns: {listing}")
    if "domain" in mapping.columns and mapping.domain is not None:
        raise ConfigError("give the domain either as a column (--map domain=COLUMN) or as --domain, not both")
    for target, column in mapped_columns(mapping).items():
        if column not in columns:
            close = difflib.get_close_matches(column, columns, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise DataError(f"no column {column!r} (mapped to {target}); columns: {listing}{hint}", path=path)


def _json_safe(value: Any, column: str) -> Any:
    """A meta value as JSON: dates become ISO text and NaN becomes null; other non-JSON types are errors."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, (bool, int, str)) or (isinstance(value, float) and math.isfinite(value)):
        return value
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_safe(v, column) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v, column) for k, v in value.items()}
    raise CellError(f"a meta value of type {type(value).__name__} cannot be written as JSON", column)


def _cell(row: dict[str, Any], column: str, kind: str, *, json_text: bool = False) -> Any:
    value = row[column]
    if kind == "csv" and json_text:
        try:
            decoded = json.loads(value)
        except ValueError as exc:
            raise CellError(f"the cell is not JSON ({exc})", column) from None
        except RecursionError:
            raise CellError(DEPTH_MESSAGE, column) from None
        problem = json_problem(decoded)
        if problem is not None:
            raise CellError(problem[1], column)
        return decoded
    return value


def row_record(row: dict[str, Any], mapping: ColumnMapping, kind: str, default_domain: str) -> dict[str, Any]:
    """One row as a pair record for `parse_example` (id still a placeholder when no id column is mapped)."""
    cols = mapping.columns
    record: dict[str, Any] = {"id": "?", "domain": mapping.domain or default_domain}
    for target in ID_FIELDS:
        if target in cols:
            value = row[cols[target]]
            record[target] = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    context = _cell(row, cols["context"], kind, json_text=True)
    if isinstance(context, list) and context and all(isinstance(t, str) for t in context):
        rule = speaker_rule(mapping.speaker_field)
        if rule is None:
            raise CellError("context turns are strings: say who speaks them with --speaker-field "
                            "(prefix, column:NAME or alternate:A,B)", cols["context"])
        if rule.kind == "column" and kind == "csv":
            row = {**row, rule.names[0]: _cell(row, rule.names[0], kind, json_text=True)}
        try:
            context = rule.turns(context, row)
        except CellError as exc:
            raise CellError(str(exc), exc.column or cols["context"]) from None
    record["context"] = context
    record["action"] = row[cols["action"]]
    if "turn_index" in cols:
        value = row[cols["turn_index"]]
        if kind == "csv":
            if not value.strip().isdigit():
                raise CellError(f"turn_index must be a whole number, got {value!r}", cols["turn_index"])
            value = int(value)
        record["turn_index"] = value
    else:
        record["turn_index"] = len(context) if isinstance(context, list) else 0
    meta = _cell(row, cols["meta"], kind, json_text=True) if "meta" in cols else {}
    if isinstance(meta, dict):
        meta = _json_safe(meta, cols.get("meta", "meta"))
        for name, column in mapping.meta_columns().items():
            meta[name] = _json_safe(row[column], column)
    record["meta"] = meta
    return record


def _rows(table, columns: list[str], batch_size: int = 1024) -> Iterator[dict[str, Any]]:
    """The mapped columns of each row, read a batch at a time (faster than `datasets`' row-by-row iteration)."""
    for batch in table.select_columns(columns).iter(batch_size=batch_size):
        for values in zip(*(batch[c] for c in columns), strict=True):
            yield dict(zip(columns, values, strict=True))


def pair_id(example: Example) -> str:
    """The id of a pair read without an id column: its domain and a hash of what makes it this pair."""
    key = [example.individual, example.conversation_id, example.turn_index,
           [[t.speaker, t.text] for t in example.context], example.action]
    return f"{example.domain}:{content_hash(key, tag='pair-id', length=12)}"


def iter_table(source: str | Path, mapping: ColumnMapping,
               on_snapshot: Callable[[HubSnapshot], None] | None = None) -> Iterator[Example]:
    """Validated pairs, one per row, in table order; the first bad row raises a DataError. `on_snapshot` hears
    which commit of a Hub dataset is read."""
    path = source if isinstance(source, Path) else str(source)
    kind = table_kind(path)
    default_domain = table_name(path)
    seen: dict[str, int] = {}
    with open_table(path, mapping) as opened:
        assert kind is not None, "open_table opens tables of a known kind only"
        if opened.snapshot is not None and on_snapshot is not None:
            on_snapshot(opened.snapshot)
        table = opened.table
        check_columns(path, mapping, table.column_names)
        for number, row in enumerate(_rows(table, sorted(set(mapped_columns(mapping).values()))), start=1):
            try:
                example = parse_example(row_record(row, mapping, kind, default_domain))
            except CellError as exc:
                raise DataError(f"row {number}, column {exc.column!r}: {exc}", path=path) from None
            except DataError as exc:
                column = mapping.column_of(exc.field)
                where = f"row {number}, column {column!r}" if column else f"row {number}"
                raise DataError(f"{where}: {exc.reason}", path=path) from None
            if "id" not in mapping.columns:
                example = dataclasses.replace(example, id=pair_id(example))
            if example.id in seen:
                if "id" in mapping.columns:
                    raise DataError(f"row {number}, column {mapping.columns['id']!r}: duplicate id {example.id!r}",
                                    path=path)
                raise DataError(f"row {number}: the same pair as row {seen[example.id]} (same individual, "
                                "conversation, turn index, context and action); map an id column with "
                                "--map id=COLUMN if both belong", path=path)
            seen[example.id] = number
            yield example


def load_table(source: str | Path, mapping: ColumnMapping) -> list[Example]:
    return list(iter_table(source, mapping))
