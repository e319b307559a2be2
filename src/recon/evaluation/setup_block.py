"""The `setup` block of results.json: what was measured, read from the files an evaluation used.

Everything comes from what exists: each prediction file's and traces file's manifest (written beside it by
`recon predict` / `recon synthesize`) and the first record of a traces file (its models); a value a file
does not hold is null. `recon run` adds what only it knows (the data files before splitting, the split rule,
the sample limits, the run config). Manifest configs are copied whole, so new config fields show up here
without code changes.

    >>> judge_setup(PairJudgeConfig(), model={"kind": "sentence-transformers"})["both_orders"] is None
    True
    >>> judge_setup(PairJudgeConfig(kind="lm"), model={"kind": "fake"})["both_orders"]
    True
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

import recon
from recon.config import PairJudgeConfig
from recon.data.corpus import iter_json_lines
from recon.data.sample import SAMPLE_RULE
from recon.evaluation.fake_banner import fake_roles
from recon.hashing import file_sha256
from recon.methods import acting_policy_label
from recon.paths import manifest_path
from recon.prompts import load_prompt
from recon.provenance import git_sha
from recon.redaction import redact_secrets
from recon.types import Example

EMBEDDING_JUDGE_NOTE = ("MiniLM (all-MiniLM-L6-v2) cosine similarity of each prediction to the true action: a "
                        "similarity, not a preference judgment. The paper's figures come from an LLM judge, so these "
                        "win rates are not comparable with them.")
LM_JUDGE_NOTE = ("an LM judge sees the context, the true action and both predictions and names the closer one "
                 "(prompt judge_pairwise){orders}.")
LIBRARIES = ("numpy", "scikit-learn", "pydantic", "llama_cpp_python", "torch", "transformers", "trl", "peft",
             "sentence-transformers", "datasets")


def _manifest(path: str | Path) -> dict | None:
    m = manifest_path(path)
    try:
        return json.loads(m.read_text(encoding="utf-8")) if m.is_file() else None
    except (OSError, json.JSONDecodeError):
        return None


def _file(path: str | Path) -> dict:
    p = Path(path)
    return {"path": str(p.resolve()), "sha256": file_sha256(p) if p.is_file() else None}


def judge_setup(cfg: PairJudgeConfig, *, model: dict | None) -> dict:
    lm = cfg.kind == "lm"
    orders = (", in both presentation orders; a verdict that flips with the order is a tie" if cfg.both_orders
              else ", in one presentation order chosen by a content hash")
    return {"kind": cfg.kind, "model": model, "prompt_version": load_prompt("judge_pairwise").version if lm else None,
            "both_orders": cfg.both_orders if lm else None, "margin": None if lm else cfg.margin,
            "description": LM_JUDGE_NOTE.format(orders=orders) if lm else EMBEDDING_JUDGE_NOTE,
            "config": cfg.model_dump()}


def prediction_setup(path: str | Path) -> dict:
    """The user model behind a prediction file: kind, k or SFT steps, its model, the manifest's config."""
    manifest = _manifest(path) or {}
    config = manifest.get("config") or {}
    kind = config.get("user_model")
    um_cfg = config.get("config") or {}
    trained: dict = {}
    if isinstance(kind, str) and kind.startswith("sft:"):
        from recon.paths import GRPO_META, SFT_META
        meta = Path(kind[4:]) / SFT_META
        if not meta.is_file() and (Path(kind[4:]) / GRPO_META).is_file():   # an E2E-GRPO policy
            meta, kind = Path(kind[4:]) / GRPO_META, f"{acting_policy_label()}:{kind[4:]}"
        try:
            trained = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
        except (OSError, json.JSONDecodeError):
            trained = {}
    fps = manifest.get("fingerprints") or []
    acting = isinstance(kind, str) and kind.startswith(f"{acting_policy_label()}:")
    return {**_file(path), "user_model": kind.split(":")[0] if isinstance(kind, str) else None,
            "k": um_cfg.get("k") if kind == "icl" else None, "sft_steps": trained.get("steps"),
            # the SFT checkpoint an acting policy started from (training/sft.warm_start_record)
            **({"warm_start": trained.get("warm_start")} if acting else {}),
            "repetition_penalty": config.get("repetition_penalty", um_cfg.get("repetition_penalty")),
            "model": fps[0] if fps else None, "config": config or None}


def trace_setup(path: str | Path) -> dict:
    """The synthesis behind a traces file: its models by role, Recon-Select's scorer and N, the leakage policy."""
    manifest = _manifest(path) or {}
    config = manifest.get("config") or {}
    first = next((rec for _, rec in iter_json_lines(path) if isinstance(rec, dict)), {})
    models = {role: first.get(key) for role, key in (("synthesizer", "model"), ("reconstructor", "reconstructor"),
                                                     ("judge", "judge")) if isinstance(first.get(key), dict)}
    rs = config.get("recon_select")
    return {**_file(path), "stage": manifest.get("stage"), "models": models or None,
            "fingerprints": manifest.get("fingerprints"),
            # a control's records name how it picked (random, length); the manifest's config is Recon-Select's
            "recon_select": {"scorer": first.get("scorer") or rs.get("scorer"), "n": rs.get("n")}
            if isinstance(rs, dict) else None,
            "leakage": (rs.get("leakage") if isinstance(rs, dict) else config.get("leakage")),
            "config": config or None}


def environment() -> dict:
    """recon's version and commit, key library versions, and the machine."""
    libs: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            libs[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            libs[name] = None
    gpu = None
    torch = sys.modules.get("torch")              # only when this process loaded it (a model did)
    if torch is not None and torch.cuda.is_available():
        gpu = torch.cuda.get_device_name(0)
    return {"recon_version": recon.__version__, "git_commit": git_sha(), "libraries": libs,
            "device": {"platform": platform.platform(), "machine": platform.machine(), "cpus": os.cpu_count(),
                       "python": platform.python_version(), "gpu": gpu}}


def run_setup(cfg, root: Path) -> dict:
    """What `recon run` adds: the data files as given (before splitting), the split rule, the limits and how
    they sample, and the whole run config."""
    d = cfg.data
    limited = d.limit_train_per_individual is not None or d.limit_test_per_individual is not None
    return {"data": {"files": {"train": [_file(root / p) for p in d.train],
                               "test": [_file(root / p) for p in d.test] if d.test is not None else None},
                     "split": ({**d.split.model_dump(), "rule": "by group per individual, seeded (recon data split)"}
                               if d.split is not None else None),
                     "limits": {"train_per_individual": d.limit_train_per_individual,
                                "test_per_individual": d.limit_test_per_individual},
                     "sample": {"rule": SAMPLE_RULE, "seed": cfg.seed} if limited else None},
            "run_config": redact_secrets(cfg.model_dump())}



def build_setup(*, judge: dict, test: Sequence[Example], test_paths: Sequence[str],
                predictions: dict[str, str | Path], traces: dict[str, str | Path], seed: int,
                extra: dict | None = None) -> dict:
    """The whole block; `extra` (from `recon run`) adds to `data` and the top level."""
    extra = dict(extra or {})
    data = {"test": [_file(p) for p in test_paths], "test_pairs": len(test),
            "test_conversations": len({e.conversation_id for e in test}), "split": None, "limits": None,
            "sample": None, **extra.pop("data", {})}
    methods = {m: {"predictions": prediction_setup(p), "traces": trace_setup(traces[m]) if m in traces else None}
               for m, p in predictions.items()}
    setup = {"judge": judge, "methods": methods, "data": data, "seed": seed, **environment(), **extra}
    return {**setup, "fake_backend": fake_roles(setup)}
