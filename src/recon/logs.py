"""Log messages, Python `logging` under the `recon` logger: `run_log` writes them with timestamps into a file
(a run's `run.log`) while a block runs; `Redacted` keeps secrets out of every line, wherever it goes. A record
with `extra=FILE_ONLY` goes to the file only (an error the command prints in its own words anyway).

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> with run_log(folder / "run.log"):
    ...     logging.getLogger("recon.run").info("data: started")
    >>> (folder / "run.log").read_text().split(" ", 1)[1]
    'INFO recon.run: data: started\\n'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recon.redaction import redact

LOGGER = "recon"
FILE_ONLY = {"file_only": True}


class Redacted(logging.Filter):
    """Masks secrets in a record's message (its arguments merged in first), so no handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


def _utc(seconds: float | None) -> time.struct_time:
    return time.gmtime(seconds)


class Timestamped(logging.Formatter):
    """`2026-01-31T12:00:00.123Z LEVEL logger: message`, in UTC."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
        self.converter = _utc


@contextmanager
def run_log(path: Path, level: int = logging.DEBUG) -> Iterator[None]:
    """Append every `recon` log record from `level` up to `path` while the block runs; the handler is removed
    and the file closed after, whatever happens."""
    logger = logging.getLogger(LOGGER)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(Timestamped())
    handler.addFilter(Redacted())
    before = logger.level
    if before == logging.NOTSET or before > level:
        logger.setLevel(level)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)
        handler.close()
