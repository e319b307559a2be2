"""Typed errors. Every failure the user can cause or meet has a class and a message that says what to do.

    >>> raise DataError("missing key 'action'", path="pairs.jsonl", line=3)
    Traceback (most recent call last):
    recon.errors.DataError: pairs.jsonl:3: missing key 'action'
"""

from __future__ import annotations

from recon.redaction import redact


class ReconError(Exception):
    """Base class of every error recon raises on purpose. Its message is redacted when it is made (`redact`): an
    error may quote a backend spec, a URL or a server's reply, and its text reaches logs, records and the
    terminal.

    >>> str(ConfigError("cannot reach http://user:pw@host/v1"))
    'cannot reach http://<credentials>@host/v1'
    """

    def __init__(self, *args: object):
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


class ConfigError(ReconError):
    """A configuration value or combination is invalid; the message says how to fix it."""


class DataError(ReconError):
    """Bad input data. Names the file and (1-based) line where it was found; `field` names the pair field at
    fault when one is (so a table reader can name the column it came from)."""

    def __init__(self, message: str, *, path: object = None, line: int | None = None, field: str | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        self.reason = redact(message)
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class BackendError(ReconError):
    """An LM backend failed: a transient failure, never cached, so a re-run tries the call again. `retryable`
    is true for faults worth retrying at once (429, 5xx, timeouts).
    `partial` holds the results of a batch that did succeed (None where not), so they are not paid twice."""

    def __init__(self, message: str, *, retryable: bool = False, partial: list | None = None):
        self.retryable = retryable
        self.partial = partial
        super().__init__(message)


class OutputError(ReconError):
    """An output could not be written (a full disk, a read-only folder). Names the path and what to do; LM
    results finished before it stay in the cache, so re-running the command does not pay for them again."""


class JudgeParseError(ReconError):
    """A judge's output could not be parsed into the structured verdict it was asked for."""
