"""The embedded model's repetition penalty (1.15, docs/user-models.md) is its own default, and a checkpoint
trained from it (SFT or GRPO) keeps that default: a few steps of fine-tuning do not cure its loops. Any other
model's default is off."""

from __future__ import annotations

import json

import pytest

from recon.backends.hf import HFBackend
from recon.backends.llamacpp import EMBEDDED_REPETITION_PENALTY
from recon.paths import GRPO_META, SFT_META


def checkpoint(folder, meta_name=None, base_spec="embedded"):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    if meta_name:
        (folder / meta_name).write_text(json.dumps({"base": {"spec": base_spec, "source": "x", "gguf": None}}))
    return str(folder)


@pytest.mark.parametrize("meta_name", [SFT_META, GRPO_META])
def test_a_checkpoint_trained_from_the_embedded_model_keeps_its_penalty(tmp_path, meta_name):
    assert HFBackend(checkpoint(tmp_path / "ckpt", meta_name)).default_repetition_penalty \
        == EMBEDDED_REPETITION_PENALTY == 1.15


def test_other_models_have_no_default_penalty(tmp_path):
    assert HFBackend(checkpoint(tmp_path / "plain")).default_repetition_penalty is None
    other = checkpoint(tmp_path / "other", SFT_META, base_spec=str(tmp_path / "plain"))
    assert HFBackend(other).default_repetition_penalty is None


def test_the_embedded_model_in_transformers_has_the_penalty_too():
    assert HFBackend("embedded").default_repetition_penalty == EMBEDDED_REPETITION_PENALTY
