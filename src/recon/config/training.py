"""Training configs: SFT user models and GRPO policies (thin adapters over TRL; training/). Fields carry TRL's
names where TRL has one (`per_device_train_batch_size`, `gradient_accumulation_steps`, `lora_alpha`, …); the
base model is `model` in both. An old name in a config is an error naming the new one.

    >>> SFTTrainConfig().lora_alpha, SFTTrainConfig(model="hf:embedded").model
    (16, 'embedded')
    >>> from recon.config import validated
    >>> refuse_old_names({"base": "embedded"})
    Traceback (most recent call last):
    ...
    ValueError: `base` was renamed `model` (TRL's name); write model: … instead
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from recon.config.base import Number, Strict
from recon.config.stages import BackendConfig, LeakageConfig, ReconstructionConfig, SynthesisConfig, UserModelConfig

RENAMED = {"base": "model", "policy": "model", "batch_size": "per_device_train_batch_size",
           "per_device_batch_size": "per_device_train_batch_size", "grad_accum": "gradient_accumulation_steps"}


def refuse_old_names(values):
    """A pydantic `before` check: an old field name is an error naming its new (TRL) name."""
    if isinstance(values, dict):
        for old, new in RENAMED.items():
            if old in values:
                raise ValueError(f"`{old}` was renamed `{new}` (TRL's name); write {new}: … instead")
    return values


class TrainBase(Strict):
    """What SFT and GRPO share: the base model (`embedded` = the GGUF dequantised, a .gguf file, an HF model
    directory or a Hub id `ORG/NAME[@REVISION]`; an `hf:` prefix is accepted), LoRA, batch, steps, seed, and
    what TRL logs and saves: `report_to` (TensorBoard or W&B, under the output folder's `runs/`), a log line
    every `logging_steps`, a checkpoint every `save_steps` (the newest `save_total_limit` kept; None: all)."""

    model: str = "embedded"
    lora: StrictBool = True
    lora_r: StrictInt = Field(8, ge=1, le=256)
    lora_alpha: StrictInt = Field(16, ge=1)
    per_device_train_batch_size: StrictInt = Field(4, ge=1)
    gradient_accumulation_steps: StrictInt = Field(1, ge=1)
    max_steps: StrictInt = Field(30, ge=1)
    learning_rate: Number = Field(2e-4, gt=0)
    seed: StrictInt = 0
    report_to: Literal["none", "tensorboard", "wandb"] = "none"
    logging_steps: StrictInt = Field(1, ge=1)
    save_steps: StrictInt = Field(10, ge=1)
    save_total_limit: StrictInt | None = Field(None, ge=1)

    _old_names = model_validator(mode="before")(refuse_old_names)

    @field_validator("model")
    @classmethod
    def _no_hf_prefix(cls, value: str) -> str:
        return value[3:] if value.startswith("hf:") else value


class SFTTrainConfig(TrainBase):
    """`recon train sft`: TRL SFTTrainer on context → `<reasoning>…</reasoning>` action, loss on the completion.
    `eval_fraction` of the records (chosen by a hash of each, so the same ones every time) are held out and
    their loss is reported every `logging_steps` as `eval_loss`."""

    max_length: StrictInt = Field(1024, ge=64)
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    eval_fraction: Number = Field(0.0, ge=0.0, lt=1.0)


class GRPOTrainConfig(TrainBase):
    """`recon train grpo`: TRL GRPOTrainer with a reconstruction (`recon`) or action (`e2e`) reward.

    TRL counts *completions* in a batch: per_device_train_batch_size × gradient_accumulation_steps × processes
    must be a multiple of num_generations (each prompt's group of completions)."""

    reward: Literal["recon", "e2e"]
    reconstructor: BackendConfig = BackendConfig(spec="embedded")   # frozen, separate from the policy
    scorer: Literal["likelihood", "judge", "embedding"] = "likelihood"
    judge: BackendConfig | None = None        # recon: judge scorer's judge; e2e: a listwise judge instead of cosine
    num_generations: StrictInt = Field(4, ge=2, le=64)
    num_processes: StrictInt = Field(1, ge=1)       # GPUs under `accelerate launch`
    max_steps: StrictInt = Field(20, ge=1)
    learning_rate: Number = Field(1e-5, gt=0)
    lora_r: StrictInt = Field(16, ge=1, le=256)
    lora_alpha: StrictInt = Field(32, ge=1)
    beta: Number = Field(0.0, ge=0)           # KL weight (TRL's default 0)
    temperature: Number = Field(1.0, gt=0)
    max_completion_length: StrictInt = Field(96, ge=8)
    gradient_checkpointing: StrictBool | None = None   # None: on with a GPU (memory), off on CPU (speed)
    use_vllm: StrictBool = False
    vllm_mode: Literal["server", "colocate"] = "colocate"
    leakage: LeakageConfig = LeakageConfig()
    reconstruction: ReconstructionConfig = ReconstructionConfig()
    synthesis: SynthesisConfig = SynthesisConfig(method="backward")
    user_model: UserModelConfig = UserModelConfig(k=0)

    @model_validator(mode="after")
    def _batch_fits_groups(self):
        per_device = self.per_device_train_batch_size
        if self.num_processes > 1 and per_device % self.num_generations:
            raise ValueError(
                f"with {self.num_processes} processes each device must hold whole groups, or a group's rewards are "
                f"computed apart: set per_device_train_batch_size ({per_device}) to a multiple of "
                f"num_generations ({self.num_generations})")
        total = per_device * self.gradient_accumulation_steps * self.num_processes
        if total % self.num_generations:
            raise ValueError(
                f"the generation batch ({per_device} per device × {self.gradient_accumulation_steps} "
                f"accumulation × {self.num_processes} processes = {total} completions) must be a multiple of "
                f"num_generations ({self.num_generations}); e.g. set per_device_train_batch_size to "
                f"{self.num_generations} or num_generations to a divisor of {total}")
        return self
