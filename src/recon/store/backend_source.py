"""Opening a cached backend (`open_cached`, the one place a `CachedBackend` is built from a config), and where a
GRPO reward's LM calls go (`BackendSource`: a database, a run id, a stage name and a backend factory).

`recon run` hands its own (so reward calls are cached, counted in the training stage's record and resumed
like every other stage's); `recon train grpo` uses the default database and a fresh run id. A source is
picklable (the database by its path, reopened on first use), so rewards stay picklable for TRL.

    >>> import pickle
    >>> src = BackendSource(db_path=str(Path(getfixture("tmp_path")) / "db.sqlite3"), run="r1", stage="train:x")
    >>> copy = pickle.loads(pickle.dumps(src))
    >>> copy.run, copy.stage, copy.database().path.name
    ('r1', 'train:x', 'db.sqlite3')
    >>> from recon.config import BackendConfig
    >>> built = {}
    >>> a = open_cached(BackendConfig(spec="fake"), copy.database(), run="r1", stage="s:a", built=built)
    >>> b = open_cached(BackendConfig(spec="fake"), copy.database(), run="r1", stage="s:b", built=built)
    >>> a.inner is b.inner, (a.log.stage, b.log.stage)
    (True, ('s:a', 's:b'))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from recon.backends.registry import build_backend

if TYPE_CHECKING:
    from recon.backends.base import Backend
    from recon.config import BackendConfig
    from recon.store.cache import CachedBackend
    from recon.store.db import Database


def open_cached(config: BackendConfig, db: Database, *, run: str, stage: str,
                factory: Callable[[BackendConfig], Backend] = build_backend,
                built: dict[BackendConfig, Backend] | None = None) -> CachedBackend:
    """`factory(config)` behind the cache and the call log, logging under `stage` in `run`. With `built`, one
    model instance serves every stage that opens the same config."""
    from recon.store.cache import CachedBackend
    if built is None:
        return CachedBackend(factory(config), db, run=run, stage=stage)
    if config not in built:
        built[config] = factory(config)
    return CachedBackend(built[config], db, run=run, stage=stage)


@dataclass
class BackendSource:
    db_path: str | None = None           # None: the default database ($RECON_HOME)
    run: str | None = None               # None: a fresh run id
    stage: str = "grpo:reward"           # calls are logged as STAGE:reconstruct, STAGE:judge
    factory: Callable[[BackendConfig], Backend] = build_backend   # a module-level function: picklable
    _db: Database | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, db, run: str, stage: str, factory=build_backend) -> BackendSource:
        source = cls(db_path=str(db.path), run=run, stage=stage, factory=factory)
        source._db = db                  # the caller's open connection (dropped when pickled)
        return source

    def __getstate__(self):
        return {**self.__dict__, "_db": None}

    def database(self) -> Database:
        if self._db is None:
            from recon.store.db import Database
            self._db = Database(Path(self.db_path)) if self.db_path else Database()
        return self._db

    def cached(self, config: BackendConfig, part: str) -> CachedBackend:
        """A cached backend for `config`, logging its calls as STAGE:PART in this source's run."""
        from recon.store.calls import new_run_id
        if self.run is None:
            self.run = new_run_id()
        return open_cached(config, self.database(), run=self.run, stage=f"{self.stage}:{part}", factory=self.factory)
