"""ConvoKit corpus directories → pairs for one speaker.

A ConvoKit corpus (written by `convokit.Corpus.dump`) is a directory with `utterances.jsonl`
(id, speaker, conversation_id, `reply-to`, timestamp, text, meta), `speakers.json` and
`conversations.json`; a conversation's id is the id of its first utterance.

Example (not run: needs a corpus directory)::

    pairs = load_convokit("corpus_dir", speaker="elena_kagan", max_context=8).examples
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from recon.data.corpus import iter_json_lines
from recon.data.json_checks import DEPTH_MESSAGE, check_json
from recon.errors import ConfigError, DataError
from recon.types import Example, Turn


@dataclass(frozen=True)
class Utterance:
    id: str
    speaker: str
    conversation_id: str
    reply_to: str | None
    timestamp: float | None
    text: str
    meta: dict[str, Any]
    order: int           # position in utterances.jsonl
    line: int


@dataclass
class ConvoKitPairs:
    """The pairs of one speaker plus what was skipped and why."""

    examples: list[Example]
    skipped: dict[str, int] = field(default_factory=dict)


def _read_json_object(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError("missing (a ConvoKit corpus needs utterances.jsonl, speakers.json, "
                        "conversations.json)", path=path)
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"invalid UTF-8 at byte {exc.start}", path=path) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except RecursionError:
        raise DataError(DEPTH_MESSAGE, path=path) from None
    check_json(value, path=path)
    if not isinstance(value, dict):
        raise DataError("must hold a JSON object keyed by id", path=path)
    return value


def _field(raw: dict, key: str, types: tuple, path: Path, line: int, *, nullable: bool = False) -> Any:
    if key not in raw:
        raise DataError(f"utterance is missing key {key!r}", path=path, line=line)
    value = raw[key]
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, types):
        raise DataError(f"utterance field {key!r} has type {type(value).__name__}", path=path, line=line)
    return value


def _parse_utterance(raw: Any, order: int, path: Path, line: int) -> Utterance:
    if not isinstance(raw, dict):
        raise DataError("an utterance must be a JSON object", path=path, line=line)
    reply_key = "reply-to" if "reply-to" in raw else "reply_to"   # on disk: reply-to; Python API: reply_to
    meta = raw.get("meta") or {}
    if not isinstance(meta, dict):
        raise DataError("utterance meta must be an object", path=path, line=line)
    return Utterance(
        id=_field(raw, "id", (str,), path, line),
        speaker=_field(raw, "speaker", (str,), path, line),
        conversation_id=_field(raw, "conversation_id", (str,), path, line),
        reply_to=_field(raw, reply_key, (str,), path, line, nullable=True),
        timestamp=_field(raw, "timestamp", (int, float), path, line, nullable=True),
        text=_field(raw, "text", (str,), path, line),
        meta=meta, order=order, line=line,
    )


def _speaker_label(speakers: dict[str, Any], speaker_id: str) -> str:
    meta = speakers[speaker_id].get("meta") or {}
    name = meta.get("name")
    return name if isinstance(name, str) and name.strip() else speaker_id


def _check_speakers(speakers: dict[str, Any], path: Path) -> None:
    for sid, entry in speakers.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("meta") or {}, dict):
            raise DataError(f"speaker {sid!r} must map to an object with an object 'meta'", path=path)


def load_convokit(directory: str | Path, speaker: str, *, max_context: int = 8,
                  context: Literal["thread", "sequence"] = "thread", domain: str | None = None,
                  min_action_words: int = 1) -> ConvoKitPairs:
    """Pairs whose action is an utterance by `speaker`; context = up to `max_context` earlier turns.

    `context="thread"` follows the `reply-to` chain (right for trees such as Reddit threads);
    `"sequence"` takes the previous utterances of the conversation in (timestamp, file) order.
    Turns without any context (conversation openers) and actions under `min_action_words` are skipped.
    """
    directory = Path(directory)
    utt_path = directory / "utterances.jsonl"
    if max_context < 1:
        raise ConfigError(f"max_context must be >= 1, got {max_context}")
    speakers = _read_json_object(directory / "speakers.json")
    _check_speakers(speakers, directory / "speakers.json")
    conversations = _read_json_object(directory / "conversations.json")
    if speaker not in speakers:
        close = difflib.get_close_matches(speaker, list(speakers), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(sorted(speakers)[:10])}"
        raise DataError(f"speaker {speaker!r} is not in speakers.json{hint}", path=directory / "speakers.json")
    utterances: list[Utterance] = []
    by_id: dict[str, Utterance] = {}
    for order, (line, raw) in enumerate(iter_json_lines(utt_path)):
        utt = _parse_utterance(raw, order, utt_path, line)
        if utt.id in by_id:
            raise DataError(f"duplicate utterance id {utt.id!r}", path=utt_path, line=line)
        if utt.conversation_id not in conversations:
            raise DataError(f"conversation {utt.conversation_id!r} is not in conversations.json",
                            path=utt_path, line=line)
        if utt.speaker not in speakers:
            raise DataError(f"speaker {utt.speaker!r} is not in speakers.json", path=utt_path, line=line)
        by_id[utt.id] = utt
        utterances.append(utt)
    for utt in utterances:
        if utt.reply_to is not None and utt.reply_to not in by_id:
            raise DataError(f"reply-to {utt.reply_to!r} names no utterance", path=utt_path, line=utt.line)

    ordered: dict[str, list[Utterance]] = {}
    for utt in sorted(utterances, key=lambda u: (u.timestamp is None, u.timestamp or 0, u.order)):
        ordered.setdefault(utt.conversation_id, []).append(utt)
    position = {u.id: i for convo in ordered.values() for i, u in enumerate(convo)}

    def context_of(utt: Utterance) -> list[Utterance]:
        if context == "sequence":
            convo = ordered[utt.conversation_id]
            i = position[utt.id]
            return convo[max(0, i - max_context):i]
        chain: list[Utterance] = []
        seen = {utt.id}
        parent = utt.reply_to
        while parent is not None and len(chain) < max_context:
            if parent in seen:
                raise DataError(f"reply-to cycle through {parent!r}", path=utt_path, line=utt.line)
            seen.add(parent)
            chain.append(by_id[parent])
            parent = by_id[parent].reply_to
        return chain[::-1]

    domain = domain or directory.name
    individual = _speaker_label(speakers, speaker)
    result = ConvoKitPairs(examples=[], skipped={"no_context": 0, "short_action": 0})
    for utt in utterances:
        if utt.speaker != speaker:
            continue
        if len(utt.text.split()) < max(1, min_action_words):
            result.skipped["short_action"] += 1
            continue
        prior = context_of(utt)
        if not prior:
            result.skipped["no_context"] += 1
            continue
        result.examples.append(Example(
            id=f"{domain}:{utt.id}", domain=domain, individual=individual,
            conversation_id=utt.conversation_id, turn_index=position[utt.id],
            context=tuple(Turn(_speaker_label(speakers, u.speaker), u.text) for u in prior),
            action=utt.text,
            meta={**utt.meta, "utterance_id": utt.id, "speaker_id": utt.speaker, "timestamp": utt.timestamp},
        ))
    return result
