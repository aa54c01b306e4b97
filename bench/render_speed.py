"""Render speed of captioned-video, against a bare encode and against moviepy.

The same 30-second 1080x1920 video is made three ways in one run:

1. **ours**: the ``captioned-video`` transform (karaoke captions by libass, one ffmpeg
   filter graph) on 30 s of audio with word timings, gradient background;
2. **bare**: the same graph without the captions: same background, length, size, audio
   and encoder settings (``engine.media.H264_SETTINGS``) — the floor any captioner pays;
3. **moviepy**: the same caption events (the ASS events ours draws: one per word, the
   cue's text) as moviepy ``TextClip``s composited over the same colour, written with
   the same codec, preset and CRF.

Prints wall-clock and CPU seconds of each (CPU = this process plus its children, i.e.
ffmpeg: robust when other jobs share the machine) and two ratios, of CPU time:
ours / bare (target: at most 1.15) and moviepy / ours (target: at least 15), and what
each adds above the bare encode (the encode itself is the same x264 work for all three).

    pip install moviepy            # only the benchmark needs it
    python bench/render_speed.py [--seconds 30] [--size 1080x1920] [--preset P] [--repeats 3]
                                   [--skip-moviepy]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import media  # noqa: E402
from engine.artifacts import Audio, Word  # noqa: E402
from engine.plugins import PluginConfig, build_registry  # noqa: E402
from engine.transform import Context  # noqa: E402

TEXT = ("Most people will never watch your whole talk. They scroll past it on a phone, "
        "with the sound off, in a train or a waiting room. Captions that follow every "
        "word let them understand it anyway. Keep the lines short, keep the words inside "
        "the frame, and put them where a thumb will not cover them. ")


class Timer:
    """Wall-clock and CPU seconds (this process and its finished children) of a block."""

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._wall
        self.cpu = _cpu() - self._cpu


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_words(seconds: float) -> list[Word]:
    """About 2.6 words a second for ``seconds``, with pauses after sentences."""
    words, at, tokens = [], 0.3, TEXT.split()
    index = 0
    while True:
        token = tokens[index % len(tokens)]
        length = 0.14 + 0.04 * len(token)
        if at + length > seconds - 0.3:
            return words
        words.append(Word(text=token, start=round(at, 3), end=round(at + length, 3)))
        at += length + (0.45 if token.endswith(".") else 0.08)
        index += 1


def audio_file(folder: Path, seconds: float) -> Path:
    path = folder / "speech.wav"
    media.run_ffmpeg(["-y", "-f", "lavfi", "-i",
                      f"sine=frequency=220:sample_rate=24000:duration={seconds}",
                      "-af", "volume=0.3", media.media_path(path)], what="make bench audio")
    return path


def ours(audio: Audio, params, folder: Path) -> tuple[float, Path, list]:
    registry = build_registry(PluginConfig(load_entry_points=False))
    ctx = Context(registry=registry, step_id="bench", source_name="bench",
                  scratch_root=folder / "scratch")
    transform = registry.transform("captioned-video")
    with Timer() as timer:
        video = transform.run(audio, params, ctx)
    from plugins.video.ass import caption_events
    from plugins.video.fonts import load_font

    width, height = params.frame_size()
    events = caption_events(audio.words, params.caption_style_for(width, height), load_font(),
                            width, height)
    return timer, video.path, events


def bare(audio: Audio, params, folder: Path) -> float:
    import ffmpeg

    from plugins.video.captioned_video import background_streams

    width, height = params.frame_size()
    video, sound = background_streams(audio, params, width, height, audio.duration)
    with Timer() as timer:
        media.render_mp4(video, sound, folder / "bare.mp4", duration=audio.duration,
                         fps=params.fps, crf=params.crf, preset=params.preset)
    del ffmpeg
    return timer


def with_moviepy(audio: Audio, params, events, folder: Path) -> float:
    import re

    from moviepy import AudioFileClip, ColorClip, CompositeVideoClip, TextClip

    from plugins.video.fonts import default_font_path

    width, height = params.frame_size()
    style = params.caption_style_for(width, height)
    timer = Timer().__enter__()
    background = ColorClip((width, height), color=(30, 45, 90)).with_duration(audio.duration)
    clips = [background]
    for event in events:
        text = re.sub(r"\{[^}]*\}", "", event.text).replace("\\N", "\n")
        clip = (TextClip(font=str(default_font_path()), text=text,
                         font_size=int(style.font_size * 0.83), color="white",
                         stroke_color="black", stroke_width=int(style.outline),
                         method="caption", size=(width - 2 * style.margin_x, None),
                         text_align="center")
                .with_start(event.start).with_duration(max(event.end - event.start, 0.04))
                .with_position(("center", height - style.margin_y - 2.6 * style.font_size)))
        clips.append(clip)
    video = CompositeVideoClip(clips, size=(width, height)).with_audio(
        AudioFileClip(str(audio.path)))
    video.write_videofile(str(folder / "moviepy.mp4"), fps=params.fps, codec="libx264",
                          audio_codec="aac", preset=params.preset,
                          ffmpeg_params=["-crf", str(params.crf), "-pix_fmt", "yuv420p"],
                          logger=None)
    timer.__exit__(None, None, None)
    return timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--size", default="1080x1920")
    parser.add_argument("--preset", default=None, help="x264 preset (default: the transform's)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="renders of bare and ours, interleaved; the best of each counts")
    parser.add_argument("--skip-moviepy", action="store_true")
    args = parser.parse_args()

    from plugins.video.captioned_video import CaptionedVideoParams

    options = {"preset": args.preset} if args.preset else {}
    params = CaptionedVideoParams(size=args.size, background="gradient",
                                  caption_style="karaoke", **options)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        words = timed_words(args.seconds)
        audio = Audio(path=audio_file(folder, args.seconds), duration=args.seconds,
                      sample_rate=24000, words=tuple(words), title="bench")
        bare(audio, params, folder)                       # warm-up: page cache, binary
        ours(audio, params, folder)                       # warm-up: imports, font loading
        bares, ourses = [], []
        for _ in range(args.repeats):                     # interleaved, best of N
            bares.append(bare(audio, params, folder))
            timer, _, events = ours(audio, params, folder)
            ourses.append(timer)
        t_bare = min(bares, key=lambda t: t.cpu)
        t_ours = min(ourses, key=lambda t: t.cpu)
        print(f"best of {args.repeats} (bare, ours), moviepy once; "
              f"{args.seconds:g} s at {args.size}, {params.fps:g} fps, x264 {params.preset} "
              f"crf {params.crf}, {len(words)} words, {len(events)} caption events")
        print(f"{'':30s} {'wall s':>8s} {'CPU s':>8s}")
        print(f"{'bare encode (no captions)':30s} {t_bare.wall:8.2f} {t_bare.cpu:8.2f}")
        print(f"{'ours (captioned-video)':30s} {t_ours.wall:8.2f} {t_ours.cpu:8.2f}")
        print(f"ratio ours / bare      CPU {t_ours.cpu / t_bare.cpu:6.3f}  wall "
              f"{t_ours.wall / t_bare.wall:6.3f}   (target <= 1.15)")
        if not args.skip_moviepy:
            t_movie = with_moviepy(audio, params, events, folder)
            print(f"{'moviepy TextClip composite':30s} {t_movie.wall:8.2f} {t_movie.cpu:8.2f}")
            print(f"ratio moviepy / ours   CPU {t_movie.cpu / t_ours.cpu:6.1f}  wall "
                  f"{t_movie.wall / t_ours.wall:6.1f}   (target >= 15)")
            # both pay the same x264 encode; what each adds on top of it, for captions
            extra_ours = max(t_ours.cpu - t_bare.cpu, 1e-3)
            print(f"caption cost above the bare encode, CPU s: ours {extra_ours:.2f}, "
                  f"moviepy {t_movie.cpu - t_bare.cpu:.2f} "
                  f"({(t_movie.cpu - t_bare.cpu) / extra_ours:.0f}x)")


if __name__ == "__main__":
    main()
