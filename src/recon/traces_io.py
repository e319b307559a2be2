"""Reading trace files (the output of `recon synthesize`, any method) with the same strictness as pairs.

    >>> from pathlib import Path
    >>> p = Path(getfixture("tmp_path")) / "t.jsonl"
    >>> _ = p.write_text('{"id": "a", "method": "backward", "reasoning": "She wants to explain."}\\n')
    >>> [(r.id, r.method) for r in read_traces(p)]
    [('a', 'backward')]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recon.data.corpus import iter_json_lines
from recon.errors import DataError


@dataclass(frozen=True)
class TraceRecord:
    id: str
    method: str
    reasoning: str | None      # None: the pair has no usable trace (e.g. an invalid recon-select pair)
    line: int


def read_traces(path: str | Path) -> list[TraceRecord]:
    out: list[TraceRecord] = []
    seen: set[str] = set()
    for line, rec in iter_json_lines(path):
        if not isinstance(rec, dict):
            raise DataError("a trace record must be a JSON object", path=path, line=line)
        for key in ("id", "method", "reasoning"):
            if key not in rec:
                raise DataError(f"missing key {key!r}", path=path, line=line)
        if not isinstance(rec["id"], str) or not isinstance(rec["method"], str):
            raise DataError("id and method must be strings", path=path, line=line)
        if rec["reasoning"] is not None and not isinstance(rec["reasoning"], str):
            raise DataError("reasoning must be a string or null", path=path, line=line)
        if rec["id"] in seen:
            raise DataError(f"duplicate id {rec['id']!r}", path=path, line=line)
        seen.add(rec["id"])
        out.append(TraceRecord(rec["id"], rec["method"], rec["reasoning"], line))
    return out
