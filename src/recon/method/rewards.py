"""GRPO rewards with TRL's reward signature, built on the same scoring code as Recon-Select.

Both are picklable callable classes: `reward(prompts, completions, **columns) -> list[float | None]`.
Every dataset column arrives as a keyword argument; ours carry the pair as JSON in `example`. A group of
`num_generations` completions of one prompt is scored together (one baseline, one listwise judge call), and
the groups of a batch are one window (method/windows.py): one backend call per phase for all of them.

Two outcomes are kept apart. A completion whose scoring *call* failed (a backend error) gets `None`: TRL
gives it advantage 0 and leaves it out of the group baseline, which is right for infrastructure noise. An
*empty* completion (whitespace only; for `e2e`, no action) is a result: it gets min(scored rewards of its
group) − a margin (`penalty_margin`), or −2 when nothing in the group scored, so writing nothing always costs
something. Both are
logged per step (`failed_rate`, `empty_rate`).

- `ReconReward`: the policy writes a trace from the backward prompt; reward = the reconstruction score of
  the trace (likelihood by default; judge or embedding) minus λ·overlap with the action, and a *leaking*
  trace always scores below every honest trace of its group (reward = min(honest rewards) −
  margin·(1 + overlap), the margin a fifth of the honest range), so quoting the action can never pay.
- `E2EReward`: the policy is the user model; it writes `<reasoning>…</reasoning>` then an action from the
  context alone; reward = MiniLM cosine of its action to the true action (or a listwise judge's grade),
  nothing about the reasoning. A completion without an action counts as empty.

    >>> import pickle
    >>> r = ReconReward(BackendConfig(spec="fake"))
    >>> pickle.loads(pickle.dumps(r)).scorer_name
    'likelihood'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from recon.config import BackendConfig, LeakageConfig, ReconstructionConfig, SynthesisConfig
from recon.method.leakage import measure_leakage
from recon.types import Example, Turn

if TYPE_CHECKING:
    from recon.backends.base import Backend
    from recon.store.backend_source import BackendSource


def completion_text(completion: Any) -> str:
    """TRL passes conversational completions as [{"role": "assistant", "content": …}], standard ones as str."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content") or "")
    return str(completion)


def example_from_json(text: str | dict) -> Example:
    d = json.loads(text) if isinstance(text, str) else text
    return Example(id=d["id"], domain=d["domain"], individual=d["individual"], conversation_id=d["conversation_id"],
                   turn_index=d["turn_index"], context=tuple(Turn(t["speaker"], t["text"]) for t in d["context"]),
                   action=d["action"], meta=d.get("meta") or {})


def groups(examples: Sequence[str]) -> list[list[int]]:
    """Indices of consecutive completions that share a pair (TRL repeats each prompt num_generations times)."""
    out: list[list[int]] = []
    for i, ex in enumerate(examples):
        if out and examples[out[-1][0]] == ex:
            out[-1].append(i)
        else:
            out.append([i])
    return out


class _LazyBackends:
    """Backends are built on first use, from `source` (store/backend_source.py: the database, run and
    backend factory of `recon run`, or the default database), and dropped when pickled (TRL may copy reward
    functions)."""

    source: BackendSource | None
    _built: dict[BackendConfig, Backend] | None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_built"] = None
        embedder = state.get("embedder")
        if embedder is not None and not getattr(embedder, "picklable", False):
            state["embedder"] = None                 # MiniLM is rebuilt on first use
        return state

    def _backend(self, config: BackendConfig, part: str):
        if self._built is None:
            self._built = {}
        if config not in self._built:
            if self.source is None:
                from recon.store.backend_source import BackendSource
                self.source = BackendSource()
            self._built[config] = self.source.cached(config, part)
        return self._built[config]


MARGIN_SHARE = 0.2          # a penalised completion sits this share of the honest range below the honest minimum
MIN_MARGIN = 1e-3           # ... at least this far, so it stays strictly below
UNIT_MARGIN = 1.0           # ... or this far when the honest rewards have no spread (fewer than two, or all equal)
EMPTY_ALONE = -2.0          # an empty completion's reward when nothing in its group scored


def penalty_margin(honest: list[float]) -> float:
    """How far below the honest minimum a penalty puts a completion: a fifth of the honest range (two fifths
    at full overlap), so penalised completions do not drag the group's mean below its weaker honest ones and
    so push those up.

    >>> penalty_margin([0.7, -0.3]), penalty_margin([0.2]), penalty_margin([])
    (0.2, 1.0, 1.0)
    """
    spread = max(honest) - min(honest) if len(honest) > 1 else 0.0
    return max(MARGIN_SHARE * spread, MIN_MARGIN) if spread > 0 else UNIT_MARGIN


def with_empty_floor(rewards: list[float | None], empty: list[bool],
                     margin: float | None = None) -> list[float | None]:
    """Empty completions get min(scored rewards of the group) − margin (by default the scored rewards'
    `penalty_margin`; −2 if none scored); the rest are kept.

    >>> with_empty_floor([0.5, None, -0.25, None], [False, True, False, False])
    [0.5, -0.4, -0.25, None]
    """
    scored = [r for r, e in zip(rewards, empty, strict=True) if r is not None and not e]
    margin = penalty_margin(scored) if margin is None else margin
    floor = min(scored) - margin if scored else EMPTY_ALONE
    return [floor if e else r for r, e in zip(rewards, empty, strict=True)]


def no_signal_share(groups: list[list[float | None]]) -> float:
    """The share of groups that cannot teach anything: fewer than two distinct rewards among those that exist
    (all equal, or none at all — TRL's own zero-std count misses the latter, whose std is NaN).

    >>> no_signal_share([[None, None], [0.1, 0.4]])
    0.5
    """
    flat = [len({r for r in g if r is not None}) < 2 for g in groups]
    return sum(flat) / len(flat) if flat else 0.0


def log_rates(kwargs: dict, **rates: float) -> None:
    """Report per-batch rates through TRL's `log_metric` hook (averaged into each step's log)."""
    log_metric = kwargs.get("log_metric")
    if callable(log_metric):
        for name, value in rates.items():
            log_metric(name, value)


def leak_adjusted(scores: list[float | None], leaks: list, penalty: float) -> list[float | None]:
    """score − λ·overlap; a leaking trace gets min(honest rewards of the group) − margin·(1 + overlap), with the
    honest rewards' `penalty_margin`: below every honest trace, without swamping their spread.

    >>> from recon.method.leakage import Leakage
    >>> leak_adjusted([0.7, 0.9, -0.3], [Leakage(1, 0, 0, False), Leakage(9, 1, 1, True), Leakage(1, 0, 0, False)], 1.0)
    [0.7, -0.7, -0.3]
    """
    adjusted = [None if s is None else s - penalty * lk.overlap for s, lk in zip(scores, leaks, strict=True)]
    honest = [a for a, lk in zip(adjusted, leaks, strict=True) if a is not None and not lk.leaking]
    margin = penalty_margin(honest)
    out = []
    for a, lk in zip(adjusted, leaks, strict=True):
        if a is None or not lk.leaking:
            out.append(a)
        else:
            floor = min(honest) if honest else a
            out.append(min(a, floor) - margin * (1.0 + lk.overlap))
    return out


class ReconReward(_LazyBackends):
    __name__ = "recon_reward"

    def __init__(self, reconstructor: BackendConfig, *, scorer: str = "likelihood", judge: BackendConfig | None = None,
                 reconstruction: ReconstructionConfig | None = None, leakage: LeakageConfig | None = None,
                 synthesis: SynthesisConfig | None = None, embedder=None, source=None):
        self.source = source                                  # a BackendSource; None: the default database
        self.reconstructor, self.judge, self.scorer_name = reconstructor, judge, scorer
        self.reconstruction = reconstruction or ReconstructionConfig()
        self.leakage = leakage or LeakageConfig()
        self.synthesis = synthesis or SynthesisConfig()       # the prompt the policy writes from (its action clip)
        self.embedder = embedder
        self._built = None
        self._scorer = None

    def __getstate__(self):
        state = super().__getstate__()
        state["_scorer"] = None
        return state

    def scorer(self):
        if self._scorer is None:
            from recon.method.scoring import build_scorer
            recon = self._backend(self.reconstructor, "reconstruct")
            judge = self._backend(self.judge or self.reconstructor, "judge") \
                if self.scorer_name == "judge" else None
            self._scorer = build_scorer(self.scorer_name, reconstructor=recon, cfg=self.reconstruction, judge=judge,
                                        embedder=self.embedder)
        return self._scorer

    def __call__(self, prompts, completions, example, **kwargs) -> list[float | None]:
        texts = [completion_text(c).strip() for c in completions]
        rewards: list[float | None] = [None] * len(texts)
        parts = []                      # per group: its members, pair, written completions and their leakage
        for members in groups(list(example)):
            ex = example_from_json(example[members[0]])
            written = [i for i in members if texts[i]]
            leaks = [measure_leakage(texts[i], ex.action, self.leakage,
                                     max_action_chars=self.synthesis.max_action_chars) for i in written]
            parts.append((members, ex, written, leaks))
        asked = [(ex, [texts[i] for i in written]) for _, ex, written, _ in parts if written]
        scored = iter(self.scorer().score_window(asked) if asked else [])   # every group of the batch at once
        for members, _, written, leaks in parts:
            scores = next(scored).scores if written else []
            adjusted = dict(zip(written, leak_adjusted(scores, leaks, self.leakage.penalty), strict=True))
            honest = [adjusted[i] for i, lk in zip(written, leaks, strict=True)
                      if adjusted[i] is not None and not lk.leaking]
            group = with_empty_floor([adjusted.get(i) for i in members], [not texts[i] for i in members],
                                     margin=penalty_margin([r for r in honest if r is not None]))
            for i, r in zip(members, group, strict=True):
                rewards[i] = r
        leaking = sum(lk.leaking for *_, leaks in parts for lk in leaks)
        n = max(1, len(texts))
        log_rates(kwargs, leakage_rate=leaking / n, empty_rate=sum(not t for t in texts) / n,
                  failed_rate=sum(r is None for r in rewards) / n,
                  no_signal_rate=no_signal_share([[rewards[i] for i in members] for members, *_ in parts]))
        return rewards


class E2EReward(_LazyBackends):
    __name__ = "e2e_reward"

    def __init__(self, *, judge: BackendConfig | None = None, reconstruction: ReconstructionConfig | None = None,
                 embedder=None, source=None):
        self.source = source                                  # a BackendSource; None: the default database
        self.judge = judge                       # None: MiniLM cosine; else a listwise LM judge
        self.reconstruction = reconstruction or ReconstructionConfig()
        self.embedder = embedder
        self._built = None

    def _embedder(self):
        if self.embedder is None:
            from recon.method.embeddings import Embedder
            self.embedder = Embedder()
        return self.embedder

    def _judge_scores(self, judge: BackendConfig, items: list[tuple[Example, list[str]]]
                      ) -> list[list[float | None]]:
        """The listwise judge's grades → (g − 1) / 9 for every group's actions; None where it gave none."""
        from recon.method.listwise_judge import judge_window
        backend = self._backend(judge, "judge")
        return [[(g - 1.0) / 9.0 for g in result.grades] if result.grades is not None else [None] * len(actions)
                for (_, actions), result in zip(items, judge_window(backend, items, self.reconstruction), strict=True)]

    def __call__(self, prompts, completions, example, **kwargs) -> list[float | None]:
        from recon.method.usermodel import parse_prediction
        actions = [parse_prediction(completion_text(c))[1] for c in completions]
        rewards: list[float | None] = [None] * len(actions)
        parts = [(members, example_from_json(example[members[0]])) for members in groups(list(example))]
        presents = [[i for i in members if actions[i]] for members, _ in parts]
        judged: dict[int, list[float | None]] = {}
        if self.judge is not None:                  # one listwise judge call per group, all groups at once
            asked = [k for k, present in enumerate(presents) if present]
            judged = dict(zip(asked, self._judge_scores(self.judge, [(parts[k][1], [actions[i] for i in presents[k]])
                                                                     for k in asked]) if asked else [], strict=True))
        for k, ((members, ex), present) in enumerate(zip(parts, presents, strict=True)):
            scores: dict[int, float | None] = {}
            if present and self.judge is None:
                sims = self._embedder().cosine([actions[i] for i in present], [ex.action] * len(present))
                scores = {i: float(s) for i, s in zip(present, sims, strict=True)}
            elif present:
                scores = dict(zip(present, judged[k], strict=True))
            group = with_empty_floor([scores.get(i) for i in members], [not actions[i] for i in members])
            for i, r in zip(members, group, strict=True):
                rewards[i] = r
        n = max(1, len(actions))
        log_rates(kwargs, empty_rate=sum(not a for a in actions) / n,
                  failed_rate=sum(r is None for r in rewards) / n,
                  no_signal_rate=no_signal_share([[rewards[i] for i in members] for members, _ in parts]))
        return rewards
