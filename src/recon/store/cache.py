"""CachedBackend: every LM call goes through one SQLite cache and is logged (docs/design.md conventions 4–5).

The key is a versioned hash of canonical JSON of (backend fingerprint, operation, the whole request —
messages, sampling parameters, seed, sample_index). Each result is stored the moment the backend
finishes it (not when its batch ends), together with its call-log row in one transaction, so a killed run
resumes without paying twice and `recon logs` shows every result that was paid for. Errors are logged,
never cached; when part of a batch fails, the error carries every result that does exist (cache hits
included) in `partial`, in request order.

    >>> from recon.backends.fake import FakeBackend
    >>> from recon.backends.base import GenRequest, Message
    >>> db = Database(Path(getfixture("tmp_path")) / "r.sqlite3")
    >>> inner = FakeBackend()
    >>> cached = CachedBackend(inner, db, run="r", stage="demo")
    >>> req = GenRequest(messages=(Message("user", "hi"),))
    >>> cached.generate([req])[0] == cached.generate([req])[0], len(inner.history)
    (True, 1)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path  # noqa: F401  (doctest)

from recon.backends.base import Backend, Generation, GenRequest, Score, ScoreRequest, request_payload
from recon.errors import BackendError
from recon.hashing import canonical_json, content_hash
from recon.redaction import redact
from recon.store.calls import CallLog, CallRecord, Meter
from recon.store.db import Database

_log = logging.getLogger(__name__)          # failed calls (a run's run.log; redacted by its handlers)


def op_of(result: object) -> str:
    return "generate" if isinstance(result, Generation) else "logprob"


def cache_key(fingerprint: dict, op: str, request: GenRequest | ScoreRequest) -> str:
    """Request fields added after keys were first written stay out of the hash while they hold their default
    (None), so existing caches keep their keys."""
    return content_hash({"fingerprint": fingerprint, "op": op, "request": request_payload(request)}, tag="cache")


class CachedBackend(Backend):
    """Wraps any backend; the same `fingerprint`, a cache in front, a log row per request."""

    def __init__(self, inner: Backend, db: Database, *, run: str, stage: str):
        self.inner = inner
        self.db = db
        self.fingerprint = inner.fingerprint
        self.log = CallLog(db, run=run, stage=stage)
        self.meter: Meter | None = None          # optional running totals (e.g. per pair), besides the log
        # a window of pairs: one meter per pair, each call charged to its pair (see `charging`)
        self.pair_meters: list[Meter] | None = None
        self._owners: list[int] | None = None
        self._route: dict[str, list[int]] = {}
        self._fp = self.fingerprint.to_json()
        self._fp_json = canonical_json(self._fp)

    @property
    def preferred_batch(self) -> int:
        return getattr(self.inner, "preferred_batch", 1)

    @property
    def window_pairs(self) -> int:
        return getattr(self.inner, "window_pairs", 1)

    @window_pairs.setter
    def window_pairs(self, value: int) -> None:     # a writable attribute of `Backend`: the inner one's
        self.inner.window_pairs = value

    @contextmanager
    def charging(self, owners: list[int]) -> Iterator[None]:
        """The next call's request i is made for pair `owners[i]`: its log rows go to `pair_meters[owners[i]]`."""
        self._owners = owners
        try:
            yield
        finally:
            self._owners = None

    def _lookup(self, keys: list[str]) -> dict[str, tuple[dict, float | None]]:
        if not keys:
            return {}
        found: dict[str, tuple[dict, float | None]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, payload, seconds in self.db.execute(
                    f"SELECT key, payload, seconds FROM cache WHERE key IN ({marks})", tuple(chunk)).fetchall():
                found[key] = (json.loads(payload), seconds)
        return found

    def _run(self, op: str, requests: list, call, result_type):
        keys = [cache_key(self._fp, op, r) for r in requests]
        self._route = {}
        if self.pair_meters is not None and self._owners is not None:
            for key, owner in zip(keys, self._owners, strict=True):
                self._route.setdefault(key, []).append(owner)
        t0 = time.perf_counter()
        hits = self._lookup(keys)
        lookup_s = (time.perf_counter() - t0) / max(1, len(keys))
        results: list = [None] * len(requests)
        records: list[CallRecord] = []          # hits and failures; a fresh result is logged as it is stored
        for i, key in enumerate(keys):
            if key in hits:
                payload, seconds = hits[key]
                results[i] = result_type(**payload)
                records.append(self._record(op, results[i], True, lookup_s, key, compute_s=seconds))
        todo = [i for i, key in enumerate(keys) if key not in hits]
        # the same request twice in one batch is computed once
        unique: dict[str, int] = {}
        for i in todo:
            unique.setdefault(keys[i], i)
        if not unique:
            self._log(records)
            return results
        order = list(unique.values())
        batch = [requests[i] for i in order]
        done: dict[int, object] = {}            # position in `batch` → result, stored and logged
        clock = [time.perf_counter()]

        def store_one(j: int, result) -> None:      # each finished result is cached (and logged) at once
            now = time.perf_counter()
            self._store(op, [(keys[order[j]], result, now - clock[0])])   # sequential: this result's time
            clock[0] = now
            done[j] = result

        t0 = time.perf_counter()
        try:
            fresh = call(batch, on_result=store_one)
        except BackendError as exc:
            partial = exc.partial if exc.partial is not None and len(exc.partial) == len(batch) \
                else [None] * len(batch)
            late = {j: r for j, r in enumerate(partial) if r is not None and j not in done}
            self._store(op, [(keys[order[j]], r, None) for j, r in late.items()])
            done |= late
            _log.warning("%s: %d of %d %s call%s failed: %s", self.log.stage, len(batch) - len(done), len(batch), op,
                         "" if len(batch) == 1 else "s", redact(str(exc)))
            self._log(records + [self._record(op, None, False, None, keys[order[j]], error=str(exc))
                                 for j in range(len(batch)) if j not in done])
            by_key = {keys[order[j]]: r for j, r in done.items()}
            for i in todo:
                results[i] = by_key.get(keys[i])
            raise BackendError(str(exc), retryable=exc.retryable, partial=results) from exc
        per_item = (time.perf_counter() - t0) / len(batch)
        self._store(op, [(keys[order[j]], r, per_item) for j, r in enumerate(fresh) if j not in done])
        by_key = {keys[i]: res for i, res in zip(order, fresh, strict=True)}
        first = set(order)
        for i in todo:
            results[i] = by_key[keys[i]]
            if i not in first:                      # a duplicate of the batch: served by the first one
                records.append(self._record(op, results[i], True, 0.0, keys[i], compute_s=0.0))
        self._log(records)
        return results

    def _log(self, records: list[CallRecord]) -> None:
        if records:
            self.log.record(records)
        self._charge(records)

    def _charge(self, records: list[CallRecord]) -> None:
        if self.meter is not None:
            self.meter.add(records)
        if self.pair_meters is None or not self._route:
            return
        for r in records:              # the same request for two pairs: one row each (a fresh one, then a hit)
            owners = self._route.get(r.key or "")
            if owners:
                self.pair_meters[owners.pop(0) if len(owners) > 1 else owners[0]].add([r])

    def _store(self, op: str, done: list[tuple[str, Generation | Score, float | None]]) -> None:
        """Cache fresh results and log their calls in one transaction: a result in the cache always has its
        row in the call log, however the process ends."""
        if not done:
            return
        now = time.time()
        records = [self._record(op, res, False, seconds, key, compute_s=seconds) for key, res, seconds in done]
        self.db.write([
            ("INSERT OR REPLACE INTO cache (key, op, fingerprint, payload, created, seconds) VALUES (?,?,?,?,?,?)",
             [(key, op_of(res), self._fp_json, canonical_json(dataclasses.asdict(res)), now, seconds)
              for key, res, seconds in done]),
            (CallLog.INSERT, self.log.rows(records))])
        self._charge(records)

    def _record(self, op: str, result, hit: bool, latency: float | None, key: str,
                error: str | None = None, compute_s: float | None = None) -> CallRecord:
        pt = ct = None
        if isinstance(result, Generation):
            pt, ct = result.prompt_tokens, result.completion_tokens
        elif isinstance(result, Score):
            pt, ct = result.prompt_tokens, result.n_tokens
        return CallRecord(op=op, backend=self._fp["kind"], model=self._fp["model"], cache_hit=hit,
                          prompt_tokens=pt, completion_tokens=ct, latency_s=latency, error=error, key=key,
                          compute_s=compute_s if compute_s is not None else (None if hit else latency))

    def _generate(self, requests: list[GenRequest], on_result=None) -> list[Generation]:
        return self._run("generate", requests, self.inner.generate, Generation)

    def _logprob(self, requests: list[ScoreRequest], on_result=None) -> list[Score]:
        return self._run("logprob", requests, self.inner.logprob, Score)

    def preflight(self, op) -> None:
        self.inner.preflight(op)

    def close(self) -> None:
        self.inner.close()


def cache_stats(db: Database) -> list[dict]:
    """Entries and bytes per (operation, fingerprint), plus hit counts from the call log."""
    rows = db.execute("SELECT op, fingerprint, COUNT(*), SUM(LENGTH(payload)) FROM cache "
                      "GROUP BY op, fingerprint ORDER BY op, fingerprint").fetchall()
    out = []
    for op, fp, n, size in rows:
        fpd = json.loads(fp)
        hits, misses = db.execute(
            "SELECT COALESCE(SUM(cache_hit),0), COALESCE(SUM(1-cache_hit),0) FROM calls "
            "WHERE op = ? AND backend = ? AND model = ?", (op, fpd["kind"], fpd["model"])).fetchone()
        out.append({"op": op, "backend": fpd["kind"], "model": fpd["model"], "entries": n,
                    "bytes": size or 0, "hits": hits, "misses": misses})
    return out
