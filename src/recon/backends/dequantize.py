"""GGUF → a plain transformers model directory, converted once and kept under $RECON_MODELS
(default $RECON_HOME/models).

transformers can load a GGUF file (dequantising every tensor, ~20 s for the 135M model) but marks the
result as quantized, which its Trainer refuses to fine-tune. Converting once to float32 safetensors gives
a directory that loads in well under a second and trains like any HF model.

Example (not run here: converts a model)::

    path = dequantized_dir(Path("SmolLM2-135M-Instruct.Q4_1.gguf"))   # → ~/.recon/models/SmolLM2-…-3f2a9c/
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from recon.hashing import content_hash
from recon.paths import models_home, private_folder


def gguf_identity(gguf: Path) -> str:
    """A cheap content identity: size plus a hash of the first and last MiB."""
    size = gguf.stat().st_size
    with gguf.open("rb") as f:
        head = f.read(1 << 20)
        f.seek(max(0, size - (1 << 20)))
        tail = f.read()
    return content_hash([size, head.hex(), tail.hex()], tag="gguf", length=12)


def directory_identity(directory: Path) -> str:
    """A cheap content identity of a model directory: every file's name and size, the config, and the first
    and last MiB of each weight file (two checkpoints both named `final` do not look alike)."""
    parts: list = []
    for f in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = str(f.relative_to(directory))
        parts.append([rel, f.stat().st_size])
        if f.name == "config.json":
            parts.append(f.read_text(encoding="utf-8", errors="replace"))
        elif f.suffix in (".safetensors", ".bin", ".gguf"):
            with f.open("rb") as h:
                parts.append(h.read(1 << 20).hex()[:4096])
                h.seek(max(0, f.stat().st_size - (1 << 20)))
                parts.append(content_hash(h.read().hex(), length=16))
    return content_hash(parts, tag="model-dir", length=12)



def dequantized_dir(gguf: Path) -> Path:
    target = models_home() / f"{gguf.name.removesuffix('.gguf')}-{gguf_identity(gguf)}"
    if (target / "config.json").is_file():
        return target
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # the weights are already dequantised: drop the marker (transformers sets both on the instance without
    # declaring them, so mypy sees nn.Module's attribute type)
    model.hf_quantizer = None  # type: ignore[assignment]
    model.is_quantized = False  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    private_folder(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
