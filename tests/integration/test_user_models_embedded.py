"""User models on real pairs with real models: SFT for a few CPU steps on 16 pairs, then predictions on 4
test pairs; ICL predictions with the embedded model. Prints the measured CPU cost."""

from __future__ import annotations

import json
import time

import pytest

from recon.config import BackendConfig, SFTTrainConfig, UserModelConfig
from recon.data.corpus import load_examples
from recon.data.splits import split_examples
from recon.jobs.context import JobContext
from recon.jobs.predict import run_predict
from recon.store.db import Database
from recon.training.sft import read_sft_meta, train_sft

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def split(request):
    from tests.conftest import SHARED_DATA
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"the shared development data is not at {SHARED_DATA} (set RECON_SHARED_DATA)")
    pairs = load_examples([SHARED_DATA / "scotus_oral_argument/elena_kagan.jsonl"])
    train, test = split_examples(pairs, test_fraction=0.3, by="meta.case_id")
    return train[:16], test[:4]


def traces_for(pairs):
    return {e.id: f"She wants the advocate to face the hard case behind: {e.context[-1].text[:80]}" for e in pairs}


def test_sft_trains_a_few_steps_and_its_checkpoint_predicts(tmp_path, split):
    train, test = split
    ckpt = tmp_path / "ckpt"
    t0 = time.perf_counter()
    result = train_sft(train, traces_for(train), method="backward",
                       cfg=SFTTrainConfig(max_steps=3, per_device_train_batch_size=2), out=ckpt)
    print(f"\nSFT: {result.steps} steps, {result.seconds_per_step:.2f} s/step on CPU "
          f"({time.perf_counter() - t0:.1f} s with loading)")
    assert result.steps == 3 and len(result.losses) == 3 and result.examples == 16
    meta = read_sft_meta(ckpt)
    assert meta["method"] == "backward" and len(meta["data_hash"]) == 16 and meta["config"]["lora"] is True
    assert meta["train_pair_ids"] == sorted(e.id for e in train) and meta["config"]["max_steps"] == 3
    assert meta["train_conversations"] == sorted({e.conversation_id for e in train})
    assert (ckpt / "model.safetensors").is_file() and not (ckpt / "trainer").exists()
    assert set(meta["clipped"]) == {"reasoning", "action", "pairs"} and meta["clipped"] == result.clipped
    out = tmp_path / "pred.jsonl"
    summary = run_predict(JobContext(database=Database(tmp_path / "db.sqlite3")), test, train=[], traces=None,
                          method="backward", user_model=f"sft:{ckpt}",
                          backend_config=BackendConfig(spec=f"hf:{ckpt}"),
                          cfg=UserModelConfig(reasoning_max_tokens=32, action_max_tokens=64), out=out)
    preds = [json.loads(x) for x in out.read_text().splitlines()]
    assert summary.pairs == 4 and [p["id"] for p in preds] == [e.id for e in test]
    assert all(p["user_model"] == f"sft:{ckpt}" and p["raw"] for p in preds)
    assert all(p["finish_reason"] in ("stop", "length") for p in preds)
    assert all(p["raw"].startswith("<reasoning>") for p in preds)          # the action continued the reasoning


def test_icl_predictions_with_the_embedded_model(tmp_path, split):
    train, test = split
    out = tmp_path / "pred.jsonl"
    t0 = time.perf_counter()
    summary = run_predict(JobContext(database=Database(tmp_path / "db.sqlite3")), test, train=train,
                          traces=traces_for(train), method="backward", user_model="icl",
                          backend_config=BackendConfig(spec="embedded"), cfg=UserModelConfig(k=2), out=out)
    print(f"\nICL: {(time.perf_counter() - t0) / len(test):.2f} s per prediction (k=2, embedded, CPU)")
    preds = [json.loads(x) for x in out.read_text().splitlines()]
    assert summary.written == 4 and summary.well_formed == 4           # the schema keeps the 135M model in line
    assert all(p["action"] and len(p["demos"]) == 2 for p in preds)
    assert all(p["finish_reason"] in ("stop", "length") for p in preds)
