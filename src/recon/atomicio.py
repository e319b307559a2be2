"""Atomic file output: write a temporary file beside the target, fsync, then rename over it.

A crash leaves either the old file or the new one, never half of one. A symlinked output is followed (the
file it points to is replaced, the link stays) and an overwritten file keeps its permission bits.

    >>> p = Path(getfixture("tmp_path")) / "out.jsonl"
    >>> write_jsonl_atomic(p, [{"a": 1}, {"b": "é"}])
    2
    >>> p.read_text(encoding="utf-8").splitlines()
    ['{"a": 1}', '{"b": "é"}']
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from recon.errors import ConfigError, OutputError


@contextmanager
def atomic_writer(path: str | Path, mode: str = "w"):
    """Yield a handle to a temporary file; on clean exit it replaces `path`, on error it is removed.

    An existing output keeps its permission bits; a symlinked output is followed (the file it points to is
    replaced and the link stays). An OS error (a full disk, a read-only folder) is an `OutputError` naming
    the path and what to do."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, _mode_for(path))                   # mkstemp makes 0600; outputs follow the umask
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if isinstance(exc, OSError):
            raise OutputError(cannot_write(path, exc)) from None
        raise


def _mode_for(path: Path) -> int:
    """The permission bits of the file being replaced, else what the umask gives a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def cannot_write(path: Path, exc: OSError) -> str:
    """One line: the path, the OS's reason, what to do, and that finished LM work is not lost.

    >>> cannot_write(Path("out/t.jsonl"), OSError(28, "No space left on device")).split(";")[0]
    'disk full: cannot write out/t.jsonl: No space left on device (free some space in out, or write elsewhere)'
    """
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        todo = "make the folder writable, or write elsewhere"
    elif full:
        todo = f"free some space in {path.parent}, or write elsewhere"
    else:
        todo = "check the path, or write elsewhere"
    return (f"{'disk full: ' if full else ''}cannot write {path}: {exc.strerror or exc} ({todo}); LM results "
            "finished so far are in the cache, so re-running the command takes them from there")


@contextmanager
def atomic_writers(paths: Iterable[str | Path]):
    """Like `atomic_writer`, for files that appear together or not at all: yield one text handle per path;
    every file is written and synced before the first is renamed into place, and on error none is.

    >>> a, b = Path(getfixture("tmp_path")) / "a.txt", Path(getfixture("tmp_path")) / "b.txt"
    >>> with atomic_writers([a, b]) as (fa, fb):
    ...     _ = fa.write("a"), fb.write("b")
    >>> a.read_text(), b.read_text()
    ('a', 'b')
    """
    targets = [Path(os.path.realpath(p)) if Path(p).is_symlink() else Path(p) for p in paths]
    staged: list[tuple[Path, str, IO[str]]] = []
    current = targets[0]
    try:
        for current in targets:
            current.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{current.name}.", suffix=".tmp", dir=current.parent)
            staged.append((current, tmp, os.fdopen(fd, "w", encoding="utf-8")))
            os.fchmod(fd, _mode_for(current))
        yield [handle for _, _, handle in staged]
        for path, _, handle in staged:
            current = path
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        for path, tmp, _ in staged:
            current = path
            os.replace(tmp, path)
    except BaseException as exc:
        for _, tmp, handle in staged:
            handle.close()
            if os.path.exists(tmp):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(cannot_write(current, exc)) from None
        raise


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


def check_output_folder(path: str | Path, marker: str, what: str) -> None:
    """Refuse an --out that is a file, or a non-empty folder without `marker`: a folder that `what` (e.g. "a
    recon export") did not write, whose files a command replacing it whole would lose."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path} is a file; give a folder name")
    if path.is_dir() and any(path.iterdir()) and not (path / marker).is_file():
        raise ConfigError(f"--out {path} is a folder that is not {what} (no {marker}); give a new or empty folder")


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
