"""Credits for stock media used in a video: a ``credits.txt`` sidecar and manifest entries.

Every item is listed once (in order of first use) with its attribution line, its page
and its licence, so a publisher can paste the text under the video; the manifest keeps
the same facts as data.
"""

from __future__ import annotations

from typing import Any, Iterable

from engine.stock import StockItem


def unique(items: Iterable[StockItem]) -> list[StockItem]:
    """The items without repeats (same kind and id), in order of first use."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for item in items:
        key = (item.kind, item.id, item.page_url)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def credits_text(items: Iterable[StockItem]) -> str:
    """The text of ``credits.txt``: one block per item, then the licences used."""
    items = unique(items)
    if not items:
        return ""
    lines = ["Stock media in this video", ""]
    for item in items:
        lines += [item.attribution, f"  {item.page_url}", f"  Licence: {item.licence}", ""]
    licences = sorted({item.licence for item in items})
    lines.append("Licences: " + "; ".join(licences))
    return "\n".join(lines) + "\n"


def credits_manifest(items: Iterable[StockItem]) -> dict[str, Any]:
    """The manifest's ``stock_media`` entry: every item's facts, and the licences used."""
    items = unique(items)
    return {"stock_media": [item.model_dump(mode="json") for item in items],
            "licences": sorted({item.licence for item in items})}


__all__ = ["credits_manifest", "credits_text", "unique"]
