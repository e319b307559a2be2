"""Recon-Select throughput of the hf backend on a GPU: windows with batched seeded sampling vs one pair at a time
with every sampled request alone, in bfloat16 and float32, plus a plain generation throughput line.

The model is SmolLM2-135M's *shape* with random weights (no weights travel): `--write-config DIR` copies the
embedded model's config.json and tokenizer files (no weights) into DIR on a machine that has the embedded
model; on the GPU machine the script builds a random-weight LlamaForCausalLM from DIR, saves it with
`save_pretrained`, and serves it through the `hf:` backend. Random weights rarely stop early, so every
candidate runs to `--max-tokens`: an honest (pessimistic) speed measure, not a quality one. Pairs come from
the project's known-latent generator (16 by default); each timed run starts on a cold cache.

Imports only what recon's core needs (torch, transformers, pydantic, numpy, rich, pyyaml), no llama.cpp.

    # here (has the embedded model):
    PYTHONPATH=src .venv/bin/python benchmarks/bench_throughput_gpu.py --write-config /tmp/smollm2-shape
    # on the GPU machine (one call, a few minutes):
    PYTHONPATH=src python benchmarks/bench_throughput_gpu.py --model-dir /tmp/smollm2-shape --device cuda
    # a CPU check of the script itself:
    PYTHONPATH=src .venv/bin/python benchmarks/bench_throughput_gpu.py --model-dir DIR --device cpu --pairs 2 \
        --lone-pairs 1 --max-tokens 8 --dtypes float32 --gen-batch 2 --gen-tokens 4
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from recon.backends.base import Backend  # noqa: E402
from recon.config import BackendConfig, ReconSelectConfig, SynthesisConfig  # noqa: E402

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                   "generation_config.json")


class LoneSamples(Backend):
    """The pre-batching hf behaviour: every generation request alone (scoring passes still batched)."""

    def __init__(self, inner: Backend):
        self.inner, self.fingerprint = inner, inner.fingerprint

    def _generate(self, requests, on_result=None):
        out = []
        for i, r in enumerate(requests):
            out += self.inner.generate([r])
            if on_result is not None:
                on_result(i, out[-1])
        return out

    def _logprob(self, requests, on_result=None):
        return self.inner.logprob(requests, on_result=on_result)


def pairs(n: int):
    """n pairs of the project's known-latent corpus (deterministic)."""
    from recon.bench.generator import generate_corpus
    return generate_corpus(individuals=4, pairs=max(1, math.ceil(n / 4)), seed=0).examples[:n]


def timed_select(examples, factory, tmp: Path, name: str, *, scorer: str = "likelihood", window: int | None,
                 synthesis: SynthesisConfig | None = None, embedder=None) -> tuple[float, list]:
    """(seconds, selected indices) of one Recon-Select run (N = 4) on a cold cache."""
    from recon.jobs.synthesize import run_recon_select
    from recon.store.db import Database
    spec = BackendConfig(spec="fake")                   # the factory decides what is built
    t0 = time.perf_counter()
    run_recon_select(examples, ReconSelectConfig(n=4, scorer=scorer), synthesizer=spec, reconstructor=spec,
                     judge=spec, out=tmp / f"{name}.jsonl", db=Database(tmp / f"{name}.sqlite3"),
                     backend_factory=factory, window_size=window, embedder=embedder, synthesis=synthesis)
    seconds = time.perf_counter() - t0
    chosen = [json.loads(line)["selected_index"] for line in (tmp / f"{name}.jsonl").read_text().splitlines()]
    return seconds, chosen


def write_config(out: Path) -> None:
    """The embedded model's config and tokenizer (no weights) into `out`."""
    from recon.backends.dequantize import dequantized_dir
    from recon.backends.llamacpp import embedded_gguf_path
    source = dequantized_dir(embedded_gguf_path())
    out.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", *TOKENIZER_FILES):
        if (source / name).is_file():
            shutil.copy2(source / name, out / name)
    print(f"wrote {sorted(p.name for p in out.iterdir())} to {out}")


def random_model(config_dir: Path, dest: Path, seed: int = 0) -> Path:
    """A random-weight model of the config's shape, saved with its tokenizer as an `hf:` directory."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(str(config_dir)))
    model.save_pretrained(str(dest))
    for name in TOKENIZER_FILES:
        if (config_dir / name).is_file() and not (dest / name).exists():
            shutil.copy2(config_dir / name, dest / name)
    return dest


def generation_line(backend, batch: int, tokens: int) -> str:
    """Plain greedy generation, `batch` rows × `tokens` new tokens: tokens per second."""
    import torch
    model, tok = backend.model, backend.tokenizer
    ids = torch.tensor([tok("The council met to discuss the library.")["input_ids"]] * batch, device=backend.device)
    sync = torch.cuda.synchronize if backend.device.startswith("cuda") else (lambda: None)
    with torch.no_grad():
        model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=4, min_new_tokens=4,
                       do_sample=False, pad_token_id=tok.pad_token_id)
        sync()
        t0 = time.perf_counter()
        model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=tokens,
                       min_new_tokens=tokens, do_sample=False, pad_token_id=tok.pad_token_id)
        sync()
    seconds = time.perf_counter() - t0
    return f"{batch} x {tokens} tokens in {seconds:.2f} s = {batch * tokens / seconds:.0f} tokens/s"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-config", type=Path, help="write the embedded model's config + tokenizer here, exit")
    ap.add_argument("--model-dir", type=Path, help="a folder written by --write-config")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--pairs", type=int, default=16, help="pairs for the batched path")
    ap.add_argument("--lone-pairs", type=int, default=4, help="pairs for the one-at-a-time path (s/pair compared)")
    ap.add_argument("--batch-size", type=int, default=64, help="hf batch size (and window of pairs)")
    ap.add_argument("--max-tokens", type=int, default=128, help="candidate length (the synthesis default)")
    ap.add_argument("--dtypes", default="bfloat16,float32")
    ap.add_argument("--gen-batch", type=int, default=8, help="the generation line: rows ...")
    ap.add_argument("--gen-tokens", type=int, default=96, help="... and new tokens per row")
    args = ap.parse_args()
    if args.write_config:
        write_config(args.write_config)
        return 0
    if not args.model_dir:
        ap.error("--model-dir or --write-config is required")
    import torch
    import transformers

    from recon.backends.hf import HFBackend
    device_name = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "CPU"
    print(f"device {device_name}; torch {torch.__version__}; transformers {transformers.__version__}")
    synthesis = SynthesisConfig(max_tokens=args.max_tokens)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        model_dir = random_model(args.model_dir, tmp / "model")
        for dtype in args.dtypes.split(","):
            backend = HFBackend(str(model_dir), dtype=dtype, device=args.device, batch_size=args.batch_size)
            assert backend.model is not None                # load once, outside the timings
            print(f"\n{dtype}: generation {generation_line(backend, args.gen_batch, args.gen_tokens)}")
            lone, _ = timed_select(pairs(args.lone_pairs), lambda cfg, b=backend: LoneSamples(b), tmp,
                                   f"lone-{dtype}", window=1, synthesis=synthesis)
            new, _ = timed_select(pairs(args.pairs), lambda cfg, b=backend: b, tmp, f"batched-{dtype}", window=None,
                                  synthesis=synthesis)
            old_pp, new_pp = lone / args.lone_pairs, new / args.pairs
            print(f"{dtype}: Recon-Select likelihood N=4, {args.max_tokens}-token candidates, random-weight "
                  f"SmolLM2-135M shape on {device_name}")
            print(f"  one pair at a time, samples alone ({args.lone_pairs} pairs): {old_pp:.3f} s/pair")
            print(f"  windows of {backend.window_pairs} pairs, batched sampling ({args.pairs} pairs): "
                  f"{new_pp:.3f} s/pair  ({old_pp / new_pp:.1f}x)")
            backend.close()
            if args.device.startswith("cuda"):
                torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
