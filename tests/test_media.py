"""engine/media.py and the audio/video loaders, on real files made by the bundled ffmpeg."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import srt

from engine import media
from engine.errors import MediaError, SourceError
from plugins.sources.media import AudioLoader, VideoLoader

from . import media_helpers as mh

SUBTITLES = "1\n00:00:00,500 --> 00:00:01,500\nHello <i>there</i>.\n\n" \
            "2\n00:00:01,600 --> 00:00:02,800\nSecond cue.\n"


@pytest.fixture
def srt_file(tmp_path) -> Path:
    path = tmp_path / "subs.srt"
    path.write_text(SUBTITLES, encoding="utf-8")
    return path


def media_error(call, *args) -> MediaError:
    with pytest.raises(MediaError) as info:
        call(*args)
    assert "\n" not in str(info.value)
    return info.value


# --------------------------------------------------------------------------- the binary

def test_bundled_ffmpeg_by_default_and_env_override(monkeypatch):
    import imageio_ffmpeg

    monkeypatch.delenv(media.FFMPEG_ENV, raising=False)
    assert media.ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setenv(media.FFMPEG_ENV, imageio_ffmpeg.get_ffmpeg_exe())
    assert media.ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setenv(media.FFMPEG_ENV, "/nowhere/ffmpeg")
    error = media_error(media.ffmpeg_exe)
    assert media.FFMPEG_ENV in str(error) and "/nowhere/ffmpeg" in str(error)


# --------------------------------------------------------------------------- probing

@pytest.mark.parametrize("ext, container, codec", [
    (".wav", "wav", "pcm_s16le"), (".mp3", "mp3", "mp3"), (".m4a", "mp4", "aac"),
    (".flac", "flac", "flac"), (".ogg", "ogg", "vorbis"), (".opus", "ogg", "opus")])
def test_probe_audio_formats(tmp_path, ext, container, codec):
    wav = mh.tone(tmp_path / "tone.wav", 2.0, sample_rate=48000, channels=2)
    path = wav if ext == ".wav" else media.encode_audio(wav, tmp_path / f"tone{ext}")
    info = media.probe(path)
    assert container in info.container
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert not info.has_video and not info.subtitles
    (stream,) = info.audio
    assert (stream.codec, stream.sample_rate, stream.channels) == (codec, 48000, 2)


@pytest.mark.parametrize("ext", [".mp4", ".mov", ".mkv", ".webm"])
def test_probe_video_with_sound_and_subtitles(tmp_path, srt_file, ext):
    path = mh.video(tmp_path / f"clip{ext}", 3.0, with_tone=True, subtitles=srt_file,
                    size="320x240", fps=25)
    info = media.probe(path)
    assert info.duration == pytest.approx(3.0, abs=0.1)
    (video,) = info.video
    assert (video.width, video.height, video.fps) == (320, 240, 25.0)
    assert info.has_audio and info.subtitles[0].is_text


def test_probe_measures_duration_when_the_container_has_none(tmp_path):
    # a WebM written to a pipe has no duration in its header
    out = tmp_path / "streamed.webm"
    with open(out, "wb") as f:
        subprocess.run([media.ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
                        "sine=duration=2.5", "-c:a", "libopus", "-f", "webm", "pipe:1"],
                       stdout=f, check=True)
    assert "Duration: N/A" in media.run_ffmpeg(["-i", media.media_path(out)], check=False,
                                               loglevel="info").stderr
    assert media.probe(out).duration == pytest.approx(2.5, abs=0.05)


def test_cover_art_is_not_a_video_stream(tmp_path):
    cover = mh.lavfi(tmp_path / "cover.png", "color=c=red:size=64x64", extra=("-frames:v", "1"))
    wav = mh.tone(tmp_path / "t.wav", 1.0)
    mp3 = tmp_path / "with-cover.mp3"
    media.run_ffmpeg(["-i", media.media_path(wav), "-i", media.media_path(cover), "-map", "0",
                      "-map", "1", "-c:v", "png", "-disposition:v", "attached_pic",
                      media.media_path(mp3)])
    info = media.probe(mp3)
    assert info.has_audio and not info.has_video


@pytest.mark.parametrize("name", ["-odd name é.wav", "it's \"quoted\".wav", "a:b;c|d $x.wav"])
def test_awkward_file_names(tmp_path, name):
    path = mh.tone(tmp_path / name, 1.0, sample_rate=16000)
    assert path.name == name
    assert media.probe(path).duration == pytest.approx(1.0, abs=0.01)
    assert len(media.decode_audio(path)) == 16000
    out = media.encode_audio(path, tmp_path / ("-" + name.replace(".wav", ".mp3")))
    assert media.probe(out).audio[0].codec == "mp3"


def test_relative_path_starting_with_dash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mh.tone(Path("-i.wav"), 0.5)
    assert media.probe(Path("-i.wav")).has_audio


# --------------------------------------------------------------------------- errors

def test_corrupt_file(tmp_path):
    error = media_error(media.probe, mh.corrupt(tmp_path / "noise.wav"))
    assert "noise.wav" in error.message and "corrupt or not a media file" in error.hint
    assert "Invalid data found" in error.stderr and error.argv[0] == media.ffmpeg_exe()


def test_text_with_a_media_extension(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("these are my notes, not a recording\n")
    assert "corrupt or not a media file" in media_error(media.probe, path).hint


def test_truncated_mp4_says_truncated(tmp_path):
    good = mh.video(tmp_path / "good.mp4", 2.0, with_tone=True)
    error = media_error(media.probe, mh.truncated(good, tmp_path / "cut.mp4"))
    assert "truncated" in error.hint


def test_truncated_wav_decodes_what_is_there(tmp_path):
    good = mh.tone(tmp_path / "good.wav", 4.0, sample_rate=16000)
    samples = media.decode_audio(mh.truncated(good, tmp_path / "cut.wav", 0.5))
    assert 1.5 * 16000 < len(samples) < 2.5 * 16000


def test_missing_file(tmp_path):
    assert media_error(media.probe, tmp_path / "gone.wav").hint == "check the path"


def test_decoding_a_file_without_audio(tmp_path):
    silent_video = mh.video(tmp_path / "mute.mp4", 1.0)
    assert not media.probe(silent_video).has_audio
    assert "no audio" in media_error(media.decode_audio, silent_video).hint


# --------------------------------------------------------------------------- decoding

def test_decode_resamples_and_downmixes(tmp_path):
    path = mh.tone(tmp_path / "stereo.wav", 1.5, sample_rate=44100, channels=2)
    samples = media.decode_audio(path, sample_rate=16000)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) == 24000
    assert 0.1 < np.abs(samples).max() <= 1.0


def test_stream_audio_blocks_add_up_to_the_whole(tmp_path):
    path = mh.tone(tmp_path / "t.flac", 5.0, sample_rate=16000)
    blocks = list(media.stream_audio(path, 16000, block_seconds=1.5))
    assert [len(b) for b in blocks] == [24000, 24000, 24000, 8000]
    assert np.array_equal(np.concatenate(blocks), media.decode_audio(path))


def test_closing_a_stream_early_stops_ffmpeg(tmp_path):
    path = mh.tone(tmp_path / "t.wav", 30.0, sample_rate=16000)
    blocks = media.stream_audio(path, block_seconds=1.0)
    next(blocks)
    blocks.close()   # must not hang or raise


def test_audio_windows_cut_in_pauses_and_lose_nothing(tmp_path):
    rate = 16000
    burst = 0.5 * np.sin(np.linspace(0, 2 * np.pi * 300 * 1.3, int(1.3 * rate)))
    pause = np.zeros(int(0.4 * rate))
    samples = np.concatenate([np.concatenate([burst, pause]) for _ in range(6)]).astype(np.float32)
    path = media.write_wav(tmp_path / "bursts.wav", samples, rate)
    decoded = media.decode_audio(path)
    windows = list(media.audio_windows(path, rate, window=3.0, search=1.8))  # > one period
    assert len(windows) >= 3
    assert np.array_equal(np.concatenate([w for _, w in windows]), decoded)
    for offset, window in windows[1:]:
        cut = int(round(offset * rate))
        assert np.abs(decoded[cut - 80:cut + 80]).max() < 1e-3, f"cut at {offset:.2f}s is loud"
    assert all(len(w) <= 3.0 * rate for _, w in windows)


@pytest.mark.slow
def test_three_hour_file_decodes_in_bounded_memory(tmp_path):
    """A 3-hour FLAC (silence between two tones) streams through in well under 200 MB."""
    first, last = (mh.tone(tmp_path / f"{n}.wav", 5.0, frequency=300) for n in (1, 2))
    path = mh.joined(tmp_path / "three-hours.flac", [first, 3 * 3600 - 10.0, last])
    assert media.probe(path).duration == pytest.approx(3 * 3600, abs=1)
    # VmHWM, not ru_maxrss: after fork+exec Linux reports the parent's peak in ru_maxrss
    code = ("import sys, numpy as np\n"
            "from engine import media\n"
            "total, loud = 0, []\n"
            "for offset, w in media.audio_windows(sys.argv[1]):\n"
            "    total += len(w)\n"
            "    loud += [offset + i / 16000 for i in np.flatnonzero(np.abs(w) > 0.05)[[0, -1]]]"
            " if np.abs(w).max() > 0.05 else []\n"
            "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
            "print(total / 16000, min(loud), max(loud), int(hwm.split()[1]) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).parent.parent).stdout
    seconds, first, last, peak_mb = map(float, out.split())
    assert seconds == pytest.approx(10800, abs=1)
    assert first < 0.1 and last == pytest.approx(10800, abs=0.1)
    assert peak_mb < 200


# --------------------------------------------------------------------------- other helpers

@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_extract_subtitles_as_srt(tmp_path, srt_file, ext):
    path = mh.video(tmp_path / f"clip{ext}", 3.0, with_tone=True, subtitles=srt_file)
    cues = list(srt.parse(media.extract_subtitles(path, media.probe(path).subtitles[0].index)))
    assert [c.start.total_seconds() for c in cues] == [0.5, 1.6]
    assert "Second cue." in cues[1].content


def test_measure_loudness_and_normalise(tmp_path):
    tone = mh.tone(tmp_path / "t.wav", 3.0)          # lavfi sine: amplitude 1/8, -18 dBFS
    before = media.measure_loudness(tone)
    assert -24 < before.integrated_lufs < -19 and before.true_peak_dbfs < -17
    louder = media.encode_audio(tone, tmp_path / "loud.mp3", loudness=-16)
    assert media.measure_loudness(louder).integrated_lufs == pytest.approx(-16, abs=1)


def test_encode_reports_progress_and_leaves_no_partial_file(tmp_path):
    src = mh.tone(tmp_path / "t.wav", 4.0)
    seen: list[float] = []
    out = media.encode_audio(src, tmp_path / "t.ogg", progress=seen.append)
    assert media.probe(out).audio[0].codec == "vorbis"
    assert seen and seen[-1] == pytest.approx(1.0, abs=0.02)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.ogg", "t.wav"]


def test_encode_to_an_unknown_format(tmp_path):
    src = mh.tone(tmp_path / "t.wav", 0.5)
    assert ".xyz" in str(media_error(media.encode_audio, src, tmp_path / "t.xyz"))


def test_wav_round_trip(tmp_path):
    samples = np.linspace(-0.5, 0.5, 8000, dtype=np.float32)
    path = media.write_wav(tmp_path / "ramp.wav", samples, 8000)
    assert np.allclose(media.decode_audio(path, 8000), samples, atol=1e-4)


# --------------------------------------------------------------------------- loaders

def test_audio_loader(tmp_path):
    path = media.encode_audio(mh.tone(tmp_path / "t.wav", 2.0, channels=2), tmp_path / "t.m4a")
    audio = AudioLoader().load(path)
    assert audio.path.is_absolute() and audio.title == "t"
    assert audio.duration == pytest.approx(2.0, abs=0.05)
    assert (audio.sample_rate, audio.channels) == (44100, 2)
    assert audio.metadata["codec"] == "aac"


def test_audio_loader_reads_by_content_not_extension(tmp_path):
    mp3 = media.encode_audio(mh.tone(tmp_path / "t.wav", 1.0), tmp_path / "t.mp3")
    misnamed = tmp_path / "really-an-mp3.wav"
    misnamed.write_bytes(mp3.read_bytes())
    assert AudioLoader().load(misnamed).metadata["codec"] == "mp3"


def test_video_loader_with_subtitle_track(tmp_path, srt_file):
    video = VideoLoader().load(mh.video(tmp_path / "talk.mkv", 3.0, with_tone=True,
                                        subtitles=srt_file))
    assert (video.width, video.height, video.has_audio) == (320, 240, True)
    assert [s.text for s in video.captions.segments] == ["Hello there.", "Second cue."]
    assert video.captions.segments[0].start == 0.5


def test_video_loader_without_sound_or_captions(tmp_path):
    video = VideoLoader().load(mh.video(tmp_path / "mute.webm", 1.0))
    assert not video.has_audio and video.captions is None and video.fps == 25


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize("make, expected", [
    (lambda d: mh.corrupt(d / "x.wav"), "corrupt or not a media file"),
    (lambda d: empty_file(d / "x.mp3"), "is empty"),
    (lambda d: d / "missing.flac", "No such file"),
    (lambda d: mh.video(d / "x.mp4", 1.0), "no audio stream"),
])
def test_audio_loader_refuses_bad_files_in_one_line(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(SourceError) as info:
        AudioLoader().load(path)
    assert expected in str(info.value) and "\n" not in str(info.value)
    assert path.name in str(info.value)


def test_video_loader_names_the_fix_for_audio_only_mp4(tmp_path):
    audio_only = media.encode_audio(mh.tone(tmp_path / "t.wav", 1.0), tmp_path / "t.m4a")
    renamed = tmp_path / "episode.mp4"
    os.replace(audio_only, renamed)
    with pytest.raises(SourceError, match=r"no video stream.*rename it to \.m4a"):
        VideoLoader().load(renamed)
