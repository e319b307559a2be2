"""What every job runs in: the database and run id its calls are logged under, how it opens backends, where it
reports progress, how many pairs go to a backend per call, and the sentence embedder. A job takes a
`JobContext` first and only its own inputs after it.

    >>> from recon.config import BackendConfig
    >>> ctx = JobContext(database=Database(getfixture("tmp_path") / "db.sqlite3"), run="r1")
    >>> open_backend, fake = ctx.opener("score:likelihood"), BackendConfig(spec="fake")
    >>> a, b = open_backend(fake, "reconstruct"), open_backend(fake, "judge")
    >>> a.inner is b.inner, a.log.stage, b.log.stage, a.log.run
    (True, 'score:likelihood:reconstruct', 'score:likelihood:judge', 'r1')
    >>> seen = []
    >>> ctx.with_progress(seen.append).advance(3); ctx.advance(2); seen
    [3]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recon.backends.base import Backend
from recon.backends.registry import build_backend
from recon.config import BackendConfig
from recon.method.scoring import BackendOpener
from recon.store.backend_source import open_cached
from recon.store.cache import CachedBackend
from recon.store.calls import new_run_id
from recon.store.db import Database

BackendFactory = Callable[[BackendConfig], Backend]


@dataclass(frozen=True)
class JobContext:
    """`database` (None: $RECON_HOME's, opened on first use of `db`), `run` (default: a fresh id),
    `backend_factory` (how a config becomes a backend), `progress` (called with the pairs just finished),
    `window` (pairs per backend call; None: the backend's own window, 1: one pair at a time), `embedder` (None:
    MiniLM, built when first needed)."""

    database: Database | None = None
    run: str = field(default_factory=new_run_id)
    backend_factory: BackendFactory = build_backend
    progress: Callable[[int], None] | None = None
    window: int | None = None
    embedder: Any = None

    @property
    def db(self) -> Database:
        """The database the job's calls are cached and logged in."""
        if self.database is None:
            object.__setattr__(self, "database", Database())    # frozen: set once, on first use
        assert self.database is not None
        return self.database

    def open(self, config: BackendConfig, stage: str) -> CachedBackend:
        """One backend behind the cache and the call log, logging under `stage` in this run."""
        return open_cached(config, self.db, run=self.run, stage=stage, factory=self.backend_factory)

    def opener(self, stage: str, built: dict[BackendConfig, Backend] | None = None) -> BackendOpener:
        """`(config, part) → a cached backend` logging under STAGE:PART; one model instance per distinct config
        (shared with other openers through `built`)."""
        built = {} if built is None else built
        return lambda config, part: open_cached(config, self.db, run=self.run, stage=f"{stage}:{part}",
                                                factory=self.backend_factory, built=built)

    def advance(self, pairs: int) -> None:
        """Report `pairs` more pairs done (nothing without a progress callback)."""
        if self.progress is not None:
            self.progress(pairs)

    def with_progress(self, progress: Callable[[int], None] | None) -> JobContext:
        return dataclasses.replace(self, progress=progress)
