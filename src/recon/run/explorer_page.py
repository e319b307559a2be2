"""The run explorer: one self-contained HTML file (its data inside, no network, no build step, works from
`file://`). Every text from the data reaches the page through `textContent`, never as markup, and the
embedded JSON escapes `<`, `>` and `&`, so no field can close the script or open a tag.

`view.html#pair=ID` opens a pair; the report's examples link there.

    >>> "recon-data" in explorer_page({"run": "r", "methods": [], "trace_methods": [], "fake_backend": [],
    ...                                "train": [], "test": []})
    True
"""

from __future__ import annotations

import html
from pathlib import Path

from recon.atomicio import atomic_writer
from recon.evaluation.script_json import script_json
from recon.run.explorer_data import explorer_data

VIEW_FILE = "view.html"
LIST_LIMIT = 300            # pairs listed at once; the filters narrow the rest

_STYLE = """body{font-family:sans-serif;margin:0;font-size:14px;color:#222}
header{padding:8px 16px;background:#f3f3f3;border-bottom:1px solid #ccc}
.fake{background:#fff3cd;border:2px solid #c98a00;padding:8px;font-weight:bold;margin:6px 0}
#controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-top:6px}
main{display:flex;height:calc(100vh - 120px)}
#list{width:32%;overflow:auto;border-right:1px solid #ccc}#detail{flex:1;overflow:auto;padding:8px 16px}
.item{padding:6px 10px;border-bottom:1px solid #eee;cursor:pointer}.item:hover,.item.on{background:#e8f0fe}
.item small{color:#666}pre{white-space:pre-wrap;background:#f6f6f6;padding:8px}
table{border-collapse:collapse;margin:8px 0;width:100%}td,th{border:1px solid #ccc;padding:4px 6px;
vertical-align:top;text-align:left}.kept{background:#e6f4ea}.leak{color:#b00020;font-weight:bold}
.tab.on{font-weight:bold;text-decoration:underline}"""

_SCRIPT = r"""
const D = JSON.parse(document.getElementById('recon-data').textContent);
const $ = id => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined && text !== null)
  e.textContent = String(text); if (cls) e.className = cls; return e; }
function row(cells, cls) { const tr = el('tr', null, cls); cells.forEach(c => { const td = el('td');
  if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? '–' : String(c);
  tr.appendChild(td); }); return tr; }
function table(head, rows) { const t = el('table'); const h = el('tr');
  head.forEach(x => h.appendChild(el('th', x))); t.appendChild(h); rows.forEach(r => t.appendChild(r)); return t; }
function fmt(x) { return typeof x === 'number' ? x.toFixed(3) : (x === null || x === undefined ? '–' : String(x)); }
let tab = 'test', current = null;
const BASE = D.baseline;
function fill(id, values) { const s = $(id); values.forEach(v => { const o = el('option', v); o.value = v;
  s.appendChild(o); }); }
fill('domain', [...new Set(D.train.concat(D.test).map(p => p.domain))].sort());
fill('individual', [...new Set(D.train.concat(D.test).map(p => p.individual))].sort());
fill('method', D.methods.concat(D.trace_methods.filter(m => !D.methods.includes(m))));
function keptLeaked(p) { return Object.values(p.traces).some(t => t.leaking && t.reasoning); }
function disagree(p) { let win = false, lose = false;
  p.verdicts.forEach(v => { if (v.a !== BASE && v.b !== BASE) return; if (v.winner === BASE) lose = true;
    else if (v.winner) win = true; }); return win && lose; }
function failedOrTruncated(p) { return Object.values(p.predictions).some(x => x && (x.failed || x.truncated)); }
function matches(p) {
  const d = $('domain').value, i = $('individual').value, m = $('method').value, q = $('search').value.toLowerCase();
  if (d && p.domain !== d) return false; if (i && p.individual !== i) return false;
  if (tab === 'train') { if (m && !(p.traces[m] && p.traces[m].reasoning)) return false;
    if ($('leaked').checked && !keptLeaked(p)) return false; }
  else { if (m && !p.predictions[m]) return false; if ($('disagree').checked && !disagree(p)) return false;
    if ($('failed').checked && !failedOrTruncated(p)) return false; }
  if (q) { const hay = [p.id, p.context, p.action].concat(tab === 'train'
      ? Object.values(p.traces).map(t => t.reasoning || '')
      : Object.values(p.predictions).map(x => x ? (x.reasoning || '') + ' ' + (x.action || '') : ''));
    if (!hay.join('\n').toLowerCase().includes(q)) return false; }
  return true; }
function renderList() {
  const pairs = (tab === 'train' ? D.train : D.test).filter(matches);
  const list = $('list'); list.replaceChildren();
  $('count').textContent = pairs.length + ' of ' + (tab === 'train' ? D.train : D.test).length + ' ' + tab + ' pairs'
    + (pairs.length > LIMIT ? ' (first ' + LIMIT + ' listed: narrow the filters)' : '');
  pairs.slice(0, LIMIT).forEach(p => { const it = el('div', null, 'item' + (current === p.id ? ' on' : ''));
    it.dataset.id = p.id; it.appendChild(el('div', p.id)); it.appendChild(el('small', p.individual + ' · ' + p.domain));
    it.onclick = () => { show(p.id); location.hash = 'pair=' + encodeURIComponent(p.id); };
    list.appendChild(it); }); }
function renderTrain(p, box) {
  const rows = Object.entries(p.traces).map(([m, t]) => row([m, t.reasoning || ('invalid: ' + (t.invalid || '')),
    t.kept === null || t.kept === undefined ? '–' : '#' + t.kept,
    el('span', t.leaking ? 'leaks' : 'no', t.leaking ? 'leak' : '')]));
  box.appendChild(el('h3', 'Traces (kept by each method)'));
  box.appendChild(table(['method', 'trace', 'kept candidate', 'leakage'], rows));
  if (p.candidates.length) {
    box.appendChild(el('h3', 'Candidates'));
    const keptBy = i => Object.entries(p.traces).filter(([m, t]) => t.kept === i).map(([m]) => m).join(', ');
    box.appendChild(table(['#', 'rank', 'score', 'adjusted', 'overlap', 'leaks', 'kept by', 'candidate',
                           'reconstruction'],
      p.candidates.map((c, i) => row(['#' + i, c.rank, fmt(c.score), fmt(c.adjusted),
        fmt(c.leakage ? c.leakage.overlap : null), el('span', c.leakage && c.leakage.leaking ? 'leaks' : 'no',
        c.leakage && c.leakage.leaking ? 'leak' : ''), keptBy(i) || '–', c.reasoning, c.reconstruction],
        keptBy(i) ? 'kept' : '')))); } }
function renderTest(p, box) {
  box.appendChild(el('h3', 'Predictions'));
  box.appendChild(table(['method', 'reasoning', 'action', 'status'], Object.entries(p.predictions).map(([m, x]) =>
    row([m, x ? x.reasoning : '–', x ? x.action : '–', !x ? 'no record' : x.failed ? 'failed: ' + (x.error || '')
      : x.truncated ? 'truncated' : 'ok']))));
  box.appendChild(el('h3', 'Verdicts'));
  box.appendChild(table(['comparison', 'verdict', 'p(A closer)'], p.verdicts.map(v => row([v.a + ' vs ' + v.b,
    v.winner ? v.winner + ' closer' : (v.verdict === 'tie' ? 'tie' : 'no valid verdict'), fmt(v.p_a)])))); }
function show(id) {
  let p = D.test.find(x => x.id === id), kind = 'test';
  if (!p) { p = D.train.find(x => x.id === id); kind = 'train'; }
  if (!p) return;
  if (tab !== kind) setTab(kind);
  current = id; const box = $('detail'); box.replaceChildren();
  box.appendChild(el('h2', p.id)); box.appendChild(el('p', p.individual + ' · ' + p.domain + ' · conversation '
    + p.conversation)); box.appendChild(el('h3', 'Context')); box.appendChild(el('pre', p.context));
  box.appendChild(el('h3', 'True action')); box.appendChild(el('pre', p.action));
  (kind === 'train' ? renderTrain : renderTest)(p, box); renderList(); }
function setTab(t) { tab = t;
  document.querySelectorAll('.tab').forEach(b => b.classList.toggle('on', b.dataset.tab === t));
  $('trainOnly').style.display = t === 'train' ? '' : 'none';
  $('testOnly').style.display = t === 'test' ? '' : 'none';
  renderList(); }
document.querySelectorAll('.tab').forEach(b => b.onclick = () => setTab(b.dataset.tab));
['domain', 'individual', 'method', 'leaked', 'disagree', 'failed'].forEach(id => $(id).onchange = renderList);
$('search').oninput = renderList;
function fromHash() { const m = location.hash.match(/pair=([^&]+)/); if (m) show(decodeURIComponent(m[1])); }
window.onhashchange = fromHash;
setTab(D.test.length ? 'test' : 'train'); fromHash();
"""


def explorer_page(data: dict, *, baseline: str = "backward") -> str:
    """The whole page for `explorer_data(...)`."""
    fake = data.get("fake_backend") or []
    banner = (f'<div class="fake">Fake backend: the {html.escape(", ".join(fake))} played by the fake backend, a '
              "deterministic test double that is not a language model. These numbers test the software, not the "
              "method.</div>" if fake else "")
    payload = script_json({**data, "baseline": baseline})
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>recon run {html.escape(data["run"])}</title>
<style>{_STYLE}</style></head><body>
<header><b>recon run {html.escape(data["run"])}</b> — {len(data["train"])} training and {len(data["test"])} test pairs
{banner}
<div id="controls"><span class="tab" data-tab="test">test pairs</span> <span class="tab" data-tab="train">training
pairs</span> <select id="domain"><option value="">every domain</option></select>
<select id="individual"><option value="">every individual</option></select>
<select id="method"><option value="">every method</option></select>
<span id="trainOnly"><label><input type="checkbox" id="leaked"> kept trace leaked</label></span>
<span id="testOnly"><label title="some method beats the baseline on this pair and another loses to it">
<input type="checkbox" id="disagree"> methods disagree</label>
<label><input type="checkbox" id="failed"> prediction failed or truncated</label></span>
<input id="search" type="search" placeholder="search text"> <span id="count"></span></div></header>
<main><div id="list"></div><div id="detail"><p>Pick a pair on the left.</p></div></main>
<script type="application/json" id="recon-data">{payload}</script>
<script>const LIMIT = {LIST_LIMIT};{_SCRIPT}</script></body></html>"""


def write_explorer(run: str | Path, out: str | Path | None = None) -> Path:
    """Write the explorer of a run folder (default `RUN/view.html`); the path written."""
    run = Path(run)
    data = explorer_data(run)
    config = run / "config.json"
    baseline = "backward"
    if config.is_file():
        import json
        baseline = ((json.loads(config.read_text(encoding="utf-8")).get("report") or {}).get("baseline")
                    or baseline)
    path = Path(out) if out is not None else run / VIEW_FILE
    with atomic_writer(path) as f:
        f.write(explorer_page(data, baseline=baseline))
    return path
