"""Atomic file output: write a temporary file beside the target, fsync, then rename over it.

A crash leaves either the old file or the new one, never half of one.

    >>> p = Path(getfixture("tmp_path")) / "out.jsonl"
    >>> write_jsonl_atomic(p, [{"a": 1}, {"b": "é"}])
    2
    >>> p.read_text(encoding="utf-8").splitlines()
    ['{"a": 1}', '{"b": "é"}']
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from recon.errors import ConfigError


@contextmanager
def atomic_writer(path: str | Path, mode: str = "w"):
    """Yield a handle to a temporary file; on clean exit it replaces `path`, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())                      # mkstemp makes 0600; outputs follow the umask
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def check_output_path(path: str | Path) -> None:
    """Fail before any work when `path` cannot become an output file (a directory, or an unwritable folder)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"output {path} is a directory; give a file name")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ConfigError(f"cannot write {path}: {parent} is not a writable folder")


def write_jsonl_atomic(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write one JSON object per line, atomically. Returns the number of records."""
    n = 0
    with atomic_writer(path) as handle:
        for record in records:
            _write_line(handle, record)
            n += 1
    return n


def write_json_atomic(path: str | Path, obj: Any) -> None:
    with atomic_writer(path) as handle:
        json.dump(obj, handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.write("\n")


def _write_line(handle: IO[str], record: dict[str, Any]) -> None:
    handle.write(json.dumps(record, ensure_ascii=False))
    handle.write("\n")


@contextmanager
def atomic_directory(path: str | Path):
    """Yield a temporary folder beside `path`; on clean exit it takes `path`'s place (a folder already there
    is renamed aside first and removed after), on error it is removed. Two renames, not one: a crash between
    them leaves the new folder and the old one beside `path`, both whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())                     # mkdtemp makes 0700; outputs follow the umask
        yield tmp
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
