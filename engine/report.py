"""The batch report, ``OUT/index.html``: one self-contained page a person opens in a browser.

No scripts, no external assets: a summary, links to batch-wide outputs (the podcast
feed), then one card per source with its status, its error in plain words, and every
output linked in recipe order (text previewed, audio and video playable in place).
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

from engine import atomic
from engine.runner import SourceResult

REPORT = "index.html"
PREVIEW_CHARS = 400
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
"""


def counts_line(results: list[SourceResult]) -> str:
    """``"3 sources: 2 ok, 1 failed"``, for the terminal summary and the report."""
    failed = sum(1 for r in results if r.status != "ok")
    noun = "source" if len(results) == 1 else "sources"
    return f"{len(results)} {noun}: {len(results) - failed} ok, {failed} failed"


def _preview(out_dir: Path, name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower()
    path = out_dir / name
    href = html.escape(f"{out_dir.name}/{name}", quote=True)
    if ext in AUDIO_EXTS:
        return f'<audio controls preload="none" src="{href}"></audio>'
    if ext in VIDEO_EXTS:
        return f'<video controls preload="none" width="240" src="{href}"></video>'
    if ext in TEXT_EXTS and path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")
        more = "…" if len(text) > PREVIEW_CHARS else ""
        return f"<pre>{html.escape(text[:PREVIEW_CHARS])}{more}</pre>"
    return ""


def _card(result: SourceResult, out_root: Path) -> str:
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
            f'<a href="{html.escape(f"{result.slug}/{n}", quote=True)}">{html.escape(n)}</a>'
            for n in step.files)
        preview = "".join(_preview(out_dir, n) for n in step.files[:1])
        status = html.escape(step.status if not step.error else f"{step.status}: {step.error.splitlines()[0]}")
        rows.append(f"<tr><td>{html.escape(step.id)}</td><td>{status}</td>"
                    f"<td>{links}{preview}</td></tr>")
    if rows:
        parts.append("<table><tr><th>step</th><th>status</th><th>outputs</th></tr>"
                     + "".join(rows) + "</table>")
    manifest = html.escape(f"{result.slug}/manifest.json", quote=True)
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


def write_report(results: list[SourceResult], out_root: Path, recipe_name: str) -> Path:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out_root.mkdir(parents=True, exist_ok=True)
    page = (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>remixer: {html.escape(recipe_name)}</title><style>{STYLE}</style></head><body>"
        f"<h1>remixer report: {html.escape(recipe_name)}</h1>"
        f'<p class="summary" id="summary">{counts_line(results)} · {when}</p>'
        + _batch_outputs(out_root)
        + "\n".join(_card(r, out_root) for r in results)
        + "</body></html>\n")
    target = out_root / REPORT
    atomic.write_bytes(target, page.encode("utf-8"))
    return target
