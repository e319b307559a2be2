"""The run config's GRPO block (shared by Recon-GRPO and E2E-GRPO: the same training pairs, step budget, LoRA and
number of generations; `model` is Recon-GRPO's base, as E2E-GRPO starts from the SFT user model of `none`), its
report block, the rule that no method is trained or selected on the evaluation judge's own function, and the
rule that E2E-GRPO's policy predicts on the other user models' backend kind.

    >>> GRPORunConfig(model="hf:embedded").model, GRPORunConfig().e2e.reward
    ('embedded', 'judge')
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from recon.config.base import Number, Strict
from recon.config.stages import BackendConfig
from recon.config.training import TrainBase
from recon.methods import DEFAULT_BASELINE, known_method, selection_scorer, warm_started
from recon.redaction import redacted_spec

STACKS = {"embedded": "llama.cpp (the embedded GGUF, Q4_1 weights)", "llamacpp": "llama.cpp (GGUF weights)",
          "fake": "the fake backend", "openai": "an OpenAI-compatible server"}


def _spec(value):
    """A backend given as a spec string (`judge: embedded`) or as a mapping."""
    return {"spec": value} if isinstance(value, str) else value


class GRPOReconRun(Strict):
    """Recon-GRPO's reward: the reconstruction score of the written trace (the scorers of Recon-Select)."""

    scorer: Literal["likelihood", "judge", "embedding"] = "likelihood"
    judge: BackendConfig | None = None          # scorer judge: the listwise judge (default: the reconstructor)

    _judge_spec = field_validator("judge", mode="before")(_spec)


class GRPOE2ERun(Strict):
    """E2E-GRPO's reward on the action alone: a listwise LM judge over the group (default), or MiniLM cosine
    to the true action (`embedding`: the default evaluation judge's function, so refused with it)."""

    reward: Literal["judge", "embedding"] = "judge"
    judge: BackendConfig | None = None          # default: the reconstructor (models.reconstructor or synthesizer)

    _judge_spec = field_validator("judge", mode="before")(_spec)


class GRPORunConfig(TrainBase):
    """`grpo:` of a run: TRL's field names where TRL has one; LoRA by default."""

    num_generations: StrictInt = Field(4, ge=2, le=64)
    per_device_train_batch_size: StrictInt = Field(4, ge=1)
    max_steps: StrictInt = Field(30, ge=1)
    learning_rate: Number = Field(1e-5, gt=0)
    lora_r: StrictInt = Field(16, ge=1, le=256)
    lora_alpha: StrictInt = Field(32, ge=1)
    beta: Number = Field(0.0, ge=0)
    temperature: Number = Field(1.0, gt=0)
    max_completion_length: StrictInt = Field(96, ge=8)
    save_steps: StrictInt = Field(10, ge=1)
    gradient_checkpointing: StrictBool | None = None
    recon: GRPOReconRun = GRPOReconRun()
    e2e: GRPOE2ERun = GRPOE2ERun()

    @model_validator(mode="after")
    def _whole_groups(self):
        total = self.per_device_train_batch_size * self.gradient_accumulation_steps
        if total % self.num_generations:
            raise ValueError(f"the generation batch (per_device_train_batch_size × gradient_accumulation_steps = "
                             f"{total} completions) must be a multiple of num_generations ({self.num_generations})")
        return self


class ReportConfig(Strict):
    """The methods × domains table: every method judged against `baseline` (listed in compare or not)."""

    baseline: str = DEFAULT_BASELINE


def signal_judge_clashes(cfg) -> list[str]:
    """Methods whose training or selection signal is the evaluation judge's own function (an empty list: none).

    The rule: with the embedding judge (MiniLM cosine of a prediction to the true action), any `embedding`
    signal — Recon-Select's or Recon-GRPO's `embedding` scorer (cosine of the reconstruction to the true
    action), E2E-GRPO's `embedding` reward (cosine of the policy's action to the true action) — is that
    function. With an LM judge, a `judge` signal whose judge backend is the evaluation judge's backend (the same
    model grading closeness to the true action) is. `likelihood` never is.
    """
    lm_judge = cfg.models.judge if isinstance(cfg.models.judge, BackendConfig) else None
    recon = cfg.models.reconstructor or cfg.models.synthesizer
    clashes = []

    def check(method: str, kind: str, judge: BackendConfig | None, what: str) -> None:
        if kind == "embedding" and lm_judge is None:
            clashes.append(f"{method}: its {what} is `embedding` (MiniLM cosine to the true action), which is exactly "
                           "the evaluation judge (models.judge: embedding)")
        elif kind == "judge" and lm_judge is not None and (judge or recon).spec == lm_judge.spec:
            clashes.append(f"{method}: its {what} is an LM judge on {redacted_spec(lm_judge.spec)!r}, the same model "
                           "that judges the evaluation (models.judge)")

    for m in cfg.predicted_methods:          # a method that is synthesized but never judged measures nothing
        spec = known_method(m)             # a name outside `methods` is reported by RunConfig's own check
        if spec is None:
            continue
        if spec.selection == "reconstruction":
            check(m, selection_scorer(m, cfg.recon_select.scorer), lm_judge or recon, "selection scorer")
        if spec.policy == "recon":
            check(m, cfg.grpo.recon.scorer, cfg.grpo.recon.judge, "GRPO reward (grpo.recon.scorer)")
        if spec.policy == "e2e":
            check(m, cfg.grpo.e2e.reward, cfg.grpo.e2e.judge, "GRPO reward (grpo.e2e.reward)")
    return clashes


def acting_policy_problems(cfg) -> list[str]:
    """A predicted acting policy (e2e-grpo: a transformers checkpoint, served by the hf backend) whose predictions
    would come from another backend kind than the other user models': each names what differs and the fixes.

    With SFT user models every checkpoint is served alike; ICL user models must run on an `hf:` backend, whose
    settings (dtype, batch size, window) then serve the policy too."""
    policies = [m for m in warm_started(cfg.predicted_methods) if getattr(known_method(m), "user_model", None)
                == "policy"]
    spec = cfg.models.user_model.spec
    if not policies or cfg.user_model.kind == "sft" or spec.startswith("hf:"):
        return []
    stack = STACKS.get(spec.partition(":")[0], "another backend")
    return [f"{m}: its policy is a transformers checkpoint predicted by the hf backend, while the ICL user models run "
            f"on models.user_model {redacted_spec(spec)!r}, {stack}; win rates across two numeric stacks are not "
            "like for like. Set models.user_model to an hf: backend (e.g. hf:embedded, the same base model in "
            "transformers; its dtype and batch size then serve the policy too), or user_model.kind: sft, or leave "
            f"{m} out of predict" for m in policies]
