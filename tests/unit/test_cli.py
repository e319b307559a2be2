"""The command line, in-process: what users type in the README."""

from __future__ import annotations

import json

import pytest

from recon.cli.main import main
from recon.data.corpus import load_examples
from tests.conftest import write_lines
from tests.unit.test_corpus import BAD

PAIR = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 1,
        "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}


def pairs_file(tmp_path, n=3):
    rows = [json.dumps(PAIR | {"id": f"a:{i}", "conversation_id": f"c{i % 2}", "action": f"Because {i}."})
            for i in range(n)]
    return write_lines(tmp_path / "pairs.jsonl", rows)


def test_data_stats_prints_one_row_per_individual(shared_data, capsys):
    assert main(["data", "stats", "--data", str(shared_data / "scotus_oral_argument/elena_kagan.jsonl"),
                 "--data", str(shared_data / "reddit_cmv/cmv_original_poster.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "Elena Kagan" in out and "253" in out and "43" in out and "49.9" in out
    assert "cmv_original_poster" in out or "OP" in out


@pytest.mark.parametrize("name,lines,line,message", BAD, ids=[b[0] for b in BAD])
def test_bad_data_exits_2_naming_file_and_line_and_writes_nothing(tmp_path, capsys, name, lines, line, message):
    bad = write_lines(tmp_path / "bad.jsonl", lines)
    out = tmp_path / "traces.jsonl"
    code = main(["synthesize", "--data", str(bad), "--method", "backward", "--dry-run", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{bad}:{line}: " in err and message in err
    assert not out.exists() and not list(tmp_path.glob(".traces.jsonl*"))


def test_synthesize_dry_run_then_rerun_is_all_cache_hits(tmp_path, capsys):
    data = pairs_file(tmp_path)
    out = tmp_path / "t.jsonl"
    args = ["synthesize", "--data", str(data), "--method", "forward", "--dry-run", "--out", str(out)]
    assert main(args) == 0
    first = out.read_text()
    assert len(first.splitlines()) == 3
    assert main(args) == 0
    assert out.read_text() == first
    capsys.readouterr()
    assert main(["logs", "--limit", "3"]) == 0
    logs = capsys.readouterr().out
    assert logs.count("hit") == 3 and "synthesize:forward" in logs
    assert main(["cache", "stats"]) == 0
    stats = capsys.readouterr().out
    assert "fake:fake" in stats and "generate" in stats


def test_limit_and_individual_filters(tmp_path):
    data = pairs_file(tmp_path, n=5)
    out = tmp_path / "t.jsonl"
    assert main(["synthesize", "--data", str(data), "--method", "backward", "--dry-run", "--limit", "2",
                 "--individual", "Ann", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 2
    assert main(["synthesize", "--data", str(data), "--method", "backward", "--dry-run",
                 "--individual", "Nobody", "--out", str(out)]) == 2


def test_split_and_convert(tmp_path, shared_data, capsys):
    assert main(["data", "split", "--data", str(pairs_file(tmp_path, 6)), "--test-fraction", "0.5",
                 "--out", str(tmp_path / "split")]) == 0
    train = load_examples([tmp_path / "split/train.jsonl"])
    test = load_examples([tmp_path / "split/test.jsonl"])
    assert len(train) + len(test) == 6
    assert not {e.conversation_id for e in train} & {e.conversation_id for e in test}
    out = tmp_path / "kagan.jsonl"
    assert main(["data", "convert", str(shared_data / "convokit_scotus_sample"), "--speaker", "elena_kagan",
                 "--out", str(out)]) == 0
    converted = load_examples([out])                  # the converted file passes strict validation
    assert len(converted) == 43 and converted[0].individual == "Elena Kagan"


def test_unknown_backend_is_a_clear_error(tmp_path, capsys):
    code = main(["synthesize", "--data", str(pairs_file(tmp_path)), "--method", "forward",
                 "--model", "embeded", "--out", str(tmp_path / "x.jsonl")])
    assert code == 2 and "did you mean 'embedded'" in capsys.readouterr().err


@pytest.mark.parametrize("scorer", ["likelihood", "judge", "embedding"])
def test_recon_select_dry_run_for_every_scorer_prints_the_cost_table(tmp_path, capsys, scorer):
    data = pairs_file(tmp_path)
    out = tmp_path / f"sel_{scorer}.jsonl"
    assert main(["synthesize", "--data", str(data), "--method", "recon-select", "--n", "3", "--scorer", scorer,
                 "--dry-run", "--out", str(out)]) == 0
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(records) == 3 and all(r["reasoning"] and len(r["candidates"]) == 3 for r in records)
    table = capsys.readouterr().out
    for column in ("calls/pair", "tokens/pair", "s/pair", "cache hits %", "leaking %", "invalid %"):
        assert column in table
    header = next(row_cells(line) for line in table.splitlines() if "calls/pair" in line)
    row = dict(zip(header, next(row_cells(line) for line in table.splitlines() if "recon-select" in line), strict=True))
    assert row["scorer"] == scorer
    assert row["cand. leaking %"] == "0"           # every candidate's leakage, beside the kept traces' "leaking %"
    # N candidates, then N+1 scoring passes | N reconstructions + 1 judge call | N reconstructions
    assert row["calls/pair"] == {"likelihood": "7", "judge": "7", "embedding": "6"}[scorer]


def row_cells(line: str) -> list[str]:
    return [c.strip() for c in line.replace("┃", "│").split("│")[1:-1]]


def test_score_existing_traces_and_unknown_ids(tmp_path, capsys):
    data = pairs_file(tmp_path)
    traces = tmp_path / "bw.jsonl"
    assert main(["synthesize", "--data", str(data), "--method", "backward", "--dry-run", "--out", str(traces)]) == 0
    out = tmp_path / "scored.jsonl"
    assert main(["score", "--traces", str(traces), "--data", str(data), "--scorer", "likelihood", "--dry-run",
                 "--out", str(out)]) == 0
    scored = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(scored) == 3 and all(isinstance(r["score"], float) and "leaking" in r["leakage"] for r in scored)
    other = write_lines(tmp_path / "other.jsonl", [json.dumps(PAIR | {"id": "zzz"})])
    capsys.readouterr()
    assert main(["score", "--traces", str(traces), "--data", str(other), "--scorer", "likelihood",
                 "--dry-run"]) == 2
    assert f"{traces}:1: trace id 'a:0' is not in the data" in capsys.readouterr().err


def test_predict_evaluate_and_human_from_the_command_line(tmp_path, capsys, monkeypatch):
    import recon.method.embeddings
    from recon.method.embeddings import HashEmbedder
    monkeypatch.setattr(recon.method.embeddings, "Embedder", HashEmbedder)     # no MiniLM in the fast suite
    def write(name, n, convo_prefix):
        rows = [json.dumps(PAIR | {"id": f"{name}:{i}", "conversation_id": f"{convo_prefix}{i}",
                                   "action": f"Answer {i} about the budget."}) for i in range(n)]
        return write_lines(tmp_path / f"{name}.jsonl", rows)
    train, test = write("train", 6, "tr"), write("test", 12, "te")
    traces = tmp_path / "bw.jsonl"
    assert main(["synthesize", "--data", str(train), "--method", "backward", "--dry-run", "--out", str(traces)]) == 0
    for method, extra in (("backward", ["--traces", str(traces)]), ("none", [])):
        assert main(["predict", "--data", str(train), "--test", str(test), *extra, "--model", "fake",
                     "--out", str(tmp_path / f"pred_{method}.jsonl")]) == 0
    capsys.readouterr()
    eval_dir = tmp_path / "eval"
    assert main(["evaluate", "--test", str(test), "--pred", f"backward={tmp_path / 'pred_backward.jsonl'}",
                 "--pred", f"none={tmp_path / 'pred_none.jsonl'}", "--judge", "fake", "--out", str(eval_dir)]) == 0
    out = capsys.readouterr().out
    assert "backward vs none" in out and (eval_dir / "report.html").is_file()
    assert main(["human", "export", str(eval_dir), "--n", "5", "--out", str(tmp_path / "items.csv")]) == 0
    assert len((tmp_path / "items.csv").read_text().strip().splitlines()) >= 2
    assert main(["predict", "--test", str(test), "--model", "fake", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "needs --data" in capsys.readouterr().err


def test_synthesize_with_a_grpo_synthesizer(tmp_path, capsys):
    data = pairs_file(tmp_path)
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    out = tmp_path / "g.jsonl"
    base = ["synthesize", "--data", str(data), "--method", "recon-grpo", "--dry-run", "--out", str(out)]
    assert main(base) == 2 and "needs --model hf:CHECKPOINT" in capsys.readouterr().err
    assert main(base + ["--model", f"hf:{ckpt}"]) == 2 and "not a recon GRPO checkpoint" in capsys.readouterr().err
    (ckpt / "recon_grpo.json").write_text('{"reward": "recon"}')
    assert main(base + ["--model", f"hf:{ckpt}"]) == 0
    assert {json.loads(x)["method"] for x in out.read_text().splitlines()} == {"recon-grpo"}
    assert main(base + ["--model", f"hf:{ckpt}", "--n", "2"]) == 2          # one trace per pair: --n is refused
    assert "--method recon-grpo-select" in capsys.readouterr().err
    select = [a if a != "recon-grpo" else "recon-grpo-select" for a in base]
    assert main(select + ["--model", f"hf:{ckpt}", "--n", "2"]) == 0        # several samples + selection
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert {r["method"] for r in records} == {"recon-grpo-select"} and all(len(r["candidates"]) == 2 for r in records)
    assert main(select + ["--n", "2"]) == 2 and "needs --model hf:CHECKPOINT" in capsys.readouterr().err


def test_synthesize_refuses_n_for_a_method_that_keeps_one_trace(tmp_path, capsys):
    data = pairs_file(tmp_path)
    argv = ["synthesize", "--data", str(data), "--method", "backward", "--n", "3", "--dry-run",
            "--out", str(tmp_path / "t.jsonl")]
    assert main(argv) == 2
    assert "--method recon-select" in capsys.readouterr().err and not (tmp_path / "t.jsonl").exists()


def test_the_lcs_threshold_is_a_flag_and_bad_values_are_named(tmp_path, capsys):
    data = pairs_file(tmp_path)
    base = ["synthesize", "--data", str(data), "--method", "recon-select", "--dry-run", "--out", str(tmp_path / "o")]
    assert main(base + ["--leak-max-lcs", "1.5"]) == 2 and "max_lcs_fraction" in capsys.readouterr().err
    assert main(base + ["--leak-max-lcs", "0.9"]) == 0
    manifest = json.loads((tmp_path / "o.manifest.json").read_text())
    assert manifest["config"]["recon_select"]["leakage"]["max_lcs_fraction"] == 0.9


def test_evaluate_and_human_validation_print_what_was_measured(tmp_path, capsys, monkeypatch):
    import csv

    import recon.method.embeddings
    from recon.method.embeddings import HashEmbedder
    monkeypatch.setattr(recon.method.embeddings, "Embedder", HashEmbedder)
    rows = [PAIR | {"id": f"t:{i}", "conversation_id": f"te{i}", "action": f"Answer {i} about the budget."}
            for i in range(12)]
    test = write_lines(tmp_path / "test.jsonl", [json.dumps(r) for r in rows])

    def preds(name, action_of):
        return write_lines(tmp_path / f"{name}.jsonl", [json.dumps({"id": r["id"], "action": action_of(i, r)})
                                                        for i, r in enumerate(rows)])
    good = preds("good", lambda i, r: r["action"] if i % 3 else "Let us adjourn.")
    same = preds("same", lambda i, r: "Let us adjourn." if i % 2 else None)      # fails half the time
    base = ["evaluate", "--test", str(test), "--pred", f"good={good}", "--pred", f"same={same}"]
    assert main(base + ["--both-orders", "--out", str(tmp_path / "e0")]) == 2
    assert "--both-orders applies to an LM judge" in capsys.readouterr().err
    assert main(base + ["--out", str(tmp_path / "eval")]) == 0
    out = capsys.readouterr().out
    for column in ("failed A", "failed B", "pending", "valid only", "conv", "loops %", "failed %"):
        assert column in out, column
    assert main(base + ["--judge", "fake", "--no-both-orders", "--out", str(tmp_path / "lm")]) == 0
    results = json.loads((tmp_path / "lm" / "results.json").read_text())
    assert results["setup"]["judge"]["both_orders"] is False
    capsys.readouterr()

    # identical predictions (good and same both say "Let us adjourn." on pairs 3 and 9) are not exported
    assert main(["human", "export", str(tmp_path / "eval"), "--n", "50", "--out", str(tmp_path / "items.csv")]) == 0
    assert "2 pairs with identical predictions left out" in capsys.readouterr().out
    items = list(csv.DictReader((tmp_path / "items.csv").open()))
    assert items and all(r["response_1"].split() != r["response_2"].split() for r in items)
    with (tmp_path / "labelled.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(items[0]))
        w.writeheader()
        w.writerows([{**r, "label": "1"} for r in items])
    assert main(["human", "import", str(tmp_path / "labelled.csv"), "--eval", str(tmp_path / "eval")]) == 0
    out = capsys.readouterr().out
    assert "95% CI" in out and "items" in out
    reference = [line for line in out.splitlines() if "77%" in line]
    assert len(reference) == 1 and reference[0].startswith("reference only") and "not comparable" in reference[0]


def test_the_content_and_filler_quote_thresholds_are_flags(tmp_path, capsys):
    data = pairs_file(tmp_path)
    base = ["synthesize", "--data", str(data), "--method", "recon-select", "--dry-run", "--out", str(tmp_path / "o")]
    assert main(base + ["--leak-max-content", "2"]) == 2 and "max_content_share" in capsys.readouterr().err
    assert main(base + ["--leak-max-content", "0.6", "--leak-max-quote", "0.4"]) == 0
    leakage = json.loads((tmp_path / "o.manifest.json").read_text())["config"]["recon_select"]["leakage"]
    assert (leakage["max_content_share"], leakage["max_quote_share"]) == (0.6, 0.4)
