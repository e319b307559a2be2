"""What SFT and GRPO training share: loading the base model and its tokenizer, the LoRA config, the callback
that reports steps and logs, and saving the trained model (LoRA merged) beside its tokenizer.

    >>> from recon.config import SFTTrainConfig
    >>> lora_config(SFTTrainConfig(lora=False)) is None
    True
    >>> lora_config(SFTTrainConfig(lora_r=4, lora_alpha=8)).lora_alpha
    8
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from recon.backends.dequantize import dequantized_dir
from recon.backends.hf import locate_model


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
    """A TrainerCallback calling `on_step(step, max_steps)` after each step and `on_log(state, logs)` per log."""
    from transformers import TrainerCallback

    class Steps(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if on_log is not None and logs:
                on_log(state, logs)

        def on_step_end(self, args, state, control, **kwargs):
            if on_step is not None:
                on_step(state.global_step, state.max_steps)
    return Steps()


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
