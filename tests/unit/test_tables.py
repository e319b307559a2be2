"""`recon data convert` for tables: Parquet, CSV and `datasets` folders mapped onto the pair schema."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recon.cli.main import main
from recon.data.corpus import load_examples
from recon.data.mapping import ColumnMapping, parse_map_entries, speaker_rule
from recon.data.tables import load_table
from recon.errors import ConfigError, DataError

MAP = ["context=history", "action=response", "individual=user_id", "conversation_id=thread_id"]


def row(i: int, **changes) -> dict:
    base = {"history": [{"speaker": "Bob", "text": f"Why {i}?"}, {"speaker": "Cy", "text": "Indeed."}],
            "response": f"Because of {i}.", "user_id": 7 + i % 2, "thread_id": f"t{i % 3}", "case": f"k{i}"}
    return base | changes


def parquet(tmp_path, rows, name="corpus.parquet"):
    path = tmp_path / name
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def write_csv(tmp_path, rows, name="corpus.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_parquet_columns_become_valid_pairs(tmp_path, capsys):
    src = parquet(tmp_path, [row(i) for i in range(4)])
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", str(src), "--map", *MAP, "meta.case_id=case", "--out", str(out)]) == 0
    pairs = load_examples([out])                       # the project's own strict reader accepts the output
    assert len(pairs) == 4 and "4 pairs" in capsys.readouterr().out
    first = pairs[0]
    assert first.action == "Because of 0." and first.individual == "7" and first.conversation_id == "t0"
    assert [(t.speaker, t.text) for t in first.context] == [("Bob", "Why 0?"), ("Cy", "Indeed.")]
    assert first.domain == "corpus"                    # the file's stem unless --domain or a domain column
    assert first.turn_index == 2                       # the number of context turns unless mapped
    assert first.meta == {"case_id": "k0"}
    assert len({p.id for p in pairs}) == 4 and all(p.id.startswith("corpus:") for p in pairs)
    # ids are content hashes: the same rows in another order keep their ids
    again = tmp_path / "again.jsonl"
    src2 = parquet(tmp_path, [row(i) for i in reversed(range(4))], name="corpus2.parquet")
    assert main(["data", "convert", str(src2), "--map", *MAP, "--domain", "corpus", "--out", str(again)]) == 0
    assert {p.id for p in load_examples([again])} == {p.id for p in pairs}


def test_mapped_id_domain_turn_index_and_meta_columns(tmp_path):
    rows = [row(i, pid=f"p{i}", dom="cmv", pos=10 + i, extra={"score": i}) for i in range(2)]
    pairs = load_table(parquet(tmp_path, rows), ColumnMapping(columns={
        **dict(e.split("=") for e in MAP), "id": "pid", "domain": "dom", "turn_index": "pos", "meta": "extra",
        "meta.case_id": "case"}))
    assert [(p.id, p.domain, p.turn_index) for p in pairs] == [("p0", "cmv", 10), ("p1", "cmv", 11)]
    assert pairs[1].meta == {"score": 1, "case_id": "k1"}


def test_csv_cells_hold_json_context_and_string_turns_get_speakers_by_prefix(tmp_path):
    rows = [{"history": json.dumps(["Bob: Why now?", "Cy:Really."]), "response": "Because.", "user_id": "ann",
             "thread_id": "t1", "pos": "3"}]
    src = write_csv(tmp_path, rows)
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", str(src), "--map", *MAP, "turn_index=pos", "--speaker-field", "prefix",
                 "--out", str(out)]) == 0
    [pair] = load_examples([out])
    assert [(t.speaker, t.text) for t in pair.context] == [("Bob", "Why now?"), ("Cy", "Really.")]
    assert pair.turn_index == 3 and pair.individual == "ann"


def test_numeric_looking_csv_ids_stay_text(tmp_path):
    rows = [{"history": "[]", "response": "Hello there.", "user_id": "007", "thread_id": "12"}]
    [pair] = load_table(write_csv(tmp_path, rows), ColumnMapping(columns=dict(e.split("=") for e in MAP)))
    assert pair.individual == "007" and pair.conversation_id == "12" and pair.context == ()


def test_datasets_folder_with_a_yaml_mapping_and_a_split(tmp_path):
    from datasets import Dataset, DatasetDict

    DatasetDict({"train": Dataset.from_list([row(i) for i in range(3)]),
                 "test": Dataset.from_list([row(i) for i in range(3, 5)])}).save_to_disk(str(tmp_path / "hf"))
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  context: history\n  action: response\n  individual: user_id\n"
                       "  conversation_id: thread_id\ndomain: forum\nsplit: test\n")
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", str(tmp_path / "hf"), "--mapping", str(mapping), "--out", str(out)]) == 0
    pairs = load_examples([out])
    assert [p.action for p in pairs] == ["Because of 3.", "Because of 4."] and pairs[0].domain == "forum"
    # the command line wins over the file
    assert main(["data", "convert", str(tmp_path / "hf"), "--mapping", str(mapping), "--split", "train",
                 "--out", str(out)]) == 0
    assert len(load_examples([out])) == 3
    with pytest.raises(ConfigError, match="splits: test, train"):
        load_table(tmp_path / "hf", ColumnMapping(columns=dict(e.split("=") for e in MAP)))


def test_speaker_rules():
    assert speaker_rule("alternate:Bot,Ann").turns(["a", "b", "c"], {}) == [
        {"speaker": "Bot", "text": "a"}, {"speaker": "Ann", "text": "b"}, {"speaker": "Bot", "text": "c"}]
    assert speaker_rule("alternate:Bot,Ann").turns(["a", "b"], {}) == [
        {"speaker": "Ann", "text": "a"}, {"speaker": "Bot", "text": "b"}]     # the last turn is the first name's
    assert speaker_rule("column:who").turns(["a", "b"], {"who": ["X", "Y"]}) == [
        {"speaker": "X", "text": "a"}, {"speaker": "Y", "text": "b"}]
    with pytest.raises(ConfigError, match="prefix, column:NAME or alternate:A,B"):
        speaker_rule("alternating")


def test_map_entries_are_checked_before_reading():
    assert parse_map_entries(["action=re=ply"]) == {"action": "re=ply"}       # the first '=' splits
    with pytest.raises(ConfigError, match="did you mean 'action'"):
        parse_map_entries(["acton=response"])
    with pytest.raises(ConfigError, match="TARGET=COLUMN"):
        parse_map_entries(["action"])
    with pytest.raises(ConfigError, match="twice"):
        parse_map_entries(["action=a", "action=b"])


def test_unknown_column_and_unmapped_fields_name_the_file(tmp_path, capsys):
    src = parquet(tmp_path, [row(0)])
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", str(src), "--map", *MAP[:-1], "conversation_id=thread", "--out",
                 str(out)]) == 2
    err = capsys.readouterr().err
    assert str(src) in err and "no column 'thread'" in err and "did you mean 'thread_id'" in err
    assert main(["data", "convert", str(src), "--map", *MAP[:-1], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "map the pair field 'conversation_id'" in err and "thread_id" in err
    assert not out.exists()


BAD_ROWS = [
    ("empty action", [row(0), row(1, response="  ")], 2, "response", "action is empty"),
    ("null individual", [row(0, user_id=None)], 1, "user_id", "individual must be a string, got null"),
    ("float individual", [row(0, user_id=1.5)], 1, "user_id", "individual must be a string, got float"),
    ("context is text", [row(0, history="Bob: hi")], 1, "history", "context must be a list, got str"),
    ("turn without text", [row(0), row(1), row(2, history=[{"speaker": "Bob"}])], 3, "history",
     "context[0].text must be a string, got null"),
    ("strings without a rule", [row(0, history=["Bob: hi"])], 1, "history", "--speaker-field"),
    ("duplicate id", [row(0, pid="x"), row(1, pid="x")], 2, "pid", "duplicate id 'x'"),
]


@pytest.mark.parametrize("name,rows,bad_row,column,message", BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_a_bad_row_names_file_row_and_column_and_nothing_is_written(tmp_path, capsys, name, rows, bad_row,
                                                                      column, message):
    src = parquet(tmp_path, rows)
    out = tmp_path / "pairs.jsonl"
    extra = ["id=pid"] if "pid" in rows[0] else []
    assert main(["data", "convert", str(src), "--map", *MAP, *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{src}: row {bad_row}, column {column!r}: " in err and message in err
    assert not out.exists() and not list(tmp_path.glob(".pairs.jsonl*"))


def test_bad_csv_cells(tmp_path):
    mapping = ColumnMapping(columns={**dict(e.split("=") for e in MAP), "turn_index": "pos"})
    good = {"history": "[]", "response": "Yes.", "user_id": "ann", "thread_id": "t", "pos": "1"}
    for change, column, message in [({"pos": "three"}, "pos", "turn_index must be a whole number"),
                                    ({"history": "[{"}, "history", "not JSON"),
                                    ({"history": json.dumps(["no speaker here"])}, "history", "'speaker: text'")]:
        src = write_csv(tmp_path, [good, good | {"response": "No."} | change])
        rule = "prefix" if "speaker" in message else None
        with pytest.raises(DataError) as info:
            load_table(src, mapping.model_copy(update={"speaker_field": rule}))
        assert str(info.value).startswith(f"{src}: row 2, column {column!r}: ") and message in str(info.value)


def test_a_duplicate_pair_without_an_id_column_says_how_to_fix_it(tmp_path):
    with pytest.raises(DataError, match=r"row 2: .*same pair as row 1.*--map id=COLUMN"):
        load_table(parquet(tmp_path, [row(0), row(0)]), ColumnMapping(columns=dict(e.split("=") for e in MAP)))


def test_unreadable_files_are_data_errors(tmp_path):
    mapping = ColumnMapping(columns=dict(e.split("=") for e in MAP))
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot be read as Parquet"):
        load_table(broken, mapping)
    with pytest.raises(DataError, match="no such file"):
        load_table(tmp_path / "missing.parquet", mapping)
    with pytest.raises(ConfigError, match=r"\.parquet, \.csv"):
        load_table(tmp_path / "corpus.xlsx", mapping)


def test_a_bad_mapping_file_is_a_config_error_naming_it(tmp_path):
    from recon.data.mapping import mapping_from

    bad = tmp_path / "map.yaml"
    bad.write_text("colums: {action: response}\n")
    with pytest.raises(ConfigError, match=r"map\.yaml: invalid column mapping: colums"):
        mapping_from(file=bad)
    bad.write_text("columns: {acton: response}\n")
    with pytest.raises(ConfigError, match="did you mean 'action'"):
        mapping_from(file=bad)
    bad.write_text("columns: {action: response}\n")
    assert mapping_from(file=bad, entries=["action=reply"]).columns == {"action": "reply"}
