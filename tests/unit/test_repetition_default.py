"""The repetition penalty is resolved once, from the backend spec or the checkpoint's metadata, when a job opens
the model: the embedded model's 1.15 (docs/user-models.md) for `embedded`, `hf:embedded` and a checkpoint
trained from it (SFT or GRPO); off (1.0) for any other model. In every config None means "the model's
default" and 1.0 means off."""

from __future__ import annotations

import json

import pytest

from recon.backends.fake import FakeBackend
from recon.backends.model_defaults import EMBEDDED_REPETITION_PENALTY, model_repetition_penalty, resolved_penalty
from recon.config import BackendConfig, SynthesisConfig, UserModelConfig
from recon.errors import ConfigError
from recon.jobs.context import JobContext
from recon.jobs.predict import run_predict
from recon.jobs.synthesize import run_synthesis
from recon.paths import GRPO_META, SFT_META, manifest_path
from recon.store.db import Database
from recon.types import Example, Turn


def checkpoint(folder, meta_name=None, base_spec="embedded"):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    if meta_name:
        (folder / meta_name).write_text(json.dumps({"base": {"spec": base_spec, "source": "x", "gguf": None}}))
    return str(folder)


def pair(i: int) -> Example:
    return Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                   context=(Turn("Bob", "Why so?"),), action="Because it matters.")


@pytest.mark.parametrize("meta_name", [SFT_META, GRPO_META])
def test_a_checkpoint_trained_from_the_embedded_model_keeps_its_penalty(tmp_path, meta_name):
    spec = "hf:" + checkpoint(tmp_path / "ckpt", meta_name)
    assert model_repetition_penalty(spec) == EMBEDDED_REPETITION_PENALTY == 1.15


def test_the_embedded_model_has_its_penalty_and_other_models_have_none(tmp_path):
    assert model_repetition_penalty("embedded") == model_repetition_penalty("hf:embedded") == 1.15
    other = checkpoint(tmp_path / "other", SFT_META, base_spec=str(tmp_path / "plain"))
    for spec in ("fake", "llamacpp:model.gguf", "openai:m@http://localhost:1/v1", "hf:" + other,
                 "hf:" + checkpoint(tmp_path / "plain")):
        assert model_repetition_penalty(spec) == 1.0, spec


def test_none_resolves_to_the_model_default_and_a_value_stays():
    assert resolved_penalty(UserModelConfig(), "embedded").repetition_penalty == 1.15
    assert resolved_penalty(UserModelConfig(), "fake").repetition_penalty == 1.0
    assert resolved_penalty(UserModelConfig(repetition_penalty=1.0), "embedded").repetition_penalty == 1.0
    assert resolved_penalty(UserModelConfig(repetition_penalty=1.3), "fake").repetition_penalty == 1.3


class Recording(FakeBackend):
    def __init__(self):
        super().__init__()
        self.penalties: list = []

    def _generate(self, requests, on_result=None):
        self.penalties += [r.repetition_penalty for r in requests]
        return super()._generate(requests, on_result)


def test_predict_decodes_with_the_resolved_penalty_and_records_it(tmp_path):
    backend = Recording()
    out = tmp_path / "pred.jsonl"
    ctx = JobContext(database=Database(tmp_path / "db.sqlite3"), backend_factory=lambda cfg: backend)
    run_predict(ctx, [pair(0)], train=[pair(1)], traces=None, method="none", user_model="icl",
                backend_config=BackendConfig(spec="embedded"), cfg=UserModelConfig(k=1), out=out)
    assert backend.penalties and set(backend.penalties) == {1.15}
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["config"]["repetition_penalty"] == manifest["config"]["config"]["repetition_penalty"] == 1.15


def test_synthesis_is_off_by_default_and_none_takes_the_model_default(tmp_path):
    assert SynthesisConfig().repetition_penalty == 1.0
    for cfg, expected in ((SynthesisConfig(), None), (SynthesisConfig(repetition_penalty=None), 1.15)):
        backend = Recording()
        out = tmp_path / f"t{expected}.jsonl"
        ctx = JobContext(database=Database(tmp_path / "db.sqlite3"), backend_factory=lambda c, b=backend: b)
        run_synthesis(ctx, [pair(0)], BackendConfig(spec="embedded"), cfg, out=out)
        assert set(backend.penalties) == {expected}       # 1.0 travels as None: off, and out of the cache key
        assert json.loads(manifest_path(out).read_text())["config"]["synthesis"]["repetition_penalty"] \
            == (expected or 1.0)


def test_the_old_names_of_the_context_budget_are_refused_naming_the_new_ones():
    cfg = UserModelConfig(max_context_turns=2, max_turn_chars=100)
    assert (cfg.max_context_turns, cfg.max_turn_chars) == (2, 100)
    with pytest.raises(ValueError, match="context_turns is now max_context_turns"):
        UserModelConfig.model_validate({"context_turns": 2})
    with pytest.raises(ValueError, match="turn_chars is now max_turn_chars"):
        UserModelConfig.model_validate({"turn_chars": 100})


def test_a_user_model_needs_a_resolved_penalty():
    from recon.method.usermodel import ICLUserModel
    with pytest.raises(ConfigError, match="resolved"):
        ICLUserModel(FakeBackend(), None, UserModelConfig(), method="none")
