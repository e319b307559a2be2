"""The records `recon run` keeps under runs/NAME/stages/: whether a stage may be skipped (its inputs are
unchanged, it finished without a failed LM call, *and* its outputs are still the ones it wrote), and the
run's results.json, which carries one warning per stage still incomplete.

A record keeps each output's size and SHA-256 of all its bytes (about 1 s per GB). A folder output (a
checkpoint) counts as its top-level files.

    >>> from recon.store.failures import CallFailures
    >>> stage_warnings({"synthesize:backward": CallFailures(3, 8, ("HTTP 503",)), "data": CallFailures()})
    ['synthesize:backward: incomplete, 3 of 8 LM calls failed (HTTP 503); a re-run retries only those calls']
    >>> run = Path(getfixture("tmp_path"))
    >>> _ = (run / "traces.jsonl").write_text('{"id": "1"}\\n{"id": "2"}\\n')
    >>> record = {"outputs": output_files([run / "traces.jsonl"], run)}
    >>> record["outputs"]["traces.jsonl"]["size"], changed_output(record, [run / "traces.jsonl"], run) is None
    (24, True)
    >>> _ = (run / "traces.jsonl").write_text('{"id": "1"}\\n')
    >>> changed_output(record, [run / "traces.jsonl"], run).split("/")[-1]
    'traces.jsonl changed since the stage finished (24 → 12 bytes)'
"""

from __future__ import annotations

import json
from pathlib import Path

import recon
from recon.atomicio import write_json_atomic
from recon.backends.registry import redact_secrets
from recon.errors import DataError
from recon.evaluation.results import Results, read_results
from recon.hashing import content_hash, file_sha256
from recon.prompts import prompt_versions
from recon.store.failures import CallFailures


def stage_record_path(name: str) -> Path:
    """Where a stage's record lies in its run folder: stages/NAME.json (`:` written as `_`)."""
    return Path("stages") / f"{name.replace(':', '_')}.json"


def stage_key(inputs: dict) -> tuple[dict, str]:
    """(the inputs a record keeps, redacted, with the prompt versions and recon's version; their hash)."""
    inputs = redact_secrets({**inputs, "prompts": prompt_versions(), "recon": recon.__version__})
    return inputs, content_hash(inputs, tag="stage", length=16)


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


def stage_verdict(record: dict, key: str, outputs: list[Path], base: Path) -> tuple[bool, str | None]:
    """(whether the stage may be skipped, what the run says about it): skipped when it finished with these
    inputs and its outputs are still what it wrote; run again, saying why, when they are not or when LM calls
    failed last time."""
    if finished_with(record, key):
        changed = changed_output(record, outputs, base)
        if changed is None:
            return True, "unchanged, skipped"
        return False, f"{changed}; running it again (its LM calls come from the cache)"
    if record.get("key") == key and record.get("complete") is False:
        return False, (f"{record.get('failed_calls')} LM call(s) failed last time; running it again (finished "
                       "calls come from the cache)")
    return False, None


def output_files(outputs: list[Path], base: Path) -> dict[str, dict | None]:
    """{name: {size, sha256}} of each output file (named relative to the run folder `base` when inside it); a
    folder stands for its top-level files; None for a file that is missing."""
    files: dict[str, dict | None] = {}
    for path in outputs:
        for file in sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]:
            files[_name(file, base)] = fingerprint(file)
    return files


def changed_output(record: dict, outputs: list[Path], base: Path) -> str | None:
    """Why the outputs no longer match the stage's record (None: they do). A record without output hashes
    cannot be verified."""
    recorded = record.get("outputs")
    if not isinstance(recorded, dict) or not recorded:
        return "its record keeps no output hashes (written by an older recon), so its outputs cannot be verified"
    listed = {_name(p, base) for p in outputs if not p.is_dir()}
    for name in sorted(set(recorded) | listed):
        before, after = recorded.get(name), fingerprint(base / name)
        if after is None:
            return f"{base / name} is missing"
        if not isinstance(before, dict):
            return f"{base / name} is not in its record"
        if before != after:
            sizes = f"{before.get('size')} → {after['size']} bytes" if before.get("size") != after["size"] \
                else "same size, other content"
            return f"{base / name} changed since the stage finished ({sizes})"
    return None


def fingerprint(path: Path) -> dict | None:
    """{size, sha256} of a file; None if it is missing."""
    try:
        return {"size": path.stat().st_size, "sha256": file_sha256(path)}
    except FileNotFoundError:
        return None


def _name(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def stage_warnings(failures: dict[str, CallFailures]) -> list[str]:
    return [f"{stage}: incomplete, {f.describe()}" for stage, f in failures.items() if not f.complete]


def write_run_results(out: Path, eval_results: Path, failures: dict[str, CallFailures],
                      extra: list[str] | tuple[str, ...] = ()) -> Results:
    """runs/NAME/results.json: the evaluation's results plus a warning per incomplete stage (the evaluate
    stage's own failed judge calls are already among the evaluation's warnings) and the `extra` warnings.
    Returns what it wrote."""
    results = read_results(eval_results)
    if not isinstance(results, Results):
        raise DataError("an evaluation's results hold no seeds", path=eval_results)
    others = {stage: f for stage, f in failures.items() if stage != "evaluate"}
    results = results.model_copy(update={"warnings": results.warnings + stage_warnings(others) + list(extra)})
    write_json_atomic(out / "results.json", results.to_json())
    return results
