"""The records of a traces file, typed, with one reader (`read_traces`) and the writer of a selection record.

Every traces file (`recon synthesize`, `recon run`'s traces/) holds one JSON object per pair with at least
`id`, `method` and `reasoning` (null: the pair has no usable trace, the reason in `invalid`). A record keeps
every other field it was written with (selection, leakage, cost, ...), so the file round-trips unchanged.

    >>> p = getfixture("tmp_path") / "t.jsonl"
    >>> _ = p.write_text('{"id": "a", "method": "backward", "reasoning": "She cares.", "flags": []}\\n')
    >>> [(r.id, r.method, r.reasoning, r.line, r.to_json()["flags"]) for r in read_traces(p)]
    [('a', 'backward', 'She cares.', 1, [])]
    >>> trace_map(p)
    {'a': 'She cares.'}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictStr, ValidationError

from recon.data.corpus import iter_json_lines
from recon.errors import DataError


class TraceRecord(BaseModel):
    """One line of a traces file; fields beyond these three are kept as written (`to_json`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: StrictStr
    method: StrictStr
    reasoning: StrictStr | None           # None: the pair has no usable trace (e.g. an invalid recon-select pair)
    line: int = Field(0, exclude=True)    # where it was read (1-based); 0 for a record built in memory
    _order: tuple[str, ...] = PrivateAttr(default=())      # the keys in the order the file held them

    def to_json(self) -> dict[str, Any]:
        """The record as its file holds it (the same keys in the same order)."""
        fields = self.model_dump()
        return {k: fields[k] for k in self._order} if self._order else fields


class SelectionRecord(BaseModel):
    """A selection method's record (recon-select, the controls): the kept trace and every candidate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    method: str
    scorer: str
    reasoning: str | None
    selected_index: int | None
    flags: list[str]
    invalid: str | None
    transient: bool
    leakage: dict[str, Any] | None
    candidates: list[dict[str, Any]]
    model: dict[str, Any]
    reconstructor: dict[str, Any] | None
    judge: dict[str, Any] | None
    prompt_hash: str | None
    tokens: dict[str, int]
    scoring: dict[str, Any]
    cost: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump()


def read_traces(path: str | Path) -> list[TraceRecord]:
    """Every record of a traces file, in order; a malformed or repeated record is a DataError naming its line."""
    out: list[TraceRecord] = []
    seen: set[str] = set()
    for line, rec in iter_json_lines(path):
        if not isinstance(rec, dict):
            raise DataError("a trace record must be a JSON object", path=path, line=line)
        for key in ("id", "method", "reasoning"):
            if key not in rec:
                raise DataError(f"missing key {key!r}", path=path, line=line)
        if "line" in rec:
            raise DataError("'line' is not a trace record field", path=path, line=line)
        try:
            record = TraceRecord.model_validate({**rec, "line": line})
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"])
            raise DataError(f"{where}: id and method must be strings, reasoning a string or null",
                            path=path, line=line) from None
        record._order = tuple(rec)
        if record.id in seen:
            raise DataError(f"duplicate id {record.id!r}", path=path, line=line)
        seen.add(record.id)
        out.append(record)
    return out


def trace_map(path: Path | None) -> dict[str, str] | None:
    """{pair id: trace} of a traces file (pairs without a usable trace left out); None for method `none`."""
    return {r.id: r.reasoning for r in read_traces(path) if r.reasoning} if path else None
