"""A misspelt key in a run config is named by file and line, with the closest valid key at that place."""

from __future__ import annotations

import pytest

from recon.cli.main import main
from recon.config import load_run_config
from recon.errors import ConfigError

CONFIG = """\
name: t
data:
  train: [a.jsonl]
  test: [a.jsonl]
methods: [none, backward]
synthesis:
  temprature: 0.5
models:
  synthesizer: fake
"""


def config_file(tmp_path, text):
    (tmp_path / "a.jsonl").write_text("")
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_an_unknown_nested_key_names_its_line_and_the_closest_key(tmp_path):
    path = config_file(tmp_path, CONFIG)
    with pytest.raises(ConfigError) as err:
        load_run_config(path)
    assert f"{path}:7: synthesis.temprature: unknown key; did you mean 'temperature'?" in str(err.value)


def test_an_unknown_top_level_key_and_a_key_under_a_list(tmp_path, capsys):
    text = CONFIG.replace("methods:", "method:").replace("  temprature: 0.5", "  temperature: 0.5")
    path = config_file(tmp_path, text)
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5: method: unknown key; did you mean 'methods'?" in err
    assert "5: methods: Field required" not in err         # the missing field is reported, without a line
    text = CONFIG.replace("  temprature: 0.5", "  seed: 1").replace("synthesizer: fake", "synthesizer: {spec: fake, "
                                                                    "concurency: 2}")
    path = config_file(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_run_config(path)
    assert f"{path}:9: models.synthesizer.concurency: unknown key; did you mean 'concurrency'?" in str(err.value)


def test_a_wrong_value_names_the_line_of_its_key(tmp_path):
    path = config_file(tmp_path, CONFIG.replace("temprature: 0.5", "temperature: hot"))
    with pytest.raises(ConfigError) as err:
        load_run_config(path)
    assert f"{path}:7: synthesis.temperature: " in str(err.value)
