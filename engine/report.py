"""The batch report, ``OUT/index.html``: pages a person opens in a browser, from disk.

A summary, links to batch-wide outputs (the podcast feed), a search box and status
filter, then one card per source with its status, its error in plain words and every
output linked in recipe order (text previewed, audio and video playable in place),
``PAGE_SIZE`` sources a page: the first page is ``index.html``, the others
``_report/page-N.html``. Every page is plain HTML that works without scripts; the search
reads ``_report/sources.js``, one short row a source, and renders matches as text, never
as markup (``index.html?q=NAME&status=failed`` opens with a search filled in). A page is
written only when its content changed, so a cached re-run of a large batch rewrites
nothing. Text previews are read only for batches of at most ``PREVIEW_SOURCES`` sources:
beyond that, reading every output would cost more than the run.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from pathlib import Path

from engine import atomic
from engine.runner import SourceResult

REPORT = "index.html"
PREVIEW_CHARS = 400
PAGE_SIZE = 100
PREVIEW_SOURCES = 500
#: never a source's folder: slugs are lower-case letters, digits and hyphens only
PAGES_DIR = "_report"
TEXT_EXTS = {"md", "txt", "srt", "vtt"}
AUDIO_EXTS = {"mp3", "wav", "m4a", "ogg", "opus", "flac"}
VIDEO_EXTS = {"mp4", "webm", "mov"}

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.6rem}.summary{font-size:1.1rem}
.card{border:1px solid #ddd;border-radius:8px;padding:1rem;margin:1rem 0}
.ok{border-left:6px solid #2a9d4b}.failed{border-left:6px solid #c0392b}
.status{font-weight:600;text-transform:uppercase;font-size:.8rem}
.error{background:#fdecea;padding:.5rem;border-radius:4px;white-space:pre-wrap}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem .5rem;border-top:1px solid #eee;vertical-align:top}
td:first-child{white-space:nowrap}
pre{white-space:pre-wrap;margin:0;font-size:.85rem;color:#444}
nav a{margin-right:.4rem}#matches li{margin:.15rem 0}
"""

SEARCH_SCRIPT = """
(function () {
  var rows = window.REMIXER_SOURCES || [], box = document.getElementById('search'),
      filter = document.getElementById('status'), list = document.getElementById('matches'),
      root = document.body.dataset.root;
  function show() {
    var q = box.value.trim().toLowerCase(), s = filter.value, shown = 0;
    list.textContent = '';
    if (!q && !s) return;
    for (var i = 0; i < rows.length && shown < 200; i++) {
      var r = rows[i];
      if ((s && r[2] !== s) || (q && r[1].toLowerCase().indexOf(q) < 0)) continue;
      var li = document.createElement('li'), a = document.createElement('a');
      a.href = root + (r[3] === 1 ? 'index.html' : '_report/page-' + r[3] + '.html') + '#' + r[0];
      a.textContent = r[1];
      li.appendChild(a);
      li.appendChild(document.createTextNode(' \u00b7 ' + r[2]));
      list.appendChild(li);
      shown++;
    }
  }
  var given = new URLSearchParams(location.search);
  box.value = given.get('q') || '';
  filter.value = given.get('status') || '';
  box.addEventListener('input', show);
  filter.addEventListener('change', show);
  show();
})();
"""


def counts_line(results: list[SourceResult]) -> str:
    """``"3 sources: 2 ok, 1 failed"``, for the terminal summary and the report."""
    failed = sum(1 for r in results if r.status != "ok")
    noun = "source" if len(results) == 1 else "sources"
    return f"{len(results)} {noun}: {len(results) - failed} ok, {failed} failed"


def _preview(out_dir: Path, name: str, root: str, text: bool) -> str:
    ext = name.rsplit(".", 1)[-1].lower()
    path = out_dir / name
    href = html.escape(f"{root}{out_dir.name}/{name}", quote=True)
    if ext in AUDIO_EXTS:
        return f'<audio controls preload="none" src="{href}"></audio>'
    if ext in VIDEO_EXTS:
        return f'<video controls preload="none" width="240" src="{href}"></video>'
    if text and ext in TEXT_EXTS and path.is_file():
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(PREVIEW_CHARS + 1)
        more = "…" if len(head) > PREVIEW_CHARS else ""
        return f"<pre>{html.escape(head[:PREVIEW_CHARS])}{more}</pre>"
    return ""


def _card(result: SourceResult, out_root: Path, root: str, previews: bool) -> str:
    out_dir = out_root / result.slug
    parts = [f'<section class="card {html.escape(result.status)}" id="{html.escape(result.slug)}">',
             f"<h2>{html.escape(Path(result.path).name)}</h2>",
             f'<p><span class="status">{html.escape(result.status)}</span> · '
             f"{result.ran} ran, {result.cached} cached · {result.seconds:.2f} s</p>"]
    if result.error:
        parts.append(f'<p class="error">{html.escape(result.error.splitlines()[0])}</p>')
    rows = []
    for step in result.steps:
        links = " ".join(
            f'<a href="{html.escape(f"{root}{result.slug}/{n}", quote=True)}">{html.escape(n)}</a>'
            for n in step.files)
        preview = "".join(_preview(out_dir, n, root, previews) for n in step.files[:1])
        status = html.escape(step.status if not step.error else f"{step.status}: {step.error.splitlines()[0]}")
        rows.append(f"<tr><td>{html.escape(step.id)}</td><td>{status}</td>"
                    f"<td>{links}{preview}</td></tr>")
    if rows:
        parts.append("<table><tr><th>step</th><th>status</th><th>outputs</th></tr>"
                     + "".join(rows) + "</table>")
    manifest = html.escape(f"{root}{result.slug}/manifest.json", quote=True)
    parts.append(f'<p><a href="{manifest}">manifest.json</a></p></section>')
    return "\n".join(parts)


def _batch_outputs(out_root: Path) -> str:
    """Links to the batch-wide files beside the source folders (the podcast feed)."""
    names = sorted(p.name for p in out_root.iterdir()
                   if p.is_file() and p.name != REPORT and not p.name.startswith("."))
    if not names:
        return ""
    links = " ".join(f'<a href="{html.escape(n, quote=True)}">{html.escape(n)}</a>' for n in names)
    return f'<p class="batch" id="batch-outputs">For the whole batch: {links}</p>'


def _nav(page: int, pages: int, root: str) -> str:
    if pages == 1:
        return ""
    links = []
    for n in range(1, pages + 1):
        href = f"{root}index.html" if n == 1 else f"{root}{PAGES_DIR}/page-{n}.html"
        links.append(f"<b>{n}</b>" if n == page else f'<a href="{href}">{n}</a>')
    return f"<nav>pages: {' '.join(links)}</nav>"


def _page(results: list[SourceResult], out_root: Path, recipe_name: str, page: int,
          pages: int, summary: str, previews: bool) -> str:
    root = "" if page == 1 else "../"
    title = html.escape(recipe_name)
    nav = _nav(page, pages, root)
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>remixer: {title}</title><style>{STYLE}</style></head>"
        f'<body data-root="{root}">'
        f"<h1>remixer report: {title}</h1>"
        f'<p class="summary" id="summary">{summary}</p>'
        + (_batch_outputs(out_root) if page == 1 else "") +
        '<p><input id="search" type="search" placeholder="search sources by name" size="30"> '
        '<select id="status"><option value="">any status</option><option>ok</option>'
        '<option>failed</option></select></p><ul id="matches"></ul>'
        + nav + "\n"
        + "\n".join(_card(r, out_root, root, previews) for r in results)
        + nav
        + f'<script src="{root}{PAGES_DIR}/sources.js"></script>'
        f'<script src="{root}{PAGES_DIR}/search.js"></script>'
        "</body></html>\n")


def _write_if_changed(path: Path, text: str) -> None:
    """Write unless the file already says this, the time stamp aside."""
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        old = None
    if old is None or _STAMP.sub("", old) != _STAMP.sub("", text):
        atomic.write_bytes(path, text.encode("utf-8"))


_STAMP = re.compile(r"<time>[^<]*</time>")


def write_report(results: list[SourceResult], out_root: Path, recipe_name: str) -> Path:
    """Write the report's pages and search index; returns the first page's path."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    summary = f"{counts_line(results)} · <time>{when}</time>"
    pages = max(1, -(-len(results) // PAGE_SIZE))
    previews = len(results) <= PREVIEW_SOURCES
    (out_root / PAGES_DIR).mkdir(parents=True, exist_ok=True)
    rows = [[r.slug, Path(r.path).name, r.status, 1 + i // PAGE_SIZE] for i, r in enumerate(results)]
    data = json.dumps(rows, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    _write_if_changed(out_root / PAGES_DIR / "sources.js", f"window.REMIXER_SOURCES={data};\n")
    _write_if_changed(out_root / PAGES_DIR / "search.js", SEARCH_SCRIPT)
    for page in range(1, pages + 1):
        chunk = results[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
        target = (out_root / REPORT if page == 1
                  else out_root / PAGES_DIR / f"page-{page}.html")
        _write_if_changed(target, _page(chunk, out_root, recipe_name, page, pages, summary,
                                        previews))
    for stale in (out_root / PAGES_DIR).glob("page-*.html"):
        number = stale.stem.removeprefix("page-")
        if not number.isdigit() or not 2 <= int(number) <= pages:
            stale.unlink()
    return out_root / REPORT
