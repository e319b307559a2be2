"""`prices:` and `budget:` in a run config: bad values are refused naming the file, line and field."""

from __future__ import annotations

import pytest
import yaml

from recon.config import load_run_config
from recon.errors import ConfigError

BASE = {"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]}, "methods": ["none"]}


@pytest.mark.parametrize("extra, field", [({"prices": {"fake": {"input": -1, "output": 1}}}, "prices.fake.input"),
                                          ({"prices": {"fake": {"input": 1}}}, "prices.fake.output"),
                                          ({"budget": {"max_usd": 1, "currency": "EUR"}}, "budget.currency")])
def test_bad_prices_and_budgets_name_the_field_and_line(tmp_path, extra, field):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump({**BASE, **extra}, sort_keys=False))
    with pytest.raises(ConfigError) as err:
        load_run_config(path)
    assert field in str(err.value) and f"{path}:" in str(err.value)


def test_prices_and_a_budget_are_read(tmp_path):
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text("")
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump({**BASE, "prices": {"openai:m": {"input": 0.15, "output": 0.6}},
                                    "budget": {"max_usd": 5}}))
    cfg, _ = load_run_config(path)
    assert cfg.prices["openai:m"].output == 0.6 and cfg.budget is not None and cfg.budget.max_usd == 5
