"""Every command's `--help`: help text, a shown default (or "required") and a metavar naming a kind for every
option and positional; usage errors carry the subcommand's own usage and a "did you mean"."""

from __future__ import annotations

import argparse

import pytest

from recon.cli.main import build_parser, main
from tests.unit.test_cli_flags import commands

KINDS = {"SPEC", "FILE", "FOLDER", "PATH", "N", "NUMBER", "SHARE", "SECONDS", "NAME", "ID", "RULE", "SOURCE", "PERCENT",
         "NAME=FILE", "FIELD=COLUMN", "A=B"}


def visible_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.help != argparse.SUPPRESS
            and not isinstance(a, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction))]


def takes_a_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def every_command():
    return [(" ".join(path), parser) for path, parser in commands(build_parser())]


@pytest.mark.parametrize("name,parser", every_command(), ids=[name for name, _ in every_command()])
def test_every_option_has_help_a_default_and_a_kind(name, parser):
    formatter = parser._get_formatter()
    for action in visible_actions(parser):
        label = f"recon {name} {action.option_strings or action.dest}"
        assert action.help and action.help.strip(), f"{label}: no help"
        shown = formatter._expand_help(action)
        assert "default" in shown or "required" in shown, f"{label}: no default shown: {shown!r}"
        if takes_a_value(action) and not action.choices:
            assert action.metavar in KINDS, f"{label}: metavar {action.metavar!r} names no kind"


@pytest.mark.parametrize("name", [name for name, _ in every_command()])
def test_every_command_help_exits_0(name, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*name.split(), "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: recon {name}")
    assert "BACKEND_BATCH_SIZE" not in out and "TRACES" not in out.replace("--traces", "")


def test_an_unknown_flag_shows_the_subcommands_usage(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["synthesize", "--data", "a.jsonl", "--method", "forward", "--out", "t.jsonl", "--temprature", "1"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: recon synthesize") and "--temprature" in err
    assert "did you mean --temperature?" in err


@pytest.mark.parametrize("argv,wrong,right", [
    (["synthesise"], "synthesise", "synthesize"),
    (["bench", "validty"], "validty", "validity"),
    (["synthesize", "--data", "a.jsonl", "--method", "recon-selct", "--out", "t.jsonl"], "recon-selct",
     "recon-select"),
])
def test_an_unknown_choice_gets_did_you_mean(argv, wrong, right, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"invalid choice: '{wrong}'" in err and f"did you mean '{right}'?" in err


@pytest.mark.parametrize("argv,old,new", [
    (["demo", "--data", "corpus"], "--data", "--corpus"),
    (["bench", "run", "--data", "corpus"], "--data", "--corpus"),
    (["data", "stats", "a.jsonl"], "a positional PATH", "--data PATH"),
    (["data", "split", "a.jsonl", "--out", "split"], "a positional PATH", "--data PATH"),
    (["evaluate", "--test", "t.jsonl", "--pred", "a=a.jsonl", "--pred", "b=b.jsonl", "--compare", "a:b",
      "--out", "e"], "--compare A:B", "--compare A=B"),
])
def test_old_spellings_stop_with_the_new_name(argv, old, new, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert f"{old} is now {new}" in capsys.readouterr().err


def test_data_stats_and_split_take_data(tmp_path):
    args = build_parser().parse_args(["data", "split", "--data", "a.jsonl", "--data", "b.jsonl", "--out", "s"])
    assert args.data == ["a.jsonl", "b.jsonl"]
    assert build_parser().parse_args(["data", "stats", "--data", "a.jsonl"]).data == ["a.jsonl"]


def test_demo_and_bench_run_take_corpus():
    assert str(build_parser().parse_args(["demo", "--corpus", "c"]).corpus) == "c"
    assert str(build_parser().parse_args(["bench", "run", "--corpus", "c"]).corpus) == "c"
