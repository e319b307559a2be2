"""Human validation of the judge: blinded A/B items out, labels in, agreement and Cohen's κ.

`export` picks N judged items (seeded), shows each pair's two predictions in a random order as
"response 1/2" (which method is which stays in `human_key.json`, out of the labeller's sight), and writes
a CSV plus a static HTML form that downloads the same CSV. Pairs with identical predictions (after
whitespace normalisation) are left out and counted: they agree with any judge trivially and would inflate
agreement. `import_labels` reads the labelled CSV (label: 1, 2 or tie), maps labels back, and reports
agreement and Cohen's κ with the judge, each with a bootstrap 95% interval over the items.

    >>> agreement_and_kappa(["a", "b", "a", "tie"], ["a", "b", "b", "tie"])["agreement"]
    0.75
"""

from __future__ import annotations

import csv
import html
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from recon.atomicio import atomic_writer, write_json_atomic
from recon.data.corpus import iter_json_lines, load_examples
from recon.data.prediction_records import read_predictions, usable_action
from recon.errors import ConfigError, DataError
from recon.evaluation.results import load_results
from recon.evaluation.script_json import script_json
from recon.render import render_context

COLUMNS = ["item", "context", "true_action", "response_1", "response_2", "label"]
KEY_FILE = "human_key.json"
LABELS = {"1": "first", "2": "second", "tie": "tie"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")     # what a spreadsheet evaluates (OWASP CSV injection)


def to_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading `'` before a formula start (and before a leading
    `'`, so `from_cell` can undo exactly what was added).

    >>> to_cell("=1+1"), to_cell("'=x"), to_cell("fine")
    ("'=1+1", "''=x", 'fine')
    """
    return "'" + text if text.startswith((*FORMULA_START, "'")) else text


def from_cell(cell: str) -> str:
    """The text `to_cell` was given (a spreadsheet that dropped the `'` leaves it unchanged).

    >>> [from_cell(to_cell(t)) for t in ("=1+1", "'=x", "'plain", "-")] == ["=1+1", "'=x", "'plain", "-"]
    True
    """
    return cell[1:] if cell.startswith("'") and cell[1:].startswith((*FORMULA_START, "'")) else cell


def _existing(paths: list[str], what: str) -> list[str]:
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise DataError(f"the {what} this evaluation used is gone: {', '.join(missing)} (results.json names it)")
    return paths


def _judgments(path: Path) -> list[dict[str, Any]]:
    """The evaluation's judgments with a verdict (not "invalid")."""
    out = []
    for line, j in iter_json_lines(path):
        if not isinstance(j, dict):
            raise DataError("a judgment must be a JSON object", path=path, line=line)
        if j["verdict"] != "invalid":
            out.append(j)
    return out


class Export(NamedTuple):
    csv: Path
    form: Path
    n: int                  # items written
    identical: int          # judged pairs left out: the two predictions are the same text
    failed: int             # judged pairs left out: a method had no prediction to show


def same_text(a: str, b: str) -> bool:
    """Equal after whitespace normalisation.

    >>> same_text("Let us  adjourn. ", " Let us adjourn.")
    True
    """
    return a.split() == b.split()


def export_items(eval_dir: str | Path, *, n: int, out: str | Path, seed: int = 0) -> Export:
    """Items are named by the export's seed (`s0-0001`), so exports with different seeds never collide and
    the same seed rebuilds exactly the same items; every export's mapping is kept in the key file. Pairs
    whose predictions are identical (they agree with any judge trivially) or missing are left out, counted."""
    if n < 1:
        raise ConfigError(f"n must be >= 1, got {n}")
    eval_dir, out = Path(eval_dir), Path(out)
    results = load_results(eval_dir)
    test = {e.id: e for e in load_examples(_existing(results.test, "test data"))}
    preds = {name: read_predictions(path)
             for name, path in zip(results.predictions, _existing(list(results.predictions.values()),
                                                                      "prediction file"), strict=True)}
    judged = _judgments(eval_dir / "judgments.jsonl")
    shown, failed, identical = [], 0, 0
    for j in judged:
        a, b = usable_action(preds[j["a"]].get(j["id"])), usable_action(preds[j["b"]].get(j["id"]))
        if j.get("failed") or a is None or b is None:
            failed += 1
        elif same_text(a, b):
            identical += 1
        else:
            shown.append(j)
    judged = shown
    rng = random.Random(seed)
    chosen = rng.sample(judged, min(n, len(judged)))
    key, rows = {}, []
    for k, j in enumerate(chosen, start=1):
        ex = test[j["id"]]
        a_text, b_text = (usable_action(preds[j[m]][j["id"]]) or "" for m in ("a", "b"))
        a_first = rng.random() < 0.5
        item = f"s{seed}-{k:04d}"
        key[item] = {"id": j["id"], "a": j["a"], "b": j["b"], "first": "a" if a_first else "b",
                     "judge": j["verdict"]}
        rows.append({"item": item, "context": render_context(ex, max_turns=4, max_turn_chars=600),
                     "true_action": ex.action, "response_1": a_text if a_first else b_text,
                     "response_2": b_text if a_first else a_text, "label": ""})
    cells = [{k: to_cell(v) for k, v in row.items()} for row in rows]
    with atomic_writer(out, "w") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(cells)
    previous = json.loads((eval_dir / KEY_FILE).read_text(encoding="utf-8"))["items"] \
        if (eval_dir / KEY_FILE).is_file() else {}
    write_json_atomic(eval_dir / KEY_FILE, {"items": {**previous, **key}})
    form = out.with_suffix(".html")
    with atomic_writer(form) as f:
        f.write(_form_html(rows, cells))
    return Export(out, form, len(rows), identical, failed)


def _form_html(rows: list[dict], cells: list[dict]) -> str:
    """The form shows `rows` and downloads `cells`, the same neutralised cells as the CSV."""
    items = []
    for r in rows:
        radios = "".join(f'<label><input type="radio" name="{r["item"]}" value="{v}"> {t}</label> '
                         for v, t in (("1", "response 1"), ("2", "response 2"), ("tie", "tie")))
        items.append(f'<section data-item="{r["item"]}"><h3>{r["item"]}</h3><pre>{html.escape(r["context"])}</pre>'
                     f'<p><b>what was really said:</b> {html.escape(r["true_action"])}</p>'
                     f'<p><b>response 1:</b> {html.escape(r["response_1"])}</p>'
                     f'<p><b>response 2:</b> {html.escape(r["response_2"])}</p>'
                     f'<p>Which response is closer in style, intent and values? {radios}</p></section>')
    data = script_json(cells)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>recon: which reply is closer?</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:8px}}</style>
</head><body><h1>Which predicted reply is closer to what the person said?</h1>{"".join(items)}
<button id="save">Download labelled CSV</button>
<script>
const rows = {data};
const cols = {json.dumps(COLUMNS)};
const q = v => '"' + String(v).replaceAll('"', '""') + '"';
document.getElementById('save').onclick = () => {{
  const out = [cols.join(',')];
  for (const r of rows) {{
    const picked = document.querySelector('input[name="' + r.item + '"]:checked');
    out.push(cols.map(c => q(c === 'label' ? (picked ? picked.value : '') : r[c])).join(','));
  }}
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([out.join('\\n') + '\\n'], {{type: 'text/csv'}}));
  a.download = 'items_labelled.csv';
  a.click();
}};
</script></body></html>"""


def _kappa(human: list[str], judge: list[str]) -> float | None:
    """Cohen's κ over three labels (None when undefined: everyone used one and the same label)."""
    from sklearn.metrics import cohen_kappa_score
    if len(set(human) | set(judge)) < 2:
        return None
    return float(cohen_kappa_score(human, judge, labels=["a", "b", "tie"]))


def _bootstrap(human: list[str], judge: list[str], *, n_boot: int, seed: int) -> dict:
    """Percentile 95% intervals of agreement and κ, resampling items (κ: over resamples where it is defined)."""
    if len(human) < 2:
        return {"agreement_ci": None, "kappa_ci": None}
    rng = np.random.default_rng(seed)
    h, j = np.asarray(human), np.asarray(judge)
    agree, kappas = [], []
    for idx in rng.integers(0, len(h), size=(n_boot, len(h))):
        agree.append(float((h[idx] == j[idx]).mean()))
        k = _kappa(list(h[idx]), list(j[idx]))
        if k is not None and not np.isnan(k):
            kappas.append(k)

    def interval(xs):
        return [round(float(x), 4) for x in np.quantile(xs, [0.025, 0.975])] if xs else None
    return {"agreement_ci": interval(agree), "kappa_ci": interval(kappas)}


def agreement_and_kappa(human: list[str], judge: list[str], *, n_boot: int = 1000, seed: int = 0) -> dict:
    """Agreement and Cohen's κ with bootstrap 95% intervals over the items, the number of items, and counts."""
    agree = sum(h == j for h, j in zip(human, judge, strict=True))
    kappa = _kappa(human, judge)
    confusion = {h: {j: sum(1 for x, y in zip(human, judge, strict=True) if x == h and y == j)
                     for j in ("a", "b", "tie")}
                 for h in ("a", "b", "tie")}
    return {"n": len(human), "agreement": agree / len(human) if human else None, "kappa": kappa,
            **_bootstrap(human, judge, n_boot=n_boot, seed=seed), "confusion_human_by_judge": confusion}


def _read_rows(path: str | Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of a labelled items CSV, each cell as it was before `to_cell`."""
    with open(path, newline="", encoding="utf-8-sig") as f:          # -sig: CSVs saved by Excel
        reader = csv.DictReader(f)
        missing = {"item", "label"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"missing column(s) {sorted(missing)}", path=path, line=1)
        for row in reader:                           # line_num: the physical line where this row ends
            yield reader.line_num, {k: from_cell(v or "") for k, v in row.items() if k is not None}


def read_items(path: str | Path) -> list[dict[str, str]]:
    """The rows of an items CSV (exported, perhaps labelled) with the texts as exported."""
    return [row for _, row in _read_rows(path)]


def import_labels(labelled: str | Path, eval_dir: str | Path) -> dict:
    eval_dir = Path(eval_dir)
    key_path = eval_dir / KEY_FILE
    if not key_path.is_file():
        raise DataError(f"no {KEY_FILE}: export items from this folder first (recon human export)", path=eval_dir)
    key = json.loads(key_path.read_text(encoding="utf-8"))["items"]
    human, judge, unlabelled, seen = [], [], 0, set()
    for line, row in _read_rows(labelled):
        if row["item"] in seen:
            raise DataError(f"item {row['item']!r} is labelled twice", path=labelled, line=line)
        seen.add(row["item"])
        label = (row["label"] or "").strip().lower()
        if not label:
            unlabelled += 1
            continue
        if label not in LABELS:
            raise DataError(f"label {row['label']!r}: use 1, 2 or tie", path=labelled, line=line)
        entry = key.get(row["item"])
        if entry is None:
            raise DataError(f"unknown item {row['item']!r} (not exported from {eval_dir})", path=labelled,
                            line=line)
        choice = LABELS[label]
        if choice == "tie":
            human.append("tie")
        else:
            first_is_a = entry["first"] == "a"
            human.append("a" if (choice == "first") == first_is_a else "b")
        judge.append(entry["judge"])
    result = {**agreement_and_kappa(human, judge), "unlabelled": unlabelled}
    write_json_atomic(eval_dir / "human_agreement.json", result)
    return result
