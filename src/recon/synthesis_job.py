"""One synthesis job: examples → cached backend → traces JSONL (atomic) + manifest + cost summary.

Re-running the same job after an interruption resumes: finished generations come from the cache and
nothing is paid twice; the output file only appears, whole, at the end.

    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because.")
    >>> tmp = Path(getfixture("tmp_path"))
    >>> job = run_synthesis([ex], BackendConfig(spec="fake"), SynthesisConfig(method="forward"),
    ...                     out=tmp / "t.jsonl", db=Database(tmp / "db.sqlite3"))
    >>> job.written, job.cost.backend_calls
    (1, 1)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from recon.atomicio import write_json_atomic, write_jsonl_atomic
from recon.backends.registry import build_backend, redacted_spec
from recon.config import BackendConfig, SynthesisConfig
from recon.manifest import build_manifest
from recon.store.cache import CachedBackend
from recon.store.calls import RunCost, new_run_id, run_cost
from recon.store.db import Database
from recon.synthesis import Failure, synthesize
from recon.types import Example


@dataclass(frozen=True)
class SynthesisJobResult:
    method: str
    pairs: int
    written: int
    failures: list[Failure]
    cost: RunCost
    out: Path
    run: str


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def run_synthesis(examples: Sequence[Example], backend_config: BackendConfig, cfg: SynthesisConfig, *,
                  out: str | Path, db: Database, run: str | None = None,
                  on_progress: Callable[[int], None] | None = None, inputs: list[str] | None = None
                  ) -> SynthesisJobResult:
    out = Path(out)
    run = run or new_run_id()
    stage = f"synthesize:{cfg.method}"
    backend = CachedBackend(build_backend(backend_config), db, run=run, stage=stage)
    try:
        result = synthesize(examples, backend, cfg, on_progress=on_progress)
    finally:
        backend.close()
    written = write_jsonl_atomic(out, (t.to_json() for t in result.traces))
    cost = run_cost(db, run, stage)
    write_json_atomic(manifest_path(out), build_manifest(
        stage, {"synthesis": cfg.model_dump(),
                "backend": {**backend_config.model_dump(), "spec": redacted_spec(backend_config.spec)}},
        fingerprints=[backend.fingerprint.to_json()], inputs=inputs,
        counts={"pairs": len(examples), "written": written, "failed": len(result.failures)},
        cost=dataclasses.asdict(cost)))
    return SynthesisJobResult(method=cfg.method, pairs=len(examples), written=written,
                              failures=result.failures, cost=cost, out=out, run=run)
