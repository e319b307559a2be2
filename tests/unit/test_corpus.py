"""Strict pair parsing: every bad input is a DataError naming file and line; good data loads unchanged."""

from __future__ import annotations

import json

import pytest

from recon.data.corpus import iter_jsonl, load_examples
from recon.errors import DataError
from tests.conftest import write_lines

GOOD = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 3,
        "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because it matters.", "meta": {"k": 1}}


def rec(**changes):
    r = json.loads(json.dumps(GOOD))
    for k, v in changes.items():
        if v is KeyError:
            del r[k]
        else:
            r[k] = v
    return json.dumps(r)


def test_good_record_loads_every_field(tmp_path):
    [ex] = list(iter_jsonl(write_lines(tmp_path / "p.jsonl", [rec()])))
    assert ex.to_json() == GOOD


BAD = [
    ("missing key", [rec(), rec(id="a:2", action=KeyError)], 2, "missing key 'action'"),
    ("wrong type turn_index", [rec(turn_index="3")], 1, "turn_index must be an integer"),
    ("bool is not an int", [rec(turn_index=True)], 1, "turn_index must be an integer"),
    ("context not a list", [rec(context="Bob: Why?")], 1, "context must be a list"),
    ("speaker not a string", [rec(context=[{"speaker": 7, "text": "x"}])], 1, "context[0].speaker"),
    ("turn key missing", [rec(context=[{"speaker": "Bob"}])], 1, "context[0] is missing key 'text'"),
    ("empty action", [rec(action="   ")], 1, "action is empty"),
    ("null action", [rec(action=None)], 1, "action must be a string, got null"),
    ("meta not object", [rec(meta=[])], 1, "meta must be an object"),
    ("unknown key", [rec(extra=1)], 1, "unknown key 'extra'"),
    ("duplicate id", [rec(), rec(action="Other.")], 2, "duplicate id 'a:1'"),
    ("malformed JSON", [rec(), '{"id": "x",'], 2, "malformed JSON"),
    ("NaN is not JSON", [rec().replace('"turn_index": 3', '"turn_index": NaN')], 1, "NaN is not valid JSON"),
    ("not an object", ["[1, 2]"], 1, "must be a JSON object"),
    ("invalid UTF-8", [rec(), rec(id="a:2").encode().replace(b"Because", b"Bec\xffause")], 2, "invalid UTF-8"),
]


@pytest.mark.parametrize("name,lines,line,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_file_and_line(tmp_path, name, lines, line, message):
    path = write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(DataError) as info:
        list(iter_jsonl(path))
    assert info.value.path == str(path)
    assert info.value.line == line
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_duplicate_ids_across_files_are_rejected(tmp_path):
    a = write_lines(tmp_path / "a.jsonl", [rec()])
    b = write_lines(tmp_path / "b.jsonl", [rec(action="x y")])
    with pytest.raises(DataError, match="duplicate id") as info:
        load_examples([a, b])
    assert info.value.path == str(b) and info.value.line == 1


def test_missing_file_and_blank_lines(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        list(iter_jsonl(tmp_path / "nope.jsonl"))
    path = write_lines(tmp_path / "p.jsonl", ["", rec(), "  "])
    assert [e.id for e in iter_jsonl(path)] == ["a:1"]


def test_streaming_reads_lazily(tmp_path):
    """A bad line late in the file does not stop the records before it from streaming out."""
    path = write_lines(tmp_path / "p.jsonl", [rec(), "{bad"])
    it = iter_jsonl(path)
    assert next(it).id == "a:1"
    with pytest.raises(DataError):
        next(it)


def test_every_shared_corpus_loads(shared_data):
    files = sorted(shared_data.glob("*/*.jsonl"))
    files = [f for f in files if f.parent.name != "convokit_scotus_sample"]
    assert len(files) == 8
    examples = load_examples(files)
    assert len(examples) == 2063
    assert all(e.context and e.action.strip() for e in examples)
