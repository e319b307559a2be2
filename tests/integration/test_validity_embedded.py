"""Scorer validity with the embedded model on 6 benchmark pairs: all three scorers, every candidate scored,
the likelihood score equal to the Recon-Select scorer's on an independent model instance, the leak control
caught, and a re-run served entirely from the cache."""

from __future__ import annotations

import json

import pytest

from recon.backends.llamacpp import LlamaCppBackend
from recon.bench.candidates import HONEST_KINDS, KINDS, build_candidates
from recon.bench.generator import generate_corpus
from recon.bench.validity import run_validity
from recon.config import BackendConfig, ReconstructionConfig
from recon.jobs.context import JobContext
from recon.method.scoring import LikelihoodScorer
from recon.store.db import Database

pytestmark = pytest.mark.slow

SCORERS = ["likelihood", "judge", "embedding"]


def test_validity_on_the_embedded_model(tmp_path):
    examples = generate_corpus(individuals=2, pairs=3, seed=0).examples
    db = Database(tmp_path / "db.sqlite3")
    embedded = BackendConfig(spec="embedded")
    result = run_validity(JobContext(database=db), examples, scorers=SCORERS, reconstructor=embedded, judge=None,
                          out=tmp_path / "v")
    assert result.pairs == 6 and result.incomplete == 0
    records = [json.loads(x) for x in (tmp_path / "v/pairs.jsonl").read_text().splitlines()]
    for r in records:
        assert all(isinstance(r["scores"]["likelihood"][k], float) for k in KINDS)
        assert all(isinstance(r["scores"]["embedding"][k], float) for k in KINDS)
        assert all(r["reconstructions"]["judge"][k] for k in KINDS)
        # judge and embedding score the same greedy reconstructions (the second is served from the cache)
        assert r["reconstructions"]["judge"] == r["reconstructions"]["embedding"]
    for s in result.summaries.values():
        assert s["leak"]["all_caught"] and s["honest_flagged"] == 0 and s["pairs"] == 6
    assert result.summaries["embedding"]["cost"]["backend_calls"] == 0
    # the same numbers as Recon-Select's scorer on an independent model instance
    direct = LikelihoodScorer(LlamaCppBackend(), ReconstructionConfig())
    for e, r in list(zip(examples, records, strict=True))[:2]:
        honest = [c.text for c in build_candidates(e) if c.kind in HONEST_KINDS]
        assert direct.score(e, honest).scores == pytest.approx([r["scores"]["likelihood"][k] for k in HONEST_KINDS],
                                                               abs=1e-9)
    # a trace that quotes the action makes it far easier to reconstruct: why the guard must run first
    assert result.summaries["likelihood"]["leak"]["outscores_cause"] == 1.0
    again = run_validity(JobContext(database=db), examples, scorers=SCORERS, reconstructor=embedded, judge=None,
                         out=tmp_path / "v2")
    assert all(s["cost"]["backend_calls"] == 0 for s in again.summaries.values())
    assert json.loads((tmp_path / "v2/results.json").read_text())["scorers"]["likelihood"]["pairwise"] == \
        result.summaries["likelihood"]["pairwise"]
