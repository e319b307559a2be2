"""One exit-code rule for every command, and the one-line message each failure prints.

    >>> exit_code(ConfigError("x")), exit_code(BackendError("HTTP 503")), exit_code(KeyboardInterrupt())
    (2, 3, 130)
    >>> exit_code(OSError(28, "No space left on device")), exit_code(Terminated()), exit_code(ValueError())
    (3, 143, 3)
"""

from __future__ import annotations

import errno
import os
import sqlite3

from recon.errors import BackendError, ConfigError, DataError, OutputError, ReconError
from recon.store.failures import CallFailures

DONE = 0            # every pair has an outcome (an unparsable or empty answer is an outcome, counted)
FAILED_CALLS = 1    # finished and written, but some LM calls failed transiently: a re-run retries only them
BAD_INPUT = 2       # bad input or config: nothing was written
RUNTIME_ERROR = 3   # an OS or backend error, a full disk or a bug stopped the command: finished LM work is cached
INTERRUPTED = 130   # Ctrl-C: finished LM work stays in the cache
TERMINATED = 143    # SIGTERM (128 + 15), handled like Ctrl-C
SQLITE_FULL = 13    # SQLite's result code for "database or disk is full"

EPILOG = """exit codes (every command):
  0    done: every pair has an outcome (an unparsable or empty answer is an outcome, counted in the output)
  1    finished, but some LM calls failed (a backend or HTTP error, a timeout): the outputs are written, the
       failures are named, and running the same command again retries only those calls
  2    bad input or config (a usage error, or bad data named by file and line): nothing was written
  3    a runtime error stopped the command (an OS or backend error, a full disk, or an internal error: re-run
       with --debug for its traceback): finished LM work stays in the cache
  130  interrupted (Ctrl-C): finished LM work stays in the cache; run the same command again to resume
  143  terminated (SIGTERM): the same as 130"""

CACHE_NOTE = "LM results finished so far are in the cache, so re-running the command takes them from there"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt, so every cleanup runs the same."""


def finished(failures: CallFailures, what: str) -> int:
    """The exit code of a command that wrote its outputs: FAILED_CALLS, saying why on stderr, while LM calls
    failed transiently; else DONE."""
    if failures.complete:
        return DONE
    from recon.cli.output import err_console
    err_console.print(f"{what}: {failures.describe()}", markup=False)
    return FAILED_CALLS


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, KeyboardInterrupt):
        return TERMINATED if isinstance(exc, Terminated) else INTERRUPTED
    if isinstance(exc, (ConfigError, DataError)):
        return BAD_INPUT
    if isinstance(exc, (BackendError, OutputError, OSError, sqlite3.Error)):
        return RUNTIME_ERROR
    return BAD_INPUT if isinstance(exc, ReconError) else RUNTIME_ERROR


def message(exc: BaseException) -> str:
    """The one line printed after `recon: error: `."""
    if isinstance(exc, BackendError):
        return f"{exc}; {CACHE_NOTE}"
    if isinstance(exc, sqlite3.Error):
        from recon.paths import default_db_path
        db = default_db_path()
        if getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL:
            return (f"disk full: the cache database {db} cannot grow ({exc}); free some space in {db.parent} or "
                    f"set RECON_HOME to a folder on another disk; {CACHE_NOTE}")
        return f"the cache database {db} failed: {exc}"
    if isinstance(exc, OSError) and not isinstance(exc, ReconError):
        where = f"{exc.filename}: " if exc.filename else ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            folder = os.path.dirname(os.fspath(exc.filename)) if exc.filename else "the output folder"
            return f"disk full: {where}{exc.strerror or exc} (free some space in {folder or '.'}); {CACHE_NOTE}"
        return f"{where}{exc.strerror or exc}; {CACHE_NOTE}"
    return one_line(str(exc))


def one_line(text: str) -> str:
    return " ".join(text.splitlines())


def internal_error(exc: BaseException) -> str:
    """The one line printed for an exception recon did not expect (a bug).

    >>> internal_error(ValueError("bad\\nvalue"))
    'recon: internal error: ValueError: bad value'
    """
    return f"recon: internal error: {type(exc).__name__}: {one_line(str(exc))}"
