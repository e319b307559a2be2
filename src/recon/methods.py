"""The method registry: one declared `MethodSpec` per method, read by config validation, `recon run`, the CLI
choices and the report. Adding a method is one spec here plus its code; no other module compares a method's
name as a string.

    >>> spec = method_spec("recon-select:judge")
    >>> spec.name, spec.selection, spec.uses_reconstructor, selection_scorer("recon-select:judge", "likelihood")
    ('recon-select', 'reconstruction', True, 'judge')
    >>> method_spec("recon-selct")
    Traceback (most recent call last):
    recon.errors.ConfigError: unknown method 'recon-selct'; did you mean 'recon-select'? ...
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from recon.errors import ConfigError

Selection = Literal["reconstruction", "random", "length"]
SCORERS = ("likelihood", "judge", "embedding")      # reconstruction scorers a `recon-select:SCORER` may name


@dataclass(frozen=True)
class MethodSpec:
    """What a method needs and does.

    `traces`: it writes a traces file (one trace per training pair). `prompt`: the synthesis prompt of its traces
    or candidates (`forward` never sees the action). `selection`: it samples N candidates and keeps one by
    `reconstruction` (the run's `recon_select.scorer`, or a `:SCORER` suffix), or by a fixed control score.
    `policy`: the GRPO reward it trains a policy with (`recon`: the policy writes the traces; `e2e`: the
    policy is the user model). `user_model`: `configured` (ICL or SFT, `user_model.kind`) or `policy`.
    `trace_parity`: its user model shares the training pairs every method has a trace for (`parity_note` says
    why not). `warm_start`: the method whose SFT user model the policy starts from (the same checkpoint; e2e-grpo:
    `none`). `cli`: offered by `recon synthesize --method`."""

    name: str
    summary: str
    traces: bool = True
    prompt: Literal["forward", "backward"] | None = "backward"
    selection: Selection | None = None
    scorer_suffix: bool = False
    policy: Literal["recon", "e2e"] | None = None
    user_model: Literal["configured", "policy"] = "configured"
    trace_parity: bool = True
    parity_note: str | None = None
    warm_start: str | None = None
    control: bool = False
    cli: bool = True

    @property
    def selects(self) -> bool:
        """It keeps one of N candidates per pair."""
        return self.selection is not None

    @property
    def reads_recon_select(self) -> bool:
        """It reads the run's `recon_select` block (the controls its `n` and leakage; Recon-GRPO its reward's
        leakage and reconstruction settings)."""
        return self.selects or self.policy == "recon"

    @property
    def uses_reconstructor(self) -> bool:
        """It calls `models.reconstructor` (E2E-GRPO's judge defaults to it)."""
        return self.selection == "reconstruction" or self.policy is not None

    @property
    def sees_action(self) -> bool:
        """Its synthesis prompt shows the action (backward); forward traces never see it."""
        return self.prompt == "backward"


METHODS: dict[str, MethodSpec] = {spec.name: spec for spec in (
    MethodSpec("none", "no traces: the user model sees pairs alone", traces=False, prompt=None, cli=False),
    MethodSpec("forward", "one trace per pair from the context alone", prompt="forward"),
    MethodSpec("backward", "one trace per pair from the context and the action"),
    MethodSpec("recon-select", "N backward candidates, the best reconstruction kept", selection="reconstruction",
               scorer_suffix=True),
    MethodSpec("random-of-n", "control: N backward candidates, one kept at random", selection="random",
               control=True),
    MethodSpec("longest-of-n", "control: N backward candidates, the longest kept", selection="length",
               control=True),
    MethodSpec("recon-grpo", "backward traces by a policy trained with the reconstruction reward", policy="recon"),
    MethodSpec("recon-grpo-select", "N candidates by the Recon-GRPO policy, the best reconstruction kept",
               selection="reconstruction", policy="recon"),
    MethodSpec("e2e-grpo", "a policy trained with GRPO on the action acts as the user model", traces=False,
               prompt=None, policy="e2e", user_model="policy", trace_parity=False, cli=False, warm_start="none",
               parity_note="e2e-grpo is exempt from trace parity: it is a policy that acts, trained with GRPO on "
                           "the action from the SFT user model of none, with no traces"),
)}

DEFAULT_BASELINE = "backward"      # the report's methods × domains table compares every method with it


def _unknown(name: str) -> ConfigError:
    close = difflib.get_close_matches(name.partition(":")[0], list(METHODS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ConfigError(f"unknown method {name!r}{hint} Known: {', '.join(METHODS)}, and recon-select:SCORER "
                       f"({' | '.join(SCORERS)})")


def method_spec(name: str) -> MethodSpec:
    """The spec of `name` (`recon-select:judge` is `recon-select`); a ConfigError with a suggestion if unknown."""
    base, colon, scorer = name.partition(":")
    spec = METHODS.get(base)
    if spec is None:
        raise _unknown(name)
    if colon and not (spec.scorer_suffix and scorer in SCORERS):
        raise ConfigError(f"method {name!r}: only recon-select takes a scorer suffix, one of "
                          f"{', '.join(SCORERS)}")
    return spec


def known_method(name: str | None) -> MethodSpec | None:
    """The spec of `name`, or None for a label that names no method (`recon evaluate --pred mine=FILE`)."""
    try:
        return method_spec(name) if name else None
    except ConfigError:
        return None


def writes_traces(name: str) -> bool:
    """Whether traces come with `name`: False for the methods without traces, True for any other label."""
    spec = known_method(name)
    return spec is None or spec.traces


def answers_with_reasoning(name: str) -> bool:
    """Whether the user model of `name` is asked for reasoning before the action: a method with traces, and an
    acting policy (GRPO trained it on that prompt); `none` is asked for the action alone.

    >>> answers_with_reasoning("none"), answers_with_reasoning("backward"), answers_with_reasoning("e2e-grpo")
    (False, True, True)
    """
    spec = known_method(name)
    return writes_traces(name) or (spec is not None and spec.user_model == "policy")


def selection_scorer(name: str, default: str) -> str:
    """The reconstruction scorer of a selecting method: its `:SCORER` suffix, else `default` (the run's
    `recon_select.scorer`); a control keeps its own score (`fixed_scorer`) whatever this says."""
    method_spec(name)
    return name.partition(":")[2] or default


def fixed_scorer(name: str) -> str | None:
    """A control's own score (`random`, `length`), or None for a method that scores by reconstruction."""
    spec = known_method(name)
    return spec.selection if spec is not None and spec.control else None


def selecting_variant(spec: MethodSpec) -> MethodSpec:
    """The method that samples N candidates where `spec` writes one trace (`recon-grpo` → `recon-grpo-select`)."""
    return next(s for s in METHODS.values() if s.selection == "reconstruction" and s.policy == spec.policy)


def policy_rewards() -> list[str]:
    """The GRPO rewards a method trains a policy with (`recon`, `e2e`), in registry order."""
    return list(dict.fromkeys(spec.policy for spec in METHODS.values() if spec.policy))


def trained_by(reward: str) -> MethodSpec:
    """The first method whose policy is trained with `reward` (`recon`, `e2e`)."""
    return next(spec for spec in METHODS.values() if spec.policy == reward)


def acting_policy_label() -> str:
    """The user-model label of a policy that acts itself (the method whose `user_model` is `policy`)."""
    return next(spec.name for spec in METHODS.values() if spec.user_model == "policy")


def warm_started(names) -> dict[str, str]:
    """{method: the method whose SFT user model its policy starts from} for the methods of `names` that have one.

    >>> warm_started(["none", "e2e-grpo"])
    {'e2e-grpo': 'none'}
    """
    specs = [known_method(n) for n in names]
    return {s.name: s.warm_start for s in specs if s is not None and s.warm_start is not None}


def cli_methods() -> list[str]:
    """`recon synthesize --method` choices, in registry order."""
    return [spec.name for spec in METHODS.values() if spec.cli]


def parity_notes() -> str:
    """Why some methods are exempt from trace parity, one sentence each."""
    return " ".join(spec.parity_note for spec in METHODS.values() if spec.parity_note)
