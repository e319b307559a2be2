"""What a training run shows and reads without training: the step bar's figures, the process count under
`accelerate launch`, and the flags that reach the configs."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from recon.config import GRPOTrainConfig
from recon.errors import ConfigError
from recon.training.grpo import with_launched_processes


def test_the_bar_on_a_terminal_shows_the_latest_loss_and_learning_rate(monkeypatch):
    from recon.cli import output
    from recon.cli.train_progress import training_bar
    screen = io.StringIO()
    monkeypatch.setattr(output, "err_console", Console(file=screen, force_terminal=True, width=160))
    with training_bar("sft (none)", 4) as steps:
        steps(1, 4)
        steps.log(None, {"loss": 2.5, "learning_rate": 0.0002, "epoch": 0.5})
        steps(2, 4)
    assert "loss 2.5 · lr 2.0e-04" in screen.getvalue() and "2/4" in screen.getvalue()


def test_grpo_reads_the_process_count_from_accelerate_launch(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    cfg = with_launched_processes(GRPOTrainConfig(reward="recon", per_device_train_batch_size=4, num_generations=4))
    assert cfg.num_processes == 2
    monkeypatch.delenv("WORLD_SIZE")
    assert with_launched_processes(GRPOTrainConfig(reward="recon")).num_processes == 1


def test_the_launched_count_is_checked_against_the_batch_and_the_config(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match="whole groups"):       # 2 per device cannot hold a group of 4
        with_launched_processes(GRPOTrainConfig(reward="recon", per_device_train_batch_size=2, num_generations=4,
                                                gradient_accumulation_steps=2))
    with pytest.raises(ConfigError, match="accelerate launched 2"):
        with_launched_processes(GRPOTrainConfig(reward="recon", num_processes=1))


def test_watch_flags_reach_the_sft_config(tmp_path, monkeypatch):
    import recon.training.sft as sft
    from recon.cli.main import main
    from tests.conftest import write_lines
    seen = {}

    def fake_train(train, traces, *, cfg, out, resume, **kwargs):
        seen.update(cfg=cfg, resume=resume)
        raise ConfigError("stop here")
    monkeypatch.setattr(sft, "train_sft", fake_train)
    pairs = write_lines(tmp_path / "p.jsonl", ['{"id": "a:1", "domain": "a", "individual": "Ann", "conversation_id": '
                                                '"c", "turn_index": 1, "context": [{"speaker": "B", "text": "Hi"}], '
                                                '"action": "Yo.", "meta": {}}'])
    assert main(["train", "sft", "--data", str(pairs), "--model", "hf:org/tiny", "--report-to", "tensorboard",
                 "--logging-steps", "5", "--save-steps", "7", "--save-total-limit", "2", "--eval-fraction", "0.2",
                 "--resume", "--out", str(tmp_path / "ckpt")]) == 2
    cfg = seen["cfg"]
    assert (cfg.report_to, cfg.logging_steps, cfg.save_steps, cfg.save_total_limit, cfg.eval_fraction) == \
        ("tensorboard", 5, 7, 2, 0.2)
    assert seen["resume"] is True and cfg.model == "org/tiny"


@pytest.mark.parametrize("variable", ["WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"])
def test_the_process_count_is_read_from_each_variable_accelerate_itself_reads(monkeypatch, variable):
    from recon.training.common import launched_processes
    assert launched_processes(None, {variable: "4"}) == 4                 # torchrun's, or mpirun's on CPUs
    with pytest.raises(ConfigError, match=f"accelerate launched 4 processes \\({variable}\\)"):
        launched_processes(2, {variable: "4"})


def grpo_cli(tmp_path, monkeypatch, *flags):
    """`recon train grpo` up to the trainer (monkeypatched): its exit code and the config it trained with."""
    import recon.training.grpo as grpo
    from recon.cli.main import main
    from tests.conftest import write_lines
    seen = {}

    def fake_train(train, cfg, out, resume, *rest):
        seen["cfg"] = cfg
        raise ConfigError("stop here")
    monkeypatch.setattr(grpo, "_train", fake_train)
    pairs = write_lines(tmp_path / "p.jsonl", ['{"id": "a:1", "domain": "a", "individual": "Ann", "conversation_id": '
                                                '"c", "turn_index": 1, "context": [{"speaker": "B", "text": "Hi"}], '
                                                '"action": "Yo.", "meta": {}}'])
    code = main(["train", "grpo", "--reward", "recon", "--data", str(pairs), "--model", "hf:org/tiny",
                 "--num-generations", "2", "--per-device-train-batch-size", "2", *flags,
                 "--out", str(tmp_path / "policy")])
    return code, seen.get("cfg")


def test_recon_train_grpo_under_accelerate_launch_reads_its_process_count(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")                 # what `accelerate launch --num_processes 2` gives each one
    code, cfg = grpo_cli(tmp_path, monkeypatch)
    assert code == 2 and cfg.num_processes == 2
    code, cfg = grpo_cli(tmp_path, monkeypatch, "--num-processes", "2")         # repeating it by hand still agrees
    assert cfg.num_processes == 2
    code, cfg = grpo_cli(tmp_path, monkeypatch, "--num-processes", "3")
    assert code == 2 and cfg is None and "accelerate launched 2 processes" in capsys.readouterr().err
    monkeypatch.delenv("WORLD_SIZE")
    assert grpo_cli(tmp_path, monkeypatch)[1].num_processes == 1      # a plain `recon train grpo`: one process
