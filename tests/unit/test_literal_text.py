"""Text from data is shown as written: no rich markup or emoji codes on the terminal, no spreadsheet
formulas in the human-validation CSV (and `recon human import` reads the texts back unchanged), and no raw
HTML or Markdown structure in report.md (report.html stays escaped)."""

from __future__ import annotations

import csv
import json
import re

import pytest
from markdown_it import MarkdownIt

from recon.cli.main import main
from recon.cli.output import err_console, print_table, progress_bar
from recon.config import PairJudgeConfig
from recon.evaluation.human import export_items, import_labels, read_items
from recon.evaluation.report import write_report
from recon.jobs.context import JobContext
from recon.jobs.evaluate import run_evaluate
from recon.method.embeddings import HashEmbedder
from recon.types import Example, Turn
from tests.conftest import write_lines

PAIR = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 1,
        "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}
MARKUP = ["[/x]", "[bold]x", "[link=http://evil]y[/link]", ":thumbs_up:"]


def test_data_stats_prints_individual_names_literally(tmp_path, capsys):
    rows = [json.dumps(PAIR | {"id": f"a:{i}", "individual": name}) for i, name in enumerate(MARKUP)]
    assert main(["data", "stats", "--data", str(write_lines(tmp_path / "p.jsonl", rows))]) == 0
    out = capsys.readouterr().out
    for name in MARKUP:
        assert name in out
    assert "\N{THUMBS UP SIGN}" not in out


def test_every_console_prints_markup_literally(capsys):
    print_table("[red]title", ["[b]col", "n"], [["[/x]", 1]])
    err_console.print("warning: [bold]x [/y] :smile:")
    with progress_bar("judging [/x]", 1) as advance:
        advance()
    said = capsys.readouterr()
    assert "[red]title" in said.out and "[b]col" in said.out and "[/x]" in said.out
    assert "[bold]x [/y] :smile:" in said.err and "judging [/x]" in said.err


EVIL = ["=HYPERLINK(\"http://evil\",\"click\")", "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR",
        "'=already quoted", "plain text", "a = b"]
CONTEXT = "=cmd|' /C calc'!A0"


def examples() -> list[Example]:
    return [Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                    context=(Turn("Bob", CONTEXT),), action=text) for i, text in enumerate(EVIL)]


def evaluation(tmp_path, test):
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(e.to_json()) + "\n" for e in test))
    preds = {}
    for name, action in (("good", lambda e: e.action), ("bad", lambda e: "-" + e.action + " no")):
        preds[name] = tmp_path / f"{name}.jsonl"
        preds[name].write_text("".join(json.dumps({"id": e.id, "action": action(e), "reasoning": "=1+1"}) + "\n"
                                       for e in test))
    result = run_evaluate(JobContext(embedder=HashEmbedder()), test, preds, compare=[("good", "bad")],
                          judge_cfg=PairJudgeConfig(), out=tmp_path / "eval", test_paths=[str(tmp_path / "t.jsonl")])
    return result, preds


def test_the_items_csv_neutralises_formulas_and_import_reads_the_texts_back(tmp_path):
    test = examples()
    evaluation(tmp_path, test)
    done = export_items(tmp_path / "eval", n=len(EVIL), out=tmp_path / "items.csv", seed=0)
    assert done.n == len(EVIL)
    with done.csv.open(newline="", encoding="utf-8") as f:
        raw = list(csv.DictReader(f))
    for row in raw:
        for column, cell in row.items():
            assert not cell or cell[0] not in "=+-@\t\r", (column, cell)
    assert {r["true_action"] for r in raw} >= {"'=HYPERLINK(\"http://evil\",\"click\")", "'\tTAB", "''=already quoted",
                                               "plain text", "a = b"}
    key = json.loads((tmp_path / "eval/human_key.json").read_text())["items"]
    labelled = tmp_path / "labelled.csv"
    with labelled.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(raw[0]))
        writer.writeheader()
        writer.writerows([{**r, "label": "tie"} for r in raw])
    rows = read_items(labelled)
    by_id = {e.id: e for e in test}
    assert sorted(r["true_action"] for r in rows) == sorted(EVIL)
    for r in rows:
        truth = by_id[key[r["item"]]["id"]].action
        assert r["true_action"] == truth and {r["response_1"], r["response_2"]} == {truth, "-" + truth + " no"}
        assert CONTEXT in r["context"]
    assert import_labels(labelled, tmp_path / "eval")["n"] == len(EVIL)


def test_the_form_downloads_the_same_neutralised_cells(tmp_path):
    evaluation(tmp_path, examples())
    done = export_items(tmp_path / "eval", n=len(EVIL), out=tmp_path / "items.csv", seed=0)
    data = re.search(r"const rows = (\[.*?\]);\n", done.form.read_text()).group(1)
    cells = [v for row in json.loads(data.replace("<\\/", "</")) for v in row.values()]
    assert cells and all(not v or v[0] not in "=+-@\t\r" for v in cells)


HOSTILE = {
    "individual": "<img src=x onerror=alert(1)>",
    "action": "<script>alert('action')</script> ![t](http://evil/track.png) [x](javascript:alert(1))",
    "context": "```\n<script>alert('fence')</script>\n````",
}


def test_report_md_carries_no_raw_html_and_report_html_stays_escaped(tmp_path):
    test = [Example(id=f"p{i}", domain="d<u>", individual=HOSTILE["individual"], conversation_id=f"c{i}",
                    turn_index=1, context=(Turn("Bob <kbd>", HOSTILE["context"]),), action=HOSTILE["action"] + str(i))
            for i in range(6)]
    result, preds = evaluation(tmp_path, test)
    for path in preds.values():                         # hostile reasoning too
        path.write_text(path.read_text().replace('"=1+1"', json.dumps("<script>alert('why')</script> *x*")))
    md, page = write_report(result, test, preds, n_examples=6)
    text = md.read_text()
    rendered = MarkdownIt("commonmark").render(text)   # raw HTML allowed, as GitHub-like renderers do
    for rendered_page in (rendered, page.read_text()):
        assert not re.search(r"<script|<img src=x|<u>|<kbd>|href=\"javascript", rendered_page)
    assert "http://evil/track.png" not in re.findall(r'<img src="([^"]*)"', rendered)
    assert "&lt;script&gt;alert('action')&lt;/script&gt;" in rendered   # shown, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered
    assert "&lt;script&gt;alert('fence')&lt;/script&gt;" in rendered
    assert "![winrates_overall.png](plots/winrates_overall.png)" in text


@pytest.mark.parametrize("text", ["<script>x</script>", "a | b", "``` fence", "*bold* _it_ [l](u)", "\\n"])
def test_markdown_text_renders_back_to_itself(text):
    from recon.evaluation.markdown_text import md_text
    html = MarkdownIt("commonmark").render(md_text(text))
    assert html == f"<p>{text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</p>\n"
