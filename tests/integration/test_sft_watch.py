"""SFT you can watch, on a tiny random-weight model: TensorBoard events with `report_to: tensorboard`, an eval
loss from a held-out share, the libraries' output in train.log rather than the terminal, and a run killed
after a checkpoint that resumes from it."""

from __future__ import annotations

import json

import pytest

from recon.config import SFTTrainConfig
from recon.types import Example, Turn
from tests.tiny_model import make_tiny_model

pytest.importorskip("trl")


def pairs(n: int = 8) -> list[Example]:
    return [Example(id=f"a:{i}", domain="a", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                    context=(Turn("Bob", f"Why {i}?"),), action=f"Because {i}.") for i in range(n)]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(make_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny"))


@pytest.mark.slow          # trains a tiny model for three steps (~10 s)
def test_tensorboard_events_eval_loss_and_a_train_log_instead_of_terminal_noise(tiny, tmp_path, capfd):
    from recon.training.sft import train_sft
    cfg = SFTTrainConfig(model=tiny, lora=False, max_steps=3, per_device_train_batch_size=2, report_to="tensorboard",
                         logging_steps=1, save_steps=2, eval_fraction=0.25)
    shown: list[dict] = []
    result = train_sft(pairs(), None, method="none", cfg=cfg, out=tmp_path / "ckpt",
                       on_log=lambda state, logs: shown.append(logs))
    assert list((tmp_path / "ckpt" / "checkpoints" / "runs").rglob("events.out.tfevents.*"))
    assert len(result.eval_losses) == 3 and len(result.losses) == 3
    assert any("learning_rate" in logs for logs in shown)
    log = (tmp_path / "ckpt" / "train.log").read_text()
    assert "step 3/3" in log and "eval_loss=" in log
    terminal = capfd.readouterr()
    assert "FutureWarning" not in terminal.err + terminal.out and "it/s]" not in terminal.err
    assert (tmp_path / "ckpt" / "checkpoints" / "checkpoint-2").is_dir()
    meta = json.loads((tmp_path / "ckpt" / "recon_sft.json").read_text())
    assert (meta["eval_examples"], meta["examples"], result.examples) == (2, 6, 6)


@pytest.mark.slow          # trains a tiny model for four steps, stopped once after two (~10 s)
def test_a_run_killed_after_a_checkpoint_resumes_from_it(tiny, tmp_path):
    from recon.training.sft import train_sft
    cfg = SFTTrainConfig(model=tiny, lora=False, max_steps=4, per_device_train_batch_size=2, save_steps=2)

    def killed_at_step_3(step: int, total: int) -> None:
        if step == 3:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        train_sft(pairs(), None, method="none", cfg=cfg, out=tmp_path / "ckpt", on_step=killed_at_step_3)
    assert not (tmp_path / "ckpt" / "recon_sft.json").exists()
    steps_seen: list[int] = []
    result = train_sft(pairs(), None, method="none", cfg=cfg, out=tmp_path / "ckpt", resume=True,
                       on_step=lambda step, total: steps_seen.append(step))
    assert result.resumed_from == "checkpoint-2" and result.steps == 4
    assert steps_seen == [3, 4] and len(result.losses) == 2
    assert json.loads((tmp_path / "ckpt" / "recon_sft.json").read_text())["resumed_from"] == "checkpoint-2"
