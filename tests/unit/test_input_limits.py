"""Bad input is exit 2 with file:line, never a traceback: lone surrogates, nesting past the limit, count
options out of range (refused while parsing), and `recon data split` writing both files or neither."""

from __future__ import annotations

import argparse
import errno
import json
from pathlib import Path

import pytest

from recon.cli.args import non_negative_int, positive_int
from recon.cli.main import build_parser, main
from recon.data.corpus import iter_jsonl
from recon.data.json_checks import MAX_DEPTH
from recon.errors import DataError
from tests.conftest import write_lines
from tests.unit.test_cli_flags import commands

PAIR = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 1,
        "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}


def pair_lines(n: int) -> list[str]:
    return [json.dumps(PAIR | {"id": f"a:{i}", "conversation_id": f"c{i}"}) for i in range(n)]


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    [line] = [x for x in err.splitlines() if x.startswith("recon: error:")]
    return line


SURROGATES = [
    ("action", {"action": "I agree \ud800"}),
    ("context", {"context": [{"speaker": "Bob", "text": "Why\udfff?"}]}),
    ("context", {"context": [{"speaker": "\ud83d", "text": "Why?"}]}),
    ("individual", {"individual": "Ann\udc00"}),
    ("meta", {"meta": {"notes": [{"deep": "x\ud800"}]}}),
    ("meta", {"meta": {"\ud800key": 1}}),
]


@pytest.mark.parametrize("field,change", SURROGATES)
def test_a_lone_surrogate_is_refused_at_parse_time_naming_file_line_and_field(tmp_path, field, change):
    path = write_lines(tmp_path / "p.jsonl", [pair_lines(1)[0], json.dumps(PAIR | {"id": "a:2"} | change)])
    with pytest.raises(DataError, match="lone surrogate") as caught:
        list(iter_jsonl(path))
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), 2, field)
    assert str(caught.value).startswith(f"{path}:2: ")


def test_an_escaped_surrogate_pair_is_one_valid_character(tmp_path):
    path = write_lines(tmp_path / "p.jsonl", ['{"id": "a:1", "domain": "d", "individual": "Ann", '
                                              '"conversation_id": "c", "turn_index": 0, "context": [], '
                                              '"action": "Nice \\ud83d\\ude00", "meta": {}}'])
    [ex] = list(iter_jsonl(path))
    assert ex.action == "Nice \U0001F600"


def test_data_split_with_a_lone_surrogate_exits_2_and_writes_neither_file(tmp_path, capsys):
    lines = pair_lines(6)
    lines[4] = json.dumps(PAIR | {"id": "a:4", "conversation_id": "c4", "action": "x\ud800"})
    data = write_lines(tmp_path / "p.jsonl", lines)
    assert main(["data", "split", "--data", str(data), "--test-fraction", "0.5", "--out", str(tmp_path / "split")]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"{data}:5" in line and "lone surrogate" in line and "action" in line
    assert not (tmp_path / "split").exists()


def test_a_lone_surrogate_in_a_csv_meta_cell_names_row_and_column(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text('ctx,act,who,conv,extra\n"[{""speaker"": ""B"", ""text"": ""Why?""}]",Because.,Ann,c1,'
                     '"{""k"": ""\\ud800""}"\n', encoding="utf-8")
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", str(table), "--map", "context=ctx", "action=act", "individual=who",
                 "conversation_id=conv", "meta=extra", "--out", str(out)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "row 1, column 'extra'" in line and "lone surrogate" in line and not out.exists()


def nested(depth: int) -> str:
    """A pair line whose whole value nests `depth` objects deep (the pair's own object is the first)."""
    inner = depth - 2                                   # the pair, then meta
    meta = '{"a": ' * inner + "1" + "}" * inner if inner else "1"
    return json.dumps(PAIR | {"meta": "@"}).replace('"@"', '{"m": ' + meta + "}")


def test_nesting_up_to_the_limit_loads_and_one_more_level_is_refused(tmp_path):
    [ex] = list(iter_jsonl(write_lines(tmp_path / "ok.jsonl", [nested(MAX_DEPTH)])))
    assert ex.id == "a:1"
    with pytest.raises(DataError, match=f"deeper than {MAX_DEPTH}") as caught:
        list(iter_jsonl(write_lines(tmp_path / "deep.jsonl", [nested(MAX_DEPTH + 1)])))
    assert caught.value.line == 1 and caught.value.field == "meta"


def test_meta_nested_100000_deep_exits_2_with_file_and_line(tmp_path, capsys):
    deep = '{"a": ' * 100_000 + "1" + "}" * 100_000
    data = write_lines(tmp_path / "p.jsonl", [*pair_lines(2), json.dumps(PAIR).replace('"meta": {}',
                                                                                      f'"meta": {deep}')])
    assert main(["data", "stats", "--data", str(data)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"{data}:3" in line and f"deeper than {MAX_DEPTH}" in line


def test_data_split_never_leaves_one_file_without_the_other(tmp_path, capsys, monkeypatch):
    data = write_lines(tmp_path / "p.jsonl", pair_lines(6))
    out = tmp_path / "split"
    real_fsync, calls = __import__("os").fsync, []

    def second_write_fails(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)
    monkeypatch.setattr("recon.atomicio.os.fsync", second_write_fails)
    assert main(["data", "split", "--data", str(data), "--test-fraction", "0.5", "--out", str(out)]) == 3
    assert len(calls) == 2
    assert not (out / "train.jsonl").exists() and not (out / "test.jsonl").exists()
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


NON_NEGATIVE = {"--seed", "--k",       # 0 is a seed, and zero demonstrations is a zero-shot user model
                "--forward-pairs", "--backward-pairs"}   # bench leakage: 0 honest traces of that method


def count_options():
    for path, parser in commands(build_parser()):
        for action in parser._actions:
            if action.option_strings and action.type in (int, positive_int, non_negative_int):
                yield " ".join(path), parser, action


def test_every_integer_option_of_every_command_uses_a_range_checked_type():
    seen = list(count_options())
    assert {"--n", "--limit", "--seed", "--max-steps", "--concurrency"} <= {a.option_strings[0] for *_, a in seen}
    for command, _, action in seen:
        flag = action.option_strings[0]
        expected = non_negative_int if flag in NON_NEGATIVE else positive_int
        assert action.type is expected, f"recon {command} {flag}"
        assert action.default is None or action.default >= (0 if flag in NON_NEGATIVE else 1)


@pytest.mark.parametrize("command,flag,parser,action", [
    pytest.param(c, a.option_strings[0], p, a, id=f"{c} {a.option_strings[0]}") for c, p, a in count_options()])
def test_an_out_of_range_count_is_a_usage_error_naming_the_option(command, flag, parser, action, capsys):
    bad = ["-1"] if action.type is non_negative_int else ["-1", "0"]
    for value in bad:
        with pytest.raises(SystemExit) as stop:
            parser.parse_args([flag, value])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert f"argument {flag}" in err and value in err and "Traceback" not in err


def test_the_count_types_say_what_they_want():
    assert (positive_int("3"), non_negative_int("0")) == (3, 0)
    for kind, value, words in ((positive_int, "0", "a whole number >= 1"), (non_negative_int, "-2", ">= 0"),
                               (positive_int, "2.5", "a whole number")):
        with pytest.raises(argparse.ArgumentTypeError, match=words):
            kind(value)


@pytest.mark.parametrize("argv", [["human", "export", "eval", "--n", "-5", "--out", "items.csv"],
                                  ["human", "export", "eval", "--n", "0", "--out", "items.csv"],
                                  ["logs", "--limit", "-1"], ["logs", "--limit", "0"]])
def test_the_reported_counts_stop_before_any_work(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2 and not Path("items.csv").exists()
    assert "Traceback" not in capsys.readouterr().err


def test_export_items_refuses_a_count_below_one_from_the_library_too(tmp_path):
    from recon.errors import ConfigError
    from recon.evaluation.human import export_items
    with pytest.raises(ConfigError, match="n must be >= 1"):
        export_items(tmp_path, n=0, out=tmp_path / "items.csv")
