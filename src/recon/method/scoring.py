"""Reconstruction scorers, one interface, used by Recon-Select now and GRPO rewards later.

Each scorer takes one pair (the example) and its candidate traces and returns a score per trace
(higher = the trace lets the reconstruction model recover the action better), the reconstructions it
generated (judge, embedding), and `invalid` when no trustworthy score exists for the pair.

- `likelihood`: [log p(action | context, trace) − log p(action | context)] / action tokens, teacher-forced
  under the reconstruction model; the no-trace baseline is computed once per pair. N+1 scoring passes that
  share the context prefix; no generation.
- `judge`: the reconstruction model writes an action from (context, trace) for each trace, then one
  listwise judge call grades all N against the true action; grade g ∈ 1..10 → score (g − 1) / 9. N+1
  calls (2N+1 per pair with the N candidates, as in the paper).
- `embedding`: reconstruct as for `judge`, then cosine(MiniLM(reconstruction), MiniLM(action)). N calls.

    >>> from recon.backends.fake import FakeBackend
    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because it matters.")
    >>> lp = {None: -6.0, "good": -3.0, "bad": -7.5}
    >>> fake = FakeBackend(scorer=lambda r: lp["good" if "good" in str(r.messages) else
    ...                                         "bad" if "bad" in str(r.messages) else None])
    >>> LikelihoodScorer(fake, ReconstructionConfig()).score(ex, ["good", "bad"]).scores
    [1.0, -0.5]
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

from recon.backends.base import Backend
from recon.config import ReconstructionConfig
from recon.errors import BackendError, ConfigError, JudgeParseError
from recon.method.listwise_judge import LABELS, grades_in_input_order, judge_request, parse_grades
from recon.method.reconstruction import reconstruction_gen_request, reconstruction_score_request
from recon.types import Example


@dataclass
class PairScores:
    scores: list[float | None]
    reconstructions: list[str | None]
    invalid: str | None = None                 # why no trace of this pair could be scored
    extra: dict[str, Any] = field(default_factory=dict)


class Scorer(abc.ABC):
    name: str

    @abc.abstractmethod
    def score(self, example: Example, traces: list[str]) -> PairScores: ...


class LikelihoodScorer(Scorer):
    name = "likelihood"

    def __init__(self, reconstructor: Backend, cfg: ReconstructionConfig):
        self.reconstructor, self.cfg = reconstructor, cfg

    def score(self, example: Example, traces: list[str]) -> PairScores:
        present = [i for i, t in enumerate(traces) if t.strip()]       # a blank trace is not "no trace"
        # baseline first, then the traces: one batch whose prompts share the context prefix, in order
        requests = [reconstruction_score_request(example, None, self.cfg)]
        requests += [reconstruction_score_request(example, traces[i], self.cfg) for i in present]
        try:
            baseline, *with_trace = self.reconstructor.logprob(requests)
        except BackendError as exc:
            return PairScores([None] * len(traces), [None] * len(traces), invalid=f"backend error: {exc}")
        scores: list[float | None] = [None] * len(traces)
        logprobs: list[float | None] = [None] * len(traces)
        for i, s in zip(present, with_trace, strict=True):
            scores[i] = (s.logprob - baseline.logprob) / s.n_tokens
            logprobs[i] = s.logprob
        return PairScores(scores, [None] * len(traces),
                          invalid=None if present else "every trace is empty",
                          extra={"baseline_logprob": baseline.logprob, "action_tokens": baseline.n_tokens,
                                 "logprobs": logprobs})


def reconstruct(backend: Backend, example: Example, traces: list[str], cfg: ReconstructionConfig
                ) -> list[str | None]:
    """One greedy reconstruction per non-blank trace; a failed, empty or blank-trace one is None."""
    present = [i for i, t in enumerate(traces) if t.strip()]
    try:
        gens = backend.generate([reconstruction_gen_request(example, traces[i], cfg) for i in present])
    except BackendError as exc:
        gens = exc.partial if exc.partial and len(exc.partial) == len(present) else [None] * len(present)
    out: list[str | None] = [None] * len(traces)
    for i, g in zip(present, gens, strict=True):
        out[i] = (g.text.strip() or None) if g is not None else None
    return out


class JudgeScorer(Scorer):
    name = "judge"

    def __init__(self, reconstructor: Backend, judge: Backend, cfg: ReconstructionConfig):
        self.reconstructor, self.judge, self.cfg = reconstructor, judge, cfg

    def score(self, example: Example, traces: list[str]) -> PairScores:
        recon = reconstruct(self.reconstructor, example, traces, self.cfg)
        present = [i for i, r in enumerate(recon) if r is not None]
        if not present:
            return PairScores([None] * len(traces), recon, invalid="no reconstruction")
        texts = [recon[i] for i in present]
        problems = []
        for attempt in range(self.cfg.judge_retries + 1):
            req, order = judge_request(example, texts, self.cfg, attempt)
            try:
                [gen] = self.judge.generate([req])
            except BackendError as exc:
                # a failed call is not a bad answer: no sampled retry (attempt 0 stays greedy); re-run later
                return PairScores([None] * len(traces), recon, invalid=f"judge call failed: {exc}",
                                  extra={"judge_attempts": attempt + 1})
            try:
                grades = grades_in_input_order(parse_grades(gen.text, list(LABELS[:len(texts)])), order)
            except JudgeParseError as exc:
                problems.append(str(exc))
                continue
            scores: list[float | None] = [None] * len(traces)
            for i, g in zip(present, grades, strict=True):
                scores[i] = (g - 1.0) / 9.0
            return PairScores(scores, recon, extra={"judge_attempts": attempt + 1, "grades": grades})
        return PairScores([None] * len(traces), recon,
                          invalid=f"judge output unusable after {len(problems)} attempts: {problems[-1]}",
                          extra={"judge_attempts": len(problems)})


class EmbeddingScorer(Scorer):
    name = "embedding"

    def __init__(self, reconstructor: Backend, embedder, cfg: ReconstructionConfig):
        self.reconstructor, self.embedder, self.cfg = reconstructor, embedder, cfg

    def score(self, example: Example, traces: list[str]) -> PairScores:
        recon = reconstruct(self.reconstructor, example, traces, self.cfg)
        present = [i for i, r in enumerate(recon) if r is not None]
        if not present:
            return PairScores([None] * len(traces), recon, invalid="no reconstruction")
        sims = self.embedder.cosine([recon[i] for i in present], [example.action] * len(present))
        scores: list[float | None] = [None] * len(traces)
        for i, s in zip(present, sims, strict=True):
            scores[i] = float(s)
        return PairScores(scores, recon)


SCORERS = ("likelihood", "judge", "embedding")


def build_scorer(name: str, *, reconstructor: Backend, cfg: ReconstructionConfig, judge: Backend | None = None,
                 embedder=None) -> Scorer:
    if name == "likelihood":
        return LikelihoodScorer(reconstructor, cfg)
    if name == "judge":
        if judge is None:
            raise ConfigError("the judge scorer needs a judge backend (--judge SPEC)")
        return JudgeScorer(reconstructor, judge, cfg)
    if name == "embedding":
        if embedder is None:
            from recon.method.embeddings import Embedder
            embedder = Embedder()
        return EmbeddingScorer(reconstructor, embedder, cfg)
    raise ConfigError(f"unknown scorer {name!r}: use one of {', '.join(SCORERS)}")
