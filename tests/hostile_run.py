"""A fake-backend run whose every text field holds markup, comments, script tags and quotes: what the
report, the explorer and the labelling page must show as text."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from recon.bench.corpus_files import write_corpus
from recon.config import load_run_config
from recon.method.embeddings import HashEmbedder
from recon.run import run_pipeline

HOSTILE = "<script>window.pwned=1</script> <!--<script> </script> <img src=x onerror=\"window.pwned=2\"> 'q' & done"


def _rewrite(path: Path, change) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.write_text("".join(json.dumps(change(r)) + "\n" for r in rows), encoding="utf-8")


def _hostile_pair(row: dict) -> dict:
    row["action"] = f"{row['action']} {HOSTILE}"
    row["context"] = [{**t, "text": f"{t['text']} {HOSTILE}"} for t in row["context"]]
    return row


def _hostile_record(row: dict) -> dict:
    for key in ("reasoning", "action"):
        if isinstance(row.get(key), str):
            row[key] = f"{row[key]} {HOSTILE}"
    for cand in row.get("candidates") or []:
        cand["reasoning"] = f"{cand.get('reasoning') or ''} {HOSTILE}"
        cand["reconstruction"] = f"reconstructed {HOSTILE}"
    return row


def hostile_run(tmp_path: Path) -> Path:
    """The run folder: pairs hostile before the run, traces and predictions made hostile after it."""
    data = tmp_path / "data"
    write_corpus(data, individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    for name in ("train.jsonl", "test.jsonl"):
        _rewrite(data / name, _hostile_pair)
    cfg = {"name": "hostile", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
           "models": {"synthesizer": "fake", "user_model": "fake", "judge": "embedding"},
           "methods": ["none", "backward", "recon-select", "random-of-n", "longest-of-n"],
           "recon_select": {"n": 3, "scorer": "likelihood"}, "user_model": {"kind": "icl", "k": 2},
           "compare": [["recon-select", "backward"], ["backward", "none"]], "out": str(tmp_path / "run")}
    (data / "run.yaml").write_text(yaml.safe_dump(cfg))
    config, root = load_run_config(data / "run.yaml")
    run_pipeline(config, root, embedder=HashEmbedder())
    run = tmp_path / "run"
    for path in [*(run / "traces").glob("*.jsonl"), *(run / "preds").glob("*.jsonl")]:
        _rewrite(path, _hostile_record)
    return run
