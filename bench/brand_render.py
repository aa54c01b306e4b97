"""What a brand costs a captioned-video render, against the same render without it.

The same 30-second 1080x1920 karaoke video is rendered in one run, interleaved, best of N:

1. **plain**: no logo, the soundtrack left at its level (``loudness: null``);
2. **branded**: a logo overlaid (one image input, ``colorchannelmixer`` for its opacity)
   and the soundtrack brought to -14 LUFS (one gain under a 4x-oversampled true-peak
   limiter), the video's first measured loudness included;
3. **branded + bumpers**: also a 2 s intro and a 2 s outro, encoded to match and joined
   by the concat demuxer (the main video is not encoded again).

Prints CPU seconds (this process and its children: ffmpeg) and ratios against plain, and
what the bumpers add in seconds per second of bumper.

    python bench/brand_render.py [--seconds 30] [--size 1080x1920] [--repeats 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.render_speed import Timer, audio_file, timed_words  # noqa: E402
from engine import media  # noqa: E402
from engine.artifacts import Audio  # noqa: E402
from engine.plugins import PluginConfig, build_registry  # noqa: E402
from engine.transform import Context  # noqa: E402


def logo_file(folder: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((0, 0, 399, 199), fill=(40, 160, 90, 255))
    path = folder / "logo.png"
    image.save(path)
    return path


def render(audio: Audio, params, folder: Path, name: str) -> Timer:
    registry = build_registry(PluginConfig(load_entry_points=False))
    ctx = Context(registry=registry, step_id=name, source_name="bench",
                  scratch_root=folder / f"scratch-{name}")
    transform = registry.transform("captioned-video")
    with Timer() as timer:
        transform.run(audio, params, ctx)
    return timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--size", default="1080x1920")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from plugins.video.captioned_video import CaptionedVideoParams

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        audio = Audio(path=audio_file(folder, args.seconds), duration=args.seconds,
                      sample_rate=24000, words=tuple(timed_words(args.seconds)), title="b")
        width, height = (int(v) for v in args.size.split("x"))
        bumper = {}
        for name, color in (("intro", "red"), ("outro", "blue")):
            path = folder / f"{name}.mp4"
            media.run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c={color}:s=1280x720:d=2:r=30",
                              "-f", "lavfi", "-i", "sine=frequency=660:duration=2", "-shortest",
                              media.media_path(path)], what="make a bumper")
            bumper[name] = str(path)
        base = {"size": args.size, "background": "gradient", "caption_style": "karaoke"}
        kinds = {
            "plain": CaptionedVideoParams(**base, loudness=None),
            "branded": CaptionedVideoParams(**base, logo=str(logo_file(folder)), loudness=-14),
        }
        kinds["branded + bumpers"] = kinds["branded"].model_copy(update=bumper)
        for name, params in kinds.items():            # warm-up: imports, fonts, page cache
            render(audio, params, folder, name.replace(" ", ""))
        best: dict[str, Timer] = {}
        for _ in range(args.repeats):
            for name, params in kinds.items():
                timer = render(audio, params, folder, name.replace(" ", ""))
                if name not in best or timer.cpu < best[name].cpu:
                    best[name] = timer
        plain = best["plain"]
        print(f"best of {args.repeats}; {args.seconds:g} s at {width}x{height}, karaoke, "
              f"gradient background")
        print(f"{'':22s} {'wall s':>8s} {'CPU s':>8s} {'CPU / plain':>12s}")
        for name, timer in best.items():
            print(f"{name:22s} {timer.wall:8.2f} {timer.cpu:8.2f} {timer.cpu / plain.cpu:12.3f}")
        extra = best["branded + bumpers"].cpu - best["branded"].cpu
        print(f"bumpers: {extra:.2f} CPU s for 4 s of bumper "
              f"({extra / 4:.2f} s per second; the main video costs "
              f"{best['branded'].cpu / args.seconds:.2f} s per second)")


if __name__ == "__main__":
    main()
