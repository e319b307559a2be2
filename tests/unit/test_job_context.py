"""Every job runs in a `JobContext`: the run's database and run id receive its calls, one model instance serves
every part of a stage that names the same backend, its progress callback sees every pair, and its window sets
the pairs per backend call. Jobs take the context first and no longer take those settings one by one."""

from __future__ import annotations

import inspect
import sqlite3

import pytest

from recon.backends.fake import FakeBackend
from recon.bench.validity import run_validity
from recon.config import BackendConfig, SynthesisConfig
from recon.jobs.context import JobContext
from recon.jobs.evaluate import run_evaluate
from recon.jobs.predict import run_predict
from recon.jobs.score import run_scoring
from recon.jobs.synthesize import run_recon_select, run_synthesis
from recon.store.db import Database
from recon.types import Example, Turn

JOBS = [run_synthesis, run_recon_select, run_scoring, run_predict, run_evaluate, run_validity]
CONTEXT_SETTINGS = {"db", "run", "backend_factory", "on_progress", "progress_callback", "window_size", "embedder"}


def pairs(n: int) -> list[Example]:
    return [Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                    context=(Turn("Bob", f"Why {i}?"),), action=f"Because {i}.") for i in range(n)]


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.__name__)
def test_every_job_takes_the_context_first_and_none_of_its_settings(job):
    params = inspect.signature(job).parameters
    first = next(iter(params.values()))
    assert first.name == "ctx" and first.annotation in (JobContext, "JobContext")
    assert not CONTEXT_SETTINGS & set(params), f"{job.__name__} still takes {CONTEXT_SETTINGS & set(params)}"


def test_an_opener_shares_one_model_per_config_and_logs_each_part(tmp_path):
    built = []
    ctx = JobContext(database=Database(tmp_path / "db.sqlite3"), run="r7",
                     backend_factory=lambda cfg: built.append(cfg) or FakeBackend())
    open_backend = ctx.opener("stage")
    a = open_backend(BackendConfig(spec="fake"), "reconstruct")
    b = open_backend(BackendConfig(spec="fake"), "judge")
    c = open_backend(BackendConfig(spec="fake", concurrency=2), "judge")
    assert a.inner is b.inner and c.inner is not a.inner and len(built) == 2
    assert (a.log.stage, b.log.stage) == ("stage:reconstruct", "stage:judge")


def test_a_job_logs_its_calls_under_the_context_run_and_reports_every_pair(tmp_path):
    seen: list[int] = []
    ctx = JobContext(database=Database(tmp_path / "db.sqlite3"), run="run-ctx", progress=seen.append, window=1)
    summary, _ = run_synthesis(ctx, pairs(3), BackendConfig(spec="fake"), SynthesisConfig(method="backward"),
                               out=tmp_path / "t.jsonl")
    assert summary.run == "run-ctx" and seen == [1, 1, 1]         # window 1: one pair per call, each reported
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        runs = {r for (r,) in conn.execute("SELECT run FROM calls")}
    assert runs == {"run-ctx"}


def test_the_window_sets_the_pairs_per_backend_call(tmp_path):
    sizes: list[int] = []

    class Counting(FakeBackend):
        def _generate(self, requests, on_result):
            sizes.append(len(requests))
            return super()._generate(requests, on_result)

    ctx = JobContext(database=Database(tmp_path / "db.sqlite3"), backend_factory=lambda cfg: Counting(), window=2)
    run_synthesis(ctx, pairs(5), BackendConfig(spec="fake"), SynthesisConfig(method="backward"),
                  out=tmp_path / "t.jsonl")
    assert sizes == [2, 2, 1]


def test_the_default_database_is_opened_only_when_a_job_needs_it(recon_home):
    ctx = JobContext()
    assert ctx.database is None and not (recon_home / "recon.sqlite3").exists()
    assert ctx.db.path == recon_home / "recon.sqlite3" and ctx.db is ctx.db
