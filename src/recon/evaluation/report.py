"""The evaluation report: report.md and report.html beside results.json, with the figures under `plots/`
(PNG, PDF, SVG; PNG embedded in the HTML) and the paper's tables under `tables/` (CSV, LaTeX).

The first screen is what a reader needs first: a banner when the fake backend played a role, the setup in
words (judge, counting rules, data, each method's traces and user model, software), the methods × domains
table and its figure. Below: the other figures with captions, the win rates one block per comparison
(collapsed in HTML) with failures, valid-only and length-controlled rates; the per-method figures; warnings;
and 20 seeded random test pairs with each method's reasoning and action and the verdicts by method name.
Text from data is shown as text: HTML-escaped in report.html, entity- and backslash-escaped (contexts in
code fences) in report.md (`markdown_text.py`).

    >>> verdict_text({"a": "recon-select", "b": "backward", "verdict": "b"})
    'recon-select vs backward: backward closer'
"""

from __future__ import annotations

import base64
import html
import random
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from recon.atomicio import atomic_writer
from recon.data.prediction_records import read_predictions
from recon.evaluation.fake_banner import banner_text
from recon.evaluation.grid import GRID_NOTE, grid_setup_sentences, grid_tables
from recon.evaluation.markdown_text import fenced, md_text
from recon.evaluation.paper_tables import write_paper_tables
from recon.evaluation.report_figures import Figure, report_figures
from recon.evaluation.report_setup import setup_sentences
from recon.evaluation.report_tables import (
    comparison_tables,
    html_table,
    md_table,
    method_and_warning_tables,
    parity_line,
)
from recon.evaluation.results import EvaluationResult
from recon.methods import DEFAULT_BASELINE
from recon.render import render_context
from recon.types import Example

__all__ = ["md_table", "html_table", "write_report", "verdict_text", "report_baseline", "judge_name"]


def verdict_text(judgment: dict) -> str:
    """A judgment named by method: 'A vs B: A closer' (or tie / no valid verdict)."""
    v = str(judgment.get("verdict"))
    said = {"a": f"{judgment['a']} closer", "b": f"{judgment['b']} closer", "tie": "tie"}.get(v, "no valid verdict")
    return f"{judgment['a']} vs {judgment['b']}: {said}"


def judge_name(setup: dict) -> str:
    """The judge in a few words, for captions."""
    judge = setup.get("judge") or {}
    if judge.get("kind") == "lm":
        model = judge.get("model") or {}
        return f"an LM judge ({model.get('model') or model.get('kind') or 'unknown model'})"
    return "MiniLM cosine similarity (the embedding judge)"


def _examples(result: EvaluationResult, test: Sequence[Example], predictions: dict[str, str | Path], *,
              seed: int, n: int) -> list[dict]:
    preds = {name: read_predictions(path) for name, path in predictions.items()}
    verdicts: dict[str, list[str]] = {}
    for j in result.judgments:
        verdicts.setdefault(j["id"], []).append(verdict_text(j))
    chosen = random.Random(seed).sample(list(test), min(n, len(test)))
    return [{"example": ex, "verdicts": verdicts.get(ex.id, []),
             "methods": {m: rec.to_json() if (rec := preds[m].get(ex.id)) else {} for m in preds}} for ex in chosen]


def report_baseline(result: EvaluationResult) -> str:
    """The baseline of the methods × domains table: the run's `report.baseline` (default backward)."""
    return ((result.setup.get("run_config") or {}).get("report") or {}).get("baseline") or DEFAULT_BASELINE


def _md_examples(examples: list[dict], explorer: str | None = None) -> list[str]:
    """The examples section's lines: every text from data escaped (`markdown_text.py`), contexts fenced."""
    md = []
    for item in examples:
        ex = item["example"]
        context = render_context(ex, max_turns=3, max_turn_chars=300)
        title = f"[{md_text(ex.id)}]({explorer}#pair={quote(ex.id, safe='')})" if explorer else md_text(ex.id)
        md += [f"### {md_text(ex.individual)} — {title}", "", fenced(context),
               f"**true action:** {md_text(ex.action)}", ""]
        for m, rec in item["methods"].items():
            md += [f"- **{md_text(m)}** — reasoning: {md_text(rec.get('reasoning') or '–')}; "
                   f"action: {md_text(rec.get('action') or '–')}"]
        md += ["", "verdicts: " + md_text("; ".join(item["verdicts"])), ""]
    return md


def _write_files(result: EvaluationResult, figures: list[Figure], baseline: str) -> None:
    (result.out / "plots").mkdir(exist_ok=True)
    for fig in figures:
        for fmt, data in fig.files.items():
            with atomic_writer(result.out / "plots" / f"{fig.name}.{fmt}", "wb") as f:
                f.write(data)
    write_paper_tables(result.comparisons, list(result.methods), baseline, judge_name(result.setup),
                       result.out / "tables")


def _html_figure(fig: Figure) -> str:
    data = base64.b64encode(fig.files["png"]).decode()
    return (f'<figure id="fig-{fig.name}"><img alt="{fig.name}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(fig.caption)}</figcaption></figure>")


def _md_figure(fig: Figure) -> list[str]:
    return [f"![{fig.name}.png](plots/{fig.name}.png)", "", f"*{md_text(fig.caption)}*", ""]


def write_report(result: EvaluationResult, test: Sequence[Example], predictions: dict[str, str | Path], *,
                 seed: int = 0, n_examples: int = 20, explorer: str | None = None) -> tuple[Path, Path]:
    """`explorer`: the run explorer's page relative to the report; each example then links to its pair."""
    baseline = report_baseline(result)
    figures = report_figures(result.comparisons, result.methods, baseline)
    _write_files(result, figures, baseline)
    main_fig = [f for f in figures if f.name == "methods_by_domain"]
    other_figs = [f for f in figures if f.name != "methods_by_domain"]
    comps = comparison_tables(result)
    meth, warns = method_and_warning_tables(result)
    examples = _examples(result, test, predictions, seed=seed, n=n_examples)
    setup = setup_sentences(result.setup, result.comparisons) + grid_setup_sentences(result.setup)
    by_domain, by_person = grid_tables(result.comparisons, list(result.methods), baseline)
    fake = banner_text(result.setup.get("fake_backend") or [])
    note = GRID_NOTE.format(baseline=baseline)

    md = ["# Evaluation report", ""] + ([f"> **{md_text(fake)}**", ""] if fake else [])
    md += ["## Setup", ""] + [f"- {md_text(line)}" for line in setup] + [""]
    if by_domain:
        md += ["## Methods × domains", "", md_text(note), "", md_table(by_domain), ""]
    for fig in main_fig:
        md += _md_figure(fig)
    md += ["## Figures", ""] if other_figs else []
    for fig in other_figs:
        md += _md_figure(fig)
    if by_domain:
        md += ["## Per individual", "", md_table(by_person), ""]
    md += ["## Win rates", ""]
    for name, rows in comps.items():
        md += [f"### {md_text(name)}", "", md_table(rows), ""]
    md += ["## Methods", "", md_table(meth), ""]
    if result.parity:
        md += [md_text(parity_line(result.parity)), ""]
    if warns:
        md += ["## Warnings", ""] + [f"- {md_text(f'{a} vs {b} ({s}): {w}')}" for a, b, s, w in warns] + [""]
    md += ["## Examples", ""] + _md_examples(examples, explorer)
    md_path = result.out / "report.md"
    with atomic_writer(md_path) as f:
        f.write("\n".join(md) + "\n")

    ex_html = []
    for item in examples:
        ex = item["example"]
        body = "".join(f"<tr><td>{html.escape(m)}</td><td>{html.escape(rec.get('reasoning') or '–')}</td>"
                       f"<td>{html.escape(rec.get('action') or '–')}</td></tr>" for m, rec in item["methods"].items())
        title = html.escape(ex.id)
        if explorer:
            title = f'<a href="{html.escape(explorer)}#pair={quote(ex.id, safe="")}">{title}</a>'
        ex_html.append(f"<section><h3>{html.escape(ex.individual)} — {title}</h3>"
                       f"<pre>{html.escape(render_context(ex, max_turns=3, max_turn_chars=300))}</pre>"
                       f"<p><b>true action:</b> {html.escape(ex.action)}</p>"
                       f"<table><thead><tr><th>method</th><th>reasoning</th><th>action</th></tr></thead>"
                       f"<tbody>{body}</tbody></table><p>{html.escape('; '.join(item['verdicts']))}</p></section>")
    grid_html = (f'<h2>Methods × domains</h2><p>{html.escape(note)}</p><div id="main-table">{html_table(by_domain)}'
                 "</div>" if by_domain else "")
    person_html = f"<h2>Per individual</h2>{html_table(by_person)}" if by_domain else ""
    comp_html = "".join(f"<details><summary>{html.escape(name)}</summary>{html_table(rows)}</details>"
                        for name, rows in comps.items())
    warn_html = "".join(f"<li>{html.escape(f'{a} vs {b} ({s}): {w}')}</li>" for a, b, s, w in warns)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>recon evaluation</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:8px}}figure{{margin:1em 0}}figure img{{max-width:100%}}
figcaption{{font-size:13px;color:#444}}
.setup{{max-height:170px;overflow:auto;margin:0;font-size:13px}}#fig-methods_by_domain img{{max-height:300px}}
summary{{cursor:pointer;font-weight:bold;margin:.5em 0}}
.fake-banner{{background:#fff3cd;border:2px solid #c98a00;padding:10px 14px;font-weight:bold}}</style></head><body>
<h1>Evaluation report</h1>
{f'<p class="fake-banner">{html.escape(fake)}</p>' if fake else ""}
<h2>Setup</h2><ul class="setup">{"".join(f"<li>{html.escape(line)}</li>" for line in setup)}</ul>
{grid_html}{"".join(_html_figure(f) for f in main_fig)}
{"<h2>Figures</h2>" if other_figs else ""}{"".join(_html_figure(f) for f in other_figs)}
{person_html}<h2>Win rates</h2>{comp_html}
<h2>Methods</h2>{html_table(meth)}{f"<p>{html.escape(parity_line(result.parity))}</p>" if result.parity else ""}
{f"<h2>Warnings</h2><ul>{warn_html}</ul>" if warns else ""}
<h2>Examples</h2>{"".join(ex_html)}</body></html>"""
    html_path = result.out / "report.html"
    with atomic_writer(html_path) as f:
        f.write(page)
    return md_path, html_path
