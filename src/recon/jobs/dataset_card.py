"""The dataset card (`README.md`) of a `recon export` folder: what the records are, where they came from
(method, scorer, N, the models' fingerprints, the leakage policy, the traces' manifest), counts, and the
license note. A YAML header names the data file, so `datasets.load_dataset(FOLDER)` and the Hugging Face Hub
read `train.jsonl`.

    >>> fingerprint_text({"kind": "llamacpp", "model": "smollm2", "quantization": "Q4_1",
    ...                   "extra": {"identity": "0123456789abcdef"}})
    'llamacpp:smollm2 Q4_1 [0123456789ab]'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

COUNT_ROWS = [
    ("pairs", "pairs in the --data files"),
    ("written", "records in this export"),
    ("invalid", "pairs whose trace record holds no reasoning (failed or unscorable): left out"),
    ("no_trace", "pairs with no trace record: left out"),
    ("leaking", "pairs whose trace quotes the action"),
    ("leaking_kept", "of those, kept (--keep-leaking)"),
    ("unmatched_traces", "trace records of pairs not in the --data files: ignored"),
]


LOSS_NOTE = {
    "chat": "With `messages`, `SFTTrainer` computes the loss on every token by default; `assistant_only_loss=True` "
            "limits it to the assistant turn (it needs a chat template that marks generated tokens).",
    "prompt-completion": "With `prompt` + `completion`, `SFTTrainer` computes the loss on the completion only by "
                         "default, as recon's own SFT does.",
}


def fingerprint_text(fp: dict[str, Any]) -> str:
    text = f"{fp.get('kind', '?')}:{fp.get('model', '?')}"
    if fp.get("quantization"):
        text += f" {fp['quantization']}"
    identity = (fp.get("extra") or {}).get("identity")
    return text + (f" [{str(identity)[:12]}]" if identity else "")


def _models(meta: dict[str, Any], records: dict[str, dict[str, Any]]) -> str:
    roles = next((r for r in records.values() if r.get("reasoning") and isinstance(r.get("model"), dict)), None)
    if roles is not None:
        named = [(role, roles.get(key)) for role, key in
                 (("synthesizer", "model"), ("reconstructor", "reconstructor"), ("judge", "judge"))]
        return "; ".join(f"{role} `{fingerprint_text(fp)}`" for role, fp in named if isinstance(fp, dict))
    return "; ".join(f"`{fingerprint_text(fp)}`" for fp in meta["fingerprints"]) or "unknown"


def _percent(share: Any) -> str:
    return f"{100 * share:g}%" if isinstance(share, (int, float)) else "?"


def _selection(meta: dict[str, Any], records: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """Scorer, N and the leakage policy at selection, as the traces' manifest and records state them."""
    method, manifest = meta["method"], meta["traces_manifest"] or {}
    if method == "none":
        return [("scorer", "—"), ("candidates per pair (N)", "—"), ("leakage policy at selection", "—")]
    select = (manifest.get("config") or {}).get("recon_select")
    scorer = next((r["scorer"] for r in records.values() if isinstance(r.get("scorer"), str)), None)
    if select:
        leak = select.get("leakage") or {}
        thresholds = (f"a trace leaks when it shares a run of more than {leak.get('max_shared_run')} words with the "
                      f"action, holds more than {_percent(leak.get('max_ngram_fraction'))} of the action's 4-grams, "
                      f"or covers more than {_percent(leak.get('max_coverage'))} of the action's words with them")
        return [("scorer", select.get("scorer") or scorer or "unknown"),
                ("candidates per pair (N)", str(select.get("n"))),
                ("leakage policy at selection", str(leak.get("policy"))), ("leakage thresholds", thresholds)]
    if manifest:
        return [("scorer", scorer or "—"), ("candidates per pair (N)", "1"),
                ("leakage policy at selection", "none (one trace per pair; leakage measured, not selected on)")]
    return [("scorer", scorer or "unknown"), ("candidates per pair (N)", "unknown (no manifest)"),
            ("leakage policy at selection", "unknown (no manifest)")]


def _provenance(meta: dict[str, Any], records: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    manifest = meta["traces_manifest"]
    rows = [("method", meta["method"]), *_selection(meta, records), ("models", _models(meta, records))]
    kept = meta["config"]["keep_leaking"]
    rows.append(("leaking traces in this export", "kept (--keep-leaking)" if kept else "left out"))
    if manifest:
        rows += [("traces' stage", str(manifest.get("stage"))),
                 ("traces' config hash", str(manifest.get("config_hash"))),
                 ("traces written by", f"recon {manifest.get('recon_version')}, git {manifest.get('git_sha') or '—'}, "
                                       f"finished {manifest.get('finished_at')}")]
    elif meta["method"] != "none":
        rows.append(("traces' manifest", "no manifest beside the traces file: provenance beyond the records unknown"))
    for source in meta["sources"]:
        rows.append((source["role"], f"`{Path(source['path']).name}` (sha256 {source['sha256'][:16]})"))
    rows.append(("exported by", f"recon {meta['recon_version']}, git {meta['git_sha'] or '—'}, "
                                f"{meta['finished_at']}"))
    return rows


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows])


def _header(meta: dict[str, Any]) -> str:
    fields = {"license": meta["config"]["license"],
              "pretty_name": f"User-model data with {meta['method']} reasoning traces (recon)",
              "tags": ["recon", "user-modeling", "reasoning", "sft", "trl"], "task_categories": ["text-generation"],
              "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "train.jsonl"}]}]}
    return "---\n" + yaml.safe_dump(fields, sort_keys=False) + "---\n"


FAKE_CARD_NOTE = ("**Not for training: these traces were written by recon's fake backend**, a deterministic test "
                  "double that is not a language model. The data exists to test software.")


def render_card(meta: dict[str, Any], records: dict[str, dict[str, Any]]) -> str:
    """The card's Markdown from the export's metadata (`recon_export.json`) and the trace records."""
    um, fmt = meta["config"]["user_model"], meta["config"]["format"]
    turns = ([("messages", "the system, user and assistant turns")] if fmt == "chat" else
             [("prompt", "the system and user turns"), ("completion", "the assistant turn")])
    answer = ("`<reasoning>TRACE</reasoning>` then the action" if meta["method"] != "none" else "the action alone")
    counts = meta["counts"]
    return "\n".join([
        _header(meta),
        f"# User-model training data: {meta['method']} reasoning traces",
        "",
        f"{counts['written']} context → action pairs, each with the reasoning trace recon's `{meta['method']}` "
        "method wrote for it, in the conversational format TRL's `SFTTrainer` takes (format "
        f"`{fmt}`). Written by `recon export`.",
        "",
        *([FAKE_CARD_NOTE, ""] if meta.get("fake_backend") else []),
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset, load_from_disk",
        'train = load_from_disk("THIS_FOLDER/dataset")   # the same records as load_dataset("THIS_FOLDER")["train"]',
        "",
        "from trl import SFTConfig, SFTTrainer",
        'trainer = SFTTrainer(model="YOUR_MODEL", train_dataset=train, args=SFTConfig(output_dir="ckpt"))',
        "```",
        "",
        "## Records",
        "",
        _table(("column", "what it holds"), [
            ("id", "the pair's id in the source pairs"), ("individual", "whose action it is"),
            ("domain", "the corpus's domain"),
            ("conversation_id", "the conversation (split by it: a conversation belongs on one side only)"),
            *turns]),
        "",
        "The system turn names the individual and asks for the reasoning and then what they say; the user turn "
        f"holds the last {um['context_turns']} context turns as `Speaker: text` lines (each clipped to "
        f"{um['turn_chars']} characters); the assistant turn is {answer}, with the reasoning clipped to "
        f"{um['max_reasoning_chars']} and the action to {um['max_reply_chars']} characters. This is exactly "
        "what recon's SFT user model (`recon train sft`) is trained to produce. " + LOSS_NOTE[fmt],
        "",
        "## Provenance",
        "",
        _table(("field", "value"), _provenance(meta, records)),
        "",
        "## Counts",
        "",
        _table(("count", "value", "meaning"), [(name, counts[name], what) for name, what in COUNT_ROWS]),
        "",
        _table(("domain", "individual", "records"),
               [(row["domain"], row["individual"], row["records"]) for row in meta["per_individual"]]),
        "",
        "## License",
        "",
        "The license of the source corpus applies to this dataset: its contexts and actions are the corpus's "
        "text and its reasoning traces are derived from them. Check the source's terms (for example "
        "non-commercial use, attribution) before sharing it or training on it. The `license` field above is "
        f"`{meta['config']['license']}` unless `recon export --license` named the source's license.",
        "",
    ])
