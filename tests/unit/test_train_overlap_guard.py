"""A model trained on some conversations never predicts them, however it is named: `sft:DIR`, or the same
checkpoint given as the backend of an ICL user model (`--model hf:DIR`, `models.user_model: hf:DIR`)."""

from __future__ import annotations

import json

from recon.cli.main import main
from recon.paths import GRPO_META, SFT_META


def pair(i: int, convo: str) -> dict:
    return {"id": f"p{i}", "domain": "d", "individual": "Ann", "conversation_id": convo, "turn_index": 1,
            "context": [{"speaker": "Bob", "text": f"Why {i}?"}], "action": f"Because {i}.", "meta": {}}


def test_a_checkpoint_backend_of_an_icl_user_model_refuses_its_training_conversations(tmp_path, capsys):
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    train.write_text("".join(json.dumps(pair(i, f"c{i}")) + "\n" for i in range(4)))
    test.write_text(json.dumps(pair(9, "held-in")) + "\n")
    for meta in (SFT_META, GRPO_META):
        ckpt = tmp_path / meta.split(".")[0]
        ckpt.mkdir()
        (ckpt / "config.json").write_text("{}")
        (ckpt / meta).write_text(json.dumps({"method": "backward", "reward": "e2e",
                                             "train_conversations": ["held-in", "c1"]}))
        code = main(["predict", "--user-model", "icl", "--model", f"hf:{ckpt}", "--data", str(train),
                     "--test", str(test), "--out", str(tmp_path / f"{meta}.jsonl")])
        err = capsys.readouterr().err
        assert code == 2 and "trained on" in err and "held-in" in err, err
        assert not (tmp_path / f"{meta}.jsonl").exists()
