"""The evaluation report: report.md and report.html (plots embedded as PNG) beside results.json.

Sections: the setup in words (judge, counting rules, data, each method's traces and user model, software);
win rates over every test pair with conversation-level 95% intervals, failures, the valid-only and
length-controlled rates; per domain (plot) and per individual (table); failures, loops, reference metrics,
leakage (kept traces and all candidates) and cost per method; warnings; and 20 seeded random test pairs
with the context, the true action, each method's reasoning and action, and the verdicts — because
researchers trust what they can read. Text from data is shown as text in both: HTML-escaped in report.html,
entity- and backslash-escaped (contexts in code fences) in report.md (`markdown_text.py`).

    >>> from recon.evaluation.winrate import Comparison
    >>> ci_text(Comparison("a", "b", "overall", 0.5, None, 8, 0, 0, None, ci_pairs=(0.25, 0.75)))
    '25.0% – 75.0% (pairs, optimistic)'
"""

from __future__ import annotations

import base64
import html
import io
import random
from collections.abc import Sequence
from pathlib import Path

from recon.atomicio import atomic_writer
from recon.evaluation.grid import GRID_NOTE, grid_plot, grid_setup_sentences, grid_tables
from recon.evaluation.markdown_text import fenced, md_text
from recon.evaluation.report_setup import setup_sentences
from recon.evaluation.results import EvaluationResult, read_predictions
from recon.methods import DEFAULT_BASELINE
from recon.render import render_context
from recon.types import Example


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _interval(c) -> tuple[float, float]:
    """The conversation-level interval, else the (optimistic) pair-level one."""
    return c.ci or c.ci_pairs or (c.win_rate, c.win_rate)


def _plots(result: EvaluationResult) -> dict[str, bytes]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def png(fig) -> bytes:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        return buf.getvalue()

    plots = {}
    grid = grid_plot(result.comparisons, list(result.methods), report_baseline(result))
    if grid is not None:
        plots["methods_by_domain.png"] = png(grid)
    overall = [(c, c.win_rate) for c in result.comparisons if c.scope == "overall" and c.win_rate is not None]
    if overall:
        fig, ax = plt.subplots(figsize=(7, 0.6 * len(overall) + 1.2))
        labels = [f"{c.a} vs {c.b}" for c, _ in overall]
        rates = [100 * w for _, w in overall]
        errs = [[100 * (w - _interval(c)[0]) for c, w in overall],
                [100 * (_interval(c)[1] - w) for c, w in overall]]
        ax.barh(labels, rates, xerr=errs, color="#4c72b0", capsize=4, label="win rate (95% CI)")
        lcs = [(i, 100 * c.lc_win_rate) for i, (c, _) in enumerate(overall) if c.lc_win_rate is not None]
        if lcs:
            ax.scatter([v for _, v in lcs], [i for i, _ in lcs], color="#dd8452", zorder=3, label="length-controlled")
        ax.axvline(50, color="grey", linestyle="--", linewidth=1)
        ax.set_xlim(0, 100)
        ax.set_xlabel("win rate of the first method (%)")
        ax.legend(loc="lower right", fontsize=8)
        plots["winrates_overall.png"] = png(fig)
    domains = sorted({c.scope for c in result.comparisons if c.scope.startswith("domain:") and c.win_rate is not None})
    pairs = sorted({(c.a, c.b) for c, _ in overall})
    if domains and pairs:
        fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(domains)), 3.6))
        width = 0.8 / len(pairs)
        for k, (a, b) in enumerate(pairs):
            rows = {c.scope: c for c in result.comparisons if (c.a, c.b) == (a, b)}
            xs, ys, lo, hi = [], [], [], []
            for i, d in enumerate(domains):
                c = rows.get(d)
                if c is None or c.win_rate is None:
                    continue
                xs.append(i + k * width)
                ys.append(100 * c.win_rate)
                lo.append(100 * (c.win_rate - _interval(c)[0]))
                hi.append(100 * (_interval(c)[1] - c.win_rate))
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=f"{a} vs {b}")
        ax.set_xticks([i + width * (len(pairs) - 1) / 2 for i in range(len(domains))])
        ax.set_xticklabels([d.split(":", 1)[1] for d in domains], rotation=15)
        ax.axhline(50, color="grey", linestyle="--", linewidth=1)
        ax.set_ylim(0, 100)
        ax.set_ylabel("win rate (%)")
        ax.legend(fontsize=8)
        plots["winrates_by_domain.png"] = png(fig)
    names = list(result.methods)
    if names:
        cols = [("length_ratio", "length ratio (pred / true words)"), ("loop_rate", "loop rate"),
                ("leakage_rate", "leakage rate (kept traces)"),
                ("candidate_leakage_rate", "leakage rate (all candidates)"),
                ("seconds_per_pair", "synthesis seconds per pair")]
        cols = [(k, t) for k, t in cols if any(result.methods[m].get(k) is not None for m in names)]
        fig, axes = plt.subplots(1, len(cols), figsize=(3.6 * len(cols), 3), squeeze=False)
        for ax, (key, title) in zip(axes[0], cols, strict=True):
            ax.bar(names, [result.methods[m].get(key) or 0 for m in names], color="#55a868")
            ax.set_title(title, fontsize=9)
            ax.tick_params(axis="x", rotation=20, labelsize=8)
        plots["methods.png"] = png(fig)
    return plots


def _examples(result: EvaluationResult, test: Sequence[Example], predictions: dict[str, str | Path], *,
              seed: int, n: int) -> list[dict]:
    preds = {name: read_predictions(path) for name, path in predictions.items()}
    verdicts: dict[str, list[str]] = {}
    for j in result.judgments:
        verdicts.setdefault(j["id"], []).append(f"{j['a']} vs {j['b']}: {j['verdict']}")
    chosen = random.Random(seed).sample(list(test), min(n, len(test)))
    return [{"example": ex, "verdicts": verdicts.get(ex.id, []),
             "methods": {m: preds[m].get(ex.id) or {} for m in preds}} for ex in chosen]


def report_baseline(result: EvaluationResult) -> str:
    """The baseline of the methods × domains table: the run's `report.baseline` (default backward)."""
    return ((result.setup.get("run_config") or {}).get("report") or {}).get("baseline") or DEFAULT_BASELINE


def ci_text(c) -> str:
    """The conversation-level interval, or the pair-level one marked optimistic (fewer than 5 conversations)."""
    if c.ci:
        return f"{_pct(c.ci[0])} – {_pct(c.ci[1])}"
    if c.ci_pairs:
        return f"{_pct(c.ci_pairs[0])} – {_pct(c.ci_pairs[1])} (pairs, optimistic)"
    return "–"


def _tables(result: EvaluationResult) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    head = ["comparison", "scope", "win rate", "95% CI", "conversations", "n", "failed A", "failed B",
            "judge invalid", "pending", "ties", "win rate (valid only)", "LC (valid only)", "order consistency"]
    rows = [[f"{c.a} vs {c.b}", c.scope, _pct(c.win_rate), ci_text(c), str(c.n_conversations), str(c.n),
             str(c.failed_a), str(c.failed_b), str(c.judge_invalid), str(c.pending), str(c.ties),
             _pct(c.win_rate_valid_only), _pct(c.lc_win_rate), _pct(c.order_consistency)] for c in result.comparisons]
    mhead = ["method", "pairs", "failed", "loops", "length ratio", "mean cosine", "ROUGE-L", "leakage (kept)",
             "leakage (candidates)", "ties", "calls/pair", "s/pair"]
    mrows = [[m, str(v["n"]), _pct(v.get("failed_rate")), _pct(v.get("loop_rate")), _num(v.get("length_ratio"), 2),
              _num(v.get("mean_cosine")), _num(v.get("rouge_l")), _pct(v.get("leakage_rate")),
              _pct(v.get("candidate_leakage_rate")), _pct(v.get("tie_rate")), _num(v.get("calls_per_pair"), 1),
              _num(v.get("seconds_per_pair"), 2)] for m, v in result.methods.items()]
    return [head] + rows, [mhead] + mrows, [[c.a, c.b, c.scope, c.warning] for c in result.comparisons if c.warning]


def parity_line(parity: dict | None) -> str:
    """The report's sentence on baseline parity (recon run): which training pairs every user model shared.

    >>> line = parity_line({"train_pairs": 10, "eligible": 8, "left_out_total": 2,
    ...                     "left_out": {"none": 0, "backward": 2}, "note": "e2e-grpo is exempt."})
    >>> line.split(";")[1]
    ' 2 were left out because some method has no trace for them (backward: 2). e2e-grpo is exempt.'
    """
    if not parity:
        return ""
    gaps = ", ".join(f"{m}: {n}" for m, n in parity["left_out"].items() if n)
    shared = ("trained on the same pairs for the same steps" if parity.get("user_model") == "sft"
              else "shown the same demonstrations")
    return (f"Every method's user model drew on the same {parity['eligible']} of {parity['train_pairs']} training "
            f"pairs ({shared}); {parity['left_out_total']} were left out because some method has no trace for "
            f"them{f' ({gaps})' if gaps else ''}. {parity['note']}")


def md_table(rows: list[list[str]]) -> str:
    esc = [[md_text(cell) for cell in row] for row in rows]
    lines = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(esc[0])]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in esc[1:]])


def html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _md_examples(examples: list[dict]) -> list[str]:
    """The examples section's lines: every text from data escaped (`markdown_text.py`), contexts fenced."""
    md = []
    for item in examples:
        ex = item["example"]
        context = render_context(ex, max_turns=3, max_turn_chars=300)
        md += [f"### {md_text(ex.individual)} — {md_text(ex.id)}", "", fenced(context),
               f"**true action:** {md_text(ex.action)}", ""]
        for m, rec in item["methods"].items():
            md += [f"- **{md_text(m)}** — reasoning: {md_text(rec.get('reasoning') or '–')}; "
                   f"action: {md_text(rec.get('action') or '–')}"]
        md += ["", "verdicts: " + md_text("; ".join(item["verdicts"])), ""]
    return md


def write_report(result: EvaluationResult, test: Sequence[Example], predictions: dict[str, str | Path], *,
                 seed: int = 0, n_examples: int = 20) -> tuple[Path, Path]:
    plots = _plots(result)
    (result.out / "plots").mkdir(exist_ok=True)
    for name, data in plots.items():
        with atomic_writer(result.out / "plots" / name, "wb") as f:
            f.write(data)
    comp, meth, warns = _tables(result)
    examples = _examples(result, test, predictions, seed=seed, n=n_examples)

    setup = setup_sentences(result.setup, result.comparisons) + grid_setup_sentences(result.setup)
    baseline = report_baseline(result)
    by_domain, by_person = grid_tables(result.comparisons, list(result.methods), baseline)
    grid_md = ["## Methods × domains", "", md_text(GRID_NOTE.format(baseline=baseline)), "", md_table(by_domain),
               "", "Per individual:", "", md_table(by_person), ""] if by_domain else []
    md = ["# Evaluation report", "", "## Setup", ""] + [f"- {md_text(line)}" for line in setup] + [""] + grid_md + [
          "## Win rates", "", md_table(comp), ""]
    md += [f"![{n}](plots/{n})" for n in plots] + ["", "## Methods", "", md_table(meth), ""]
    if result.parity:
        md += [md_text(parity_line(result.parity)), ""]
    if warns:
        md += ["## Warnings", ""] + [f"- {md_text(f'{a} vs {b} ({s}): {w}')}" for a, b, s, w in warns] + [""]
    md += ["## Examples", ""] + _md_examples(examples)
    md_path = result.out / "report.md"
    with atomic_writer(md_path) as f:
        f.write("\n".join(md) + "\n")

    imgs = "".join(f'<figure><img alt="{n}" src="data:image/png;base64,{base64.b64encode(d).decode()}"></figure>'
                   for n, d in plots.items())
    ex_html = []
    for item in examples:
        ex = item["example"]
        rows = "".join(f"<tr><td>{html.escape(m)}</td><td>{html.escape(rec.get('reasoning') or '–')}</td>"
                       f"<td>{html.escape(rec.get('action') or '–')}</td></tr>" for m, rec in item["methods"].items())
        ex_html.append(f"<section><h3>{html.escape(ex.individual)} — {html.escape(ex.id)}</h3>"
                       f"<pre>{html.escape(render_context(ex, max_turns=3, max_turn_chars=300))}</pre>"
                       f"<p><b>true action:</b> {html.escape(ex.action)}</p>"
                       f"<table><thead><tr><th>method</th><th>reasoning</th><th>action</th></tr></thead>"
                       f"<tbody>{rows}</tbody></table><p>{html.escape('; '.join(item['verdicts']))}</p></section>")
    grid_html = (f"<h2>Methods × domains</h2><p>{html.escape(GRID_NOTE.format(baseline=baseline))}</p>"
                 f"{html_table(by_domain)}<p>Per individual:</p>{html_table(by_person)}" if by_domain else "")
    warn_html = "".join(f"<li>{html.escape(f'{a} vs {b} ({s}): {w}')}</li>" for a, b, s, w in warns)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>recon evaluation</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:8px}}
figure img{{max-width:100%}}</style></head><body>
<h1>Evaluation report</h1>
<h2>Setup</h2><ul>{"".join(f"<li>{html.escape(line)}</li>" for line in setup)}</ul>
{grid_html}<h2>Win rates</h2>{html_table(comp)}{imgs}
<h2>Methods</h2>{html_table(meth)}{f"<p>{html.escape(parity_line(result.parity))}</p>" if result.parity else ""}
{f"<h2>Warnings</h2><ul>{warn_html}</ul>" if warns else ""}
<h2>Examples</h2>{"".join(ex_html)}</body></html>"""
    html_path = result.out / "report.html"
    with atomic_writer(html_path) as f:
        f.write(page)
    return md_path, html_path
