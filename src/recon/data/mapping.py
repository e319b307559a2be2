"""Column mappings: which column of a table becomes which field of a pair, and who speaks a context turn
that is a bare string.

A mapping sends pair fields (`context`, `action`, `individual`, `conversation_id`; optionally `id`,
`domain`, `turn_index`, `meta`, and `meta.NAME` for single meta fields) to column names. It comes from
`--map FIELD=COLUMN` entries, a small YAML file, or both (the command line wins).

    >>> m = mapping_from(entries=["context=history", "action=response", "individual=user_id",
    ...                           "conversation_id=thread_id", "meta.case_id=case"])
    >>> m.columns["action"], m.meta_columns()
    ('response', {'case_id': 'case'})
    >>> speaker_rule("prefix").turns(["Bob: Why now?"], {})
    [{'speaker': 'Bob', 'text': 'Why now?'}]
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError, field_validator

from recon.config.base import Strict
from recon.errors import ConfigError

TARGETS = ("id", "domain", "individual", "conversation_id", "turn_index", "context", "action", "meta")
REQUIRED = ("individual", "conversation_id", "context", "action")
RULES_HELP = "prefix, column:NAME or alternate:A,B"


def check_target(target: str) -> str:
    """A pair field a column can map to: one of TARGETS or `meta.NAME`."""
    if target in TARGETS or (target.startswith("meta.") and len(target) > len("meta.")):
        return target
    close = difflib.get_close_matches(target, TARGETS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"{target!r} is not a pair field{hint} (fields: {', '.join(TARGETS)}, meta.NAME)")


class CellError(Exception):
    """A value of one row that cannot become part of a pair; `column` names where it came from when it is not
    the column being converted."""

    def __init__(self, message: str, column: str | None = None):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class SpeakerRule:
    """Who speaks each turn of a context given as a list of strings.

    - `prefix`: each string reads 'Speaker: text';
    - `column:NAME`: the column NAME holds the list of speakers, one per turn;
    - `alternate:A,B`: the last turn is A's, the one before B's, and so on back.
    """

    kind: str
    names: tuple[str, ...] = ()

    def turns(self, texts: list[str], row: dict[str, Any]) -> list[dict[str, str]]:
        if self.kind == "prefix":
            out = []
            for i, text in enumerate(texts):
                speaker, sep, rest = text.partition(":")
                if not sep or not speaker.strip():
                    raise CellError(f"context[{i}] does not read 'speaker: text' (--speaker-field prefix)")
                out.append({"speaker": speaker.strip(), "text": rest.strip()})
            return out
        if self.kind == "column":
            column = self.names[0]
            speakers = row[column]
            if not isinstance(speakers, list) or len(speakers) != len(texts):
                got = f"{len(speakers)} speakers" if isinstance(speakers, list) else type(speakers).__name__
                raise CellError(f"needs a list of {len(texts)} speakers, one per context turn; got {got}", column)
            return [{"speaker": s, "text": t} for s, t in zip(speakers, texts, strict=True)]
        last, other = self.names
        return [{"speaker": last if (len(texts) - i) % 2 else other, "text": t} for i, t in enumerate(texts)]


def speaker_rule(rule: str | None) -> SpeakerRule | None:
    """Parse `--speaker-field`: prefix | column:NAME | alternate:A,B (None: context turns must be objects)."""
    if rule is None:
        return None
    kind, _, arg = rule.partition(":")
    if kind == "prefix" and not arg:
        return SpeakerRule("prefix")
    if kind == "column" and arg:
        return SpeakerRule("column", (arg,))
    names = tuple(n.strip() for n in arg.split(","))
    if kind == "alternate" and len(names) == 2 and all(names):
        return SpeakerRule("alternate", names)
    raise ConfigError(f"--speaker-field {rule!r}: use {RULES_HELP}")


class ColumnMapping(Strict):
    """What `recon data convert` needs to read a table (YAML: these keys; `columns` maps field → column)."""

    columns: dict[str, str] = {}
    speaker_field: str | None = None      # how string context turns get speakers (see SpeakerRule)
    domain: str | None = None             # a constant domain (default: the file's or folder's name)
    split: str | None = None              # which split of a DatasetDict folder or a Hub dataset
    config: str | None = None             # which configuration of a Hub dataset
    revision: str | None = None           # which revision (branch, tag, commit) of a Hub dataset

    @field_validator("columns")
    @classmethod
    def _targets(cls, columns: dict[str, str]) -> dict[str, str]:
        for target in columns:
            check_target(target)
        return columns

    @field_validator("speaker_field")
    @classmethod
    def _rule(cls, rule: str | None) -> str | None:
        speaker_rule(rule)
        return rule

    def meta_columns(self) -> dict[str, str]:
        return {t[len("meta."):]: c for t, c in self.columns.items() if t.startswith("meta.")}

    def column_of(self, field: str | None) -> str | None:
        """The column a pair field came from (None: not read from a column)."""
        return self.columns.get(field) if field else None


def parse_map_entries(entries: list[str]) -> dict[str, str]:
    """`FIELD=COLUMN` entries → {field: column}; the first '=' splits, so a column name may hold one."""
    out: dict[str, str] = {}
    for entry in entries:
        target, sep, column = entry.partition("=")
        if not sep or not target or not column:
            raise ConfigError(f"--map {entry!r}: write TARGET=COLUMN, e.g. action=response")
        if check_target(target) in out:
            raise ConfigError(f"--map names {target!r} twice")
        out[target] = column
    return out


def mapping_from(*, entries: list[str] | None = None, file: str | Path | None = None,
                 speaker_field: str | None = None, domain: str | None = None,
                 split: str | None = None, config: str | None = None,
                 revision: str | None = None) -> ColumnMapping:
    """The mapping of a YAML file overridden by command-line values (entries per field; the rest if given)."""
    base: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read the mapping {file}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file}: not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{file}: a mapping file holds keys columns, speaker_field, domain, split")
        base = loaded
    columns = {**(base.get("columns") or {}), **parse_map_entries(entries or [])}
    given = {"speaker_field": speaker_field, "domain": domain, "split": split, "config": config, "revision": revision}
    values = {**base, "columns": columns, **{k: v for k, v in given.items() if v is not None}}
    try:
        return ColumnMapping(**values)
    except ValidationError as exc:
        where = f"{file}: " if file else ""
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'mapping'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{where}invalid column mapping: {problems}") from None


def mapped_columns(mapping: ColumnMapping) -> dict[str, str]:
    """Every column the mapping reads, by what it becomes (the speaker rule's column as 'speakers')."""
    rule = speaker_rule(mapping.speaker_field)
    speakers = {"speakers": rule.names[0]} if rule and rule.kind == "column" else {}
    return {**mapping.columns, **speakers}
