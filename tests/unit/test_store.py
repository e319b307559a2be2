"""The SQLite store: migrations, the cache in front of a backend, the call log."""

from __future__ import annotations

import sqlite3

import pytest

from recon.backends.base import GenRequest, Message, ScoreRequest
from recon.backends.fake import FakeBackend
from recon.errors import BackendError
from recon.store.cache import CachedBackend, cache_stats
from recon.store.calls import recent_calls, run_cost
from recon.store.db import MIGRATIONS, Database

REQ = GenRequest(messages=(Message("user", "hello"),), temperature=0.8, max_tokens=20, seed=1)


@pytest.fixture
def db(tmp_path):
    return Database(tmp_path / "recon.sqlite3")


def test_migrations_run_once_and_wal_is_on(tmp_path):
    path = tmp_path / "x.sqlite3"
    Database(path).close()
    again = Database(path)                              # re-opening applies nothing twice
    assert again.schema_version() == len(MIGRATIONS)
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_cache_hits_skip_the_backend_and_are_logged(db):
    inner = FakeBackend()
    cached = CachedBackend(inner, db, run="r1", stage="s")
    first = cached.generate([REQ])
    second = CachedBackend(inner, db, run="r2", stage="s").generate([REQ])
    assert first == second and len(inner.history) == 1
    assert [c.cache_hit for c in recent_calls(db, run="r2")] == [True]
    cost = run_cost(db, "r1")
    assert (cost.calls, cost.backend_calls, cost.cache_hits) == (1, 1, 0)


def test_each_sample_index_is_cached_on_its_own(db):
    inner = FakeBackend()
    cached = CachedBackend(inner, db, run="r", stage="s")
    samples = REQ.samples(3)
    texts = [g.text for g in cached.generate(samples)]
    assert len(set(texts)) == 3 and len(inner.history) == 3
    cached.generate(samples[:2] + REQ.samples(4)[3:])          # 0, 1 cached; 3 is new
    assert len(inner.history) == 4 and inner.history[-1].sample_index == 3


def test_any_parameter_change_is_a_different_key(db):
    inner = FakeBackend()
    cached = CachedBackend(inner, db, run="r", stage="s")
    import dataclasses
    variants = [REQ, dataclasses.replace(REQ, temperature=0.9), dataclasses.replace(REQ, top_p=0.5),
                dataclasses.replace(REQ, max_tokens=21), dataclasses.replace(REQ, seed=2),
                dataclasses.replace(REQ, stop=("x",))]
    cached.generate(variants)
    assert len(inner.history) == len(variants)
    other_model = CachedBackend(FakeBackend(name="other"), db, run="r", stage="s")
    other_model.generate([REQ])
    assert len(other_model.inner.history) == 1                  # the fingerprint is part of the key


def test_duplicates_in_one_batch_are_computed_once(db):
    inner = FakeBackend()
    out = CachedBackend(inner, db, run="r", stage="s").generate([REQ, REQ])
    assert out[0] == out[1] and len(inner.history) == 1


def test_errors_are_logged_not_cached_and_partial_results_are_kept(db):
    boom = FakeBackend(fail=lambda r: True)
    cached = CachedBackend(boom, db, run="r", stage="s")
    with pytest.raises(BackendError):
        cached.generate([REQ])
    assert db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0
    [row] = recent_calls(db, run="r")
    assert row.error and not row.cache_hit

    class HalfFails(FakeBackend):
        def _generate(self, requests, on_result=None):
            good = super()._generate(requests[:1], on_result)
            raise BackendError("second failed", partial=good + [None])
    inner = HalfFails()
    reqs = REQ.samples(2)
    with pytest.raises(BackendError):
        CachedBackend(inner, db, run="r3", stage="s").generate(reqs)
    retry = FakeBackend()
    CachedBackend(retry, db, run="r4", stage="s").generate(reqs)
    assert [r.sample_index for r in retry.history] == [1]      # the finished one was not paid twice


def test_logprob_is_cached_too_and_stats_count_it(db):
    inner = FakeBackend()
    cached = CachedBackend(inner, db, run="r", stage="s")
    req = ScoreRequest(messages=(Message("user", "q"),), continuation="an answer")
    assert cached.logprob([req]) == cached.logprob([req])
    assert len(inner.history) == 1
    stats = {r["op"]: r for r in cache_stats(db)}
    assert stats["logprob"]["entries"] == 1 and stats["logprob"]["hits"] == 1


def test_two_processes_write_one_database_at_the_same_time(tmp_path):
    import subprocess
    import sys
    path = tmp_path / "shared.sqlite3"
    Database(path).close()
    writer = (f"from recon.store.db import Database\n"
              f"from recon.store.calls import CallLog, CallRecord\n"
              f"log = CallLog(Database({str(path)!r}), run='child', stage='s')\n"
              f"rec = CallRecord(op='generate', backend='b', model='m', cache_hit=False)\n"
              f"for i in range(200): log.record([rec])\n")
    child = subprocess.Popen([sys.executable, "-c", writer])
    from recon.store.calls import CallLog, CallRecord
    log = CallLog(Database(path), run="parent", stage="s")
    for _ in range(200):
        log.record([CallRecord(op="generate", backend="b", model="m", cache_hit=False)])
    assert child.wait(timeout=120) == 0
    counts = dict(sqlite3.connect(path).execute("SELECT run, COUNT(*) FROM calls GROUP BY run").fetchall())
    assert counts == {"child": 200, "parent": 200}


def test_a_cache_hit_reports_what_the_result_originally_cost(db, monkeypatch):
    """On a fake clock: each generation takes 5 s of it and a cache lookup none, so the figures are exact."""
    import recon.store.cache
    clock = [1000.0]
    monkeypatch.setattr(recon.store.cache.time, "perf_counter", lambda: clock[0])

    def five_seconds(req):
        clock[0] += 5.0
        return "an answer"
    CachedBackend(FakeBackend(responder=five_seconds), db, run="first", stage="s").generate(REQ.samples(2))
    CachedBackend(FakeBackend(responder=five_seconds), db, run="again", stage="s").generate(REQ.samples(2))
    first, again = run_cost(db, "first"), run_cost(db, "again")
    assert (first.backend_calls, first.seconds) == (2, 10.0)
    assert (again.cache_hits, again.backend_calls, again.seconds) == (2, 0, 10.0)   # what the results cost
    assert [c.latency_s for c in recent_calls(db, run="again")] == [0.0, 0.0]       # not what the lookup took


def test_cache_keys_are_stable_across_releases():
    """A key is a hash of data only (fingerprint, operation, request), never of module paths or class names:
    these two keys were written by the release before the package layout moved (flat modules → method/,
    jobs/, config/). If this test fails, every user's cache is orphaned — bump HASH_VERSION on purpose
    and say so, or keep new request fields out of the key while they hold their defaults."""
    from recon.backends.base import Fingerprint
    from recon.store.cache import cache_key
    fp = Fingerprint(kind="llamacpp", model="SmolLM2-135M-Instruct", quantization="Q4_1",
                     extra={"identity": "abc"}).to_json()
    gen = GenRequest(messages=(Message("system", "You write reasoning."), Message("user", "Why did she say that?")),
                     temperature=0.7, top_p=0.95, max_tokens=128, seed=0, sample_index=2)
    score = ScoreRequest(messages=(Message("user", "Context"),), continuation="The action.")
    assert cache_key(fp, "generate", gen) == "3207186f13ac53798bb57c5b20625a3aba65b7610d12a4ca303ecb30c0534488"
    assert cache_key(fp, "logprob", score) == "9365089122b32ae7a0996caa67fb428a18164cf460d9ac763c5da894ff53d2b5"


def test_repetition_penalty_enters_the_key_only_when_it_is_on():
    """A new request field keeps every existing key while it holds its default (off: None or 1.0)."""
    from recon.backends.base import Fingerprint
    from recon.store.cache import cache_key
    fp = Fingerprint(kind="llamacpp", model="SmolLM2-135M-Instruct", quantization="Q4_1",
                     extra={"identity": "abc"}).to_json()
    base = dict(messages=(Message("system", "You write reasoning."), Message("user", "Why did she say that?")),
                temperature=0.7, top_p=0.95, max_tokens=128, seed=0, sample_index=2)
    pinned = "3207186f13ac53798bb57c5b20625a3aba65b7610d12a4ca303ecb30c0534488"
    assert cache_key(fp, "generate", GenRequest(**base, repetition_penalty=None)) == pinned
    assert cache_key(fp, "generate", GenRequest(**base, repetition_penalty=1.0)) == pinned
    on = cache_key(fp, "generate", GenRequest(**base, repetition_penalty=1.15))
    assert on != pinned and on != cache_key(fp, "generate", GenRequest(**base, repetition_penalty=1.3))
