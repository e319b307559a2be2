"""The records of a predictions file (`recon predict`, `recon run`'s preds/), typed, with one reader.

Each line is one test pair's prediction: the action (null: none usable), the reasoning, the raw answer, and how
generation ended (`finish_reason` of the action call, and whether the reasoning or the action reached its token
budget). Older files without these fields still read (None and False); fields beyond these are kept.

    >>> p = getfixture("tmp_path") / "p.jsonl"
    >>> _ = p.write_text('{"id": "a", "action": "Yes.", "finish_reason": "length", "action_truncated": true}\\n')
    >>> rec = read_predictions(p)["a"]
    >>> rec.action, rec.truncated, rec.line
    ('Yes.', True, 1)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from recon.data.corpus import iter_json_lines
from recon.errors import DataError


class PredictionRecord(BaseModel):
    """One line of a predictions file; fields beyond these are kept as written (`to_json`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: StrictStr
    action: StrictStr | None              # None: no usable action (reported, never judged as a win)
    method: StrictStr = ""
    user_model: StrictStr = ""
    reasoning: StrictStr | None = ""
    raw: StrictStr = ""
    well_formed: StrictBool = True
    model: dict[str, Any] = Field(default_factory=dict)
    demos: list[str] = Field(default_factory=list)
    error: StrictStr | None = None
    transient: StrictBool = False         # no action because the call failed (a re-run retries it)
    finish_reason: StrictStr | None = None  # of the action call: stop | length | prompt_too_long; None: unknown
    reasoning_truncated: StrictBool = False  # the reasoning reached reasoning_max_tokens and was closed by force
    action_truncated: StrictBool = False     # the action reached action_max_tokens
    line: int = Field(0, exclude=True)    # where it was read (1-based); 0 for a record built in memory

    @property
    def truncated(self) -> bool:
        """Whether the reasoning or the action was cut at its budget."""
        return self.reasoning_truncated or self.action_truncated

    def to_json(self) -> dict[str, Any]:
        return self.model_dump()


def usable_action(record: PredictionRecord | None) -> str | None:
    """The prediction's action, or None when there is none to judge (no record, null, or blank).

    >>> usable_action(PredictionRecord(id="a", action=" ")), usable_action(None)
    (None, None)
    """
    action = record.action if record is not None else None
    return action if action and action.strip() else None


def read_predictions(path: str | Path) -> dict[str, PredictionRecord]:
    """{pair id: record}, strictly: a malformed or repeated record is a DataError naming its line."""
    out: dict[str, PredictionRecord] = {}
    for line, rec in iter_json_lines(path):
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str) or "action" not in rec:
            raise DataError("a prediction needs 'id' and 'action'", path=path, line=line)
        if "line" in rec:
            raise DataError("'line' is not a prediction record field", path=path, line=line)
        try:
            record = PredictionRecord.model_validate({**rec, "line": line})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise DataError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}", path=path, line=line) from None
        if record.id in out:
            raise DataError(f"duplicate id {record.id!r}", path=path, line=line)
        out[record.id] = record
    return out
