"""`recon data convert` from a Hub dataset id, read from a Hugging Face cache with the network off, and from
JSON / JSONL files in any schema with the same `--map`."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recon.cli.main import main
from recon.data.corpus import load_examples
from tests.hub_cache import place_in_cache

MAP = ["--map", "context=history", "action=response", "individual=user_id", "conversation_id=thread_id"]
CARD = """---
configs:
- config_name: default
  data_files:
  - {split: train, path: data/train.parquet}
  - {split: test, path: data/test.parquet}
- config_name: late
  data_files:
  - {split: train, path: late/train.parquet}
---
# chats
"""


def rows(tag: str, n: int) -> list[dict]:
    return [{"history": [{"speaker": "Bob", "text": f"{tag} why {i}?"}], "response": f"{tag} because {i}.",
             "user_id": f"u{i % 2}", "thread_id": f"{tag}-t{i}"} for i in range(n)]


@pytest.fixture
def hub_dataset(tmp_path, offline_hub):
    """`org/chats` in the cache: two configurations, the default with train and test splits."""
    folder = tmp_path / "chats"
    for sub, tag, n in (("data/train", "train", 5), ("data/test", "test", 3), ("late/train", "late", 2)):
        (folder / sub).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows(tag, n)), folder / f"{sub}.parquet")
    (folder / "README.md").write_text(CARD)
    return place_in_cache(offline_hub, "org/chats", folder, repo_type="dataset")


def test_a_hub_dataset_converts_by_id_from_the_cache_offline(hub_dataset, tmp_path, capsys):
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", "org/chats", "--split", "test", *MAP, "--out", str(out)]) == 0
    pairs = load_examples([out])
    assert [p.action for p in pairs] == [f"test because {i}." for i in range(3)]
    assert {p.domain for p in pairs} == {"chats"}
    assert hub_dataset in capsys.readouterr().out           # the commit that was read


def test_config_and_revision_choose_what_is_read(hub_dataset, tmp_path):
    out = tmp_path / "late.jsonl"
    assert main(["data", "convert", "org/chats", "--config", "late", "--revision", hub_dataset, *MAP,
                 "--out", str(out)]) == 0
    assert [p.action for p in load_examples([out])] == ["late because 0.", "late because 1."]
    assert main(["data", "convert", f"hf://datasets/org/chats@{hub_dataset}", "--split", "train", *MAP,
                 "--out", str(out)]) == 0
    assert len(load_examples([out])) == 5


def test_a_missing_split_or_config_names_the_choices(hub_dataset, tmp_path, capsys):
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", "org/chats", *MAP, "--out", str(out)]) == 2
    assert "test, train" in capsys.readouterr().err
    assert main(["data", "convert", "org/chats", "--config", "early", *MAP, "--out", str(out)]) == 2
    assert "default, late" in capsys.readouterr().err
    assert not out.exists()


def test_an_offline_miss_is_one_line_naming_the_id_and_how_to_fetch_it(tmp_path, capsys):
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", "org/absent@v2", *MAP, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "org/absent@v2" in err and "hf download org/absent --repo-type dataset --revision v2" in err
    assert "HF_HUB_OFFLINE" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_json_files_in_any_schema_convert_with_the_same_map(tmp_path, suffix):
    source = tmp_path / f"forum{suffix}"
    records = rows("j", 4)
    source.write_text("\n".join(json.dumps(r) for r in records) if suffix == ".jsonl" else json.dumps(records))
    out = tmp_path / "pairs.jsonl"
    assert main(["data", "convert", str(source), *MAP, "--out", str(out)]) == 0
    pairs = load_examples([out])
    assert [p.action for p in pairs] == [f"j because {i}." for i in range(4)]
    assert pairs[0].context[0].text == "j why 0?" and {p.domain for p in pairs} == {"forum"}


def test_config_and_revision_are_refused_for_a_file(tmp_path, capsys):
    source = tmp_path / "forum.jsonl"
    source.write_text(json.dumps(rows("j", 1)[0]))
    assert main(["data", "convert", str(source), "--config", "x", *MAP, "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "Hub dataset" in capsys.readouterr().err
