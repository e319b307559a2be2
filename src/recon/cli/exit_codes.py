"""One exit-code rule for every command, and the one-line message each failure prints.

    >>> exit_code(ConfigError("x")), exit_code(BackendError("HTTP 503")), exit_code(KeyboardInterrupt())
    (2, 3, 130)
    >>> exit_code(OSError(28, "No space left on device"))
    3
"""

from __future__ import annotations

import sqlite3

from recon.errors import BackendError, ConfigError, DataError, OutputError, ReconError
from recon.jobs.failures import CallFailures

DONE = 0            # every pair has an outcome (an unparsable or empty answer is an outcome, counted)
FAILED_CALLS = 1    # finished and written, but some LM calls failed transiently: a re-run retries only them
BAD_INPUT = 2       # bad input or config: nothing was written
RUNTIME_ERROR = 3   # an OS or backend error stopped the command: finished LM work stays in the cache
INTERRUPTED = 130   # Ctrl-C: finished LM work stays in the cache

EPILOG = """exit codes (every command):
  0    done: every pair has an outcome (an unparsable or empty answer is an outcome, counted in the output)
  1    finished, but some LM calls failed (a backend or HTTP error, a timeout): the outputs are written, the
       failures are named, and running the same command again retries only those calls
  2    bad input or config: nothing was written
  3    a runtime error stopped the command (an OS or backend error): finished LM work stays in the cache
  130  interrupted: finished LM work stays in the cache; run the same command again to resume"""

CACHE_NOTE = "LM results finished so far are in the cache, so re-running the command takes them from there"


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
        return INTERRUPTED
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
        return f"the cache database {default_db_path()} failed: {exc}"
    if isinstance(exc, OSError) and not isinstance(exc, ReconError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}; {CACHE_NOTE}"
    return str(exc).replace("\n", " ")
