"""`recon predict`: a user model predicts (reasoning, action) for each test pair.

`icl` draws demonstrations from the individual's training pairs with one method's traces (or none);
`sft:DIR` serves a checkpoint written by `recon train sft`. Predictions are cached LM calls like any
other, written atomically, with a manifest and the usual cost figures.

    >>> from recon.types import Example, Turn
    >>> tmp = Path(getfixture("tmp_path"))
    >>> mk = lambda i, c: Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=c, turn_index=1,
    ...                           context=(Turn("Bob", "Why?"),), action=f"Because {i}.")
    >>> from recon.store.db import Database
    >>> ctx = JobContext(database=Database(tmp / "db.sqlite3"))
    >>> job = run_predict(ctx, [mk(0, "test")], train=[mk(1, "a"), mk(2, "b")], traces={"p1": "She cares."},
    ...                   method="backward", user_model="icl", backend_config=BackendConfig(spec="fake"),
    ...                   cfg=UserModelConfig(k=2), out=tmp / "pred.jsonl")
    >>> job.pairs, job.written
    (1, 1)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Sequence
from pathlib import Path

from recon.atomicio import check_output_path, write_json_atomic, write_jsonl_atomic
from recon.backends.model_defaults import resolved_penalty
from recon.config import BackendConfig, UserModelConfig
from recon.errors import ConfigError
from recon.hashing import content_hash
from recon.jobs.common import JobSummary, backend_json, build_manifest
from recon.jobs.context import JobContext
from recon.method.parity import similarity_for
from recon.method.usermodel import DemonstrationPool, ICLUserModel
from recon.method.windows import window_pairs, windows
from recon.paths import GRPO_META, SFT_META, manifest_path
from recon.store.cache import CachedBackend
from recon.store.calls import run_cost
from recon.store.failures import call_failures
from recon.types import Example


def build_user_model(user_model: str, *, method: str, train: Sequence[Example], traces: dict[str, str] | None,
                     backend: CachedBackend, cfg: UserModelConfig, embedder=None,
                     demos: dict[str, list[str]] | None = None) -> ICLUserModel:
    if user_model == "icl":
        if demos is not None:
            return ICLUserModel(backend, DemonstrationPool(train, traces, fixed=demos), cfg, method=method)
        pool = DemonstrationPool(train, traces, similarity=similarity_for(cfg, embedder))
        return ICLUserModel(backend, pool, cfg, method=method)
    if user_model.startswith("sft:"):
        return ICLUserModel(backend, None, cfg, method=method, answer_format="tags", name=user_model)
    raise ConfigError(f"unknown user model {user_model!r}: use icl or sft:CHECKPOINT_DIR")


def checkpoint_conversations(spec: str) -> list[str] | None:
    """The training conversations a checkpoint records, when `spec` is `hf:DIR` of a recon checkpoint (SFT or
    GRPO); None for any other model.

    >>> checkpoint_conversations("embedded") is None
    True
    """
    kind, _, arg = spec.partition(":")
    folder = Path(arg)
    if kind != "hf" or not arg or not folder.is_dir():
        return None
    for name in (SFT_META, GRPO_META):
        try:
            meta = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found = meta.get("train_conversations") if isinstance(meta, dict) else None
        if isinstance(found, list):
            return [str(c) for c in found]
    return None


def check_train_overlap(test: Sequence[Example], train_conversations: Collection[str] | None, user_model: str, *,
                        allow: bool) -> None:
    """A checkpoint never predicts the conversations it was trained on (that measures memory, not a user
    model), unless explicitly allowed."""
    overlap = sorted({e.conversation_id for e in test} & set(train_conversations or ()))
    if overlap and not allow:
        raise ConfigError(f"{len(overlap)} test conversation(s) are among those {user_model} was trained on "
                          f"(e.g. {overlap[0]!r}); predict held-out conversations, or pass --allow-train-overlap "
                          "to do it anyway (recorded in every output record and the manifest)")


def run_predict(ctx: JobContext, test: Sequence[Example], *, train: Sequence[Example],
                traces: dict[str, str] | None, method: str, user_model: str, backend_config: BackendConfig,
                cfg: UserModelConfig, out: str | Path, inputs: list[str] | None = None,
                demos: dict[str, list[str]] | None = None, train_conversations: Collection[str] | None = None,
                allow_train_overlap: bool = False) -> JobSummary:
    """`demos` ({test id: training ids}) fixes the ICL demonstrations, the same for every method of a run.
    `train_conversations`: those a checkpoint was trained on; predicting one of them is refused unless
    `allow_train_overlap` (then recorded in every record and the manifest). Test pairs go to the backend in
    windows (`ctx.window`, default the backend's; 1 is one pair at a time)."""
    out, db, run = Path(out), ctx.db, ctx.run
    check_output_path(out)
    cfg = resolved_penalty(cfg, backend_config.spec)      # the model's default, once: recorded in the manifest
    if train_conversations is None:            # the same checkpoint served as a plain backend is guarded too
        train_conversations = checkpoint_conversations(backend_config.spec)
    check_train_overlap(test, train_conversations, user_model, allow=allow_train_overlap)
    leaked = {e.conversation_id for e in train} & {e.conversation_id for e in test}
    if leaked:
        raise ConfigError(f"{len(leaked)} conversation(s) are in both --data and --test (e.g. {sorted(leaked)[0]!r});"
                          " split by conversation (recon data split)")
    if user_model == "icl" and traces is not None and not traces:
        raise ConfigError(f"the {method} traces hold no usable trace (every record has reasoning null; see its "
                          "'invalid' field): the user model would see no demonstrations")
    if user_model == "icl" and traces is not None and not set(traces) & {e.id for e in train}:
        raise ConfigError(f"none of the {method} traces belongs to a training pair (do the trace ids match "
                          "--data?): the user model would see no demonstrations")
    stage = f"predict:{method}:{user_model.split(':')[0]}"
    backend = ctx.open(backend_config, stage)
    model = build_user_model(user_model, method=method, train=train, traces=traces, backend=backend, cfg=cfg,
                             embedder=ctx.embedder, demos=demos)
    predictions = []
    try:
        for window in windows(test, window_pairs(backend, ctx.window)):
            predictions.extend(model.predict(window))
            ctx.advance(len(window))
    finally:
        backend.close()
    flag = {"allow_train_overlap": True} if allow_train_overlap else {}
    write_jsonl_atomic(out, (p.to_json() | flag for p in predictions))
    predicted = sum(p.action is not None for p in predictions)
    summary = JobSummary(method, None, pairs=len(test), written=predicted, invalid=len(test) - predicted, leaking=0,
                         cost=run_cost(db, run, stage), out=out, run=run, failures=call_failures(db, run, stage),
                         user_model=model.name, well_formed=sum(p.well_formed for p in predictions),
                         short_of_demos=(sum(len(p.demos) < cfg.k for p in predictions)
                                         if user_model == "icl" else 0))
    write_json_atomic(manifest_path(out), build_manifest(
        stage, {"user_model": user_model, "method": method, "config": cfg.model_dump(),
                "repetition_penalty": model.repetition_penalty, "backend": backend_json(backend_config),
                "demos": None if demos is None else content_hash(demos, tag="demos", length=16),
                "allow_train_overlap": allow_train_overlap},
        fingerprints=[backend.fingerprint.to_json()], inputs=inputs,
        counts={"pairs": summary.pairs, "predicted": summary.written, "well_formed": summary.well_formed,
                "reasoning_truncated": sum(p.reasoning_truncated for p in predictions),
                "action_truncated": sum(p.action_truncated for p in predictions)},
        cost=dataclasses.asdict(summary.cost), failures=summary.failures))
    return summary
