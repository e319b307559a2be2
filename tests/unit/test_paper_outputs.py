"""The paper's tables as CSV and LaTeX, and figures whose labels neither collide nor cover the data."""

from __future__ import annotations

import csv
import io

from recon.evaluation.paper_tables import paper_tables, table_csv, table_tex
from recon.evaluation.report_figures import grid_figure, methods_figure, report_figures
from recon.evaluation.winrate import Comparison


def comp(a, scope, rate, ci=(0.4, 0.6), n=40):
    return Comparison(a, "backward", scope, rate, ci, n, 0, 0, None)


COMPS = [comp("recon-select", "overall", 0.547, (0.501, 0.592)), comp("none", "overall", 0.344, (0.2, 0.5)),
         comp("recon-select", "domain:scotus_oa", 0.6), comp("none", "domain:scotus_oa", 0.7, (0.55, 0.85)),
         comp("recon-select", "individual:elena_kagan", 0.5, n=10), comp("none", "individual:elena_kagan", 0.4, n=10)]
METHODS = ["none", "backward", "recon-select"]


def test_the_latex_table_is_booktabs_with_the_best_per_column_in_bold_and_a_full_caption():
    [by_domain, by_person] = paper_tables(COMPS, METHODS, "backward")
    tex = table_tex(by_domain, "backward", "MiniLM cosine similarity")
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"\textbf{54.7} [50.1--59.2]" in tex                    # best overall
    assert r"\textbf{70.0}" in tex and r"\textbf{60.0}" not in tex  # best in its domain column only
    assert r"scotus\_oa" in tex and "n = 40" in tex and "MiniLM" in tex and "over backward" in tex
    assert r"elena\_kagan" in table_tex(by_person, "backward", "x")


def test_the_csv_table_has_one_row_per_method_and_column_in_percent():
    [by_domain, _] = paper_tables(COMPS, METHODS, "backward")
    rows = list(csv.DictReader(io.StringIO(table_csv(by_domain, "backward"))))
    row = next(r for r in rows if r["method"] == "recon-select" and r["column"] == "overall")
    assert (row["win_rate"], row["ci_low"], row["ci_high"], row["n"]) == ("54.7", "50.1", "59.2", "40")
    assert {r["column"] for r in rows} == {"scotus_oa", "overall", "macro"}


def _boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_methods_panels_do_not_collide_and_a_missing_value_is_a_labelled_gap():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from recon.evaluation import report_figures as rf
    made = {}
    real = rf._rendered

    def keep(name, caption, fig):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        made[name] = ([ax.get_tightbbox(renderer) for ax in fig.axes], [t.get_text() for ax in fig.axes
                                                                       for t in ax.texts],
                      [(ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer))
                       for ax in fig.axes if ax.get_legend() is not None])
        return real(name, caption, fig)
    rf._rendered = keep
    try:
        methods = {"none": {"loop_rate": 0.0, "leakage_rate": None, "length_ratio": 1.2},
                   "recon-select": {"loop_rate": 0.0, "leakage_rate": 0.05, "length_ratio": 0.9}}
        figures = report_figures(COMPS, methods, "backward")
    finally:
        rf._rendered = real
        plt.close("all")
    assert {f.name for f in figures} >= {"methods_by_domain", "winrates_overall", "methods"}
    boxes, texts, _ = made["methods"]
    assert not any(_boxes_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert "n/a" in texts                                          # none has no kept-trace leakage
    for name, (_, _, legends) in made.items():
        assert all(not _boxes_overlap(legend, axes) for legend, axes in legends), name
    assert grid_figure([], METHODS, "backward") is None and methods_figure({}) is None


def test_the_latex_table_compiles_in_a_minimal_document(tmp_path):
    import shutil
    import subprocess

    import pytest
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("no pdflatex on this machine (the table is checked for booktabs structure above)")
    [by_domain, _] = paper_tables(COMPS, METHODS, "backward")
    doc = tmp_path / "t.tex"
    doc.write_text("\\documentclass{article}\\usepackage{booktabs}\\begin{document}\n"
                   + table_tex(by_domain, "backward", "MiniLM cosine similarity") + "\\end{document}\n")
    done = subprocess.run([pdflatex, "-interaction=nonstopmode", doc.name], cwd=tmp_path, capture_output=True)
    assert done.returncode == 0 and (tmp_path / "t.pdf").is_file(), done.stdout[-2000:]
