"""Where a table comes from: a Parquet, CSV, JSON or JSONL file, a `datasets` folder (`save_to_disk`), or a
dataset on the Hugging Face Hub (`ORG/NAME[@REVISION]` or `hf://datasets/ORG/NAME`), all opened as one
`datasets.Dataset`. A Hub dataset is read from its snapshot in the Hugging Face cache (`recon.hub`) with
`datasets.load_dataset`, its configuration and split chosen by the mapping.

    >>> table_kind("corpus.jsonl"), table_kind("corpus.pq"), table_kind("HuggingFaceH4/ultrachat_200k")
    ('json', 'parquet', 'hub')
    >>> table_name("hf://datasets/org/chats@v2"), table_name("data/cmv.parquet")
    ('chats', 'cmv')
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from recon.data.mapping import ColumnMapping, mapped_columns
from recon.errors import ConfigError, DataError
from recon.hub import HubRef, HubSnapshot, hub_snapshot, parse_hub_ref

SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".json": "json", ".jsonl": "json"}
KIND_NAMES = {"parquet": "Parquet", "csv": "CSV", "json": "JSON", "datasets": "a datasets folder",
              "hub": "a Hub dataset"}
HUB_PREFIX = "hf://datasets/"


def hub_ref(source: str | Path) -> HubRef | None:
    """The Hub dataset a source names (`ORG/NAME[@REV]`, `hf://datasets/ORG/NAME[@REV]`), or None."""
    text = str(source)
    return parse_hub_ref(text.removeprefix(HUB_PREFIX))


def table_kind(source: str | Path) -> str | None:
    """'parquet', 'csv', 'json', 'datasets' (a `save_to_disk` folder) or 'hub'; None for anything else."""
    path = Path(source)
    if path.is_dir():
        saved = ("state.json", "dataset_dict.json")
        return "datasets" if any((path / name).is_file() for name in saved) else None
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None and hub_ref(source) is not None:
        return "hub"
    return kind


def table_name(source: str | Path) -> str:
    """The default domain of a table: the file's stem, the folder's name or the Hub dataset's name."""
    ref = hub_ref(source) if table_kind(source) == "hub" else None
    if ref is not None:
        return ref.repo_id.split("/")[1]
    path = Path(source)
    return path.stem if path.is_file() or path.suffix else path.name


def import_datasets(purpose: str = "reading Parquet, CSV, JSON, a datasets folder or a Hub dataset"):
    """The `datasets` module, or a ConfigError that says how to install it."""
    try:
        import datasets
    except ImportError:
        raise ConfigError(f"{purpose} needs the `datasets` package: pip install 'recon[data]'") from None
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


class OpenedTable:
    """A table and, for a Hub dataset, the snapshot it was read from (its commit names what was read)."""

    def __init__(self, table: Any, snapshot: HubSnapshot | None = None):
        self.table, self.snapshot = table, snapshot


def _check_source(source: str | Path, kind: str | None, mapping: ColumnMapping) -> str:
    path = Path(source)
    if kind is None:
        if path.is_dir():
            raise ConfigError(f"{path} is a folder but neither a ConvoKit corpus nor a `datasets` folder "
                              "(save_to_disk writes state.json or dataset_dict.json)")
        raise ConfigError(f"{source}: convert reads .parquet, .csv, .json, .jsonl, a datasets folder, a ConvoKit "
                          "folder or a Hub dataset id (ORG/NAME)")
    if kind in SUFFIXES.values() and not path.is_file():
        raise DataError("no such file", path=path)
    if kind != "hub" and (mapping.config or mapping.revision):
        raise ConfigError("--config and --revision apply to a Hub dataset (ORG/NAME) only")
    return kind


@contextmanager
def open_table(source: str | Path, mapping: ColumnMapping) -> Iterator[OpenedTable]:
    """The table as a `datasets.Dataset` (its Arrow cache in a temporary folder, removed on exit)."""
    kind = _check_source(source, table_kind(source), mapping)
    datasets = import_datasets()
    snapshot = None
    if kind == "hub":
        ref = hub_ref(source)
        assert ref is not None, "table_kind says hub only for a Hub id"
        if mapping.revision and ref.revision and mapping.revision != ref.revision:
            raise ConfigError(f"{source} names revision {ref.revision!r} and --revision says {mapping.revision!r}")
        snapshot = hub_snapshot(HubRef(ref.repo_id, ref.revision or mapping.revision), "dataset")
    with tempfile.TemporaryDirectory(prefix="recon-table-") as cache, quiet_datasets(datasets):
        try:
            table = _read(datasets, kind, Path(source), mapping, cache, snapshot)
        except (ConfigError, DataError):
            raise
        except Exception as exc:      # pyarrow, pandas and datasets each raise their own kinds
            cause = exc.__cause__ or exc
            raise DataError(f"cannot be read as {KIND_NAMES[kind]}: {type(cause).__name__}: {cause}",
                            path=source) from None
        yield OpenedTable(table, snapshot)


def _read(datasets, kind: str, path: Path, mapping: ColumnMapping, cache: str, snapshot: HubSnapshot | None):
    if kind == "parquet":
        return datasets.Dataset.from_parquet(str(path), cache_dir=cache)
    if kind == "csv":
        text_columns = {c: str for c in mapped_columns(mapping).values()}
        return datasets.Dataset.from_csv(str(path), cache_dir=cache, converters=text_columns, na_filter=False)
    if kind == "json":
        return datasets.Dataset.from_json(str(path), cache_dir=cache)
    if kind == "hub":
        assert snapshot is not None, "a Hub table is read from its snapshot"
        return _hub_split(datasets, snapshot, mapping, cache)
    return _saved_split(datasets.load_from_disk(str(path)), str(path), mapping.split)


def _hub_split(datasets, snapshot: HubSnapshot, mapping: ColumnMapping, cache: str):
    names = datasets.get_dataset_config_names(str(snapshot.path))
    if mapping.config is not None and mapping.config not in names:
        raise ConfigError(f"{snapshot.ref.repo_id} has no configuration {mapping.config!r}; it has: "
                          f"{', '.join(names)}")
    if mapping.config is None and len(names) > 1 and "default" not in names:
        raise ConfigError(f"{snapshot.ref.repo_id} has configurations {', '.join(names)}: choose one with --config")
    saved = datasets.load_dataset(str(snapshot.path), name=mapping.config, cache_dir=cache)
    return _saved_split(saved, snapshot.ref.repo_id, mapping.split)


def _saved_split(saved, where: str, split: str | None):
    if not hasattr(saved, "keys"):                         # a single Dataset
        if split is not None:
            raise ConfigError(f"{where} holds one dataset, not splits: drop --split")
        return saved
    names = sorted(saved.keys())
    if split is None and len(names) == 1:
        return saved[names[0]]
    if split not in names:
        raise ConfigError(f"{where} holds splits: {', '.join(names)}; choose one with --split NAME")
    return saved[split]
