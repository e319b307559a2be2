"""The call log: one row per LM request (cache hits included), read by `recon logs`.

    >>> db = Database(Path(getfixture("tmp_path")) / "r.sqlite3")
    >>> log = CallLog(db, run="r1", stage="test")
    >>> log.record([CallRecord(op="generate", backend="fake", model="m", cache_hit=False)])
    >>> recent_calls(db, limit=1)[0].stage
    'test'
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path  # noqa: F401  (doctest)

from recon.redaction import redact
from recon.store.db import Database


def new_run_id() -> str:
    """A sortable, unique id for one command invocation, e.g. 20261126T112233-3fa2c1."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass(frozen=True)
class CallRecord:
    op: str
    backend: str
    model: str
    cache_hit: bool
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None       # how long this call took now (a cache lookup is fast)
    error: str | None = None
    key: str | None = None
    run: str = ""
    stage: str = ""
    ts: float = 0.0
    compute_s: float | None = None       # what the result cost to compute (the original time for a hit)


@dataclass
class Meter:
    """In-memory running totals, e.g. the cost of one pair across several backends.

    >>> m = Meter(); m.add([CallRecord(op="generate", backend="f", model="m", cache_hit=True, prompt_tokens=3)])
    >>> (m.calls, m.cache_hits, m.prompt_tokens)
    (1, 1, 3)
    """

    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def add(self, records: list[CallRecord]) -> None:
        for r in records:
            self.calls += 1
            self.cache_hits += int(r.cache_hit)
            self.prompt_tokens += r.prompt_tokens or 0
            self.completion_tokens += r.completion_tokens or 0
            self.seconds += (r.compute_s if r.compute_s is not None else r.latency_s) or 0.0

    def to_json(self) -> dict:
        return {"calls": self.calls, "cache_hits": self.cache_hits, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "seconds": round(self.seconds, 4)}


class CallLog:
    INSERT = ("INSERT INTO calls (ts, run, stage, op, backend, model, cache_hit, prompt_tokens,"
              " completion_tokens, latency_s, error, key, compute_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")

    def __init__(self, db: Database, *, run: str, stage: str):
        self.db, self.run, self.stage = db, run, stage

    def rows(self, records: list[CallRecord]) -> list[tuple]:
        """The rows `INSERT` stores for `records` (to write them in a caller's transaction); an error is stored
        redacted (`recon.redaction`), as it may quote a server's reply."""
        now = time.time()
        return [(now, self.run, self.stage, r.op, r.backend, r.model, int(r.cache_hit), r.prompt_tokens,
                 r.completion_tokens, r.latency_s, None if r.error is None else redact(r.error), r.key, r.compute_s)
                for r in records]

    def record(self, records: list[CallRecord]) -> None:
        self.db.executemany(self.INSERT, self.rows(records))


_COLUMNS = ("run, stage, ts, op, backend, model, cache_hit, prompt_tokens, completion_tokens, "
            "latency_s, error, key")


def _row(row: tuple) -> CallRecord:
    run, stage, ts, op, backend, model, hit, pt, ct, lat, err, key = row
    return CallRecord(op=op, backend=backend, model=model, cache_hit=bool(hit), prompt_tokens=pt,
                      completion_tokens=ct, latency_s=lat, error=err, key=key, run=run, stage=stage, ts=ts)


def recent_calls(db: Database, *, limit: int = 20, run: str | None = None) -> list[CallRecord]:
    """The newest calls first (optionally of one run)."""
    if run is None:
        rows = db.execute(f"SELECT {_COLUMNS} FROM calls ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    else:
        rows = db.execute(f"SELECT {_COLUMNS} FROM calls WHERE run = ? ORDER BY id DESC LIMIT ?",
                          (run, limit)).fetchall()
    return [_row(r) for r in rows]


@dataclass(frozen=True)
class RunCost:
    """What one run (or one stage of it) cost: calls, cache hits, tokens, seconds in the backend."""

    calls: int
    cache_hits: int
    backend_calls: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float              # compute time of the results (cache hits count what they originally cost)


def last_call_id(db: Database) -> int:
    """The newest call-log row id (0 when empty): calls of a run logged after it have larger ids."""
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM calls").fetchone()[0]


def _where(run: str, stage: str | None, prefix: bool, after_id: int | None = None) -> tuple[str, list]:
    where = "run = ?"
    params: list[object] = [run]
    if stage is not None:
        where += " AND substr(stage, 1, ?) = ?" if prefix else " AND stage = ?"
        params += [len(stage), stage] if prefix else [stage]
    if after_id is not None:
        where += " AND id > ?"
        params.append(after_id)
    return where, params


def run_cost(db: Database, run: str, stage: str | None = None, *, prefix: bool = False,
             after_id: int | None = None) -> RunCost:
    """Totals of one run, optionally of one stage (or of every stage starting with `stage`), optionally only
    of the calls logged after row `after_id` (what one step of a run cost, whatever its stage names)."""
    where, params = _where(run, stage, prefix, after_id)
    row = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(cache_hit),0), COALESCE(SUM(1-cache_hit),0),"
        " COALESCE(SUM(error IS NOT NULL),0), COALESCE(SUM(prompt_tokens),0),"
        f" COALESCE(SUM(completion_tokens),0), COALESCE(SUM(COALESCE(compute_s, latency_s)),0) FROM calls"
        f" WHERE {where}",
        tuple(params)).fetchone()
    calls, hits, misses, errors, pt, ct, secs = row
    return RunCost(calls=calls, cache_hits=hits, backend_calls=misses - errors, errors=errors,
                   prompt_tokens=pt, completion_tokens=ct, seconds=secs)


def call_errors(db: Database, run: str, stage: str | None = None, *, prefix: bool = False,
                limit: int = 3) -> list[str]:
    """The distinct errors of the calls that failed in one run (or stage), first seen first: why it is incomplete.

    >>> db = Database(Path(getfixture("tmp_path")) / "e.sqlite3")
    >>> CallLog(db, run="r", stage="s").record([CallRecord("generate", "b", "m", False, error="HTTP 503")] * 2)
    >>> call_errors(db, "r", "s")
    ['HTTP 503']
    """
    where, params = _where(run, stage, prefix)
    rows = db.execute(f"SELECT error, MIN(id) FROM calls WHERE {where} AND error IS NOT NULL GROUP BY error "
                      "ORDER BY MIN(id) LIMIT ?", (*params, limit)).fetchall()
    return [error for error, _ in rows]
