"""Mastering while speaking (plugins.audio.streaming) and the ffmpeg writer it feeds LAME
through (engine.media.FFmpegWriter): passages mastered as they arrive, one continuous mp3,
the loudness checked at the end (and a miss mastered again as a whole), nothing left
running after a failure."""

from __future__ import annotations

import functools
import wave

import pytest

from engine import media
from engine.errors import MediaError
from plugins.audio import production, streaming

RATE = 24000


def _speechlike(path, seconds: float, seed: int):
    """A mono 16-bit wav of syllable-like tone bursts (4 per second) at ``RATE``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    voice = np.sin(2 * np.pi * (140 + 20 * seed) * t) + 0.3 * rng.standard_normal(len(t))
    samples = (0.08 * envelope * voice * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return production.Spoken(production.Passage(f"passage {seed}", engine=None, voice="v"),
                             path, seconds)


def _passages(tmp_path, count=4, seconds=3.0):
    return [_speechlike(tmp_path / f"p{i}.wav", seconds, i) for i in range(count)]


def _master(tmp_path, gaps, **options):
    return streaming.StreamingMaster(
        gaps, _Context(tmp_path),
        lambda rate: production.delivery(tmp_path, "narration", "96k", rate), **options)


class _Context:
    def __init__(self, work_dir):
        self.work_dir = work_dir


@pytest.fixture
def limiting_runs(monkeypatch) -> list[int]:
    """How many passages each limiting run took, in order."""
    seen: list[int] = []
    limit = production.limit_part

    def counting(spoken, *args, **kwargs):
        seen.append(len(spoken))
        return limit(spoken, *args, **kwargs)

    monkeypatch.setattr(production, "limit_part", counting)
    return seen


def test_passages_are_mastered_as_they_arrive_into_one_mp3(tmp_path, monkeypatch,
                                                            limiting_runs):
    monkeypatch.setattr(streaming, "SETTLE_SECONDS", 5.0)
    monkeypatch.setattr(streaming, "PART_SECONDS", 3.5)   # a passage and its pause
    passages = _passages(tmp_path)
    gaps = [0.8, 0.9, 0.7, 0.0]
    with _master(tmp_path, gaps) as master:
        for spoken in passages:
            master.add(spoken)
            if spoken is passages[1]:
                master.pending[-1].result()   # the gain settles on the second passage
                assert limiting_runs == [2]   # ... and those two are mastered at once
        result = master.finish()

    assert result is not None and result.how["gain"] == "streamed"
    assert limiting_runs == [2, 1, 1]         # the rest one by one, as they came
    assert result.how["gain_from_seconds"] == pytest.approx(6.0, abs=0.01)
    expected = sum(p.duration for p in passages) + sum(gaps)
    assert production.wav_duration(result.out.wav) == pytest.approx(expected, abs=0.002)
    # one stream, not parts glued together: the mp3 plays for as long as the wav
    assert media.probe(result.out.mp3).duration == pytest.approx(expected, abs=0.1)
    measured = media.measure_loudness(result.out.mp3)
    assert abs(measured.integrated_lufs - result.loudness.integrated_lufs) <= 0.3
    assert abs(measured.range_lu - result.loudness.range_lu) <= 1.0
    assert abs(measured.integrated_lufs + 16) <= 0.5 and measured.true_peak_dbfs <= -1.0
    assert not list(tmp_path.glob("streamed-*.wav"))   # parts are not left behind


def test_short_passages_are_limited_together(tmp_path, monkeypatch, limiting_runs):
    monkeypatch.setattr(streaming, "SETTLE_SECONDS", 2.0)
    monkeypatch.setattr(streaming, "PART_SECONDS", 4.0)
    with _master(tmp_path, [0.3] * 7 + [0.0]) as master:
        for spoken in _passages(tmp_path, count=8, seconds=1.0):
            master.add(spoken)
        result = master.finish()
    # 1.3 s a passage with its pause: four make a part, the last four the rest
    assert limiting_runs == [4, 4] and result is not None


def test_a_gain_used_before_is_kept_when_close_to_the_prediction(tmp_path):
    passages = _passages(tmp_path, count=2)
    with _master(tmp_path, [0.8, 0.0]) as master:
        for spoken in passages:
            master.add(spoken)
        first = master.finish()
    (tmp_path / "again").mkdir()
    with _master(tmp_path / "again", [0.8, 0.0], used_gain=first.gain_db + 0.2) as master:
        for spoken in passages:
            master.add(spoken)
        again = master.finish()
    assert again.gain_db == pytest.approx(first.gain_db + 0.2)


def test_a_master_that_misses_the_target_is_not_kept(tmp_path):
    with _master(tmp_path, [0.8, 0.0], tolerance=-1.0) as master:   # nothing is close enough
        for spoken in _passages(tmp_path, count=2):
            master.add(spoken)
        assert master.finish() is None


def test_a_failure_while_speaking_leaves_nothing_running(tmp_path, monkeypatch):
    monkeypatch.setattr(streaming, "SETTLE_SECONDS", 1.0)
    monkeypatch.setattr(streaming, "PART_SECONDS", 1.0)
    passages = _passages(tmp_path, count=2)
    with pytest.raises(RuntimeError, match="the voice failed"):
        with _master(tmp_path, [0.8, 0.0]) as master:
            master.add(passages[0])
            master.pending[-1].result()
            encoder = master.encoder
            assert encoder is not None and encoder.proc.poll() is None   # LAME is running
            raise RuntimeError("the voice failed")
    assert encoder.proc.poll() is not None and master.encoder is None
    assert master.worker._shutdown


def test_a_narration_whose_streamed_master_misses_is_mastered_again_whole(registry, tmp_path,
                                                                          monkeypatch):
    from engine.artifacts import Text
    from engine.cache import Cache
    from engine.transform import Context

    monkeypatch.setattr(streaming.StreamingMaster, "__init__", functools.partialmethod(
        streaming.StreamingMaster.__init__, tolerance=-1.0))
    ctx = Context(registry=registry, step_id="narration", source_name="s.txt",
                  scratch_root=tmp_path / "work", cache=Cache(tmp_path / "cache"))
    step = registry.transform("narration")
    audio = step.run(Text(title="", body="The tide comes in.\n\nThe tide goes out."),
                     step.Params(voice="piper:joe"), ctx)
    assert ctx.metrics["mastering"]["gain"] == "predicted"
    assert any("mastered again as a whole" in note for note in ctx.notes)
    assert abs(media.measure_loudness(audio.path).integrated_lufs + 16) <= 0.5


def test_the_ffmpeg_writer_encodes_what_it_is_given(tmp_path):
    import numpy as np

    tone = (0.2 * np.sin(2 * np.pi * 220 * np.arange(RATE) / RATE) * 32767).astype("<i2")
    mp3 = tmp_path / "tone.mp3"
    writer = media.FFmpegWriter(["-y", "-f", "s16le", "-ar", str(RATE), "-ch_layout", "mono",
                                 "-i", "pipe:0", "-b:a", "64k", "-f", "mp3",
                                 media.media_path(mp3)], what="encode the tone")
    for half in np.array_split(tone, 2):
        writer.write(half.tobytes())
    writer.close()
    assert media.probe(mp3).duration == pytest.approx(1.0, abs=0.1)


def test_the_ffmpeg_writer_reports_ffmpegs_own_error(tmp_path):
    writer = media.FFmpegWriter(["-y", "-f", "s16le", "-ar", str(RATE), "-i", "pipe:0",
                                 "-c:a", "no_such_encoder", media.media_path(tmp_path / "x.mp3")],
                                what="encode the tone")
    with pytest.raises(MediaError) as failure:
        for _ in range(200):   # ffmpeg gives up at once: writing soon finds the pipe closed
            writer.write(bytes(64_000))
        writer.close()
    assert "could not encode the tone" in str(failure.value)
    assert "\n" not in str(failure.value)
    assert writer.proc.poll() is not None
