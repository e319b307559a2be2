"""One writer per output: a command holds its output (a run folder, an --out file or folder) for as long as
it writes there, and a second command on the same output stops at once naming the holder.

The lock is `fcntl.flock` on `.NAME.lock` beside the output (beside, not inside: a folder that is replaced
whole would take a lock inside it along). The file holds the holder's pid, for the message. The kernel drops
the lock when its holder ends however it ends, so a lock left by a killed process is simply taken over
(and the takeover is logged). The holder removes the file when it is done; a taker checks that the file it
locked is still the one at the path. On a filesystem without flock the command runs unlocked, with a warning.

    >>> out = Path(getfixture("tmp_path")) / "run"
    >>> with hold_output(out):
    ...     with hold_output(out):                       # the holder itself may hold it again
    ...         lock_path(out).read_text().strip() == str(os.getpid())
    True
    >>> lock_path(out).exists()
    False
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from recon.errors import ConfigError

UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL}
NOT_HERE = UNSUPPORTED | {errno.EACCES, errno.EPERM, errno.EROFS}    # no lock, but the command may still write
_HELD: set[Path] = set()         # the locks this process holds: holding one again (a command around a job) is free


def lock_path(output: str | Path) -> Path:
    """Where the lock of `output` lives: `.NAME.lock` beside it (symlinks resolved, so every alias agrees)."""
    real = Path(os.path.realpath(output))
    return real.with_name(f".{real.name}.lock")


@contextmanager
def hold_output(output: str | Path, *, log: Callable[[str], None] = lambda msg: None) -> Iterator[None]:
    """Hold `output` while the block runs; a ConfigError (exit 2) naming the holder's pid if another process
    holds it."""
    path = lock_path(output)
    if path in _HELD:
        yield
        return
    fd = _lock(path, output, log)
    _HELD.add(path)
    try:
        yield
    finally:
        _HELD.discard(path)
        if fd is not None:
            try:
                os.unlink(path)                      # while still locked: a waiting taker sees a stale inode
            except OSError:
                pass
            os.close(fd)


def _lock(path: Path, output: str | Path, log: Callable[[str], None]) -> int | None:
    """The locked descriptor of `path` with our pid in it; None (and a warning) where no lock can be made."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _take(path, output)
    except OSError as exc:
        if exc.errno not in NOT_HERE:
            raise
        log(f"warning: cannot lock {output} ({exc.strerror}: {path}); running without a lock, so make sure no "
            "other recon command writes there")
        return None
    previous = _read_pid(fd)
    if previous and previous != str(os.getpid()):
        log(f"took over the lock of {output} left by pid {previous}, which has ended")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _take(path: Path, output: str | Path) -> int:
    """A descriptor of `path` holding flock, or a ConfigError naming the process that holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise ConfigError(f"{output} is in use by another recon command (pid {holder or 'unknown'}, lock "
                              f"{path}); wait for it to finish or stop it, then run this again") from None
        except OSError:
            os.close(fd)
            raise
        if _same_file(fd, path):
            return fd
        os.close(fd)                                 # the holder removed it as we locked it: take the new one


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _read_pid(fd: int) -> str:
    return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
