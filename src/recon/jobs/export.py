"""`recon export`: pairs + one method's traces → a folder of TRL-ready training data with a dataset card.

The folder holds `train.jsonl` (one record per pair: `id`, `individual`, `domain`, `conversation_id` and
either `messages` — system / user / assistant, format `chat` — or `prompt` + `completion`, format
`prompt-completion`), `dataset/` (the same records, `datasets.Dataset.save_to_disk`), `README.md` (the dataset
card: provenance, counts, license note) and `recon_export.json` (the same facts for programs). The assistant
turn is `method/sft_format.py`'s: exactly what `recon train sft` trains recon's user model to produce.

Pairs without a usable trace are left out and counted, and so are leaking traces unless `keep_leaking`.
A trace record without leakage figures is measured at export with the default thresholds.

    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because.")
    >>> rec = export_record(ex, "She is sure.", UserModelConfig(), method="backward", fmt="chat")
    >>> list(rec), rec["messages"][-1]["content"]
    (['id', 'individual', 'domain', 'conversation_id', 'messages'], '<reasoning>She is sure.</reasoning>\\nBecause.')
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recon.atomicio import atomic_directory, check_output_folder, write_json_atomic, write_jsonl_atomic
from recon.config import UserModelConfig
from recon.data.corpus import iter_json_lines
from recon.data.tables import import_datasets, quiet_datasets
from recon.errors import ConfigError, DataError
from recon.evaluation.fake_banner import is_fake
from recon.jobs.common import build_manifest, read_traces
from recon.jobs.dataset_card import render_card
from recon.method.leakage import measure_leakage
from recon.method.sft_format import sft_turns
from recon.paths import manifest_path
from recon.types import Example

FORMATS = ("chat", "prompt-completion")
KEPT_COLUMNS = ("id", "individual", "domain", "conversation_id")
EXPORT_META = "recon_export.json"


@dataclass(frozen=True)
class TraceFile:
    """One method's trace records by pair id, and the manifest written beside them (None if there is none)."""

    path: Path
    method: str
    records: dict[str, dict[str, Any]]
    manifest: dict[str, Any] | None


@dataclass(frozen=True)
class ExportResult:
    out: Path
    method: str
    fmt: str
    counts: dict[str, int]
    fake_backend: bool = False      # the traces were written by the fake backend (a test double, not an LM)


def read_trace_file(path: str | Path) -> TraceFile:
    path = Path(path)
    checked = read_traces(path)                         # validates ids, methods and reasoning types
    methods = sorted({r.method for r in checked})
    if len(methods) != 1:
        raise ConfigError(f"{path} mixes methods {methods}; export one method's traces"
                          if methods else f"{path} holds no trace records")
    records = {rec["id"]: rec for _, rec in iter_json_lines(path) if isinstance(rec, dict)}   # every one (checked)
    manifest = None
    if manifest_path(path).is_file():
        try:
            manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"the traces' manifest is not JSON ({exc})", path=manifest_path(path)) from None
    return TraceFile(path, methods[0], records, manifest)


def is_leaking(record: dict[str, Any], example: Example) -> bool:
    """The record's own leakage verdict, or the default thresholds' when it carries none."""
    leakage = record.get("leakage")
    if isinstance(leakage, dict) and isinstance(leakage.get("leaking"), bool):
        return leakage["leaking"]
    return measure_leakage(record["reasoning"], example.action).leaking


def export_record(example: Example, reasoning: str | None, cfg: UserModelConfig, *, method: str,
                  fmt: str) -> dict[str, Any]:
    prompt, completion = sft_turns(example, reasoning, cfg, method=method)
    columns = {k: getattr(example, k) for k in KEPT_COLUMNS}
    if fmt == "chat":
        return {**columns, "messages": prompt + completion}
    return {**columns, "prompt": prompt, "completion": completion}


def choose_pairs(examples: Sequence[Example], traces: TraceFile | None, *,
                 keep_leaking: bool) -> tuple[list[tuple[Example, str | None]], dict[str, int]]:
    """The (pair, reasoning) to export, and the counts of what was left out and why."""
    counts = {"pairs": len(examples), "written": 0, "invalid": 0, "no_trace": 0, "leaking": 0, "leaking_kept": 0,
              "unmatched_traces": 0}
    if traces is None:                                  # method none: the action alone
        counts["written"] = len(examples)
        return [(ex, None) for ex in examples], counts
    ids = {ex.id for ex in examples}
    counts["unmatched_traces"] = sum(1 for i in traces.records if i not in ids)
    chosen = []
    for ex in examples:
        record = traces.records.get(ex.id)
        if record is None:
            counts["no_trace"] += 1
        elif not (record["reasoning"] or "").strip():
            counts["invalid"] += 1
        elif is_leaking(record, ex):
            counts["leaking"] += 1
            if keep_leaking:
                counts["leaking_kept"] += 1
                chosen.append((ex, record["reasoning"]))
        else:
            chosen.append((ex, record["reasoning"]))
    counts["written"] = len(chosen)
    return chosen, counts


def check_export_dir(out: Path) -> None:
    """Refuse an --out that is a file, or a non-empty folder that an earlier export did not write."""
    check_output_folder(out, EXPORT_META, "a recon export")


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _save_dataset(records: list[dict[str, Any]], folder: Path) -> None:
    datasets = import_datasets("writing a datasets folder")
    with quiet_datasets(datasets):
        datasets.Dataset.from_list(records).save_to_disk(str(folder))


def run_export(examples: Sequence[Example], traces: str | Path | None, *, out: str | Path, fmt: str = "chat",
               keep_leaking: bool = False, cfg: UserModelConfig | None = None, license_id: str | None = None,
               inputs: Sequence[str | Path] = ()) -> ExportResult:
    """Write the export folder atomically (nothing is written when nothing matches)."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    out, cfg = Path(out), cfg or UserModelConfig()
    check_export_dir(out)
    trace_file = read_trace_file(traces) if traces is not None else None
    method = trace_file.method if trace_file else "none"
    chosen, counts = choose_pairs(examples, trace_file, keep_leaking=keep_leaking)
    if not chosen:
        raise ConfigError(f"nothing to export: no pair has a usable {method} trace ({counts['no_trace']} without a "
                          f"trace record, {counts['invalid']} invalid, {counts['leaking']} leaking); do the trace "
                          "ids match the --data pairs?")
    records = [export_record(ex, reasoning, cfg, method=method, fmt=fmt) for ex, reasoning in chosen]
    sources = [{"role": "pairs", "path": str(p), "sha256": file_sha256(p)} for p in inputs if Path(p).is_file()]
    if trace_file:
        sources.append({"role": "traces", "path": str(trace_file.path), "sha256": file_sha256(trace_file.path)})
    config = {"format": fmt, "keep_leaking": keep_leaking, "license": license_id or "other",
              "user_model": cfg.model_dump()}
    meta = build_manifest("export", config, fingerprints=model_fingerprints(trace_file), counts=counts,
                          inputs=[s["path"] for s in sources])
    per_individual = Counter((ex.domain, ex.individual) for ex, _ in chosen)
    fake = any(is_fake(fp) for fp in meta.get("fingerprints") or [])
    meta.update(method=method, fake_backend=fake, sources=sources,
                traces_manifest=trace_file.manifest if trace_file else None,
                per_individual=[{"domain": d, "individual": i, "records": n}
                                for (d, i), n in sorted(per_individual.items())])
    with atomic_directory(out) as folder:
        write_jsonl_atomic(folder / "train.jsonl", records)
        _save_dataset(records, folder / "dataset")
        (folder / "README.md").write_text(render_card(meta, trace_file.records if trace_file else {}),
                                          encoding="utf-8")
        write_json_atomic(folder / EXPORT_META, meta)
    return ExportResult(out, method, fmt, counts, fake_backend=fake)


def model_fingerprints(traces: TraceFile | None) -> list[dict[str, Any]]:
    """Who wrote the traces: the manifest's fingerprints, else those named in the records."""
    if traces is None:
        return []
    if traces.manifest and traces.manifest.get("fingerprints"):
        return list(traces.manifest["fingerprints"])
    seen: list[dict[str, Any]] = []
    for record in traces.records.values():
        for key in ("model", "reconstructor", "judge"):
            fp = record.get(key)
            if isinstance(fp, dict) and fp not in seen:
                seen.append(fp)
    return seen
