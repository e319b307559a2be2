"""What SFT and GRPO training share: loading the base model and its tokenizer, the LoRA config, the callback
that reports steps and logs, what TRL logs, reports and saves, the checkpoint to resume from, the number of
processes `accelerate launch` started, and saving the trained model (LoRA merged) beside its tokenizer.

    >>> from recon.config import SFTTrainConfig
    >>> lora_config(SFTTrainConfig(lora=False)) is None
    True
    >>> lora_config(SFTTrainConfig(lora_r=4, lora_alpha=8)).lora_alpha
    8
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recon.backends.dequantize import dequantized_dir
from recon.backends.hf import locate_model
from recon.errors import ConfigError

STEP_LOG = logging.getLogger("recon.training")


def quiet_library_progress() -> None:
    """Turn off the progress bars `datasets` and transformers draw while TRL prepares a dataset or loads a
    model: training shows one bar of its own, in steps.

    >>> quiet_library_progress()
    >>> import datasets
    >>> datasets.is_progress_bar_enabled()
    False
    """
    import datasets
    from transformers.utils import logging as hf_logging
    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()


def load_base(spec: str, dtype: str = "float32"):
    """(model, tokenizer, base record) for `embedded` (the GGUF dequantised once), a .gguf file, an HF folder or
    a Hub id (its snapshot in the Hugging Face cache; the record names the commit)."""
    quiet_library_progress()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    source, gguf, hub = locate_model(spec)
    directory = dequantized_dir(source / gguf) if gguf else source
    tokenizer = AutoTokenizer.from_pretrained(str(directory))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(str(directory), dtype=getattr(torch, dtype))
    return model, tokenizer, {"spec": spec, "source": source.name, "gguf": gguf, **(hub.record() if hub else {})}


def lora_config(cfg):
    """PEFT's LoraConfig on every linear layer from the config's `lora_r` / `lora_alpha`, or None without LoRA."""
    if not cfg.lora:
        return None
    from peft import LoraConfig
    return LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules="all-linear", task_type="CAUSAL_LM")


def step_callback(on_step: Callable[[int, int], None] | None, on_log: Callable[[object, dict], None] | None = None):
    """A TrainerCallback calling `on_step(step, max_steps)` after each step and `on_log(state, logs)` per log;
    each log is also a line of the `recon.training` logger (train.log)."""
    from transformers import TrainerCallback

    class Steps(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs:
                figures = " ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in logs.items())
                STEP_LOG.info("step %d/%d %s", state.global_step, state.max_steps, figures)
            if on_log is not None and logs:
                on_log(state, logs)

        def on_step_end(self, args, state, control, **kwargs):
            if on_step is not None:
                on_step(state.global_step, state.max_steps)
    return Steps()


def watch_args(cfg, out: Path) -> dict[str, Any]:
    """TRL arguments for what a run logs, reports and saves: checkpoints in `out/checkpoints` every `save_steps`,
    a log every `logging_steps`, and `report_to` (TensorBoard events under `out/checkpoints/runs/`).

    >>> from recon.config import SFTTrainConfig
    >>> watch_args(SFTTrainConfig(report_to="tensorboard", save_steps=5), Path("ckpt"))["save_steps"]
    5
    """
    return {"output_dir": str(out / "checkpoints"), "logging_steps": cfg.logging_steps, "report_to": cfg.report_to,
            "save_strategy": "steps", "save_steps": cfg.save_steps, "save_total_limit": cfg.save_total_limit,
            "disable_tqdm": True}


def latest_checkpoint(folder: Path) -> Path | None:
    """TRL's checkpoint folder with the highest step, or None.

    >>> latest_checkpoint(Path(getfixture("tmp_path"))) is None
    True
    """
    def step(p: Path) -> int:
        tail = p.name.split("-")[1]
        return int(tail) if tail.isdigit() else -1
    found = sorted(folder.glob("checkpoint-*"), key=step)
    return found[-1] if found else None


# where a launched process finds how many were launched, in the order accelerate itself reads them
# (accelerate/state.py): mpirun's (multi-CPU), then torchrun's WORLD_SIZE (`accelerate launch` on GPUs)
PROCESS_COUNT_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "WORLD_SIZE")


def launched_processes(given: int | None = None, environ=os.environ) -> int:
    """The processes `accelerate launch` started (the first of PROCESS_COUNT_VARIABLES set), or `given`, or 1;
    a `given` count that disagrees with the launcher's is refused.

    >>> launched_processes(None, {"WORLD_SIZE": "4"}), launched_processes(2, {}), launched_processes(None, {})
    (4, 2, 1)
    """
    found = [(name, environ[name]) for name in PROCESS_COUNT_VARIABLES if environ.get(name, "").isdigit()]
    variable, launched = (found[0][0], int(found[0][1])) if found else (None, None)
    if given is not None and launched is not None and given != launched:
        raise ConfigError(f"num_processes is {given} but accelerate launched {launched} processes ({variable}): "
                          "drop num_processes (it is read from the launcher) or launch as many")
    return given or launched or 1


def quiet(trainer) -> None:
    """Our progress bars and tables report instead of the trainer's printer."""
    from transformers import PrinterCallback
    trainer.remove_callback(PrinterCallback)


def save_trained(trainer, tokenizer, out: Path, *, lora: bool) -> None:
    """The trained model as a plain transformers folder (LoRA weights merged) with its tokenizer."""
    trained = trainer.model.merge_and_unload() if lora else trainer.model
    trained.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))


def training_data(pairs, data_files: dict[str, str] | None) -> dict:
    """What a checkpoint records of its training data: pair ids, conversations, data files and their hashes."""
    return {"train_pair_ids": sorted(e.id for e in pairs),
            "train_conversations": sorted({e.conversation_id for e in pairs}), "data_files": data_files or {}}


def use_cpu() -> bool:
    import torch
    return not torch.cuda.is_available()
