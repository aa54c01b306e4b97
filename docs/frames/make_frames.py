"""Regenerate docs/frames/*.png: one frame of the sample article's explainer per aspect.

Renders ``samples/article.md`` with ``explainer-video`` (``narrate: key-points``,
offline: extractive key points, the hibari voice) at 16:9, 9:16 and 1:1, takes the
frame two seconds into the scene with the article's picture, and saves it small
(480 pixels on the long side, a 256-colour palette) for the README.

    python docs/frames/make_frames.py        # writes docs/frames/{16x9,9x16,1x1}.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ASPECTS = {"16:9": "16x9", "9:16": "9x16", "1:1": "1x1"}
LONG_SIDE = 480


def main() -> None:
    from PIL import Image

    from engine import media
    from engine.artifacts import Storyboard
    from engine.plugins import PluginConfig, build_registry
    from engine.transform import Context
    from plugins.sources.markdown import MarkdownLoader
    from plugins.video.explainer import ExplainerParams, ExplainerVideo

    doc = MarkdownLoader().load(ROOT / "samples" / "article.md")
    registry = build_registry(PluginConfig(load_entry_points=False))
    with tempfile.TemporaryDirectory() as tmp:
        for aspect, name in ASPECTS.items():
            ctx = Context(registry=registry, step_id=name, source_name="article",
                          scratch_root=Path(tmp))
            params = ExplainerParams(aspect=aspect, resolution=720, narrate="key-points",
                                     points=2, max_scenes=4, preset="ultrafast")
            video = ExplainerVideo().run(doc, params, ctx)
            board = Storyboard.model_validate_json(video.metadata["storyboard"])
            scene = next(s for s in board.scenes if s.visual is not None)
            at = min(scene.start + 4.0, (scene.start + scene.end) / 2)
            frame = Image.fromarray(media.frame_at(video.path, at))
            frame.thumbnail((LONG_SIDE, LONG_SIDE), Image.LANCZOS)
            out = Path(__file__).with_name(f"{name}.png")
            frame.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(out, optimize=True)
            print(out)


if __name__ == "__main__":
    main()
