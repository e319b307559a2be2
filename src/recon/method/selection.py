"""Recon-Select: N backward candidates per pair, each scored by reconstruction, the best honest one kept.

Selection rule (policy `reject`, the default): among candidates with a score that do not leak, the highest
score wins; if every scored candidate leaks, the least leaking one (lowest overlap, then lowest LCS fraction)
is kept and the pair is flagged `all_leaking`. Policy `penalize` ranks all scored candidates by
score − λ·overlap. Ties for the top place — under every scorer, and in the all-leaking fallback — are broken
by a content hash of the candidates' text, seeded by the synthesis seed (never by `sample_index`, which
would hand every tie to candidate 0, the backward trace) and flagged `tie`. A pair without any score is
`invalid`: kept, never scored. `select_window` selects for a window of pairs: every pair's candidates in
one backend call, then one scoring of the window (method/windows.py), with the selections of one pair at a
time.

    >>> from recon.method.leakage import Leakage
    >>> ok, leak = Leakage(2, 0.0, 0.1, False), Leakage(12, 0.5, 0.5, True)
    >>> cands = [Candidate(0, "a", leak, 0.9), Candidate(1, "b", ok, 0.2), Candidate(2, "c", ok, 0.3)]
    >>> choose(cands, LeakageConfig())
    (2, [])
    >>> choose([Candidate(0, "a", ok, 0.2), Candidate(1, "b", ok, 0.2)], LeakageConfig())[1]
    ['tie']
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from recon.backends.base import Backend, filled
from recon.config import LeakageConfig, ReconSelectConfig, SynthesisConfig
from recon.hashing import content_hash
from recon.method.leakage import Leakage, measure_leakage
from recon.method.scoring import PairScores, Scorer
from recon.method.synthesis import synthesis_request
from recon.method.windows import call_window, narrowed
from recon.types import Example


@dataclass(frozen=True)
class Candidate:
    sample_index: int
    reasoning: str
    leakage: Leakage
    score: float | None
    reconstruction: str | None = None
    adjusted: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    flags: tuple[str, ...] = ()          # "empty": the synthesizer wrote nothing; "failed": its call failed

    def to_json(self) -> dict:
        return {"sample_index": self.sample_index, "reasoning": self.reasoning, "reconstruction": self.reconstruction,
                "score": self.score, "adjusted_score": self.adjusted, "leakage": self.leakage.to_json(),
                "flags": list(self.flags)}


def tie_break(tied: list[Candidate], seed: int) -> Candidate:
    """One of equally ranked candidates, chosen by a seeded hash of their text (then sample_index)."""
    return min(tied, key=lambda c: (content_hash([seed, c.reasoning], tag="select-tie"), c.sample_index))


def best_of(candidates: list[Candidate], key, seed: int) -> tuple[Candidate, bool]:
    """The candidate with the highest key, ties broken by content; and whether the top was shared."""
    top = max(key(c) for c in candidates)
    tied = [c for c in candidates if key(c) == top]
    return tie_break(tied, seed), len(tied) > 1


def choose(candidates: list[Candidate], cfg: LeakageConfig, *, seed: int = 0) -> tuple[int | None, list[str]]:
    """(sample_index of the kept candidate or None, flags: `all_leaking`, `tie`, or `invalid`)."""
    scored = [c for c in candidates if c.score is not None]
    if not scored:
        return None, ["invalid"]
    flags = []
    if cfg.policy == "penalize":
        best, tie = best_of(scored, lambda c: c.score - cfg.penalty * c.leakage.overlap, seed)
        flags = ["all_leaking"] if all(c.leakage.leaking for c in scored) else []
    elif honest := [c for c in scored if not c.leakage.leaking]:
        best, tie = best_of(honest, lambda c: c.score, seed)
    else:
        best, tie = best_of(scored, lambda c: (-c.leakage.overlap, -c.leakage.lcs_fraction), seed)
        flags = ["all_leaking"]
    return best.sample_index, flags + (["tie"] if tie else [])


def candidate_requests(example: Example, cfg: ReconSelectConfig, synthesis: SynthesisConfig | None = None):
    """The N backward requests, sample_index 0..N-1, with the synthesis settings: request 0 *is* the backward
    trace's request (one cache entry), so backward vs Recon-Select isolates selection."""
    backward = (synthesis or SynthesisConfig()).model_copy(update={"method": "backward"})
    return synthesis_request(example, backward).samples(cfg.n)


@dataclass
class Selection:
    example_id: str
    candidates: list[Candidate]
    selected: int | None
    flags: list[str]
    invalid: str | None
    prompt_hash: str
    extra: dict
    transient: bool = False              # invalid because a call failed: re-running retries the pair

    @property
    def chosen(self) -> Candidate | None:
        return next((c for c in self.candidates if c.sample_index == self.selected), None)


def candidates_of(example: Example, requests, gens: list, cfg: LeakageConfig, max_action_chars: int
                  ) -> list[Candidate]:
    """All N candidates, in sample order: an empty one keeps its place (flag `empty`), and so does one whose
    call failed (flag `failed`)."""
    out = []
    for r, g in zip(requests, gens, strict=True):
        text = g.text.strip() if g is not None else ""
        out.append(Candidate(sample_index=r.sample_index, reasoning=text,
                             leakage=measure_leakage(text, example.action, cfg, max_action_chars=max_action_chars),
                             score=None, prompt_tokens=g.prompt_tokens if g else 0,
                             completion_tokens=g.completion_tokens if g else 0,
                             flags=("failed",) if g is None else () if text else ("empty",)))
    return out


def select_window(examples: list[Example], synthesizer: Backend, scorer: Scorer, cfg: ReconSelectConfig,
                  synthesis: SynthesisConfig | None = None) -> list[Selection]:
    """Recon-Select on a window of pairs: every pair's N candidates in one call, then one scoring of all the
    pairs that have candidates (method/windows.py); the same selections as one pair at a time."""
    synthesis = synthesis or SynthesisConfig()
    requests = [candidate_requests(ex, cfg, synthesis) for ex in examples]
    gens, errors = call_window(synthesizer, "generate", requests)
    out: list[Selection | None] = [None] * len(examples)
    to_score: list[tuple[int, list[Candidate]]] = []
    for k, (ex, reqs, pair_gens, error) in enumerate(zip(examples, requests, gens, errors, strict=True)):
        candidates = candidates_of(ex, reqs, pair_gens, cfg.leakage, synthesis.max_action_chars)
        prompt_hash = reqs[0].prompt_hash()
        if error is not None:                # never select among the candidates that happened to come back
            out[k] = Selection(ex.id, candidates, None, ["invalid"], f"backend error: {error}", prompt_hash, {},
                               transient=True)
        elif all("empty" in c.flags for c in candidates):
            out[k] = Selection(ex.id, candidates, None, ["invalid"], "every candidate is empty", prompt_hash, {})
        else:
            to_score.append((k, candidates))
    with narrowed(scorer.backends, [k for k, _ in to_score]):
        scored = scorer.score_window([(examples[k], [c.reasoning for c in cands]) for k, cands in to_score]) \
            if to_score else []
    for (k, candidates), result in zip(to_score, scored, strict=True):
        out[k] = selection_of(examples[k], candidates, result, requests[k][0].prompt_hash(), cfg, synthesis)
    return filled(out)


def selection_of(example: Example, candidates: list[Candidate], result: PairScores, prompt_hash: str,
                 cfg: ReconSelectConfig, synthesis: SynthesisConfig) -> Selection:
    """The kept candidate of a pair, given its scores."""
    penalize = cfg.leakage.policy == "penalize"
    candidates = [replace(c, score=s, reconstruction=r,
                          adjusted=s - cfg.leakage.penalty * c.leakage.overlap if (penalize and s is not None)
                          else None)
                  for c, s, r in zip(candidates, result.scores, result.reconstructions, strict=True)]
    if result.transient:
        return Selection(example.id, candidates, None, ["invalid"], result.invalid, prompt_hash, result.extra,
                         transient=True)
    selected, flags = choose(candidates, cfg.leakage, seed=synthesis.seed)
    invalid = result.invalid or ("no candidate could be scored" if selected is None else None)
    return Selection(example.id, candidates, selected, flags, invalid, prompt_hash, result.extra)


def select_pair(example: Example, synthesizer: Backend, scorer: Scorer, cfg: ReconSelectConfig,
                synthesis: SynthesisConfig | None = None) -> Selection:
    """`select_window` for one pair."""
    return select_window([example], synthesizer, scorer, cfg, synthesis)[0]
