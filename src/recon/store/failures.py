"""Transient failures of a job: LM calls that raised a backend error (an HTTP error, a timeout, a server
gone). They are never cached, so a job with any is *incomplete*: its outputs are written with those pairs
marked, and running it again pays only for the failed calls. Deterministic outcomes (an empty text, an
answer still unparsable after its retries) are cached results, counted in the outputs, never failures.

Counted from the call log, which has a row for every call of the job, failed ones included.

    >>> f = CallFailures(failed=3, calls=8, errors=("server 127.0.0.1:8000: HTTP 503",))
    >>> f.complete, f.all_failed
    (False, False)
    >>> f.describe()
    '3 of 8 LM calls failed (server 127.0.0.1:8000: HTTP 503); a re-run retries only those calls'
"""

from __future__ import annotations

from dataclasses import dataclass

from recon.store.cache import CachedBackend
from recon.store.calls import call_errors, run_cost
from recon.store.db import Database


@dataclass(frozen=True)
class CallFailures:
    failed: int = 0                      # calls that raised a backend error (not cached)
    calls: int = 0                       # every call of the job, cache hits included
    errors: tuple[str, ...] = ()         # the first distinct error messages

    @property
    def complete(self) -> bool:
        return self.failed == 0

    @property
    def all_failed(self) -> bool:
        """Not one call of the job succeeded: there is nothing to build on."""
        return self.failed > 0 and self.failed == self.calls

    def to_json(self) -> dict:
        """What manifests and stage records say about it."""
        return {"complete": self.complete, "failed_calls": self.failed, "errors": list(self.errors)}

    def describe(self) -> str:
        why = f" ({'; '.join(self.errors)})" if self.errors else ""
        return f"{self.failed} of {self.calls} LM calls failed{why}; a re-run retries only those calls"


def call_failures(db: Database, run: str, stage: str, *, prefix: bool = False) -> CallFailures:
    """The transient failures of one job (its stage, or every stage starting with `stage`) in one run."""
    cost = run_cost(db, run, stage, prefix=prefix)
    if not cost.errors:
        return CallFailures(0, cost.calls)
    return CallFailures(cost.errors, cost.calls, tuple(call_errors(db, run, stage, prefix=prefix)))


def backend_failures(backend) -> CallFailures:
    """The transient failures so far of one cached backend, in its run and stage (none without the cache's
    call log to count them from)."""
    if not isinstance(backend, CachedBackend):
        return CallFailures()
    return call_failures(backend.db, backend.log.run, backend.log.stage)
