"""GRPO on CPU with the embedded model as policy and reconstructor: a few steps of the `recon` reward and of
the `e2e` baseline on real pairs; the policy's weights change and the step log is written."""

from __future__ import annotations

import json

import pytest

from recon.config import GRPOTrainConfig
from recon.data.corpus import load_examples

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pairs():
    from tests.conftest import SHARED_DATA
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"the shared development data is not at {SHARED_DATA} (set RECON_SHARED_DATA)")
    return load_examples([SHARED_DATA / "scotus_oral_argument/sonia_sotomayor.jsonl"])[:8]


def weights(folder):
    from safetensors.numpy import load_file
    return load_file(str(folder / "model.safetensors"))


@pytest.mark.parametrize("reward", ["recon", "e2e"])
def test_three_grpo_steps_change_the_policy_and_log_each_step(tmp_path, pairs, reward):
    from recon.backends.dequantize import dequantized_dir
    from recon.backends.llamacpp import embedded_gguf_path
    from recon.method.embeddings import HashEmbedder
    from recon.training.grpo import build_reward, train_grpo
    cfg = GRPOTrainConfig(reward=reward, max_steps=3, num_generations=2, per_device_train_batch_size=2,
                          max_completion_length=32, learning_rate=5e-4, save_steps=2)
    out = tmp_path / reward
    result = train_grpo(pairs, cfg, out=out, reward=build_reward(cfg, embedder=HashEmbedder()))
    assert result.steps == 3
    rows = [json.loads(x) for x in (out / "steps.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3] and all(r["reward_mean"] is not None for r in rows)
    assert all(r["empty_rate"] is not None and r["failed_rate"] is not None for r in rows)
    if reward == "recon":
        assert all(r["leakage_rate"] is not None for r in rows)
    meta = json.loads((out / "recon_grpo.json").read_text())
    assert meta["reward"] == reward and meta["steps"] == 3
    assert meta["train_conversations"] == sorted({e.conversation_id for e in pairs})
    assert (out / "checkpoints" / "checkpoint-2").is_dir()
    before = weights(dequantized_dir(embedded_gguf_path()))
    after = weights(out)
    changed = [k for k in before if k in after and not (before[k] == after[k]).all()]
    assert changed, "GRPO left every weight unchanged"
