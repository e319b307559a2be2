"""What an evaluation produced, and reading it back: `EvaluationResult` (what `run_evaluate` returns) and
results.json typed (`Results`, schema `RESULTS_SCHEMA_VERSION`; `SeedResults` for a run over several seeds) with
one reader, `read_results`. The prediction files it judged are read by `data/prediction_records.py`.

    >>> EvaluationResult([], {}, [], Path("eval")).out
    PosixPath('eval')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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


class Results(BaseModel):
    """results.json of one evaluation; a run's copy adds a warning per stage still incomplete."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int
    setup: dict[str, Any]
    comparisons: list[dict[str, Any]]
    methods: dict[str, dict[str, Any]]
    judge: dict[str, Any]
    test_pairs: int
    test: list[str]
    predictions: dict[str, str]
    warnings: list[str]
    parity: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump()


class SeedResults(BaseModel):
    """results.json of a run over several seeds: each seed's results.json and the mean ± sd grid."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_name: str = Field(alias="schema")
    seeds: dict[str, str]
    baseline: str
    grid: dict[str, dict[str, dict[str, Any]]]
    warnings: list[str]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


def read_results(path: str | Path) -> Results | SeedResults:
    """A results.json file, typed; another schema version or a malformed file stops naming the file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read results ({exc})", path=path) from None
    if not isinstance(raw, dict):
        raise DataError("results must be a JSON object", path=path)
    if "seeds" not in raw and raw.get("schema_version") != RESULTS_SCHEMA_VERSION:
        raise DataError(f"results schema version {raw.get('schema_version')!r}; this recon reads version "
                        f"{RESULTS_SCHEMA_VERSION}: evaluate again", path=path)
    try:
        return SeedResults.model_validate(raw) if "seeds" in raw else Results.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise DataError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}", path=path) from None


def load_results(folder: str | Path) -> Results:
    """The results.json of an evaluation folder."""
    path = Path(folder) / "results.json"
    if not path.is_file():
        raise ConfigError(f"{folder} holds no results.json: run `recon evaluate --out {folder}` first")
    results = read_results(path)
    if not isinstance(results, Results):
        raise ConfigError(f"{path} is a run over several seeds: name one seed's evaluation folder")
    return results
