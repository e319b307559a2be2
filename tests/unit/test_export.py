"""`recon export`: pairs + one method's traces → TRL-ready chat records, a `datasets` folder and a dataset card."""

from __future__ import annotations

import json

import pytest
import yaml

from recon.cli.main import main
from recon.config import UserModelConfig
from recon.data.corpus import load_examples
from recon.errors import ConfigError
from recon.jobs.export import run_export
from recon.paths import manifest_path
from recon.training.sft import sft_records
from tests.conftest import write_lines

PAIR = {"domain": "council", "individual": "Ann", "turn_index": 1, "meta": {}}


def pairs_file(tmp_path, n=5):
    rows = [json.dumps(PAIR | {"id": f"a:{i}", "conversation_id": f"c{i}", "action": f"I vote for option {i} today.",
                               "context": [{"speaker": "Bob", "text": f"What about option {i}?"}]})
            for i in range(n)]
    return write_lines(tmp_path / "pairs.jsonl", rows)


def trace(i, reasoning, leaking=False, method="backward"):
    return json.dumps({"id": f"a:{i}", "method": method, "reasoning": reasoning, "model": {"kind": "fake"},
                       "leakage": {"longest_run": 9 if leaking else 0, "leaking": leaking}})


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_chat_records_are_what_recon_sft_trains_on(tmp_path, capsys):
    data = pairs_file(tmp_path, 3)
    traces = tmp_path / "bw.jsonl"
    assert main(["synthesize", "--data", str(data), "--method", "backward", "--dry-run", "--out", str(traces)]) == 0
    out = tmp_path / "augmented"
    assert main(["export", "--data", str(data), "--traces", str(traces), "--format", "chat", "--out", str(out)]) == 0
    assert "3 records" in capsys.readouterr().out
    records = read_jsonl(out / "train.jsonl")
    pairs = load_examples([data])
    by_id = {json.loads(line)["id"]: json.loads(line)["reasoning"] for line in traces.read_text().splitlines()}
    expected = sft_records(pairs, by_id, method="backward", cfg=UserModelConfig())
    assert [r["messages"] for r in records] == [e["prompt"] + e["completion"] for e in expected]
    assert [m["role"] for m in records[0]["messages"]] == ["system", "user", "assistant"]
    assert records[0]["messages"][2]["content"] == f"<reasoning>{by_id['a:0']}</reasoning>\nI vote for option 0 today."
    assert [(r["id"], r["individual"], r["domain"], r["conversation_id"]) for r in records] == [
        (p.id, p.individual, p.domain, p.conversation_id) for p in pairs]


def test_prompt_completion_format_is_sft_records_plus_columns(tmp_path):
    data = pairs_file(tmp_path, 2)
    traces = write_lines(tmp_path / "t.jsonl", [trace(0, "She likes it."), trace(1, "She is torn.")])
    run_export(load_examples([data]), traces, out=tmp_path / "out", fmt="prompt-completion")
    records = read_jsonl(tmp_path / "out/train.jsonl")
    expected = sft_records(load_examples([data]), {"a:0": "She likes it.", "a:1": "She is torn."},
                           method="backward", cfg=UserModelConfig())
    assert [{"prompt": r["prompt"], "completion": r["completion"]} for r in records] == expected
    assert "messages" not in records[0] and records[0]["id"] == "a:0"


def test_pairs_without_a_trace_and_leaking_traces_are_left_out_and_counted(tmp_path):
    data = pairs_file(tmp_path, 5)
    traces = write_lines(tmp_path / "t.jsonl", [
        trace(0, "She likes it."),
        json.dumps({"id": "a:1", "method": "backward", "reasoning": None, "invalid": "backend error"}),
        trace(2, "She says: I vote for option 2 today.", leaking=True),
        trace(3, "She weighs the cost."),
        trace(9, "A pair that is not in the data."),
    ])                                                       # a:4 has no trace record at all
    result = run_export(load_examples([data]), traces, out=tmp_path / "out")
    assert [r["id"] for r in read_jsonl(tmp_path / "out/train.jsonl")] == ["a:0", "a:3"]
    assert result.counts == {"pairs": 5, "written": 2, "invalid": 1, "no_trace": 1, "leaking": 1,
                             "leaking_kept": 0, "unmatched_traces": 1}
    kept = run_export(load_examples([data]), traces, out=tmp_path / "kept", keep_leaking=True)
    assert [r["id"] for r in read_jsonl(tmp_path / "kept/train.jsonl")] == ["a:0", "a:2", "a:3"]
    assert kept.counts["leaking_kept"] == 1 and kept.counts["written"] == 3


def test_a_trace_without_leakage_figures_is_measured_at_export(tmp_path):
    data = pairs_file(tmp_path, 2)
    traces = write_lines(tmp_path / "t.jsonl", [
        json.dumps({"id": "a:0", "method": "forward", "reasoning": "She will say I vote for option 0 today."}),
        json.dumps({"id": "a:1", "method": "forward", "reasoning": "She is undecided."})])
    result = run_export(load_examples([data]), traces, out=tmp_path / "out")
    assert result.counts["leaking"] == 1 and result.counts["written"] == 1


def test_the_datasets_folder_holds_the_same_records(tmp_path):
    from datasets import load_from_disk

    data = pairs_file(tmp_path, 3)
    traces = write_lines(tmp_path / "t.jsonl", [trace(i, f"Reason {i}.") for i in range(3)])
    run_export(load_examples([data]), traces, out=tmp_path / "out")
    ds = load_from_disk(str(tmp_path / "out/dataset"))
    assert ds.column_names == ["id", "individual", "domain", "conversation_id", "messages"]
    assert ds.to_list() == read_jsonl(tmp_path / "out/train.jsonl")


def test_the_card_carries_provenance_counts_and_the_license_note(tmp_path):
    data = pairs_file(tmp_path, 4)
    sel = tmp_path / "sel.jsonl"
    assert main(["synthesize", "--data", str(data), "--method", "recon-select", "--n", "3", "--scorer",
                 "likelihood", "--dry-run", "--out", str(sel)]) == 0
    manifest = json.loads(manifest_path(sel).read_text())
    out = tmp_path / "augmented"
    assert main(["export", "--data", str(data), "--traces", str(sel), "--out", str(out)]) == 0
    card = (out / "README.md").read_text(encoding="utf-8")
    header, body = card.split("---\n", 2)[1:]
    meta = yaml.safe_load(header)
    assert meta["license"] == "other"
    assert meta["configs"][0]["data_files"] == [{"split": "train", "path": "train.jsonl"}]
    assert "| method | recon-select |" in body and "| scorer | likelihood |" in body
    assert "| candidates per pair (N) | 3 |" in body
    assert "| leakage policy at selection | reject |" in body
    assert "fake:fake" in body and manifest["config_hash"] in body
    for name, value in [("pairs", 4), ("written", 4), ("invalid", 0), ("leaking", 0)]:
        assert f"| {name} | {value} |" in body
    assert "license of the source corpus applies" in body
    export_meta = json.loads((out / "recon_export.json").read_text())
    assert export_meta["counts"]["written"] == 4 and export_meta["traces_manifest"]["config_hash"] == \
        manifest["config_hash"]


def test_a_card_without_a_traces_manifest_says_so(tmp_path):
    data = pairs_file(tmp_path, 1)
    traces = write_lines(tmp_path / "t.jsonl", [trace(0, "She likes it.")])
    run_export(load_examples([data]), traces, out=tmp_path / "out", license_id="cc-by-nc-4.0")
    card = (tmp_path / "out/README.md").read_text(encoding="utf-8")
    assert "no manifest" in card and "license: cc-by-nc-4.0" in card


def test_method_none_exports_the_action_alone(tmp_path):
    data = pairs_file(tmp_path, 2)
    run_export(load_examples([data]), None, out=tmp_path / "out")
    records = read_jsonl(tmp_path / "out/train.jsonl")
    assert [r["messages"][-1]["content"] for r in records] == ["I vote for option 0 today.",
                                                               "I vote for option 1 today."]
    assert "| method | none |" in (tmp_path / "out/README.md").read_text()


def test_refusals_write_nothing(tmp_path, capsys):
    data = pairs_file(tmp_path, 2)
    pairs = load_examples([data])
    nothing = write_lines(tmp_path / "other.jsonl", [json.dumps({"id": "z", "method": "backward", "reasoning": "r"})])
    with pytest.raises(ConfigError, match="nothing to export"):
        run_export(pairs, nothing, out=tmp_path / "out")
    mixed = write_lines(tmp_path / "mixed.jsonl", [trace(0, "r"), trace(1, "r", method="forward")])
    with pytest.raises(ConfigError, match="mixes methods"):
        run_export(pairs, mixed, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    good = write_lines(tmp_path / "good.jsonl", [trace(0, "r")])
    assert main(["export", "--data", str(data), "--traces", str(good), "--out", str(mine)]) == 2
    assert "not a recon export" in capsys.readouterr().err and (mine / "notes.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_exporting_again_replaces_an_earlier_export(tmp_path):
    data = pairs_file(tmp_path, 3)
    pairs = load_examples([data])
    run_export(pairs, write_lines(tmp_path / "a.jsonl", [trace(i, "r") for i in range(3)]), out=tmp_path / "out")
    run_export(pairs, write_lines(tmp_path / "b.jsonl", [trace(0, "r")]), out=tmp_path / "out")
    assert len(read_jsonl(tmp_path / "out/train.jsonl")) == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_failure_while_writing_leaves_the_earlier_export_whole(tmp_path, monkeypatch):
    import recon.jobs.export as export

    data = pairs_file(tmp_path, 2)
    pairs = load_examples([data])
    run_export(pairs, write_lines(tmp_path / "a.jsonl", [trace(0, "r"), trace(1, "r")]), out=tmp_path / "out")
    before = (tmp_path / "out/train.jsonl").read_text()

    def broken(records, folder):
        raise OSError("disk full")
    monkeypatch.setattr(export, "_save_dataset", broken)
    with pytest.raises(OSError, match="disk full"):
        run_export(pairs, write_lines(tmp_path / "b.jsonl", [trace(0, "r")]), out=tmp_path / "out")
    assert (tmp_path / "out/train.jsonl").read_text() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
