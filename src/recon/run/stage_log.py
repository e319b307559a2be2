"""What a run tells its log (`recon.run`: `run.log` in the run folder, and stderr through the CLI): the run's
start and end, each stage's start or skip, its end with time, LM calls and failed calls, and why a run stopped.

    >>> import logging, tempfile; from recon.run.result import PipelineResult
    >>> folder = Path(tempfile.mkdtemp())
    >>> with logged_run(folder, "t", PipelineResult(out=folder, run="r1")):
    ...     stage_started("data", "k1", skip=True)
    >>> [line.split(": ", 1)[1] for line in (folder / "run.log").read_text().splitlines()][1:]
    ['data: unchanged, skipped', 'run t finished in 0:00: ran 0 stage(s), skipped 0 unchanged, 0 incomplete']
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import recon
from recon.logs import FILE_ONLY, run_log
from recon.progress import format_duration
from recon.run.result import PipelineResult
from recon.store.failures import CallFailures

log = logging.getLogger("recon.run")


def note(message: str) -> None:
    """A message of the run (why a stage re-runs, a checkpoint resumed, a lock taken over)."""
    log.info(message)


def stage_started(name: str, key: str, skip: bool) -> None:
    if skip:
        log.info("%s: unchanged, skipped", name)
        return
    log.info("%s: started", name)
    log.debug("%s: inputs hash %s", name, key)


def stage_ended(name: str, seconds: float, failures: CallFailures) -> None:
    """A warning when some of its LM calls failed (they stay to be retried by the next run)."""
    level = logging.WARNING if failures.failed else logging.INFO
    log.log(level, "%s: ran in %s, %d LM call(s), %d failed%s", name, format_duration(seconds), failures.calls,
            failures.failed, f" ({'; '.join(failures.errors)})" if failures.errors else "")


@contextmanager
def logged_run(out: Path, name: str, result: PipelineResult) -> Iterator[None]:
    """Append the run's log records to `out/run.log` while it runs, from its start to its end or stop."""
    t0 = time.perf_counter()
    with run_log(out / "run.log"):
        log.info("run %s started: recon %s, run id %s, folder %s", name, recon.__version__, result.run, out)
        try:
            yield
        except BaseException as exc:
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            log.error("run %s stopped after %s: %s", name, format_duration(time.perf_counter() - t0), why,
                      extra=FILE_ONLY)
            raise
        log.info("run %s finished in %s: ran %d stage(s), skipped %d unchanged, %d incomplete", name,
                 format_duration(time.perf_counter() - t0), len(result.ran), len(result.skipped),
                 len(result.incomplete))
