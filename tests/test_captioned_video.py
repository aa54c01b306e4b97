"""captioned-video: frame sizes, duration, caption timing by pixels, sidecars, fitting text,
backgrounds, bad input. Renders are tiny (a few seconds, a few hundred pixels)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
import srt
import webvtt
from pydantic import ValidationError

from engine import media
from engine.artifacts import Audio, Segment, Transcript, Video, Word
from engine.errors import TransformError
from engine.transform import Context
from tests import media_helpers as mh

@pytest.fixture
def ctx(registry, tmp_path):
    return Context(registry=registry, step_id="video", source_name="test",
                   scratch_root=tmp_path / "scratch")


def timed(texts: list[str], *, start: float = 0.2, step: float = 0.5, length: float = 0.4):
    return tuple(Word(text=t, start=round(start + i * step, 3),
                      end=round(start + i * step + length, 3)) for i, t in enumerate(texts))


def tone_audio(tmp_path: Path, seconds: float, words=()) -> Audio:
    path = mh.tone(tmp_path / "tone.wav", seconds, sample_rate=16000)
    return Audio(path=path, duration=seconds, sample_rate=16000, words=tuple(words),
                 title="tone")


def params(**kwargs):
    from plugins.video.captioned_video import CaptionedVideoParams

    defaults = {"size": "320x568", "fps": 25, "preset": "ultrafast"}
    return CaptionedVideoParams(**{**defaults, **kwargs})


def transform(registry):
    return registry.transform("captioned-video")


# --------------------------------------------------------------------------- params

def test_frame_sizes_from_aspect_and_size():
    assert params(size=None).frame_size() == (1080, 1920)
    assert params(size=None, aspect="1:1").frame_size() == (1080, 1080)
    assert params(size=None, aspect="16:9").frame_size() == (1920, 1080)
    assert params(size=None, aspect="16:9", resolution=720).frame_size() == (1280, 720)
    assert params(size="1080x1350").frame_size() == (1080, 1350)
    for bad in ("1080*1920", "1081x1920", "10x10"):
        with pytest.raises(ValidationError):
            params(size=bad)
    with pytest.raises(ValidationError):
        params(text_color="not-a-colour")
    with pytest.raises(ValidationError):
        params(background="image")            # needs `image`
    with pytest.raises(ValidationError):
        params(font="/no/such/font.ttf")


def test_transform_is_registered_and_documented(registry):
    cls = registry.transforms.get("captioned-video")
    assert cls.consumes == ("audio", "video") and cls.produces == "video"
    schema = cls.Params.model_json_schema()
    assert all(field.get("description") for field in schema["properties"].values())


# --------------------------------------------------------------------------- fonts, layout

def test_default_font_comes_from_a_pip_package():
    from plugins.video.fonts import default_font_path, load_font

    font = load_font()
    assert font.path == default_font_path() and "site-packages" in str(font.path)
    assert font.family == "Roboto" and font.bold
    assert font.width("WWW", 80) > font.width("iii", 80) > 0


def test_long_words_and_lines_are_fitted_inside_the_width():
    from plugins.video.fonts import fit_lines, load_font

    font = load_font()
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    lines, size = fit_lines([word], font, 90, 300, outline=4)
    assert lines == [word] and size < 90
    assert font.width(word, size) + 8 <= 300
    many = "a caption with far too many words to fit on two short lines at all".split()
    lines, size = fit_lines(many, font, 60, 300, max_lines=2, outline=4)
    assert len(lines) <= 2 and all(font.width(line, size) + 8 <= 300 for line in lines)
    lines, size = fit_lines("short and sweet".split(), font, 40, 600)
    assert lines == ["short and sweet"] and size == 40


def test_phrases_hold_at_most_n_words_and_karaoke_highlights_one_word():
    from plugins.video.ass import caption_events
    from plugins.video.fonts import load_font

    words = timed("One two three four five six seven. Eight nine ten.".split())
    p = params(caption_style="phrases", words_per_caption=2)
    style = p.caption_style_for(320, 568)
    events = caption_events(words, style, load_font(), 320, 568)
    for event in events:
        text = event.text.split("}", 1)[-1] if event.text.startswith("{") else event.text
        plain = text.replace("\\N", " ")
        assert len(re.sub(r"\{[^}]*\}", "", plain).split()) <= 2
    karaoke = caption_events(words, params().caption_style_for(320, 568), load_font(), 320, 568)
    assert len(karaoke) == len(words)
    assert all(e.text.count("\\1c") == 2 for e in karaoke)


# --------------------------------------------------------------------------- rendering

def test_output_size_duration_and_sidecars(registry, ctx, tmp_path):
    words = timed("Hello and welcome. This is a short test of captions.".split())
    audio = tone_audio(tmp_path, 3.3, words)
    video = transform(registry).run(audio, params(), ctx)
    info = media.probe(video.path)
    assert (info.video[0].width, info.video[0].height) == (320, 568)
    assert info.video[0].codec == "h264" and info.audio[0].codec == "aac"
    assert abs(info.duration - audio.duration) <= 1 / 25 + 1e-6
    assert (video.width, video.height, video.duration) == (320, 568, 3.3)

    files = transform(registry).exports(video)
    assert set(files) == {"mp4", "srt", "vtt"}
    subs = list(srt.parse(files["srt"].decode()))
    captions = webvtt.from_buffer(io.StringIO(files["vtt"].decode()))
    assert " ".join(s.content.replace("\n", " ") for s in subs).split() == [w.text for w in words]
    assert len(captions) == len(subs)
    assert subs[0].start.total_seconds() == pytest.approx(words[0].start, abs=0.01)


def _green(frame: np.ndarray) -> np.ndarray:
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    return (g > 150) & (r < 110) & (b < 110)


def test_the_frame_at_a_words_start_shows_that_word_highlighted(registry, ctx, tmp_path):
    """Render on black, text white, highlight green; at each word's start, the green
    pixels lie inside that word's box (computed from the font's metrics) and nowhere else."""
    from plugins.video.fonts import load_font

    texts = ["one", "bright", "day", "ahead"]
    words = timed(texts, start=0.31, step=0.6, length=0.5)
    audio = tone_audio(tmp_path, 3.0, words)
    p = params(size="640x360", caption_style="karaoke", background="color",
               colors=("black",), highlight_color="#00FF00", font_size=40, outline=2)
    video = transform(registry).run(audio, p, ctx)
    font, size = load_font(), 40
    line = " ".join(texts)
    left = (640 - font.width(line, size)) / 2
    boxes, at = [], left
    for text in texts:
        width = font.width(text, size)
        boxes.append((at, at + width))
        at += width + font.width(" ", size)
    for index, word in enumerate(words):
        green = _green(media.frame_at(video.path, word.start))
        ys, xs = np.nonzero(green)
        assert len(xs) > 30, f"no highlight visible at {word.text!r}"
        low, high = boxes[index]
        inside = (xs >= low - 4) & (xs <= high + 4)
        assert inside.mean() > 0.98, f"highlight outside {word.text!r} at {word.start}s"
        assert ys.min() > 180, "captions belong in the lower part of the frame"
    # before the first word: nothing on screen
    assert not _green(media.frame_at(video.path, 0.1)).any()


def test_a_long_word_never_leaves_the_frame(registry, ctx, tmp_path):
    word = "Supercalifragilisticexpialidociousness"
    audio = tone_audio(tmp_path, 1.5, timed([word], start=0.1, length=1.2))
    p = params(size="240x426", background="color", colors=("black",), font_size=60,
               text_color="white", highlight_color="white", outline=0)
    video = transform(registry).run(audio, p, ctx)
    frame = media.frame_at(video.path, 0.8)
    text = frame.max(axis=2) > 100
    assert text.sum() > 100, "the word is drawn"
    columns = np.nonzero(text.any(axis=0))[0]
    margin = round(240 * p.safe_margin)
    assert columns.min() >= margin - 3 and columns.max() <= 240 - margin + 3


@pytest.mark.parametrize("background", ["gradient", "waveform"])
def test_audio_backgrounds(registry, ctx, tmp_path, background):
    audio = tone_audio(tmp_path, 1.2, timed(["Hi", "there."]))
    video = transform(registry).run(audio, params(size="180x320", background=background), ctx)
    assert media.probe(video.path).video[0].width == 180


def test_image_background_with_slow_zoom(registry, ctx, tmp_path):
    image = mh.lavfi(tmp_path / "still.png", "testsrc=size=320x240", extra=("-frames:v", "1"))
    audio = tone_audio(tmp_path, 1.2, timed(["Hi", "there."]))
    video = transform(registry).run(audio, params(size="180x320", background="image",
                                                  image=str(image)), ctx)
    assert abs(media.probe(video.path).duration - 1.2) <= 1 / 25 + 1e-6


@pytest.mark.parametrize("fit", ["crop", "blur"])
def test_video_input_uses_its_captions_and_picture(registry, ctx, tmp_path, fit):
    path = mh.video(tmp_path / "in.mp4", 1.5, with_tone=True)
    words = timed(["Video", "captions", "here."], start=0.1, step=0.4, length=0.3)
    captions = Transcript(segments=(Segment(start=0.1, end=1.0, text="Video captions here.",
                                            words=words),))
    source = Video(path=path, duration=1.5, width=320, height=240, fps=25, title="in",
                   captions=captions)
    video = transform(registry).run(source, params(size="180x320", fit=fit), ctx)
    assert video.captions.text() == "Video captions here."
    assert media.probe(video.path).video[0].height == 320


def test_audio_without_words_and_no_speech_is_a_clear_error(registry, ctx, tmp_path,
                                                            monkeypatch):
    import plugins.speech.transcript

    class Deaf:
        def identity(self):
            return "deaf@1"

        def transcribe(self, path, language=None, progress=None):
            return Transcript(duration=1.0)

    monkeypatch.setattr(plugins.speech.transcript, "get_transcriber", lambda ctx, spec: Deaf())
    audio = tone_audio(tmp_path, 1.0)
    with pytest.raises(TransformError, match="no word timings.*recognised no speech"):
        transform(registry).run(audio, params(), ctx)


def test_transcription_is_memoised_across_steps(registry, tmp_path, monkeypatch):
    import plugins.speech.transcript
    from engine.cache import Cache

    calls = []

    class Counting:
        def identity(self):
            return "counting@1"

        def transcribe(self, path, language=None, progress=None):
            calls.append(path)
            words = timed(["Hello", "there."])
            return Transcript(duration=1.0, segments=(
                Segment(start=0.2, end=0.9, text="Hello there.", words=words),))

    monkeypatch.setattr(plugins.speech.transcript, "get_transcriber", lambda ctx, spec: Counting())
    audio = tone_audio(tmp_path, 1.5)
    cache = Cache(tmp_path / "memo")
    for step in ("a", "b"):
        ctx = Context(registry=registry, step_id=step, source_name="t",
                      scratch_root=tmp_path / "scratch", cache=cache)
        transform(registry).run(audio, params(size="120x212"), ctx)
    assert len(calls) == 1


# --------------------------------------------------------------------------- end to end

@pytest.mark.slow
def test_recipe_captions_real_speech(invoke, tmp_path):
    """Speech without word timings: transcribed (offline Whisper), captioned, sidecars."""
    speech = mh.speech_file(tmp_path / "speech.wav", " ".join(mh.SENTENCES[:3]))
    recipe = tmp_path / "short.yaml"
    recipe.write_text("name: short\nsteps:\n  - id: short\n    use: captioned-video\n"
                      "    with: {resolution: 240, caption_style: phrases, preset: ultrafast}\n")
    result = invoke("run", recipe, speech, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "speech"
    info = media.probe(out / "short.mp4")
    assert (info.video[0].width, info.video[0].height) == (240, 426)
    text = " ".join(s.content for s in srt.parse((out / "short.srt").read_text())).lower()
    assert "fox" in text or "quick" in text


@pytest.mark.slow
def test_article_to_short_recipe(invoke, tmp_path):
    from tests.conftest import RECIPES, SAMPLES

    result = invoke("run", RECIPES / "article-to-short.yaml", SAMPLES / "article.md", "-o",
                    tmp_path / "out", "--set", "short.resolution=240",
                    "--set", "square.resolution=240", "--set", "short.preset=ultrafast",
                    "--set", "square.preset=ultrafast")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "article"
    assert media.probe(out / "short.mp4").video[0].height == 426
    assert list(srt.parse((out / "short.srt").read_text()))


def test_a_cloned_voice_disclosure_reaches_the_mp4_tags(registry, ctx, tmp_path):
    from mutagen.mp4 import MP4

    audio = tone_audio(tmp_path, 1.5, timed(["Synthetic", "voice"])).model_copy(update={
        "metadata": {"disclosure:synthetic-voice": "Synthetic voice: made by remixer.",
                     "disclosure:voice-cloned-from": "ada"}})
    video = transform(registry).run(audio, params(), ctx)
    tags = MP4(str(video.path)).tags
    assert tags["\xa9cmt"] == ["Synthetic voice: made by remixer."]
    assert bytes(tags["----:com.remixer:voice-cloned-from"][0]) == b"ada"
    assert ctx.metrics["disclosure"]["voice-cloned-from"] == "ada"
    assert video.metadata["disclosure:synthetic-voice"].startswith("Synthetic voice")


def test_captions_linger_through_short_pauses_without_overlapping():
    from plugins.video.ass import _lingering

    first = [Word(text="First", start=0.0, end=0.4), Word(text="one.", start=0.4, end=0.9)]
    second = [Word(text="Second", start=1.5, end=1.9), Word(text="one.", start=1.9, end=2.4)]
    third = [Word(text="Third", start=5.0, end=5.4), Word(text="one.", start=5.4, end=5.8)]
    groups = _lingering([(first, 0.9), (second, 2.4), (third, 5.8)])
    # a 0.6 s pause is bridged; a 2.6 s one keeps the 0.4 s linger; never past the next
    assert [end for _, end in groups] == [1.5, 2.8, 6.2]
