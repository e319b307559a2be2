"""GRPO rewards with TRL's reward signature, built on the same scoring code as Recon-Select.

Both are picklable callable classes: `reward(prompts, completions, **columns) -> list[float | None]`.
Every dataset column arrives as a keyword argument; ours carry the pair as JSON in `example`. A group of
`num_generations` completions of one prompt is scored together (one baseline, one listwise judge call).
`None` marks a completion whose score failed; TRL leaves it out.

- `ReconReward`: the policy writes a trace from the backward prompt; reward = the reconstruction score of
  the trace (likelihood by default; judge or embedding) minus λ·overlap with the action, and a *leaking*
  trace always scores below every honest trace of its group (reward = min(honest rewards) − 1 − overlap),
  so quoting the action can never pay.
- `E2EReward`: the policy is the user model; it writes `<reasoning>…</reasoning>` then an action from the
  context alone; reward = MiniLM cosine of its action to the true action (or a listwise judge's grade),
  nothing about the reasoning. A completion without an action gets the scorer's minimum.

    >>> import pickle
    >>> r = ReconReward(BackendConfig(spec="fake"))
    >>> pickle.loads(pickle.dumps(r)).scorer_name
    'likelihood'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from recon.config import BackendConfig, LeakageConfig, ReconstructionConfig
from recon.method.leakage import measure_leakage
from recon.types import Example, Turn


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
    """Backends are built on first use and dropped when pickled (TRL may copy reward functions)."""

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_built"] = None
        embedder = state.get("embedder")
        if embedder is not None and not getattr(embedder, "picklable", False):
            state["embedder"] = None                 # MiniLM is rebuilt on first use
        return state

    def _backend(self, config: BackendConfig, stage: str):
        if self._built is None:
            self._built = {}
        if config not in self._built:
            from recon.backends.registry import build_backend
            from recon.store.cache import CachedBackend
            from recon.store.calls import new_run_id
            from recon.store.db import Database
            self._built[config] = CachedBackend(build_backend(config), Database(), run=new_run_id(), stage=stage)
        return self._built[config]


def leak_adjusted(scores: list[float | None], leaks: list, penalty: float) -> list[float | None]:
    """score − λ·overlap; a leaking trace gets min(honest rewards of the group) − 1 − overlap."""
    adjusted = [None if s is None else s - penalty * lk.overlap for s, lk in zip(scores, leaks, strict=True)]
    honest = [a for a, lk in zip(adjusted, leaks, strict=True) if a is not None and not lk.leaking]
    out = []
    for a, lk in zip(adjusted, leaks, strict=True):
        if a is None or not lk.leaking:
            out.append(a)
        else:
            floor = min(honest) if honest else a
            out.append(min(a, floor) - 1.0 - lk.overlap)
    return out


class ReconReward(_LazyBackends):
    __name__ = "recon_reward"

    def __init__(self, reconstructor: BackendConfig, *, scorer: str = "likelihood", judge: BackendConfig | None = None,
                 reconstruction: ReconstructionConfig | None = None, leakage: LeakageConfig | None = None,
                 embedder=None):
        self.reconstructor, self.judge, self.scorer_name = reconstructor, judge, scorer
        self.reconstruction = reconstruction or ReconstructionConfig()
        self.leakage = leakage or LeakageConfig()
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
            recon = self._backend(self.reconstructor, "grpo:reward:reconstruct")
            judge = self._backend(self.judge or self.reconstructor, "grpo:reward:judge") \
                if self.scorer_name == "judge" else None
            self._scorer = build_scorer(self.scorer_name, reconstructor=recon, cfg=self.reconstruction, judge=judge,
                                        embedder=self.embedder)
        return self._scorer

    def __call__(self, prompts, completions, example, **kwargs) -> list[float | None]:
        texts = [completion_text(c).strip() for c in completions]
        rewards: list[float | None] = [None] * len(texts)
        leaking = 0
        for members in groups(list(example)):
            ex = example_from_json(example[members[0]])
            traces = [texts[i] for i in members]
            leaks = [measure_leakage(t, ex.action, self.leakage) for t in traces]
            leaking += sum(lk.leaking for lk in leaks)
            result = self.scorer().score(ex, traces)
            for i, r in zip(members, leak_adjusted(result.scores, leaks, self.leakage.penalty), strict=True):
                rewards[i] = r
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            log_metric("leakage_rate", leaking / max(1, len(texts)))
        return rewards


class E2EReward(_LazyBackends):
    __name__ = "e2e_reward"

    def __init__(self, *, judge: BackendConfig | None = None, reconstruction: ReconstructionConfig | None = None,
                 embedder=None):
        self.judge = judge                       # None: MiniLM cosine; else a listwise LM judge
        self.reconstruction = reconstruction or ReconstructionConfig()
        self.embedder = embedder
        self._built = None

    def _embedder(self):
        if self.embedder is None:
            from recon.method.embeddings import Embedder
            self.embedder = Embedder()
        return self.embedder

    def _judge_scores(self, ex: Example, actions: list[str]) -> list[float | None]:
        from recon.errors import BackendError, JudgeParseError
        from recon.method.listwise_judge import LABELS, grades_in_input_order, judge_request, parse_grades
        backend = self._backend(self.judge, "grpo:reward:judge")
        for attempt in range(self.reconstruction.judge_retries + 1):
            req, order = judge_request(ex, actions, self.reconstruction, attempt)
            try:
                [gen] = backend.generate([req])
            except BackendError:
                return [None] * len(actions)
            try:
                grades = grades_in_input_order(parse_grades(gen.text, list(LABELS[:len(actions)])), order)
            except JudgeParseError:
                continue
            return [(g - 1.0) / 9.0 for g in grades]
        return [None] * len(actions)

    def __call__(self, prompts, completions, example, **kwargs) -> list[float | None]:
        from recon.method.usermodel import parse_prediction
        actions = [parse_prediction(completion_text(c))[1] for c in completions]
        floor = -1.0 if self.judge is None else 0.0
        rewards: list[float | None] = [floor] * len(actions)
        for members in groups(list(example)):
            ex = example_from_json(example[members[0]])
            present = [i for i in members if actions[i]]
            if not present:
                continue
            if self.judge is None:
                sims = self._embedder().cosine([actions[i] for i in present], [ex.action] * len(present))
                scores = [float(s) for s in sims]
            else:
                scores = self._judge_scores(ex, [actions[i] for i in present])
            for i, s in zip(present, scores, strict=True):
                rewards[i] = s
        return rewards
