"""The records `recon run` keeps under runs/NAME/stages/: whether a stage may be skipped (its inputs are
unchanged *and* it finished without a failed LM call), and the run's results.json, which carries one
warning per stage still incomplete.

    >>> from recon.jobs.failures import CallFailures
    >>> stage_warnings({"synthesize:backward": CallFailures(3, 8, ("HTTP 503",)), "data": CallFailures()})
    ['synthesize:backward: incomplete, 3 of 8 LM calls failed (HTTP 503); a re-run retries only those calls']
"""

from __future__ import annotations

import json
from pathlib import Path

from recon.atomicio import write_json_atomic
from recon.jobs.failures import CallFailures


def read_record(path: Path) -> dict:
    """A stage's last record ({} when there is none or it cannot be read: the stage then runs)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def finished_with(record: dict, key: str) -> bool:
    """True when the record is of these inputs and the stage had no failed call: nothing to do again."""
    return record.get("key") == key and record.get("complete") is True


def stage_warnings(failures: dict[str, CallFailures]) -> list[str]:
    return [f"{stage}: incomplete, {f.describe()}" for stage, f in failures.items() if not f.complete]


def write_run_results(out: Path, eval_results: Path, failures: dict[str, CallFailures],
                      extra: list[str] | tuple[str, ...] = ()) -> None:
    """runs/NAME/results.json: the evaluation's results plus a warning per incomplete stage (the evaluate
    stage's own failed judge calls are already among the evaluation's warnings) and the `extra` warnings."""
    results = json.loads(eval_results.read_text(encoding="utf-8"))
    others = {stage: f for stage, f in failures.items() if stage != "evaluate"}
    results["warnings"] = results.get("warnings", []) + stage_warnings(others) + list(extra)
    write_json_atomic(out / "results.json", results)
