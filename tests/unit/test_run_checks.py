"""Everything `recon run` can check before LM work is checked before LM work, and a bad config creates
nothing: overlapping train/test data, unknown backends, loosely typed values, bad or empty data files, an
`out` that is a file. Every config snippet in the docs and examples/ is a valid config."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from recon.cli.bench_cmd import write_corpus
from recon.cli.main import main
from recon.config import RunConfig, load_run_config
from recon.errors import ConfigError
from tests.conftest import write_lines

REPO = Path(__file__).resolve().parents[2]
BASE = {"name": "t", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
        "models": {"synthesizer": "fake", "user_model": "fake", "judge": "embedding"},
        "methods": ["none", "backward"], "user_model": {"kind": "icl", "k": 1}}


def config(tmp_path: Path, **changes) -> Path:
    data = tmp_path / "data"
    if not data.exists():
        write_corpus(data, individuals=2, pairs=4, seed=0, test_fraction=1 / 3)
    path = data / "run.yaml"
    path.write_text(yaml.safe_dump({**BASE, **changes, "out": str(tmp_path / "run")}))
    return path


def refused_before_anything(tmp_path: Path, recon_home: Path, capsys, path: Path) -> str:
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert not (tmp_path / "run").exists()                        # not even config.json
    db = recon_home / "recon.sqlite3"
    assert not db.exists() or sqlite3.connect(db).execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("recon: error:")
    return err


def test_the_same_file_as_train_and_test_is_refused_naming_the_fields(tmp_path, recon_home, capsys):
    path = config(tmp_path, data={"train": ["train.jsonl"], "test": ["train.jsonl"]})
    err = refused_before_anything(tmp_path, recon_home, capsys, path)
    assert "data.test" in err and "data.train" in err and "--train" not in err


def test_overlapping_conversations_are_refused_before_any_lm_call(tmp_path, recon_home, capsys):
    path = config(tmp_path)
    train = (tmp_path / "data" / "train.jsonl").read_text().splitlines()
    leaked = json.loads(train[0]) | {"id": "copy:0"}
    (tmp_path / "data" / "test.jsonl").write_text("\n".join([json.dumps(leaked)] + [
        x for x in (tmp_path / "data" / "test.jsonl").read_text().splitlines()]) + "\n")
    err = refused_before_anything(tmp_path, recon_home, capsys, path)
    assert "conversation" in err and leaked["conversation_id"] in err and "data.test" in err


def test_an_unknown_backend_is_refused_before_the_data_stage_writes(tmp_path, recon_home, capsys):
    path = config(tmp_path, models={"synthesizer": "embeded", "user_model": "fake", "judge": "embedding"})
    err = refused_before_anything(tmp_path, recon_home, capsys, path)
    assert "models.synthesizer" in err and "did you mean 'embedded'" in err


def test_a_bad_data_file_leaves_no_run_folder(tmp_path, recon_home, capsys):
    path = config(tmp_path)
    lines = (tmp_path / "data" / "test.jsonl").read_text().splitlines()
    (tmp_path / "data" / "test.jsonl").write_text("\n".join(lines[:1] + ["{oops"]) + "\n")
    err = refused_before_anything(tmp_path, recon_home, capsys, path)
    assert f"{tmp_path / 'data' / 'test.jsonl'}:2: malformed JSON" in err


def test_an_empty_data_file_is_an_error_naming_it(tmp_path, recon_home, capsys):
    path = config(tmp_path)
    (tmp_path / "data" / "test.jsonl").write_text("\n")
    err = refused_before_anything(tmp_path, recon_home, capsys, path)
    assert str(tmp_path / "data" / "test.jsonl") in err and "no pairs" in err


def test_an_empty_input_file_is_an_error_for_a_command_too(tmp_path, capsys):
    empty = write_lines(tmp_path / "empty.jsonl", [])
    out = tmp_path / "t.jsonl"
    assert main(["synthesize", "--data", str(empty), "--method", "backward", "--dry-run", "--out", str(out)]) == 2
    assert f"{empty}: no pairs" in capsys.readouterr().err and not out.exists()


def test_out_naming_an_existing_file_is_refused(tmp_path, recon_home, capsys):
    path = config(tmp_path)
    data = yaml.safe_load(path.read_text())
    (tmp_path / "taken").write_text("mine\n")
    path.write_text(yaml.safe_dump({**data, "out": str(tmp_path / "taken")}))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "out" in err and str(tmp_path / "taken") in err and "Traceback" not in err
    assert (tmp_path / "taken").read_text() == "mine\n"


@pytest.mark.parametrize("change,field", [
    ({"recon_select": {"n": True}}, "recon_select.n"),
    ({"seed": True}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"judge": {"both_orders": 1}}, "judge.both_orders"),
    ({"synthesis": {"temperature": True}}, "synthesis.temperature"),
    ({"user_model": {"kind": "icl", "k": "3"}}, "user_model.k"),
    ({"models": {"synthesizer": {"spec": "fake", "concurrency": True}}}, "models.synthesizer.concurrency"),
])
def test_values_of_the_wrong_type_are_not_coerced(tmp_path, change, field):
    with pytest.raises(ConfigError, match=re.escape(field)):
        load_run_config(config(tmp_path, **change))


def test_yaml_exponents_without_a_dot_still_read_as_numbers(tmp_path):
    path = config(tmp_path)
    path.write_text(path.read_text() + "user_model: {kind: sft, sft: {learning_rate: 1e-5}}\n")
    cfg, _ = load_run_config(path)
    assert cfg.user_model.sft.learning_rate == 1e-5


def test_the_synthesis_section_needs_no_method(tmp_path):
    cfg, _ = load_run_config(config(tmp_path, synthesis={"temperature": 0.7, "max_tokens": 128}))
    assert cfg.synthesis.max_tokens == 128
    with pytest.raises(ConfigError, match="synthesis.method"):
        load_run_config(config(tmp_path, synthesis={"method": "forward"}))


def yaml_snippets() -> list[tuple[str, str]]:
    found = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for i, block in enumerate(re.findall(r"```ya?ml\n(.*?)```", page.read_text(), flags=re.S)):
            found.append((f"{page.name}#{i}", block))
    for path in sorted((REPO / "examples").glob("*.yaml")):
        found.append((path.name, path.read_text()))
    return found


@pytest.mark.parametrize("name,text", yaml_snippets(), ids=[n for n, _ in yaml_snippets()])
def test_every_config_in_the_docs_and_examples_is_valid(name, text):
    """A run config (`recon run`) or a column mapping (`recon data convert --mapping`); nothing else."""
    from recon.data.mapping import ColumnMapping
    snippet = yaml.safe_load(text)
    model = ColumnMapping if "columns" in snippet else RunConfig
    model.model_validate(snippet)


def test_the_docs_do_show_a_run_config():
    assert any(name.startswith("run.md") for name, _ in yaml_snippets())


@pytest.mark.parametrize("name", ["..", "../x", "/abs", "", ".", "a/b"])
def test_a_run_name_that_escapes_the_runs_folder_is_refused_naming_the_field(tmp_path, monkeypatch, name):
    path = config(tmp_path)
    data = {k: v for k, v in yaml.safe_load(path.read_text()).items() if k != "out"}
    path.write_text(yaml.safe_dump({**data, "name": name}))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"name\b") as info:
        load_run_config(path)
    assert str(path) in str(info.value)


def test_a_run_named_dot_dot_writes_nothing_into_the_working_directory(tmp_path, recon_home, monkeypatch, capsys):
    path = config(tmp_path)
    data = {k: v for k, v in yaml.safe_load(path.read_text()).items() if k != "out"}
    path.write_text(yaml.safe_dump({**data, "name": ".."}))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", str(path)]) == 2
    assert "name" in capsys.readouterr().err and list(work.iterdir()) == []


@pytest.mark.parametrize("name", ["..", "."])
def test_an_explicit_out_decides_the_folder_whatever_the_name(tmp_path, name):
    path = config(tmp_path)
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), "name": name}))
    cfg, _ = load_run_config(path)
    assert cfg.out == str(tmp_path / "run")
