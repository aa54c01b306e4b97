"""The explainer render's frame schedule, checked by ffmpeg itself."""

from __future__ import annotations

import itertools
import random

from engine import media
from plugins.video.explainer_render import pieces, schedule
from plugins.video.timeline import Timeline


def _placed_frames(runs, total: int) -> list[int]:
    """The frames ``runs`` compose over ``total``, counted in Python."""
    bounds = [first for first, _ in runs[1:]] + [total]
    return [f for (first, step), until in zip(runs, bounds) for f in range(first, until, step)]


def _ffmpeg_frames(expr: str, count: int) -> list[int]:
    """Where ffmpeg's ``setpts`` puts ``count`` frames under ``expr`` (in frames at 30 fps)."""
    escaped = expr.replace(",", "\\,")   # a comma would end the filter
    out = media.run_ffmpeg([
        "-f", "lavfi", "-i", f"color=c=black:s=16x16:r=30,trim=end_frame={count}",
        "-vf", f"setpts=({escaped})/(30*TB),settb=1/30", "-fps_mode", "passthrough",
        "-c:v", "rawvideo", "-f", "framecrc", "pipe:1"], what="place frames").stdout
    return [int(line.split(b",")[1]) for line in out.splitlines()
            if line and not line.startswith(b"#")]


def test_a_scene_with_a_run_per_word_is_scheduled_frame_exactly():
    # a karaoke-captioned section of a full narration restarts a run on every word:
    # hundreds of runs in one scene (a chain of nested ifs that deep broke the render)
    runs = [(0, 3)]
    for n in range(1, 300):
        runs.append((n * 7 + n % 2, 3 if n % 5 else 1))
    total = 300 * 7 + 20
    done, expr = schedule(runs, total)
    expected = _placed_frames(runs, total)
    assert done == len(expected)
    assert _ffmpeg_frames(expr, done) == expected


def test_karaoke_marks_in_a_long_scene_fit_ffmpeg():
    # a 90-second scene with a caption change on every word, as a section read in full
    words = random.Random(1)
    line = Timeline(fps=30.0, starts=(0.0,), ends=(90.0,), points=((),), fades=(0.0,),
                    duration=90.0, scenes=(0,))
    marks = list(itertools.accumulate(words.uniform(0.15, 0.45) for _ in range(290)))
    (piece,) = pieces(line, step=3, marks=marks)
    total = line.frames(90.0)
    done, expr = schedule(piece.runs, total)
    assert len(piece.runs) > 150
    assert _ffmpeg_frames(expr, done) == _placed_frames(piece.runs, total)
