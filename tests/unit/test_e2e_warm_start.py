"""E2E-GRPO is compared like for like: its policy starts from the SFT user model of `none` (the same checkpoint,
trained once), is predicted with the other user models' backend kind and numeric settings (or the config is
refused, naming what differs), and the setup block names the warm start. Trainers are replaced by stand-ins
that write the metadata real training writes, so nothing is trained here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from recon.backends.fake import FakeBackend
from recon.backends.model_defaults import EMBEDDED_REPETITION_PENALTY, model_repetition_penalty
from recon.bench.corpus_files import write_corpus
from recon.config import RunConfig, load_run_config
from recon.method.embeddings import HashEmbedder
from recon.paths import GRPO_META, SFT_META
from recon.redaction import redacted_spec
from recon.run import run_pipeline

BASE = {"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]}}


def config(**values) -> RunConfig:
    return RunConfig.model_validate({**BASE, **values})


@pytest.mark.parametrize("user_model", ["embedded", "llamacpp:/m/model.gguf", "fake", "openai:m@http://h:1/v1"])
def test_icl_user_models_off_transformers_refuse_e2e_grpo_naming_what_differs(user_model):
    with pytest.raises(ValidationError) as info:
        config(methods=["none", "backward", "e2e-grpo"], models={"user_model": user_model})
    text = str(info.value)
    shown = repr(redacted_spec(user_model))                     # a URL is shown without what it may carry
    assert "e2e-grpo" in text and shown in text and "hf:" in text and "user_model.kind: sft" in text


@pytest.mark.parametrize("values", [
    {"models": {"user_model": {"spec": "hf:embedded", "dtype": "bfloat16"}}},     # ICL on transformers
    {"user_model": {"kind": "sft"}},
    {"predict": ["none", "backward"]},                                            # e2e-grpo never predicted
])
def test_a_like_for_like_e2e_comparison_passes(values):
    assert config(methods=["none", "backward", "e2e-grpo"], **values).methods[-1] == "e2e-grpo"


def test_the_warm_start_settings_apply_to_icl_runs_with_e2e_grpo():
    cfg = config(methods=["none", "e2e-grpo"], models={"user_model": "hf:embedded"},
                 user_model={"kind": "icl", "sft": {"max_steps": 2}})
    assert cfg.user_model.sft.max_steps == 2
    with pytest.raises(ValidationError, match="user_model.sft applies"):
        config(methods=["none", "backward"], user_model={"kind": "icl", "sft": {"max_steps": 2}})


def test_a_policy_grown_from_an_embedded_warm_start_decodes_with_the_embedded_penalty(tmp_path):
    sft, grpo = tmp_path / "sft", tmp_path / "grpo"
    sft.mkdir()
    grpo.mkdir()
    (sft / SFT_META).write_text(json.dumps({"base": {"spec": "embedded"}}))
    (grpo / GRPO_META).write_text(json.dumps({"reward": "e2e", "base": {"spec": str(sft)}}))
    assert model_repetition_penalty(f"hf:{grpo}") == EMBEDDED_REPETITION_PENALTY
    (sft / SFT_META).write_text(json.dumps({"base": {"spec": "some/other"}}))
    assert model_repetition_penalty(f"hf:{grpo}") == 1.0


class Trainers:
    """Stand-ins for `train_sft` and `train_grpo`: record each call, write the metadata files they write."""

    def __init__(self):
        self.sft: list[tuple[str, Path]] = []
        self.grpo: list[tuple[str, str]] = []

    def train_sft(self, pairs, traces, *, method, cfg, out, user_cfg=None, on_step=None, data_files=None, **_):
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.sft.append((method, out))
        (out / SFT_META).write_text(json.dumps({
            "method": method, "base": {"spec": cfg.model}, "steps": cfg.max_steps, "data_hash": "d" * 16,
            "train_pair_ids": sorted(e.id for e in pairs),
            "train_conversations": sorted({e.conversation_id for e in pairs})}))

    def train_grpo(self, pairs, cfg, *, out, resume=False, on_step=None, reward=None, data_files=None, **_):
        from recon.training.sft import warm_start_record
        out = Path(out)
        self.grpo.append((cfg.reward, cfg.model))
        (out / GRPO_META).write_text(json.dumps({
            "reward": cfg.reward, "steps": cfg.max_steps, "base": {"spec": cfg.model},
            "warm_start": warm_start_record(cfg.model), "train_pair_ids": sorted(e.id for e in pairs),
            "train_conversations": sorted({e.conversation_id for e in pairs})}))


def run_with_stand_ins(tmp_path: Path, monkeypatch, **changes):
    import recon.training.grpo as grpo_module
    import recon.training.sft as sft_module
    trainers = Trainers()
    monkeypatch.setattr(sft_module, "train_sft", trainers.train_sft)
    monkeypatch.setattr(grpo_module, "train_grpo", trainers.train_grpo)
    data = tmp_path / "data"
    write_corpus(data, individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    raw = {"name": "e2e", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
           "models": {"synthesizer": "fake", "judge": "embedding"},
           "methods": ["e2e-grpo", "none", "backward"], "synthesis": {"max_tokens": 16},
           "grpo": {"num_generations": 2, "per_device_train_batch_size": 2, "max_steps": 3},
           "user_model": {"kind": "sft", "max_tokens": 24, "sft": {"max_steps": 2}},
           "out": str(tmp_path / "run"), **changes}
    (data / "run.yaml").write_text(yaml.safe_dump(raw))
    cfg, root = load_run_config(data / "run.yaml")
    result = run_pipeline(cfg, root, embedder=HashEmbedder(), backend_factory=lambda c: FakeBackend(
        responder=lambda req: "<reasoning>Sure.</reasoning> Fine."))
    return trainers, result, tmp_path / "run"


def test_the_e2e_policy_starts_from_the_none_sft_checkpoint_trained_once(tmp_path, monkeypatch):
    trainers, result, out = run_with_stand_ins(tmp_path, monkeypatch)
    warm = out / "ckpt" / "none"
    assert [m for m, _ in trainers.sft].count("none") == 1            # one training serves both
    assert ("e2e", str(warm)) in trainers.grpo
    assert result.ran.index("train:none") < result.ran.index("grpo:e2e")
    manifests = {m: json.loads((out / f"preds/{m}.jsonl.manifest.json").read_text()) for m in ("none", "e2e-grpo")}
    backends = {m: {k: v for k, v in man["config"]["backend"].items() if k != "spec"} for m, man in manifests.items()}
    assert backends["none"] == backends["e2e-grpo"]
    assert manifests["none"]["config"]["repetition_penalty"] == manifests["e2e-grpo"]["config"]["repetition_penalty"]
    results = json.loads((out / "results.json").read_text())
    warm_start = results["setup"]["grpo"]["policies"]["e2e"]["warm_start"]
    assert warm_start["checkpoint"] == str(warm) and warm_start["method"] == "none" and warm_start["steps"] == 2
    assert len(warm_start["sha256"]) == 64 and warm_start["training_pairs"] > 0
    predicted = results["setup"]["methods"]["e2e-grpo"]["predictions"]["warm_start"]
    assert predicted["sha256"] == warm_start["sha256"]
    report = (out / "eval/report.md").read_text()
    line = next(x for x in report.splitlines() if "e2e-grpo:" in x and "E2E-GRPO policy" in x)
    assert "warm start" in line and "SFT user model of none" in line and str(warm).replace("_", "\\_") in line


def test_an_icl_run_trains_the_warm_start_and_predicts_e2e_with_the_user_models_settings(tmp_path, monkeypatch):
    backend = {"spec": "hf:embedded", "dtype": "float32", "batch_size": 3}
    trainers, result, out = run_with_stand_ins(tmp_path, monkeypatch, models={
        "synthesizer": "fake", "judge": "embedding", "user_model": backend},
        user_model={"kind": "icl", "k": 1, "max_tokens": 24, "sft": {"max_steps": 2}})
    assert trainers.sft == [("none", out / "ckpt" / "none")]
    assert ("e2e", str(out / "ckpt" / "none")) in trainers.grpo
    e2e = json.loads((out / "preds/e2e-grpo.jsonl.manifest.json").read_text())["config"]["backend"]
    assert e2e["spec"] == f"hf:{out / 'grpo' / 'e2e'}"
    assert {k: e2e[k] for k in ("dtype", "batch_size")} == {"dtype": "float32", "batch_size": 3}


def test_the_e2e_policy_is_asked_at_prediction_exactly_as_grpo_trained_it():
    from recon.config import GRPOTrainConfig, UserModelConfig
    from recon.method.usermodel import ICLUserModel
    from recon.training.grpo import grpo_records
    from recon.types import Example, Turn
    ex = Example(id="p", domain="d", individual="Ann", conversation_id="c", turn_index=1,
                 context=(Turn("Bob", "Why?"),), action="Because.")
    cfg = UserModelConfig(k=0, repetition_penalty=1.0)
    trained = grpo_records([ex], GRPOTrainConfig(reward="e2e", user_model=cfg))[0]["prompt"]
    model = ICLUserModel(FakeBackend(), None, cfg, method="e2e-grpo", answer_format="tags", name="sft:policy")
    asked = [{"role": m.role, "content": m.content} for m in model.request(ex)[0].messages]
    assert asked == trained


def test_grpo_model_without_recon_grpo_is_refused_since_e2e_starts_from_its_warm_start():
    with pytest.raises(ValidationError, match="grpo.model is Recon-GRPO's base only"):
        config(methods=["none", "e2e-grpo"], user_model={"kind": "sft"}, grpo={"model": "hf:embedded"})
    assert config(methods=["none", "recon-grpo", "e2e-grpo"], user_model={"kind": "sft"},
                  grpo={"model": "hf:embedded"}).grpo.model == "embedded"


def test_the_plan_lists_the_warm_start_before_the_e2e_policy(tmp_path):
    from recon.run.plan import plan_run
    data = tmp_path / "data"
    write_corpus(data, individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    cfg = RunConfig.model_validate({
        "name": "p", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
        "models": {"synthesizer": "fake", "user_model": "hf:embedded"}, "methods": ["e2e-grpo", "backward"],
        "grpo": {"num_generations": 2, "per_device_train_batch_size": 2}, "out": str(tmp_path / "run")})
    stages = [(s.stage, s.action) for s in plan_run(cfg, data, embedder=HashEmbedder(),
                                                     backend_factory=lambda c: FakeBackend())]
    assert stages.index(("train:none", "train")) < stages.index(("grpo:e2e", "train"))
