"""The three reconstruction scorers on the fake backend: formulas, batching, the judge's shuffle,
bounded retries and the invalid path."""

from __future__ import annotations

import json
import re

import pytest

from recon.backends.base import GenRequest, ScoreRequest
from recon.backends.fake import FakeBackend
from recon.config import ListwiseJudgeConfig, ReconstructionConfig
from recon.errors import BackendError, ConfigError
from recon.method.embeddings import HashEmbedder
from recon.method.listwise_judge import label_order
from recon.method.scoring import build_scorer
from recon.types import Example, Turn

EX = Example(id="p1", domain="council", individual="Ann", conversation_id="c1", turn_index=3,
             context=(Turn("Bob", "The stadium needs money."), Turn("Cy", "So does the library.")),
             action="The library first, the stadium can wait.")
CFG = ReconstructionConfig()
TRACES = ["she loves books", "she hates sports", "she is tired"]


def logprob_by_trace(req: ScoreRequest) -> float:
    text = req.messages[-1].content
    for i, t in enumerate(TRACES):
        if t in text:
            return -10.0 + 2.0 * i
    return -8.0                                         # the no-trace baseline


def test_likelihood_is_the_information_gain_per_action_token():
    fake = FakeBackend(scorer=logprob_by_trace)
    result = build_scorer("likelihood", reconstructor=fake, cfg=CFG).score(EX, TRACES)
    n = len(EX.action.split())                           # the fake backend's tokens are words
    assert result.scores == pytest.approx([(-10 + 8) / n, (-8 + 8) / n, (-6 + 8) / n])
    assert result.extra["baseline_logprob"] == -8.0 and result.invalid is None


def test_likelihood_sends_the_baseline_once_then_the_traces_sharing_the_context_prefix():
    fake = FakeBackend(scorer=logprob_by_trace)
    build_scorer("likelihood", reconstructor=fake, cfg=CFG).score(EX, TRACES)
    reqs = fake.history
    assert len(reqs) == len(TRACES) + 1
    assert "is thinking" not in reqs[0].messages[-1].content               # the baseline comes first
    assert all("is thinking" in r.messages[-1].content for r in reqs[1:])
    prefix = reqs[0].messages[-1].content.split("Ann speaks next")[0]
    assert all(r.messages[-1].content.startswith(prefix) for r in reqs[1:])
    assert all(r.continuation == EX.action for r in reqs)
    assert all(EX.action not in r.messages[-1].content for r in reqs)      # never the action in the prompt


def test_likelihood_backend_failure_makes_the_pair_invalid():
    result = build_scorer("likelihood", reconstructor=FakeBackend(fail=lambda r: True), cfg=CFG).score(EX, TRACES)
    assert result.scores == [None] * 3 and result.invalid.startswith("backend error")


def judge_grading_by_content(req: GenRequest) -> str:
    """Reconstructions echo their trace; the judge gives 10 to the one mentioning books, 2 to the others."""
    text = req.messages[-1].content
    if "Grade each" in text:
        lines = re.findall(r'^([A-Z]): "(.*)"$', text, flags=re.M)
        return json.dumps({label: 10 if "books" in body else 2 for label, body in lines})
    return "Reconstruction: " + text.split("is thinking: ")[1].split("\n")[0]


def test_judge_grades_map_back_through_the_shuffle():
    recon = FakeBackend(responder=judge_grading_by_content)
    judge = FakeBackend(responder=judge_grading_by_content)
    for traces in (TRACES, TRACES[::-1], [TRACES[1], TRACES[0], TRACES[2]]):
        result = build_scorer("judge", reconstructor=recon, judge=judge, cfg=CFG).score(EX, traces)
        best = traces.index("she loves books")
        assert result.scores[best] == 1.0 and sorted(result.scores) == [pytest.approx(1 / 9)] * 2 + [1.0]
        assert all("Reconstruction:" in r for r in result.reconstructions)
    judge_reqs = [r for r in judge.history]
    assert all(r.json_schema and json.loads(r.json_schema)["required"] == ["A", "B", "C"] for r in judge_reqs)
    assert all(EX.action in r.messages[-1].content for r in judge_reqs)    # the judge sees the true action
    assert len(recon.history) == 9 and len(judge.history) == 3             # 2N+1 calls per pair


def test_label_order_follows_content_not_position():
    items = ["alpha", "beta", "gamma", "delta"]
    shown = [items[i] for i in label_order(items, salt="s")]
    for perm in (items[::-1], items[1:] + items[:1]):
        assert [perm[i] for i in label_order(perm, salt="s")] == shown      # same labels, any input order
    salts = {tuple(items[i] for i in label_order(items, salt=f"pair {k}")) for k in range(20)}
    assert len(salts) > 1                                                   # but not one fixed order for all


def test_unparsable_judge_is_retried_a_bounded_number_of_times_then_invalid():
    recon = FakeBackend(responder=judge_grading_by_content)
    judge = FakeBackend(responder=lambda r: "I think they are all fine.")
    cfg = ReconstructionConfig(judge=ListwiseJudgeConfig(retries=2))
    result = build_scorer("judge", reconstructor=recon, judge=judge, cfg=cfg).score(EX, TRACES)
    assert result.scores == [None] * 3 and "after 3 attempts" in result.invalid
    assert [r.sample_index for r in judge.history] == [0, 1, 2]             # retries are distinct samples
    assert judge.history[0].temperature == 0.0 and judge.history[1].temperature > 0


def test_a_later_judge_attempt_can_succeed():
    answers = iter(["no idea", '{"A": 3, "B": 4, "C": 5}'])
    judge = FakeBackend(responder=lambda r: next(answers))
    result = build_scorer("judge", reconstructor=FakeBackend(responder=judge_grading_by_content), judge=judge,
                          cfg=CFG).score(EX, TRACES)
    assert result.invalid is None and result.extra["judge_attempts"] == 2
    assert sorted(result.scores) == pytest.approx([2 / 9, 3 / 9, 4 / 9])


def test_out_of_range_grades_are_not_accepted():
    judge = FakeBackend(responder=lambda r: '{"A": 0, "B": 11, "C": 5}')
    result = build_scorer("judge", reconstructor=FakeBackend(responder=judge_grading_by_content), judge=judge,
                          cfg=ReconstructionConfig(judge=ListwiseJudgeConfig(retries=0))).score(EX, TRACES)
    assert result.invalid and "outside 1-10" in result.invalid


def test_embedding_scores_the_reconstruction_closest_to_the_action_highest():
    replies = {"she loves books": "The library first, the stadium can wait.", "she hates sports": "No stadium.",
               "she is tired": "Let us adjourn for lunch."}
    recon = FakeBackend(responder=lambda r: next(v for k, v in replies.items() if k in r.messages[-1].content))
    result = build_scorer("embedding", reconstructor=recon, cfg=CFG, embedder=HashEmbedder()).score(EX, TRACES)
    assert result.scores[0] == pytest.approx(1.0, abs=1e-5) and result.scores[0] > result.scores[1] > result.scores[2]


def test_judge_needs_a_judge_backend_and_unknown_scorers_are_named():
    with pytest.raises(ConfigError, match="needs a judge"):
        build_scorer("judge", reconstructor=FakeBackend(), cfg=CFG)
    with pytest.raises(ConfigError, match="unknown scorer 'bleu'"):
        build_scorer("bleu", reconstructor=FakeBackend(), cfg=CFG)


# --- nothing silently changes N -------------------------------------------------------------------------------

class PartlyFailing(FakeBackend):
    """Like a concurrent HTTP backend: one request fails (HTTP 503), the others' results come back in `partial`."""

    def _generate(self, requests, on_result=None):
        out = [None if "she is tired" in r.messages[-1].content else super(PartlyFailing, self)._generate([r])[0]
               for r in requests]
        if None in out:
            raise BackendError("HTTP 503", retryable=True, partial=out)
        return out


@pytest.mark.parametrize("name", ["judge", "embedding"])
def test_a_failed_reconstruction_call_makes_the_pair_invalid_instead_of_grading_n_minus_one(name):
    recon = PartlyFailing(responder=judge_grading_by_content)       # the other two reconstructions come back
    judge = FakeBackend(responder=judge_grading_by_content)
    result = build_scorer(name, reconstructor=recon, judge=judge, cfg=CFG, embedder=HashEmbedder()).score(EX, TRACES)
    assert result.scores == [None] * 3 and result.invalid.startswith("backend error") and result.transient
    assert judge.history == []                                              # nothing was graded with N-1


def test_a_failed_likelihood_pass_is_transient():
    result = build_scorer("likelihood", reconstructor=FakeBackend(fail=lambda r: True), cfg=CFG).score(EX, TRACES)
    assert result.transient and result.invalid.startswith("backend error")


def test_an_empty_reconstruction_gets_the_judges_lowest_score_and_a_flag():
    recon = FakeBackend(responder=lambda r: "" if "she is tired" in r.messages[-1].content
                        else judge_grading_by_content(r))
    judge = FakeBackend(responder=judge_grading_by_content)
    result = build_scorer("judge", reconstructor=recon, judge=judge, cfg=CFG).score(EX, TRACES)
    assert result.invalid is None and not result.transient
    assert result.scores[2] == 0.0 and result.scores[0] == 1.0 and result.extra["empty_reconstructions"] == [2]
    assert json.loads(judge.history[0].json_schema)["required"] == ["A", "B"]   # the judge grades the others


def test_an_empty_reconstruction_gets_the_embedding_scorers_lowest_score():
    recon = FakeBackend(responder=lambda r: "   " if "she is tired" in r.messages[-1].content else EX.action)
    result = build_scorer("embedding", reconstructor=recon, cfg=CFG, embedder=HashEmbedder()).score(EX, TRACES)
    assert result.scores[2] == -1.0 and result.extra["empty_reconstructions"] == [2] and result.invalid is None


def test_the_listwise_judge_prompt_shows_placeholders_not_grades():
    from recon.method.listwise_judge import judge_request
    req, _ = judge_request(EX, ["one", "two", "three"], CFG)
    prompt = req.messages[-1].content
    assert not re.search(r'"[A-Z]"\s*:\s*\d', prompt)                  # no example grade to anchor on
    assert all(f'"{label}"' in prompt for label in "ABC")


def test_the_listwise_judge_takes_its_retry_temperature_and_clip_from_its_config():
    judge = FakeBackend(responder=lambda r: "no grades here")
    cfg = ReconstructionConfig(judge=ListwiseJudgeConfig(retries=1, retry_temperature=0.3, max_text_chars=60,
                                                         max_tokens=20))
    long_recon = FakeBackend(responder=lambda r: "word " * 100)
    build_scorer("judge", reconstructor=long_recon, judge=judge, cfg=cfg).score(EX, TRACES)
    assert [r.temperature for r in judge.history] == [0.0, 0.3] and {r.max_tokens for r in judge.history} == {20}
    shown = re.findall(r'^[A-Z]: "(.*)"$', judge.history[0].messages[-1].content, flags=re.M)
    assert len(shown) == 3 and all(len(text) <= 60 for text in shown)


def test_the_pairwise_judge_retries_at_its_configured_temperature():
    from recon.config import PairJudgeConfig
    from recon.evaluation.judge import LMPairJudge
    judge = FakeBackend(responder=lambda r: "hmm")
    j = LMPairJudge(judge, PairJudgeConfig(kind="lm", retries=2, retry_temperature=0.4)).judge(EX, "yes", "no")
    assert j.p_a is None and [r.temperature for r in judge.history] == [0.0, 0.4, 0.4]
