"""Tables → pairs: Parquet, CSV and `datasets` folders (`save_to_disk`), read through the `datasets` library and
mapped onto the pair schema by a `ColumnMapping`.

Every row is validated by the same strict `parse_example` as a JSONL line; a bad row stops the whole
conversion with the file, the row number (1-based, the header not counted) and the column:
`corpus.parquet: row 12, column 'response': action is empty`.

- Values are taken as they are typed, except that integer ids (`id`, `domain`, `individual`,
  `conversation_id`) become their decimal text. CSV cells are text: `turn_index` must be a whole number, and
  `context` and `meta` cells hold JSON (a list of turns; an object).
- `context` is a list of `{speaker, text}` objects, or of strings with a speaker rule (`--speaker-field`).
- Defaults for unmapped fields: `domain` = the file's stem (or the folder's name); `turn_index` = the number
  of context turns; `id` = `DOMAIN:` + a hash of (individual, conversation, turn index, context, action), so
  ids do not depend on row order; `meta` = `{}` plus any `meta.NAME` columns.

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
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from recon.data.json_checks import DEPTH_MESSAGE, json_problem
from recon.data.mapping import REQUIRED, CellError, ColumnMapping, speaker_rule
from recon.data.schema import parse_example
from recon.errors import ConfigError, DataError
from recon.hashing import content_hash
from recon.types import Example

SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
KIND_NAMES = {"parquet": "Parquet", "csv": "CSV", "datasets": "a datasets folder"}
ID_FIELDS = ("id", "domain", "individual", "conversation_id")


def table_kind(path: str | Path) -> str | None:
    """'parquet', 'csv' or 'datasets' (a folder written by `save_to_disk`); None for anything else."""
    path = Path(path)
    if path.is_dir():
        saved = ("state.json", "dataset_dict.json")
        return "datasets" if any((path / name).is_file() for name in saved) else None
    return SUFFIXES.get(path.suffix.lower())


def import_datasets(purpose: str = "reading Parquet, CSV or a datasets folder"):
    """The `datasets` module, or a ConfigError that says how to install it."""
    try:
        import datasets
    except ImportError:
        raise ConfigError(f"{purpose} needs the `datasets` package: pip install 'recon[data]'") from None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return datasets


@contextmanager
def quiet_datasets(datasets):
    """No progress bars or log lines from `datasets` inside the block (restored afterwards)."""
    was_disabled, verbosity = datasets.are_progress_bars_disabled(), datasets.logging.get_verbosity()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)    # a read failure is reported as a DataError
    try:
        yield
    finally:
        datasets.logging.set_verbosity(verbosity)
        if not was_disabled:
            datasets.enable_progress_bars()


@contextmanager
def open_table(path: str | Path, mapping: ColumnMapping) -> Iterator[Any]:
    """The table as a `datasets.Dataset` (its Arrow cache in a temporary folder, removed on exit)."""
    path = Path(path)
    kind = table_kind(path)
    if kind is None:
        if path.is_dir():
            raise ConfigError(f"{path} is a folder but neither a ConvoKit corpus nor a `datasets` folder "
                              "(save_to_disk writes state.json or dataset_dict.json)")
        raise ConfigError(f"{path}: convert reads .parquet, .csv, a datasets folder or a ConvoKit folder")
    if kind != "datasets" and not path.is_file():
        raise DataError("no such file", path=path)
    datasets = import_datasets()
    with tempfile.TemporaryDirectory(prefix="recon-table-") as cache, quiet_datasets(datasets):
        try:
            if kind == "parquet":
                table = datasets.Dataset.from_parquet(str(path), cache_dir=cache)
            elif kind == "csv":
                text_columns = {c: str for c in mapped_columns(mapping).values()}
                table = datasets.Dataset.from_csv(str(path), cache_dir=cache, converters=text_columns,
                                                  na_filter=False)
            else:
                table = _saved_split(datasets.load_from_disk(str(path)), path, mapping.split)
        except (ConfigError, DataError):
            raise
        except Exception as exc:      # pyarrow, pandas and datasets each raise their own kinds
            cause = exc.__cause__ or exc
            raise DataError(f"cannot be read as {KIND_NAMES[kind]}: {type(cause).__name__}: {cause}",
                            path=path) from None
        yield table


def _saved_split(saved, path: Path, split: str | None):
    if not hasattr(saved, "keys"):                         # a single Dataset
        if split is not None:
            raise ConfigError(f"{path} holds one dataset, not splits: drop --split")
        return saved
    names = sorted(saved.keys())
    if split is None and len(names) == 1:
        return saved[names[0]]
    if split not in names:
        raise ConfigError(f"{path} holds splits: {', '.join(names)}; choose one with --split NAME")
    return saved[split]


def mapped_columns(mapping: ColumnMapping) -> dict[str, str]:
    """Every column the mapping reads, by what it becomes (the speaker rule's column as 'speakers')."""
    rule = speaker_rule(mapping.speaker_field)
    speakers = {"speakers": rule.names[0]} if rule and rule.kind == "column" else {}
    return {**mapping.columns, **speakers}


def check_columns(path: Path, mapping: ColumnMapping, columns: list[str]) -> None:
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


def iter_table(path: str | Path, mapping: ColumnMapping) -> Iterator[Example]:
    """Validated pairs, one per row, in table order; the first bad row raises a DataError."""
    path = Path(path)
    kind = table_kind(path)
    default_domain = path.stem if path.is_file() else path.name
    seen: dict[str, int] = {}
    with open_table(path, mapping) as table:
        assert kind is not None, "open_table opens tables of a known kind only"
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


def load_table(path: str | Path, mapping: ColumnMapping) -> list[Example]:
    return list(iter_table(path, mapping))
