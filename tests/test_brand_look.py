"""A brand's look and sound on the outputs: the logo's pixels in video frames, thumbnails
and covers, the accent in the spoken caption word, bumpers, loudness targets, and the
pronunciation lexicon in the text the voice engine is given (a fake engine that records
it) while captions keep the written words.

The brand is made here: a logo drawn with Pillow (a magenta square with a white bar, a
colour nothing else in these frames has), so finding it is a colour count in its box.
"""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import srt

from engine import media
from engine.artifacts import Audio, Document, Section, Word
from engine.brand import load_brand
from engine.cache import Cache
from engine.transform import Context
from engine.voices import Synthesis, VoiceEngine, VoiceInfo
from tests import media_helpers as mh
from tests.conftest import RECIPES

MAGENTA = (255, 0, 255)


def draw_logo(path: Path, size: tuple[int, int] = (200, 100)) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] - 1, size[1] - 1), fill=(*MAGENTA, 255))
    draw.rectangle((size[0] // 8, size[1] // 2 - 4, size[0] * 7 // 8, size[1] // 2 + 4),
                   fill=(255, 255, 255, 255))
    image.save(path)
    return path


@pytest.fixture
def brand_file(tmp_path):
    kit = tmp_path / "kit"
    kit.mkdir()
    draw_logo(kit / "logo.png")
    (kit / "brand.yaml").write_text(textwrap.dedent("""\
        name: Green City Press
        look:
          logo: logo.png
          logo_position: top-right
          logo_opacity: 1.0
          logo_size: 0.25
          caption_style: karaoke
          colors: {primary: "#102030", background: "#000000", accent: "#00FF00",
                   text: "#FFFFFF", highlight: "#FF8800"}
        sound:
          narrator: tone:a
          hosts: [{name: Ana, voice: "tone:a"}, {name: Ben, voice: "tone:b"}]
          loudness: {video: -14, narration: -18, podcast: -16}
        words:
          pronunciation: {SQLite: S Q Lite, "New York": Noo York}
        """))
    return kit / "brand.yaml"


def magenta_share(pixels: np.ndarray) -> float:
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    return float(((r > 170) & (b > 170) & (g < 90)).mean())


def timed(texts, start=0.2, step=0.5, length=0.4):
    return tuple(Word(text=t, start=round(start + i * step, 3),
                      end=round(start + i * step + length, 3)) for i, t in enumerate(texts))


@pytest.fixture
def ctx(registry, tmp_path):
    return Context(registry=registry, step_id="video", source_name="test",
                   scratch_root=tmp_path / "scratch")


def branded(transform, brand_file, **step):
    """The step's parameters as a recipe makes them: the brand beneath the step's own."""
    brand = load_brand(brand_file).brand
    fields = transform.Params.model_fields
    layer = {k: v for k, v in transform.brand_params(brand).items()
             if k in fields and v is not None}
    return transform.Params(**{**layer, **step})


# --------------------------------------------------------------------------- videos

def test_captioned_video_carries_the_logo_and_the_accent_word(registry, ctx, tmp_path, brand_file):
    from plugins.video.branding import place_logo
    from plugins.video.layout import caption_frame

    transform = registry.transform("captioned-video")
    words = timed(["one", "bright", "day", "ahead"], start=0.31, step=0.6, length=0.5)
    audio = Audio(path=mh.tone(tmp_path / "t.wav", 3.0), duration=3.0, sample_rate=44100,
                  words=words, title="t")
    params = branded(transform, brand_file, size="320x568", fps=25, preset="ultrafast",
                     background="color", colors=("black",), font_size=40, outline=2)
    assert params.caption_style == "karaoke" and params.highlight_color == "#00FF00"
    video = transform.run(audio, params, ctx)

    frame = caption_frame(params, 320, 568)
    box = place_logo(params, frame, None).box
    assert box.w == 80 and box.right <= frame.safe.right and box.y >= frame.safe.y
    pixels = media.frame_at(video.path, 1.0)
    inside = pixels[box.y:box.bottom, box.x:box.right]
    assert magenta_share(inside) > 0.6, "the logo is where it was placed"
    outside = pixels.copy()
    outside[box.y:box.bottom, box.x:box.right] = 0
    assert magenta_share(outside) == 0.0, "and nowhere else"
    # the spoken word is in the brand's accent, inside the caption band, under the logo
    green = pixels.astype(int)
    spoken = (green[..., 1] > 150) & (green[..., 0] < 110) & (green[..., 2] < 110)
    assert spoken.sum() > 30
    rows = np.nonzero(spoken.any(axis=1))[0]
    assert rows.min() >= frame.caption_band.y - 2 and rows.min() > box.bottom


def test_logo_moves_away_from_captions_at_the_top(brand_file):
    from plugins.video.branding import place_logo
    from plugins.video.captioned_video import CaptionedVideo
    from plugins.video.layout import caption_frame

    params = branded(CaptionedVideo, brand_file, size="320x568", position="top")
    frame = caption_frame(params, 320, 568)
    box = place_logo(params, frame, None).box
    assert frame.caption_band.y == 0
    assert box.y > frame.caption_band.bottom and box.bottom <= frame.safe.bottom


def test_bumpers_make_the_video_longer_by_their_length(registry, ctx, tmp_path):
    transform = registry.transform("captioned-video")
    intro = mh.lavfi(tmp_path / "intro.mp4", "color=c=red:s=160x90:d=1.0:r=25",
                     "sine=frequency=880:duration=1.0")
    outro = mh.lavfi(tmp_path / "outro.mp4", "color=c=blue:s=90x160:d=0.6:r=25",
                     extra=("-t", "0.6"))      # no sound: silence is added
    words = timed(["hello", "there", "friends"])
    audio = Audio(path=mh.tone(tmp_path / "t.wav", 2.0), duration=2.0, sample_rate=44100,
                  words=words, title="t")
    params = transform.Params(size="180x320", fps=25, preset="ultrafast", background="color",
                              colors=("black",), intro=str(intro), outro=str(outro))
    video = transform.run(audio, params, ctx)
    info = media.probe(video.path)
    assert info.duration == pytest.approx(2.0 + 1.0 + 0.6, abs=0.12)
    assert video.duration == pytest.approx(info.duration, abs=0.01)
    assert (info.video[0].width, info.video[0].height) == (180, 320)
    red = media.frame_at(video.path, 0.5).astype(int)
    # 16:9 scaled to the width (180x101) and padded above and below with black
    assert (red[110:210, :, 0] > 180).mean() > 0.95 and red[110:210, :, 2].mean() < 60
    assert red[:90].max() < 40 and red[-90:].max() < 40
    blue = media.frame_at(video.path, 3.3).astype(int)
    assert blue[150:170, 80:100, 2].mean() > 180
    cues = list(srt.parse(transform.exports(video)["srt"].decode()))
    assert cues[0].start.total_seconds() == pytest.approx(words[0].start + 1.0, abs=0.06)


def test_video_soundtrack_is_brought_to_its_loudness_target(registry, ctx, tmp_path):
    """Quiet speech-like sound with sharp peaks (clicks the limiter must catch): the
    video measures its target within half a LU, true peak under -1 dBTP."""
    transform = registry.transform("captioned-video")
    peaky = mh.lavfi(tmp_path / "peaky.wav", "aevalsrc=0.03*sin(2*PI*300*t)*(1+sin(2*PI*3*t))"
                     "+0.9*lt(mod(t\\,0.7)\\,0.003):s=44100:d=5")
    audio = Audio(path=peaky, duration=5.0, sample_rate=44100, words=timed(["a", "b"]),
                  title="q")
    for target in (-14.0, -20.0):
        params = transform.Params(size="128x128", fps=10, preset="ultrafast",
                                  background="color", colors=("black",), loudness=target)
        measured = media.measure_loudness(transform.run(audio, params, ctx).path)
        assert measured.integrated_lufs == pytest.approx(target, abs=0.5)
        assert measured.true_peak_dbfs < -1.0
    kept = transform.run(audio, transform.Params(size="128x128", fps=10, preset="ultrafast",
                                                 background="color", loudness=None), ctx)
    assert media.measure_loudness(kept.path).integrated_lufs == pytest.approx(
        media.measure_loudness(peaky).integrated_lufs, abs=1.0)


def test_brand_fills_every_video_parameter_it_knows(brand_file):
    from plugins.video.explainer import ExplainerVideo

    params = branded(ExplainerVideo, brand_file)
    assert params.logo.endswith("logo.png") and params.logo_size == 0.25
    assert params.accent_color == "#00FF00" and params.marker_color == "#FF8800"
    assert params.colors == ("#102030", "#000000") and params.channel == "Green City Press"
    assert params.voice == "tone:a" and params.voices == ["tone:a", "tone:b"]
    assert params.pronunciation == {"SQLite": "S Q Lite", "New York": "Noo York"}
    assert params.loudness == -14
    # a step's own value still wins
    assert branded(ExplainerVideo, brand_file, logo_position="bottom-left").logo_position \
        == "bottom-left"


# --------------------------------------------------------------------------- thumbnails

def test_thumbnail_carries_palette_logo_and_name(tmp_path, brand_file):
    from PIL import Image

    from engine.artifacts import Scene, Storyboard
    from plugins.brands.logo import logo_png
    from plugins.video.branding import logo_box
    from plugins.video.layout import frame_layout
    from plugins.video.slides import Palette, ThumbnailLogo, Typeface, draw_thumbnail

    board = Storyboard(title="Why cities plant trees",
                       scenes=(Scene(kind="title", heading="Why cities plant trees"),))
    logo = logo_png(brand_file.parent / "logo.png", 320, cache_dir=tmp_path / "c")
    palette = Palette(background=("#102030", "#102030"), accents=("#00FF00",))
    dst, boxes, _ = draw_thumbnail(board, None, (1280, 720), Typeface.of(None),
                                   tmp_path / "thumb.jpg", palette=palette,
                                   logo=ThumbnailLogo(logo, "top-right"), channel="Green City")
    pixels = np.asarray(Image.open(dst).convert("RGB"))
    box = logo_box(frame_layout(1280, 720).safe, 320, 160, "top-right")
    assert magenta_share(pixels[box.y:box.bottom, box.x:box.right]) > 0.6
    assert all(not (b.x < box.right and box.x < b.right and b.y < box.bottom and
                    box.y < b.bottom) for b in boxes), "no text under the logo"
    corner = pixels[5:40, 5:40].reshape(-1, 3).mean(axis=0)
    assert np.abs(corner - (0x10, 0x20, 0x30)).max() < 40      # the brand's background
    name = boxes[0]                                             # the channel's name first
    region = pixels[name.y:name.bottom, name.x:name.right].astype(int)
    assert ((region[..., 1] > 180) & (region[..., 0] < 100)).sum() > 50   # in the accent


# --------------------------------------------------------------------------- covers

def test_podcast_cover_carries_palette_logo_and_font(tmp_path, brand_file):
    from PIL import Image

    from plugins.audio.cover import CoverLook, generated_cover
    from plugins.brands.logo import logo_png

    logo = logo_png(brand_file.parent / "logo.png", 300, cache_dir=tmp_path / "c")
    look = CoverLook(colors=("#102030", "#000000"), accent="#00FF00", logo=logo,
                     text="#FF8800")
    png = generated_cover("Why cities plant trees", 700, show="Green City Press",
                          hosts=["Ana", "Ben"], look=look)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert np.abs(pixels[3, 3] - (0x10, 0x20, 0x30)).max() <= 6    # gradient's top
    top_right = pixels[: int(700 * 0.25), int(700 * 0.65):]
    assert magenta_share(top_right) > 0.1, "the logo in the top right corner"
    assert ((pixels[..., 1] > 200) & (pixels[..., 0] < 80)).sum() > 500   # the accent
    orange = (pixels[..., 0] > 220) & (np.abs(pixels[..., 1] - 0x88) < 30) & (pixels[..., 2] < 60)
    assert orange[int(700 * 0.25):int(700 * 0.8)].sum() > 2000            # the title's ink
    plain = np.asarray(Image.open(io.BytesIO(generated_cover(
        "Why cities plant trees", 700, show="Green City Press"))).convert("RGB"))
    assert magenta_share(plain) == 0.0


# --------------------------------------------------------------------------- sound

class RecordingEngine(VoiceEngine):
    """A fake voice that records every text it is given and times each of its words."""

    name = "tone"
    default_voice = "a"
    rate = 16000
    said: list[str] = []

    def voices(self):
        return [VoiceInfo("a", "a tone", "en-US"), VoiceInfo("b", "another", "en-US")]

    def synthesize(self, text, voice, *, speed=1.0):
        RecordingEngine.said.append(text)
        words, samples, at = [], [], 0.0
        for token in text.split():
            length = 0.08 * len(token)
            t = np.arange(int(length * self.rate)) / self.rate
            samples.append(0.4 * np.sin(2 * np.pi * 220 * t))
            words.append(Word(text=token, start=round(at, 3), end=round(at + length, 3)))
            samples.append(np.zeros(int(0.05 * self.rate)))
            at += length + 0.05
        return Synthesis(np.concatenate(samples).astype(np.float32), self.rate, tuple(words))


def test_lexicon_respells_whole_words_in_any_case():
    from plugins.speech.lexicon import respell, written_timings

    spelled = respell("We use sqlite, not SQLiteX, in New  York.", {"SQLite": "S Q Lite",
                                                                    "new york": "Noo York"})
    assert spelled.spoken == "We use S Q Lite, not SQLiteX, in Noo York."
    spoken = [Word(text=t, start=i, end=i + 0.5) for i, t in enumerate(spelled.spoken.split())]
    written = written_timings(spelled, spoken)
    assert [w.text for w in written] == spelled.written.split()
    assert (written[2].start, written[2].end) == (2, 4.5)      # "sqlite," = "S Q Lite,"
    assert written[3].start == 5                               # "not" keeps its own


def test_narration_says_the_lexicon_and_keeps_written_words(registry, tmp_path, brand_file):
    registry.voices.add("tone", RecordingEngine, "tests")
    RecordingEngine.said = []
    narration = registry.transform("narration")
    params = branded(narration, brand_file, timing="engine")
    assert params.voice == "tone:a" and params.loudness == -18
    doc = Document(title="Databases", sections=(Section(paragraphs=(
        "SQLite runs in New York. We like sqlite.",)),))
    cache = Cache(tmp_path / "cache")

    def context(name):
        return Context(registry=registry, step_id="n", source_name="db",
                       scratch_root=tmp_path / name, cache=cache)

    audio = narration.run(doc, params, context("s1"))
    said = " ".join(RecordingEngine.said)
    assert "S Q Lite runs in Noo York." in said and "We like S Q Lite." in said
    assert "SQLite" not in said and "sqlite" not in said
    texts = [w.text for w in audio.words]
    assert texts == "Databases. SQLite runs in New York. We like sqlite.".split()
    assert json.loads(audio.metadata["timing"])["sentences"] == {"engine": 3}
    first = audio.words[1]                       # "SQLite": from "S" to "Lite"
    assert first.end - first.start == pytest.approx(0.08 * 6 + 0.05 * 2, abs=0.02)
    assert audio.loudness_lufs == pytest.approx(-18, abs=0.6)

    # sentences come from the cache, but the lexicon is in its key: another spelling of
    # a word is spoken again, only in the sentences that have the word
    RecordingEngine.said = []
    narration.run(doc, params, context("s2"))
    assert RecordingEngine.said == []
    again = params.model_copy(update={"pronunciation": {"SQLite": "sequel light"}})
    narration.run(doc, again, context("s3"))
    assert sorted(RecordingEngine.said) == ["We like sequel light.",
                                            "sequel light runs in New York."]


def test_dubbing_voice_says_the_lexicon(registry, tmp_path):
    from plugins.video.dub import Dub, DubParams

    registry.voices.add("tone", RecordingEngine, "tests")
    RecordingEngine.said = []
    params = DubParams(language="pt-BR", voice="tone:a", pronunciation={"SQLite": "és-quê-lite"})
    ctx = Context(registry=registry, step_id="d", source_name="v", scratch_root=tmp_path)
    placed = Dub()._speak_and_fit(["O SQLite é pequeno."], [(None, 0.0, 3.0)], 3.0, params, ctx)
    assert RecordingEngine.said == ["O és-quê-lite é pequeno."]
    assert placed[0].text == "O SQLite é pequeno."


def test_podcast_takes_voices_lexicon_and_cover_from_the_brand(registry, brand_file):
    podcast = registry.transform("podcast")
    params = branded(podcast, brand_file)
    assert params.voices == ["tone:a", "tone:b"]      # the hosts' names: the script's part
    assert params.loudness == -16 and params.pronunciation["SQLite"] == "S Q Lite"
    assert params.logo.endswith("logo.png")
    assert params.colors == ("#102030", "#000000") and params.accent_color == "#00FF00"


# --------------------------------------------------------------------------- end to end

@pytest.mark.slow
def test_explainer_run_with_a_brand_shows_its_logo_in_frames_and_thumbnail(invoke, tmp_path,
                                                                         brand_file):
    """`remixer run --brand` on an explainer (real voice, tiny frames): the logo's
    pixels in its box in a frame and in the thumbnail, never over the caption band."""
    from PIL import Image

    from plugins.video.explainer import ExplainerParams
    from plugins.video.explainer_build import branded_frame

    mh.lavfi(brand_file.parent / "intro.mp4", "color=c=red:s=64x36:d=0.8:r=10")
    brand_file.write_text(brand_file.read_text().replace("tone:a", "hibari:heart")
                          .replace("tone:b", "piper:joe")
                          .replace("  logo: logo.png", "  logo: logo.png\n  intro: intro.mp4"))
    source = tmp_path / "trees.md"
    source.write_text("# Street trees\n\n## Shade\n\nStreet trees cool the road in summer. "
                      "They shade the footpath too.\n\n## Water\n\nRoots hold the rain. "
                      "The soil stays cool.\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\nsteps:\n  - id: video\n    use: explainer-video\n    with:\n"
                      "      resolution: 180\n      fps: 10\n      preset: ultrafast\n"
                      "      narrate: key-points\n      points: 1\n")
    out = tmp_path / "out"
    result = invoke("run", recipe, source, "-o", out, "--brand", brand_file)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "trees" / "manifest.json").read_text())
    assert manifest["brand"]["name"] == "Green City Press"
    step = manifest["steps"][0]
    params = ExplainerParams(**step["params"])
    assert params.logo and params.accent_color == "#00FF00"
    frame, logo = branded_frame(params, None)
    box = logo.box
    assert frame.caption_band is not None and box.bottom <= frame.caption_band.y
    video = out / "trees" / "video.mp4"
    lengths = step["metrics"]["bumpers"]
    assert lengths["intro"] == pytest.approx(0.8, abs=0.05)
    assert media.probe(video).duration == pytest.approx(0.8 + lengths["main"], abs=0.15)
    red = media.frame_at(video, 0.4).astype(int)
    assert red[..., 0].mean() > 180 and magenta_share(red) == 0.0    # the intro, unbranded
    for at in (1.8, media.probe(video).duration - 0.5):
        pixels = media.frame_at(video, at)
        assert magenta_share(pixels[box.y:box.bottom, box.x:box.right]) > 0.5
    # the spoken word in the brand's accent, in the caption band (above the progress bar)
    band = slice(frame.caption_band.y, frame.height - 6)
    greens = []
    for at in np.arange(1.0, media.probe(video).duration - 1.0, 0.5):
        pixels = media.frame_at(video, float(at)).astype(int)[band]
        greens.append(int(((pixels[..., 1] > 180) & (pixels[..., 0] < 120)
                           & (pixels[..., 2] < 120)).sum()))
    assert max(greens) > 10, greens
    thumb = np.asarray(Image.open(out / "trees" / "video.thumbnail.jpg").convert("RGB"))
    assert magenta_share(thumb) > 0.01
    assert media.measure_loudness(video).integrated_lufs == pytest.approx(-14, abs=1.0)


def test_short_colours_are_written_out(tmp_path):
    (tmp_path / "b.yaml").write_text("name: X\nlook:\n  colors: {accent: '#0f8'}\n")
    assert load_brand(tmp_path / "b.yaml").brand.look.colors.accent == "#00ff88"


def test_a_new_logo_at_the_same_path_changes_the_identity(registry, ctx, tmp_path):
    from PIL import Image

    logo = draw_logo(tmp_path / "logo.png")
    transform = registry.transform("captioned-video")
    params = transform.Params(logo=str(logo))
    before = transform.model_identity(params, ctx)
    Image.new("RGBA", (10, 10), (0, 0, 255, 255)).save(logo)
    assert transform.model_identity(params, ctx) != before
    assert transform.model_identity(transform.Params(), ctx) == \
        transform.model_identity(transform.Params(logo=None), ctx)


def test_a_square_logo_on_a_wide_frame_is_held_to_its_height(tmp_path):
    from plugins.video.branding import MAX_HEIGHT, place_logo
    from plugins.video.explainer import ExplainerParams
    from plugins.video.layout import caption_frame

    logo = draw_logo(tmp_path / "square.png", (300, 300))
    params = ExplainerParams(logo=str(logo), aspect="16:9", resolution=720)
    frame = caption_frame(params, 1280, 720)
    box = place_logo(params, frame, tmp_path / "cache").box
    assert box.h <= 720 * MAX_HEIGHT and box.w == box.h       # its shape kept
    assert box.bottom <= frame.caption_band.y


def test_explainer_join_brings_a_given_narration_to_the_target(tmp_path):
    """An explainer fed a narration mastered elsewhere (-16 LUFS) joins its parts with
    the narration raised to the video's target."""
    from plugins.video.explainer_build import _gain
    from plugins.video.explainer_render import _join

    part = mh.lavfi(tmp_path / "part.mp4", "color=c=black:s=64x64:d=3:r=10",
                    extra=("-pix_fmt", "yuv420p"))
    speech = mh.lavfi(tmp_path / "speech.wav", "sine=frequency=300:duration=3",
                      extra=("-af", "volume=-18dB"))
    level = media.measure_loudness(speech).integrated_lufs
    narration = Audio(path=speech, duration=3.0, sample_rate=44100, loudness_lufs=level)
    gain = _gain(narration, -14.0)
    assert gain == pytest.approx(-14.0 - level, abs=0.01)
    _join([part], speech, tmp_path / "joined.mp4", 3.0, tmp_path, gain)
    assert media.measure_loudness(tmp_path / "joined.mp4").integrated_lufs == pytest.approx(
        -14.0, abs=1.0)
    assert _gain(narration, None) == 0.0


def test_loudness_of_a_window_of_a_file(tmp_path):
    """A clip's soundtrack is measured on the clip's own stretch of the recording."""
    quiet = mh.lavfi(tmp_path / "q.wav", "sine=frequency=300:duration=3",
                     extra=("-af", "volume=-30dB"))
    loud = mh.lavfi(tmp_path / "l.wav", "sine=frequency=300:duration=3")
    both = tmp_path / "both.wav"
    media.run_ffmpeg(["-y", "-i", media.media_path(quiet), "-i", media.media_path(loud),
                      "-filter_complex", "concat=n=2:v=0:a=1", media.media_path(both)],
                     what="join")
    whole = media.measure_loudness(both).integrated_lufs
    first = media.measure_loudness(both, start=0.0, duration=3.0).integrated_lufs
    second = media.measure_loudness(both, start=3.0, duration=3.0).integrated_lufs
    assert second - first == pytest.approx(30, abs=1.5)
    assert second == pytest.approx(whole, abs=1.0)       # the loud half dominates the whole


def test_an_svg_logo_is_rasterised_at_its_size_on_the_frame(tmp_path):
    from PIL import Image

    from plugins.video.branding import place_logo
    from plugins.video.captioned_video import CaptionedVideoParams
    from plugins.video.layout import caption_frame

    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
                   '<rect width="40" height="20" fill="#FF00FF"/></svg>')
    params = CaptionedVideoParams(logo=str(svg), size="640x640", logo_size=0.2)
    art = place_logo(params, caption_frame(params, 640, 640), tmp_path / "cache")
    with Image.open(art.path) as image:
        assert image.size == (128, 64) == (art.box.w, art.box.h)
        assert magenta_share(np.asarray(image.convert("RGB"))) > 0.95


def test_a_stereo_soundtrack_stays_stereo_at_its_rate(registry, ctx, tmp_path):
    transform = registry.transform("captioned-video")
    stereo = mh.tone(tmp_path / "s.wav", 2.0, sample_rate=48000, channels=2)
    audio = Audio(path=stereo, duration=2.0, sample_rate=48000, words=timed(["a"]), title="s")
    video = transform.run(audio, transform.Params(size="128x128", fps=10, preset="ultrafast",
                                                  background="color"), ctx)
    sound = media.probe(video.path).audio[0]
    assert (sound.channels, sound.sample_rate) == (2, 48000)


# --------------------------------------------------------------------------- the video podcast

@pytest.fixture
def sounding_brand(brand_file):
    """The brand with a sting at both ends and a music bed (tones nothing else has)."""
    kit = brand_file.parent
    mh.tone(kit / "sting.wav", 0.8, frequency=880)
    mh.tone(kit / "bed.wav", 3.0, frequency=55)
    text = brand_file.read_text().replace(
        "  narrator: tone:a\n",
        "  narrator: tone:a\n  intro: sting.wav\n  outro: sting.wav\n  music: bed.wav\n"
        "  music_volume: 0.3\n")
    brand_file.write_text(text)
    return brand_file


def test_the_video_podcast_takes_the_brands_stings_and_music(registry, sounding_brand,
                                                             tmp_path):
    from engine.recipe import read_recipe_file, validate_recipe
    from plugins.video.explainer import ExplainerVideo

    registry.voices.add("tone", RecordingEngine, "tests")   # the brand's voices
    kit = sounding_brand.parent
    params = branded(ExplainerVideo, sounding_brand)
    assert Path(params.intro_sting) == Path(params.outro_sting) == kit / "sting.wav"
    assert Path(params.music) == kit / "bed.wav" and params.music_volume == 0.3
    assert params.intro is None                       # the video bumper is another thing
    # recipes/video-podcast.yaml speaks the episode in its podcast step; a video made
    # straight from the script speaks it in the explainer step: both have the sound
    recipe = tmp_path / "video-podcast.yaml"
    recipe.write_text((RECIPES / "video-podcast.yaml").read_text() + textwrap.dedent(f"""\

          - id: straight
            use: explainer-video
            from: script
        brand: {sounding_brand}
        """))
    nodes = {n.id: n.params for n in validate_recipe(read_recipe_file(recipe), registry).nodes}
    assert Path(nodes["podcast"].intro) == Path(nodes["straight"].intro_sting) == kit / "sting.wav"
    assert Path(nodes["podcast"].music) == Path(nodes["straight"].music) == kit / "bed.wav"


def test_a_missing_sting_fails_validation_at_its_parameter(tmp_path):
    from pydantic import ValidationError

    from plugins.video.explainer import ExplainerParams

    with pytest.raises(ValidationError, match="intro_sting file .*nope.wav.* does not exist"):
        ExplainerParams(intro_sting=str(tmp_path / "nope.wav"))


def test_a_video_podcast_spoken_from_a_script_has_the_stings_and_music(registry, tmp_path,
                                                                     sounding_brand):
    from engine.artifacts import Script, Turn
    from plugins.video.explainer import ExplainerVideo

    from .test_podcast import tone_level

    registry.voices.add("tone", RecordingEngine, "tests")
    script = Script(title="Stings", speakers=("Ana", "Ben"), turns=(
        Turn(speaker="Ana", text="Welcome to the show about trees.", chapter="Hello"),
        Turn(speaker="Ben", text="Thanks, trees cool the streets.", chapter="Hello")))
    step = ExplainerVideo()
    params = branded(step, sounding_brand, timing="estimated")
    plain = params.model_copy(update={"intro_sting": None, "outro_sting": None, "music": None})

    def spoken(p, name):
        return step._audio(script, None, p, Context(registry=registry, step_id="video",
                                                     source_name="s",
                                                     scratch_root=tmp_path / name))

    with_sound, without = spoken(params, "branded"), spoken(plain, "plain")
    assert with_sound.duration - without.duration == pytest.approx(1.6, abs=0.1)  # 2 x 0.8 s
    assert with_sound.words[0].start == pytest.approx(without.words[0].start + 0.8, abs=0.1)
    samples = media.decode_audio(with_sound.path, 16000)
    end = len(samples) / 16000
    assert tone_level(samples, 16000, 0.1, 0.7, 880) > 0.01              # the intro sting
    assert tone_level(samples, 16000, end - 0.7, end - 0.1, 880) > 0.01   # the outro sting
    words = with_sound.words
    gap = max(zip(words, words[1:]), key=lambda pair: pair[1].start - pair[0].end)
    pause = (gap[0].end + 0.05, gap[1].start - 0.05)                      # between the turns
    assert pause[1] - pause[0] > 0.2
    assert tone_level(samples, 16000, *pause, 55) > 0.005                 # the music bed
    plain_samples = media.decode_audio(without.path, 16000)
    assert tone_level(plain_samples, 16000, 0.1, 0.7, 880) < 0.002
    plain_gap = max(zip(without.words, without.words[1:]),
                    key=lambda pair: pair[1].start - pair[0].end)
    assert tone_level(plain_samples, 16000, plain_gap[0].end + 0.05, plain_gap[1].start - 0.05,
                      55) < 0.002
