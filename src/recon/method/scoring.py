"""Reconstruction scorers, one interface, used by Recon-Select, `recon score` and the Recon-GRPO reward.

Each scorer takes a window of pairs (each example with its candidate traces; method/windows.py) and returns
for each pair a score per trace
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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from recon.backends.base import Backend, filled
from recon.config import BackendConfig, ReconstructionConfig
from recon.errors import BackendError, ConfigError
from recon.method.listwise_judge import judge_window
from recon.method.reconstruction import reconstruction_gen_request, reconstruction_score_request
from recon.method.windows import call_window, narrowed
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
    """`score_window` scores a window of pairs, each with its traces, in one backend call per phase (retries as
    rounds over the window); `score` is the window of one pair."""

    name: str

    @property
    def backends(self) -> list[Backend]:
        """The backends it calls (a phase on part of a window charges them through `narrowed`)."""
        return [b for b in (getattr(self, "reconstructor", None), getattr(self, "judge", None)) if b is not None]

    @abc.abstractmethod
    def score_window(self, items: list[tuple[Example, list[str]]]) -> list[PairScores]: ...

    def score(self, example: Example, traces: list[str]) -> PairScores:
        return self.score_window([(example, traces)])[0]


class LikelihoodScorer(Scorer):
    name = "likelihood"

    def __init__(self, reconstructor: Backend, cfg: ReconstructionConfig):
        self.reconstructor, self.cfg = reconstructor, cfg

    def score_window(self, items: list[tuple[Example, list[str]]]) -> list[PairScores]:
        presents = [[i for i, t in enumerate(traces) if t.strip()] for _, traces in items]  # blank is not "no trace"
        # per pair the baseline first, then its traces: requests that share the context prefix, in order
        groups = [[reconstruction_score_request(ex, None, self.cfg)]
                  + [reconstruction_score_request(ex, traces[i], self.cfg) for i in present]
                  for (ex, traces), present in zip(items, presents, strict=True)]
        results, errors = call_window(self.reconstructor, "logprob", groups)
        return [likelihood_scores(len(traces), present, scores, error)
                for (_, traces), present, scores, error in zip(items, presents, results, errors, strict=True)]


def likelihood_scores(n: int, present: list[int], results: list, error: BackendError | None) -> PairScores:
    if error is not None:
        return backend_failure(n, error)
    baseline, *with_trace = results
    scores: list[float | None] = [None] * n
    logprobs: list[float | None] = [None] * n
    for i, s in zip(present, with_trace, strict=True):
        scores[i] = (s.logprob - baseline.logprob) / s.n_tokens
        logprobs[i] = s.logprob
    return PairScores(scores, [None] * n, invalid=None if present else "every trace is empty",
                      extra={"baseline_logprob": baseline.logprob, "action_tokens": baseline.n_tokens,
                             "logprobs": logprobs})


def reconstruct_window(backend: Backend, items: list[tuple[Example, list[str]]], cfg: ReconstructionConfig
                       ) -> list[tuple[list[str | None], BackendError | None]]:
    """One greedy reconstruction per non-blank trace of every pair: (texts, the error if a call of the pair
    failed). A blank trace or a failed call gives None; an empty reconstruction gives ""."""
    presents = [[i for i, t in enumerate(traces) if t.strip()] for _, traces in items]
    groups = [[reconstruction_gen_request(ex, traces[i], cfg) for i in present]
              for (ex, traces), present in zip(items, presents, strict=True)]
    results, errors = call_window(backend, "generate", groups)
    out = []
    for (_, traces), present, gens, error in zip(items, presents, results, errors, strict=True):
        texts: list[str | None] = [None] * len(traces)
        for i, g in zip(present, gens, strict=True):
            texts[i] = g.text.strip() if g is not None else None
        out.append((texts, error))
    return out


def reconstruct(backend: Backend, example: Example, traces: list[str], cfg: ReconstructionConfig
                ) -> tuple[list[str | None], BackendError | None]:
    """`reconstruct_window` for one pair."""
    return reconstruct_window(backend, [(example, traces)], cfg)[0]


class ReconstructingScorer(Scorer):
    """Scorers that first reconstruct an action per trace (judge, embedding); `lowest` is their lowest score,
    given to an empty reconstruction."""

    lowest: float

    def __init__(self, reconstructor: Backend, cfg: ReconstructionConfig):
        self.reconstructor, self.cfg = reconstructor, cfg

    @abc.abstractmethod
    def grade_window(self, items: list[tuple[Example, list[str]]]) -> list[PairScores]:
        """Scores for the non-empty reconstructions of each pair (all of them, in order), or an invalid PairScores."""

    def score_window(self, items: list[tuple[Example, list[str]]]) -> list[PairScores]:
        out: list[PairScores | None] = [None] * len(items)
        graded: list[tuple[int, list[int], list[int], list[str | None]]] = []
        for k, ((_, traces), (recon, error)) in enumerate(
                zip(items, reconstruct_window(self.reconstructor, items, self.cfg), strict=True)):
            written = [i for i, t in enumerate(traces) if t.strip()]
            if error is not None:
                out[k] = backend_failure(len(traces), error, reconstructions=recon)
            elif not written:
                out[k] = PairScores([None] * len(traces), recon, invalid="every trace is empty")
            else:
                graded.append((k, [i for i in written if recon[i]], [i for i in written if not recon[i]], recon))
        asked = [(k, present, recon) for k, present, _, recon in graded if present]
        texts = [(items[k][0], filled([recon[i] for i in present])) for k, present, recon in asked]
        with narrowed(self.backends, [k for k, _, _ in asked]):
            grades = dict(zip([k for k, _, _ in asked], self.grade_window(texts) if texts else [], strict=True))
        for k, present, empty, recon in graded:
            out[k] = merged_scores(len(items[k][1]), present, empty, recon, grades.get(k), self.lowest)
        return filled(out)


def merged_scores(n: int, present: list[int], empty: list[int], recon: list[str | None], graded: PairScores | None,
                  lowest: float) -> PairScores:
    """A pair's scores: its graded reconstructions, and the lowest score for each empty one."""
    scores: list[float | None] = [None] * n
    extra: dict[str, Any] = {"empty_reconstructions": empty} if empty else {}
    if graded is not None:
        if graded.invalid is not None:
            return replace(graded, scores=[None] * n, reconstructions=recon, extra={**extra, **graded.extra})
        for i, s in zip(present, graded.scores, strict=True):
            scores[i] = s
        extra |= graded.extra
    for i in empty:
        scores[i] = lowest
    return PairScores(scores, recon, extra=extra)


class JudgeScorer(ReconstructingScorer):
    name = "judge"
    lowest = 0.0                                   # grade 1

    def __init__(self, reconstructor: Backend, judge: Backend, cfg: ReconstructionConfig):
        super().__init__(reconstructor, cfg)
        self.judge = judge

    def grade_window(self, items: list[tuple[Example, list[str]]]) -> list[PairScores]:
        out = []
        for (_, texts), g in zip(items, judge_window(self.judge, items, self.cfg), strict=True):
            n, extra = len(texts), {"judge_attempts": g.attempts}
            if g.error is not None:
                # a failed call is not a bad answer: no sampled retry (attempt 0 stays greedy); re-run later
                out.append(backend_failure(n, g.error, "judge call failed: ", extra=extra))
            elif g.grades is None:
                out.append(PairScores([None] * n, [None] * n, invalid=g.invalid, extra=extra))
            else:
                out.append(PairScores([(x - 1.0) / 9.0 for x in g.grades], [None] * n,
                                      extra=extra | {"grades": g.grades}))
        return out


class EmbeddingScorer(ReconstructingScorer):
    name = "embedding"
    lowest = -1.0                                  # the lowest cosine

    def __init__(self, reconstructor: Backend, embedder, cfg: ReconstructionConfig):
        super().__init__(reconstructor, cfg)
        self.embedder = embedder

    def grade_window(self, items: list[tuple[Example, list[str]]]) -> list[PairScores]:
        out = []
        for example, texts in items:              # per pair, as MiniLM batches them (same numbers on any window)
            sims = self.embedder.cosine(texts, [example.action] * len(texts))
            out.append(PairScores([float(s) for s in sims], [None] * len(texts)))
        return out


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


BackendOpener = Callable[[BackendConfig, str], Backend]     # (config, part of the stage) → a cached backend


def open_scorer(name: str, *, reconstructor: BackendConfig, judge: BackendConfig | None, cfg: ReconstructionConfig,
                open_backend: BackendOpener, embedder=None) -> Scorer:
    """The one way to open a scorer: the judge defaults to the reconstructor, and a likelihood scorer's backend
    must pass the log-prob preflight before any paid work. `open_backend(config, part)` opens each backend
    (part: "reconstruct" or "judge").

    >>> from recon.backends.fake import FakeBackend
    >>> opened = []
    >>> s = open_scorer("judge", reconstructor=BackendConfig(spec="fake"), judge=None, cfg=ReconstructionConfig(),
    ...                 open_backend=lambda c, part: opened.append((c.spec, part)) or FakeBackend())
    >>> s.name, opened
    ('judge', [('fake', 'reconstruct'), ('fake', 'judge')])
    """
    if name not in SCORERS:
        raise ConfigError(f"unknown scorer {name!r}: use one of {', '.join(SCORERS)}")
    recon = open_backend(reconstructor, "reconstruct")
    judge_backend = open_backend(judge or reconstructor, "judge") if name == "judge" else None
    if name == "likelihood":
        recon.preflight("logprob")          # a backend that cannot score stops the run before anything is paid
    return build_scorer(name, reconstructor=recon, cfg=cfg, judge=judge_backend, embedder=embedder)
