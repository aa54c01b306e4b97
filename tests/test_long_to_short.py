"""long-to-short: highlight selection, face-following crop smoothing, rendering, bad input."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from engine import media
from engine.artifacts import Audio, Segment, Transcript, Video, Word
from engine.errors import TransformError
from engine.transform import Context
from plugins.speech.captions import ends_sentence
from tests import media_helpers as mh


TALK = [
    "Cities are planting trees faster than ever before.",
    "But most young trees die within ten years.",
    "The reason is simple: roots have nowhere to grow under pavement.",
    "Engineers now build soil cells that carry the road and leave room for roots.",
    "So the tree gets water, air and space.",
    "Soil cells cost more at first, yet trees in them live three times longer.",
    "What about older streets?",
    "There, crews replace concrete with porous paving that lets rain reach the roots.",
    "Residents notice the shade within a few summers.",
    "Shade cools the street by several degrees on the hottest days.",
    "Cooler streets mean fewer heat emergencies for older people.",
    "The city of Lyon measured a drop in hospital visits after planting.",
    "Trees also slow storm water and take pressure off the sewers.",
    "A mature tree can hold back thousands of litres of rain each year.",
    "That is why planners now count trees as infrastructure.",
    "They budget for watering, pruning and replacement like any other asset.",
    "Volunteers help too, adopting trees and watering them in dry spells.",
    "In the end, a tree is only as good as the ground beneath it.",
    "Give roots room, and the canopy will follow.",
    "Thank you for listening to this short talk about trees.",
]


def talk_words(sentences=TALK, *, seed: int = 0) -> list[Word]:
    """Words at ~2.5 per second with short gaps, longer pauses between sentences."""
    rng = random.Random(seed)
    words, at = [], 0.5
    for sentence in sentences:
        for token in sentence.split():
            length = 0.12 + 0.045 * len(token)
            words.append(Word(text=token, start=round(at, 3), end=round(at + length, 3)))
            at += length + rng.uniform(0.04, 0.12)
        at += rng.uniform(0.3, 0.9)
    return words


# --------------------------------------------------------------------------- highlights

@pytest.mark.parametrize("target", [10, 15, 30])
def test_highlights_are_whole_sentences_of_the_right_length_and_never_overlap(target):
    from plugins.video.highlights import rank_highlights, sentences_of

    words = talk_words()
    sentences = sentences_of(words)
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    ranking = rank_highlights(words, target)
    assert len(ranking) >= 2
    for h in ranking:
        first, last = sentences[h.first], sentences[h.last]
        assert first.start in starts and last.end in ends
        assert ends_sentence(last.text)
        spoken = last.end - first.start
        assert 0.8 * target <= spoken <= 1.2 * target
        # the cut keeps a little air but never reaches into a neighbouring sentence
        assert h.start <= first.start and h.end >= last.end
        if h.first > 0:
            assert h.start >= sentences[h.first - 1].end
        if h.last + 1 < len(sentences):
            assert h.end <= sentences[h.last + 1].start
        assert h.title and h.reason and "whole sentence" in h.reason
    spans = sorted((h.first, h.last) for h in ranking)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:])), "clips overlap"
    assert [h.rank for h in ranking] == list(range(1, len(ranking) + 1))
    assert [h.score for h in ranking] == sorted((h.score for h in ranking), reverse=True)
    # deterministic: rank N is the same window every time, and `count` only truncates
    assert rank_highlights(words, target, count=2) == ranking[:2]


def test_highlights_prefer_self_contained_openings():
    from plugins.video.highlights import rank_highlights, sentences_of

    words = talk_words()
    sentences = sentences_of(words)
    best = rank_highlights(words, 10)[0]
    opener = sentences[best.first].text.split()[0].lower().strip(",")
    assert opener not in {"but", "so", "that", "there,", "they", "yet"}


def test_no_window_fits_gives_fewer_highlights():
    from plugins.video.highlights import rank_highlights

    assert rank_highlights(talk_words(TALK[:2]), 60) == []


# --------------------------------------------------------------------------- reframing

def test_smoothing_removes_jitter_dropouts_and_false_hits():
    from plugins.video.reframe import jitter, smooth_track

    rng = random.Random(1)
    times = [k / 4 for k in range(120)]                     # 30 s at 4 samples a second
    truth = [0.3 if t < 12 else 0.7 for t in times]          # the speaker walks once
    raw = []
    for k, value in enumerate(truth):
        if k % 7 == 3:
            raw.append(None)                                 # missed detection
        elif k % 23 == 5:
            raw.append(0.95)                                 # a false hit elsewhere
        else:
            raw.append(value + rng.gauss(0, 0.02))           # the detector's wobble
    track = smooth_track(times, raw, crop_fraction=0.3)
    assert track is not None and 0.6 < track.found < 0.95
    path = list(track.centers)
    raw_filled = [v if v is not None else 0.5 for v in raw]
    assert jitter(path) < jitter(raw_filled) / 10
    # steady while the speaker stands still: the dead zone absorbs the wobble
    still = path[4:40]
    assert max(still) - min(still) < 0.01
    # follows the move, no faster than the speed limit, and settles near the target
    assert abs(path[-1] - 0.7) < 0.08
    speeds = [abs(b - a) / 0.25 for a, b in zip(path, path[1:])]
    assert max(speeds) <= 0.25 + 1e-6
    # never so close to an edge that the crop would leave the frame
    assert all(0.15 <= c <= 0.85 for c in path)


def test_too_few_faces_means_no_track():
    from plugins.video.reframe import smooth_track

    times = [k / 2 for k in range(20)]
    centers = [None] * 18 + [0.5, 0.5]
    assert smooth_track(times, centers, crop_fraction=0.3) is None
    assert smooth_track([], [], crop_fraction=0.3) is None


def _eval_expression(expr: str, t: float) -> float:
    return eval(expr, {"lt": lambda a, b: float(a < b), "gte": lambda a, b: float(a >= b),
                       "t": t})


def test_crop_expression_follows_the_track_and_stays_short():
    from plugins.video.reframe import Track, crop_x_expression

    times = tuple(k / 4 for k in range(80))
    centers = tuple(0.3 if t < 8 else min(0.3 + 0.1 * (t - 8), 0.6) for t in times)
    expr = crop_x_expression(Track(times, centers, 1.0), 1280, 404)
    assert expr.count("gte(") <= 6, "collinear points are dropped"
    for t, c in zip(times, centers):
        assert _eval_expression(expr, t) == pytest.approx(c * 1280 - 202, abs=1.5)


def _face_frame(x: int, size: tuple[int, int] = (640, 360)):
    import cv2
    import numpy as np

    width, height = size
    img = np.full((height, width, 3), 20, np.uint8)
    s, cy = 60, height // 2
    cv2.ellipse(img, (x, cy), (int(s * 0.8), s), 0, 0, 360, (170, 170, 170), -1)
    for dx in (-1, 1):
        ex, ey = x + int(dx * s * 0.38), cy - int(s * 0.2)
        cv2.ellipse(img, (ex, ey - int(s * 0.17)), (int(s * 0.22), int(s * 0.05)), 0, 0, 360,
                    (40, 40, 40), -1)
        cv2.ellipse(img, (ex, ey), (int(s * 0.18), int(s * 0.09)), 0, 0, 360, (50, 50, 50), -1)
    cv2.ellipse(img, (x, cy + int(s * 0.15)), (int(s * 0.08), int(s * 0.18)), 0, 0, 360,
                (200, 200, 200), -1)
    cv2.ellipse(img, (x, cy + int(s * 0.5)), (int(s * 0.3), int(s * 0.07)), 0, 0, 360,
                (60, 60, 60), -1)
    cv2.ellipse(img, (x, cy - s), (int(s * 0.9), int(s * 0.35)), 0, 0, 360, (30, 30, 30), -1)
    return img


def face_video(path: Path, positions: list[int], fps: int = 5) -> Path:
    """A video of a drawn face (the Haar cascade finds it) at ``positions``, one a frame."""
    import cv2

    folder = path.parent / "frames"
    folder.mkdir(exist_ok=True)
    for k, x in enumerate(positions):
        cv2.imwrite(str(folder / f"f{k:04d}.png"), _face_frame(x))
    media.run_ffmpeg(["-y", "-framerate", str(fps), "-i", str(folder / "f%04d.png"),
                      "-f", "lavfi", "-i", f"sine=duration={len(positions) / fps}",
                      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                      "-c:a", "aac", "-shortest", media.media_path(path)], what="make a face video")
    return path


def test_a_drawn_face_is_found_and_followed(tmp_path):
    from plugins.video.reframe import detect_faces, smooth_track

    positions = [200] * 10 + [200 + 12 * k for k in range(20)] + [440] * 10   # 8 s at 5 fps
    path = face_video(tmp_path / "face.mp4", positions)
    times, centers = detect_faces(path, start=0, duration=8, sample_fps=5)
    assert sum(c is not None for c in centers) >= 0.8 * len(centers)
    for t, c in zip(times, centers):
        if c is not None:
            assert abs(c * 640 - positions[min(int(round(t * 5)), 39)]) < 25
    track = smooth_track(times, centers, crop_fraction=202 / 640)
    assert track.centers[0] * 640 == pytest.approx(200, abs=30)
    assert track.centers[-1] * 640 == pytest.approx(440, abs=60)


# --------------------------------------------------------------------------- transform

@pytest.fixture
def ctx(registry, tmp_path):
    return Context(registry=registry, step_id="clip", source_name="talk",
                   scratch_root=tmp_path / "scratch")


def params(**kwargs):
    from plugins.video.long_to_short import LongToShortParams

    return LongToShortParams(**{"size": "180x320", "fps": 25, "preset": "ultrafast", **kwargs})


def test_audio_source_gives_an_audiogram_clip_with_manifest(registry, ctx, tmp_path):
    words = talk_words()
    seconds = words[-1].end + 0.5
    path = mh.tone(tmp_path / "talk.wav", seconds, sample_rate=16000)
    audio = Audio(path=path, duration=seconds, sample_rate=16000, words=tuple(words),
                  title="talk")
    transform = registry.transform("long-to-short")
    video = transform.run(audio, params(seconds=10, rank=2), ctx)
    from plugins.video.highlights import rank_highlights

    expected = rank_highlights(words, 10)[1]
    assert video.duration == pytest.approx(expected.duration, abs=0.002)
    assert abs(media.probe(video.path).duration - video.duration) <= 1 / 25 + 0.03
    files = transform.exports(video)
    assert set(files) == {"mp4", "srt", "vtt", "json"}
    info = json.loads(files["json"])
    assert info["clip"]["rank"] == 2 and info["clip"]["reason"]
    assert ctx.metrics["highlight"]["start"] == pytest.approx(expected.start)
    assert any("picked because" in note for note in ctx.notes)
    # captions are re-timed to the clip
    assert video.captions.words()[0].start < 1.0


def test_rank_beyond_the_highlights_is_a_clear_error(registry, ctx, tmp_path):
    words = talk_words(TALK[:4])
    path = mh.tone(tmp_path / "short.wav", words[-1].end + 0.5, sample_rate=16000)
    audio = Audio(path=path, duration=words[-1].end + 0.5, sample_rate=16000,
                  words=tuple(words), title="short")
    with pytest.raises(TransformError, match="no clip number 5"):
        registry.transform("long-to-short").run(audio, params(seconds=5, rank=5), ctx)


def test_video_with_a_face_is_cropped_around_it(registry, ctx, tmp_path):
    positions = [160] * 60                                    # face well left of centre
    path = face_video(tmp_path / "face.mp4", positions)
    words = talk_words(TALK[:2])
    captions = Transcript(segments=tuple(
        Segment(start=w.start, end=w.end, text=w.text, words=(w,)) for w in words))
    source = Video(path=path, duration=12.0, width=640, height=360, fps=5, title="face",
                   captions=captions)
    video = registry.transform("long-to-short").run(
        source, params(seconds=8, reframe="face", caption_style="none"), ctx)
    assert ctx.metrics["face_found_share"] > 0.5
    frame = media.frame_at(video.path, 1.0)
    # the face (light grey) sits near the middle of the vertical crop, not at its edge
    import numpy as np

    grey = (np.abs(frame.astype(int) - 170).max(axis=2) < 30)
    columns = np.nonzero(grey.any(axis=0))[0]
    assert len(columns) and abs(columns.mean() - 90) < 25


@pytest.mark.slow
def test_talk_to_clips_recipe_on_the_sample(invoke, tmp_path):
    from tests.conftest import RECIPES, SAMPLES

    out = tmp_path / "out"
    result = invoke("run", RECIPES / "talk-to-clips.yaml", SAMPLES / "talk.mp4", "-o", out,
                    "--set", "clip.resolution=180", "--set", "clip-long.resolution=180",
                    "--set", "clip.preset=ultrafast", "--set", "clip-long.preset=ultrafast")
    assert result.exit_code == 0, result.output
    talk = out / "talk"
    spans = []
    for name, target in [("clip-1", 30), ("clip-2", 30), ("clip-3", 30), ("clip-long", 60)]:
        info = json.loads((talk / f"{name}.json").read_text())["clip"]
        assert 0.8 * target <= info["duration"] <= 1.2 * target + 0.5
        assert info["reason"] and info["title"]
        probe = media.probe(talk / f"{name}.mp4")
        assert (probe.video[0].width, probe.video[0].height) == (180, 320)
        assert (talk / f"{name}.srt").read_text().strip()
        if target == 30:
            spans.append((info["start"], info["end"]))
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert (talk / "transcript.txt").read_text().strip()
