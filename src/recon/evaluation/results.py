"""What an evaluation produced, and reading it back: `EvaluationResult` (what `run_evaluate` returns), the
prediction files it judged, and its folder's results.json (schema `RESULTS_SCHEMA_VERSION`).

    >>> p = Path(getfixture("tmp_path")) / "pred.jsonl"
    >>> _ = p.write_text('{"id": "a", "action": "Yes."}\\n{"id": "b", "action": " "}\\n')
    >>> preds = read_predictions(p)
    >>> usable_action(preds["a"]), usable_action(preds["b"]), usable_action(None)
    ('Yes.', None, None)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from recon.data.corpus import iter_json_lines
from recon.errors import ConfigError, DataError
from recon.evaluation.winrate import Comparison
from recon.store.failures import CallFailures

RESULTS_SCHEMA_VERSION = 2


@dataclass
class EvaluationResult:
    comparisons: list[Comparison]
    methods: dict[str, dict]
    judgments: list[dict]
    out: Path
    failures: CallFailures = field(default_factory=CallFailures)     # judge calls that failed transiently
    parity: dict | None = None
    setup: dict = field(default_factory=dict)


def read_predictions(path: str | Path) -> dict[str, dict]:
    """{pair id: prediction record}, strictly: each record needs an id and an action (string or null)."""
    out: dict[str, dict] = {}
    for line, rec in iter_json_lines(path):
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str) or "action" not in rec:
            raise DataError("a prediction needs 'id' and 'action'", path=path, line=line)
        if rec["action"] is not None and not isinstance(rec["action"], str):
            raise DataError("'action' must be a string or null", path=path, line=line)
        if rec["id"] in out:
            raise DataError(f"duplicate id {rec['id']!r}", path=path, line=line)
        out[rec["id"]] = rec
    return out


def usable_action(record: dict | None) -> str | None:
    """The prediction's action, or None when there is none to judge (no record, null, or blank)."""
    action = record.get("action") if record else None
    return action if action and action.strip() else None


def load_results(folder: str | Path) -> dict:
    path = Path(folder) / "results.json"
    if not path.is_file():
        raise ConfigError(f"{folder} holds no results.json: run `recon evaluate --out {folder}` first")
    return json.loads(path.read_text(encoding="utf-8"))
