"""Reconstruction scorers, one interface, used by Recon-Select and by the Recon-GRPO reward (method/rewards.py).

Each scorer takes one pair (the example) and its candidate traces and returns a score per trace
(higher = the trace lets the reconstruction model recover the action better), the reconstructions it
generated (judge, embedding), and `invalid` when no trustworthy score exists for the pair.

Nothing silently changes N: a failed reconstruction, scoring or judge *call* (a backend error) makes the
whole pair `invalid` and `transient` (nothing is graded among the N − 1 that came back; a re-run retries it),
while an *empty* reconstruction is an outcome (cached): that trace gets the scorer's lowest score and is
listed in `extra["empty_reconstructions"]`. A blank trace gets no score (selection flags it).

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
from dataclasses import dataclass, field, replace
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
    transient: bool = False                    # invalid because a call failed: not an outcome, retry the pair


def backend_failure(n: int, exc: BackendError, what: str = "", **kw) -> PairScores:
    """A pair whose call failed: no scores at all (never N − 1 of them), retried on the next run."""
    return PairScores([None] * n, kw.pop("reconstructions", [None] * n), invalid=f"backend error: {what}{exc}",
                      transient=True, **kw)


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
            return backend_failure(len(traces), exc)
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
                ) -> tuple[list[str | None], BackendError | None]:
    """One greedy reconstruction per non-blank trace: (texts, the error if any call failed). A blank trace or a
    failed call gives None; an empty reconstruction gives ""."""
    present = [i for i, t in enumerate(traces) if t.strip()]
    error = None
    try:
        gens = backend.generate([reconstruction_gen_request(example, traces[i], cfg) for i in present])
    except BackendError as exc:
        gens = exc.partial if exc.partial and len(exc.partial) == len(present) else [None] * len(present)
        error = exc
    out: list[str | None] = [None] * len(traces)
    for i, g in zip(present, gens, strict=True):
        out[i] = g.text.strip() if g is not None else None
    return out, error


class ReconstructingScorer(Scorer):
    """Scorers that first reconstruct an action per trace (judge, embedding); `lowest` is their lowest score,
    given to an empty reconstruction."""

    lowest: float

    def __init__(self, reconstructor: Backend, cfg: ReconstructionConfig):
        self.reconstructor, self.cfg = reconstructor, cfg

    @abc.abstractmethod
    def grade(self, example: Example, reconstructions: list[str]) -> PairScores:
        """Scores for non-empty reconstructions (all of them, in order), or an invalid PairScores."""

    def score(self, example: Example, traces: list[str]) -> PairScores:
        recon, error = reconstruct(self.reconstructor, example, traces, self.cfg)
        if error is not None:
            return backend_failure(len(traces), error, reconstructions=recon)
        written = [i for i, t in enumerate(traces) if t.strip()]
        if not written:
            return PairScores([None] * len(traces), recon, invalid="every trace is empty")
        present = [i for i in written if recon[i]]
        empty = [i for i in written if not recon[i]]
        scores: list[float | None] = [None] * len(traces)
        extra: dict[str, Any] = {"empty_reconstructions": empty} if empty else {}
        if present:
            graded = self.grade(example, [recon[i] for i in present])
            if graded.invalid is not None:
                return replace(graded, scores=[None] * len(traces), reconstructions=recon,
                               extra={**extra, **graded.extra})
            for i, s in zip(present, graded.scores, strict=True):
                scores[i] = s
            extra |= graded.extra
        for i in empty:
            scores[i] = self.lowest
        return PairScores(scores, recon, extra=extra)


class JudgeScorer(ReconstructingScorer):
    name = "judge"
    lowest = 0.0                                   # grade 1

    def __init__(self, reconstructor: Backend, judge: Backend, cfg: ReconstructionConfig):
        super().__init__(reconstructor, cfg)
        self.judge = judge

    def grade(self, example: Example, reconstructions: list[str]) -> PairScores:
        n, problems = len(reconstructions), []
        for attempt in range(self.cfg.judge_retries + 1):
            req, order = judge_request(example, reconstructions, self.cfg, attempt)
            try:
                [gen] = self.judge.generate([req])
            except BackendError as exc:
                # a failed call is not a bad answer: no sampled retry (attempt 0 stays greedy); re-run later
                return backend_failure(n, exc, "judge call failed: ", extra={"judge_attempts": attempt + 1})
            try:
                grades = grades_in_input_order(parse_grades(gen.text, list(LABELS[:n])), order)
            except JudgeParseError as exc:
                problems.append(str(exc))
                continue
            return PairScores([(g - 1.0) / 9.0 for g in grades], [None] * n,
                              extra={"judge_attempts": attempt + 1, "grades": grades})
        return PairScores([None] * n, [None] * n,
                          invalid=f"judge output unusable after {len(problems)} attempts: {problems[-1]}",
                          extra={"judge_attempts": len(problems)})


class EmbeddingScorer(ReconstructingScorer):
    name = "embedding"
    lowest = -1.0                                  # the lowest cosine

    def __init__(self, reconstructor: Backend, embedder, cfg: ReconstructionConfig):
        super().__init__(reconstructor, cfg)
        self.embedder = embedder

    def grade(self, example: Example, reconstructions: list[str]) -> PairScores:
        sims = self.embedder.cosine(reconstructions, [example.action] * len(reconstructions))
        return PairScores([float(s) for s in sims], [None] * len(reconstructions))


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
