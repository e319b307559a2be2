"""One naming for the flags every command shares: `--data` training pairs, `--test` test pairs, `--model` the LM
(a backend spec), `--listwise-judge` the judge scorer's LM beside `--judge` the pairwise judge of `recon evaluate`,
and `--out FILE` or `--out FOLDER` as each command says. A renamed flag stops with the name that replaced it."""

from __future__ import annotations

import argparse
import json

import pytest

from recon.cli.main import build_parser, main
from tests.conftest import write_lines

PAIR = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 1,
        "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}


def pairs(path, prefix, n):
    rows = [json.dumps(PAIR | {"id": f"{prefix}:{i}", "conversation_id": f"{prefix}{i}",
                               "action": f"Answer {i} about the budget."}) for i in range(n)]
    return write_lines(path, rows)


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, parser) of every leaf command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for sub in subs:
        for name, child in sub.choices.items():
            yield from commands(child, (*path, name))


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings if a.help != argparse.SUPPRESS}


def test_every_out_says_whether_it_is_a_file_or_a_folder():
    seen = []
    for path, parser in commands(build_parser()):
        out = options(parser).get("--out")
        if out is not None:
            seen.append(" ".join(path))
            assert out.metavar in ("FILE", "FOLDER"), f"recon {' '.join(path)} --out"
    assert {"synthesize", "score", "predict", "evaluate", "data split", "train sft", "export"} <= set(seen)


def test_no_command_offers_the_old_flag_names():
    for path, parser in commands(build_parser()):
        visible = options(parser)
        assert not {"--train", "--synthesizer", "--out-dir"} & set(visible), f"recon {' '.join(path)}"
        if "judge" in (getattr(visible.get("--scorer"), "choices", None) or ()):
            assert "--listwise-judge" in visible and "--judge" not in visible, f"recon {' '.join(path)}"


@pytest.mark.parametrize("argv,old,new", [
    (["predict", "--test", "t.jsonl", "--train", "a.jsonl", "--out", "p.jsonl"], "--train", "--data"),
    (["train", "sft", "--train", "a.jsonl", "--out", "ckpt"], "--train", "--data"),
    (["synthesize", "--data", "a.jsonl", "--method", "recon-grpo", "--synthesizer", "ckpt", "--out", "t.jsonl"],
     "--synthesizer", "--model hf:DIR"),
    (["synthesize", "--data", "a.jsonl", "--method", "recon-select", "--judge", "fake", "--out", "t.jsonl"],
     "--judge", "--listwise-judge"),
    (["score", "--traces", "t.jsonl", "--data", "a.jsonl", "--scorer", "judge", "--judge", "fake"],
     "--judge", "--listwise-judge"),
    (["bench", "validity", "--data", "d", "--judge", "fake"], "--judge", "--listwise-judge"),
    (["train", "grpo", "--reward", "recon", "--data", "a.jsonl", "--judge", "fake", "--out", "c"],
     "--judge", "--listwise-judge"),
    (["data", "split", "--data", "a.jsonl", "--out-dir", "split"], "--out-dir", "--out"),
])
def test_a_renamed_flag_stops_with_its_new_name(argv, old, new, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"{old} is now {new}" in err


def test_predict_and_train_sft_read_training_pairs_from_data(tmp_path, capsys):
    train, test = pairs(tmp_path / "train.jsonl", "tr", 4), pairs(tmp_path / "test.jsonl", "te", 3)
    out = tmp_path / "pred.jsonl"
    assert main(["predict", "--data", str(train), "--test", str(test), "--model", "fake", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 3
    manifest = json.loads((tmp_path / "pred.jsonl.manifest.json").read_text())
    assert manifest["counts"]["pairs"] == 3
    assert main(["predict", "--test", str(test), "--model", "fake", "--out", str(out)]) == 2
    assert "needs --data" in capsys.readouterr().err
    sft = build_parser().parse_args(["train", "sft", "--data", str(train), "--data", str(test), "--out", "ckpt"])
    assert sft.data == [train, test]


def test_the_listwise_judge_is_its_own_flag(tmp_path, capsys):
    data = pairs(tmp_path / "a.jsonl", "a", 2)
    base = ["synthesize", "--data", str(data), "--method", "recon-select", "--scorer", "judge", "--n", "2",
            "--model", "fake", "--out", str(tmp_path / "s.jsonl")]
    assert main(base) == 0
    assert main(base + ["--listwise-judge", "embeded"]) == 2                  # the flag reaches the backend
    assert "did you mean 'embedded'" in capsys.readouterr().err


def test_out_of_the_wrong_kind_is_bad_input_before_any_work(tmp_path, capsys):
    data = pairs(tmp_path / "a.jsonl", "a", 4)
    folder, file = tmp_path / "folder", tmp_path / "file.txt"
    folder.mkdir()
    file.write_text("keep me")
    with pytest.raises(SystemExit) as stop:
        main(["data", "split", "--data", str(data), "--out", str(file)])
    assert stop.value.code == 2 and f"{file} is a file; --out takes a folder here" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["synthesize", "--data", str(data), "--method", "forward", "--dry-run", "--out", str(folder)])
    assert stop.value.code == 2 and f"{folder} is a folder; --out takes a file here" in capsys.readouterr().err
    assert file.read_text() == "keep me" and not list(folder.iterdir())
    assert main(["data", "split", "--data", str(data), "--test-fraction", "0.5", "--out", str(tmp_path / "split")]) == 0
    assert (tmp_path / "split" / "train.jsonl").is_file() and (tmp_path / "split" / "test.jsonl").is_file()
