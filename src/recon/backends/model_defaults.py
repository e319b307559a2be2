"""Model defaults, resolved once from the backend spec (or a checkpoint's metadata) when a job opens the model.

The repetition penalty is the one such default: the embedded SmolLM2 loops under greedy decoding without one
(1.15, measured in docs/user-models.md), and a checkpoint trained from it (its `recon_sft.json` /
`recon_grpo.json` names base `embedded`) keeps that need. Every other model's default is off (1.0). In every
config `repetition_penalty: None` means "the model's default" and 1.0 means off; a job replaces None with
the resolved number, records it in its manifest and passes it down as a plain float.

    >>> model_repetition_penalty("embedded"), model_repetition_penalty("fake")
    (1.15, 1.0)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from recon.backends.registry import parse_spec
from recon.paths import GRPO_META, SFT_META

EMBEDDED_REPETITION_PENALTY = 1.15       # measured: benchmarks/bench_repetition.py, docs/user-models.md
OFF = 1.0

Config = TypeVar("Config", bound=BaseModel)


def trained_from_embedded(folder: Path, depth: int = 4) -> bool:
    """Whether the checkpoint in `folder` names the embedded model as its base (SFT or GRPO metadata), directly
    or through the checkpoint it started from (an E2E-GRPO policy grown from its SFT warm start)."""
    for name in (SFT_META, GRPO_META):
        try:
            base = json.loads((folder / name).read_text(encoding="utf-8")).get("base") or {}
        except (OSError, ValueError, AttributeError):
            continue
        spec = base.get("spec") if isinstance(base, dict) else None
        if spec == "embedded":
            return True
        if isinstance(spec, str) and depth > 0 and Path(spec.removeprefix("hf:")).expanduser().is_dir():
            return trained_from_embedded(Path(spec.removeprefix("hf:")).expanduser(), depth - 1)
    return False


def model_repetition_penalty(spec: str) -> float:
    """The repetition penalty the model `spec` names decodes with by default (1.0: off)."""
    kind, arg = parse_spec(spec)
    if kind == "embedded" or (kind == "hf" and arg == "embedded"):
        return EMBEDDED_REPETITION_PENALTY
    if kind == "hf" and trained_from_embedded(Path(arg).expanduser()):
        return EMBEDDED_REPETITION_PENALTY
    return OFF


def resolved_penalty(cfg: Config, spec: str) -> Config:
    """`cfg` (any config with a `repetition_penalty`) with None replaced by the model's default."""
    if cfg.model_dump().get("repetition_penalty") is not None:
        return cfg
    return cfg.model_copy(update={"repetition_penalty": model_repetition_penalty(spec)})

