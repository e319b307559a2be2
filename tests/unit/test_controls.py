"""The two controls that isolate the scorer: `random-of-n` (a seeded random honest candidate) and
`longest-of-n` (the longest honest candidate), from the same cached candidates as Recon-Select, at no LM cost."""

from __future__ import annotations

import json

import pytest

from recon.backends.fake import FakeBackend
from recon.cli.main import main
from recon.config import BackendConfig, ReconSelectConfig, RunConfig
from recon.jobs.context import JobContext
from recon.jobs.synthesize import run_recon_select
from recon.store.db import Database
from recon.types import Example, Turn
from tests.conftest import write_lines

ACTION = "We should fund the library before the stadium because children need books."


def pairs(n=12):
    return [Example(id=f"x:{i}", domain="council", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                    context=(Turn("Bob", f"Item {i}: the stadium or the library?"),), action=ACTION)
            for i in range(n)]


def lengths_backend(copy_index=None, empty_index=None):
    """Candidate k has k+2 words; candidate `copy_index` quotes the action; `empty_index` writes nothing."""
    def respond(r):
        if r.sample_index == copy_index:
            return f"She thinks: {ACTION} And more words to make it the longest by far, surely."
        if r.sample_index == empty_index:
            return ""
        return "She " + " ".join(["weighs"] * (r.sample_index + 1))
    return FakeBackend(responder=respond)


def run(method, tmp_path, backend, *, n=4, db=None, examples=None):
    out = tmp_path / f"{method}.jsonl"
    summary = run_recon_select(JobContext(database=db or Database(tmp_path / "db.sqlite3"),
                                          backend_factory=lambda cfg: backend),
                               examples or pairs(), ReconSelectConfig(n=n), synthesizer=BackendConfig(spec="fake"),
                               reconstructor=BackendConfig(spec="fake"), judge=None, out=out, label=method)
    return summary, [json.loads(x) for x in out.read_text().splitlines()]


def test_longest_of_n_keeps_the_longest_honest_candidate(tmp_path):
    backend = lengths_backend(copy_index=1, empty_index=3)
    summary, records = run("longest-of-n", tmp_path, backend)
    assert {r["selected_index"] for r in records} == {2}            # 1 quotes the action, 3 is empty
    assert all(r["method"] == "longest-of-n" and r["scorer"] == "length" for r in records)
    assert all(not hasattr(req, "continuation") for req in backend.history)   # no reconstruction at all
    assert summary.scorer == "length" and summary.written == len(records)


def test_random_of_n_is_a_seeded_random_honest_candidate(tmp_path):
    backend = lengths_backend(copy_index=0)
    _, records = run("random-of-n", tmp_path, backend)
    chosen = [r["selected_index"] for r in records]
    assert 0 not in chosen and len(set(chosen)) > 1                 # never the leak; not one fixed index
    assert all(r["scorer"] == "random" and "tie" not in r["flags"] for r in records)
    (tmp_path / "fresh").mkdir()
    _, again = run("random-of-n", tmp_path / "fresh", lengths_backend(copy_index=0))
    assert [r["selected_index"] for r in again] == chosen           # seeded: the same choice on a fresh run


def test_controls_reuse_recon_selects_cached_candidates_at_no_lm_cost(tmp_path):
    db = Database(tmp_path / "db.sqlite3")
    inner = FakeBackend()
    run("recon-select", tmp_path, inner, db=db)
    calls = len(inner.history)
    for method in ("random-of-n", "longest-of-n"):
        summary, records = run(method, tmp_path, inner, db=db)
        assert summary.cost.backend_calls == 0 and summary.cost.cache_hits == 4 * len(records)
    assert len(inner.history) == calls


@pytest.mark.parametrize("method", ["random-of-n", "longest-of-n"])
def test_controls_from_the_command_line_and_in_a_run_config(tmp_path, capsys, method):
    data = write_lines(tmp_path / "p.jsonl", [json.dumps(e.to_json()) for e in pairs(3)])
    out = tmp_path / "t.jsonl"
    assert main(["synthesize", "--data", str(data), "--method", method, "--n", "3", "--dry-run",
                 "--out", str(out)]) == 0
    assert {json.loads(x)["method"] for x in out.read_text().splitlines()} == {method}
    assert method in capsys.readouterr().out
    cfg = RunConfig.model_validate({"name": "t", "data": {"train": ["a"], "test": ["b"]},
                                    "methods": ["backward", "recon-select", method]})
    assert method in cfg.methods
