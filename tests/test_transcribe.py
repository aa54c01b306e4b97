"""Transcribers (whisper offline, openai against a local fake server), the transcript and
align transforms, and the transcribe recipe over a batch of good and bad files."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import srt
import webvtt

from engine.artifacts import Audio, Segment, Transcript, Video, Word
from engine.errors import MediaError, ModelUnavailableError, TransformError
from engine.transcribers import Transcriber
from engine.transform import Context
from plugins.speech import openai_transcriber
from plugins.speech.openai_transcriber import OpenAITranscriber
from plugins.speech.whisper import WhisperTranscriber
from plugins.speech.transcript import AlignTransform, TranscriptTransform

from . import media_helpers as mh
from .conftest import RECIPES

SPOKEN = "The museum opens at nine and closes at five. Please keep the windows closed."


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    return mh.speech_file(tmp_path_factory.mktemp("speech") / "speech.wav", SPOKEN)


def one_line(error: BaseException) -> str:
    assert "\n" not in str(error)
    return str(error)


# --------------------------------------------------------------------------- whisper

@pytest.mark.slow
def test_whisper_transcribes_speech_with_word_timings(speech):
    transcript = WhisperTranscriber().transcribe(speech)
    text = transcript.text().lower()
    assert "museum" in text and "windows" in text
    assert transcript.language == "en" and transcript.duration == pytest.approx(
        mh.synthesize(SPOKEN).size / mh.SPEECH_RATE, abs=0.05)
    words = transcript.words()
    assert len(words) >= 12
    assert all(0 <= w.start <= w.end <= transcript.duration for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)


@pytest.mark.slow
def test_whisper_windows_join_seamlessly(speech, monkeypatch):
    """Short windows (as a long file gets) give the same words at the right times."""
    whole = WhisperTranscriber().transcribe(speech)
    monkeypatch.setattr("plugins.speech.whisper.WINDOW_SECONDS", 3.0)
    seen: list[float] = []
    windowed = WhisperTranscriber().transcribe(speech, progress=seen.append)
    assert [w.text.lower().strip(".,") for w in windowed.words()] == \
           [w.text.lower().strip(".,") for w in whole.words()]
    shifts = [abs(a.start - b.start) for a, b in zip(windowed.words(), whole.words())]
    assert statistics.median(shifts) < 0.1 and max(shifts) < 0.5   # a lost offset is > 1.5 s
    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] == pytest.approx(1.0, abs=0.01)


@pytest.mark.slow
def test_silence_gives_an_empty_transcript(tmp_path):
    transcript = WhisperTranscriber().transcribe(mh.silence(tmp_path / "quiet.wav", 20.0))
    assert transcript.segments == () and transcript.duration == pytest.approx(20.0)


def test_a_file_without_audio_is_a_clear_error(tmp_path):
    with pytest.raises(MediaError, match="no audio stream"):
        WhisperTranscriber().transcribe(mh.video(tmp_path / "mute.mp4", 1.0))


def test_english_only_model_refuses_another_language(speech):
    with pytest.raises(TransformError) as info:
        WhisperTranscriber().transcribe(speech, language="fr")
    assert "English only" in one_line(info.value) and "whisper:small" in str(info.value)


def test_a_model_that_is_not_here_fails_in_one_line(speech, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError) as info:
        WhisperTranscriber("small.en").transcribe(speech)
    message = one_line(info.value)
    assert "'small.en'" in message and "connect to the internet" in message


def test_an_unknown_model_lists_the_known_ones(speech):
    with pytest.raises(ModelUnavailableError, match="unknown Whisper model 'huge'.*large-v3"):
        WhisperTranscriber("huge").transcribe(speech)


def test_identity_names_the_model():
    assert WhisperTranscriber().identity() == "whisper:tiny.en@1"
    assert WhisperTranscriber("small.en").identity() == "whisper:small.en@1"


@pytest.mark.slow
def test_three_hour_recording_in_bounded_memory(tmp_path):
    """Speech, three hours of silence, speech: the late words land at the right time."""
    first = mh.speech_file(tmp_path / "first.wav", "Good morning and welcome to the show.")
    last = mh.speech_file(tmp_path / "last.wav", "Thank you for listening, goodbye.")
    gap = 3 * 3600.0
    path = mh.joined(tmp_path / "long.flac", [first, gap, last])
    # VmHWM, not ru_maxrss: after fork+exec Linux reports the parent's peak in ru_maxrss
    code = ("import json, sys\n"
            "from plugins.speech.whisper import WhisperTranscriber\n"
            "t = WhisperTranscriber().transcribe(sys.argv[1])\n"
            "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
            "print(json.dumps({'peak_mb': int(hwm.split()[1]) / 1024,"
            " 'duration': t.duration, 'words': [[w.text, w.start] for w in t.words()]}))")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                            text=True, check=True, cwd=Path(__file__).parent.parent)
    report = json.loads(result.stdout)
    assert report["peak_mb"] < 1024
    assert report["duration"] > gap
    words = {text.lower().strip(".,"): start for text, start in report["words"]}
    assert words["morning"] < 3
    assert gap < words["goodbye"] < gap + 10


# --------------------------------------------------------------------------- openai (fake server)

class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers POST /v1/audio/transcriptions like the real API; records what it got."""

    requests: list[dict] = []
    status = 200
    echo_key = False

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers["Authorization"].removeprefix("Bearer ")
        self.requests.append({"path": self.path, "key": key, "body": body})
        if self.status != 200:
            message = f"Incorrect API key provided: {key}" if self.echo_key else "Nope."
            return self._reply(self.status, {"error": {"message": message, "type": "x"}})
        if b"verbose_json" not in body:
            return self._reply(200, {"text": "Plain text only."})
        self._reply(200, {
            "task": "transcribe", "language": "english", "duration": 2.0,
            "text": "Hello world. Bye now.",
            "segments": [{"id": 0, "start": 0.0, "end": 1.2, "text": " Hello world."},
                         {"id": 1, "start": 1.3, "end": 2.0, "text": " Bye now."}],
            "words": [{"word": "Hello", "start": 0.1, "end": 0.5},
                      {"word": "world.", "start": 0.5, "end": 1.1},
                      {"word": "Bye", "start": 1.3, "end": 1.6},
                      {"word": "now.", "start": 1.6, "end": 1.9}]})

    def _reply(self, status: int, data: dict) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_openai(monkeypatch):
    handler = type("Handler", (FakeOpenAI,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
    yield handler
    server.shutdown()
    server.server_close()


def test_openai_transcriber_uploads_windows_and_keeps_word_timings(fake_openai, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setattr(openai_transcriber, "WINDOW_SECONDS", 2.0)
    path = mh.tone(tmp_path / "t.mp3", 4.0)
    transcript = OpenAITranscriber(max_retries=0).transcribe(path)
    assert len(fake_openai.requests) >= 2
    request = fake_openai.requests[0]
    assert request["path"] == "/v1/audio/transcriptions" and request["key"] == "sk-test-secret"
    assert b"RIFF" in request["body"] and b"whisper-1" in request["body"]
    assert transcript.language == "en"
    assert b'name="language"' not in fake_openai.requests[1]["body"], "detected name sent back"
    first, second = transcript.segments[:2]
    assert [w.text for w in first.words] == ["Hello", "world."]
    assert [w.text for w in second.words] == ["Bye", "now."]
    later = transcript.segments[2]
    assert later.start >= 1.0 and later.words[0].start == pytest.approx(later.start + 0.1)


def test_openai_text_only_models_give_one_segment_per_window(fake_openai, tmp_path):
    path = mh.tone(tmp_path / "t.wav", 1.0)
    transcript = OpenAITranscriber("gpt-4o-transcribe", max_retries=0).transcribe(path)
    assert [s.text for s in transcript.segments] == ["Plain text only."]
    assert transcript.segments[0].end == pytest.approx(1.0, abs=0.01)


def test_openai_without_a_key_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelUnavailableError) as info:
        OpenAITranscriber().transcribe(mh.tone(tmp_path / "t.wav", 1.0))
    assert "OPENAI_API_KEY" in one_line(info.value)


def test_openai_refusal_never_shows_the_key(fake_openai, tmp_path):
    fake_openai.status, fake_openai.echo_key = 401, True
    with pytest.raises(TransformError) as info:
        OpenAITranscriber(max_retries=0).transcribe(mh.tone(tmp_path / "t.wav", 1.0))
    message = one_line(info.value)
    assert "401" in message and "OPENAI_API_KEY" in message
    assert "sk-test-secret" not in message and "***" in message


def test_openai_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    transcriber = OpenAITranscriber(base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(ModelUnavailableError, match="cannot reach the OpenAI API"):
        transcriber.transcribe(mh.tone(tmp_path / "t.wav", 1.0))


# --------------------------------------------------------------------------- transforms

class CannedTranscriber(Transcriber):
    """Returns a fixed transcript and records its calls."""

    name = "canned"
    default_model = "v1"

    def __init__(self, model=None, transcript=None):
        super().__init__(model)
        self.transcript = transcript or Transcript(duration=2.0, title="ignored", segments=(
            Segment(start=0.1, end=1.9, text="The museum opens at 9.", words=tuple(
                Word(text=t, start=round(0.1 + 0.35 * i, 2), end=round(0.4 + 0.35 * i, 2))
                for i, t in enumerate("The museum opens at 9.".split()))),))
        self.calls: list[tuple[Path, str | None]] = []

    def transcribe(self, path, *, language=None, progress=None):
        self.calls.append((Path(path), language))
        return self.transcript


class OneTranscriberRegistry:
    def __init__(self, transcriber):
        self.transcriber_instance = transcriber
        self.specs: list[str] = []

    def transcriber(self, spec):
        self.specs.append(spec)
        return self.transcriber_instance


def context(transcriber) -> Context:
    return Context(registry=OneTranscriberRegistry(transcriber), step_id="t", source_name="x")


def audio(tmp_path, **fields) -> Audio:
    """An audio artifact over a real file (transcripts are cached by the file's content)."""
    path = tmp_path / "a.wav"
    path.write_bytes(b"canned transcribers do not read this")
    return Audio(path=path, duration=2.0, sample_rate=16000, title="talk", **fields)


def test_transcript_transform_asks_the_named_transcriber(tmp_path):
    canned = CannedTranscriber()
    ctx = context(canned)
    params = TranscriptTransform.Params(transcriber="canned:v1", language="en")
    result = TranscriptTransform().run(audio(tmp_path), params, ctx)
    assert canned.calls == [(tmp_path / "a.wav", "en")]
    assert ctx.registry.specs == ["canned:v1"] and result.title == "talk"
    assert TranscriptTransform().model_identity(params, ctx) == "canned:v1@1"


def test_transcript_transform_prefers_a_video_subtitle_track(tmp_path):
    captions = Transcript(duration=3.0, segments=(Segment(start=0.5, end=2.0, text="Hi."),))
    (tmp_path / "v.mkv").write_bytes(b"canned transcribers do not read this")
    video = Video(path=tmp_path / "v.mkv", duration=3.0, width=320, height=240, fps=25,
                  captions=captions, title="clip")
    canned = CannedTranscriber()
    ctx = context(canned)
    result = TranscriptTransform().run(video, TranscriptTransform.Params(), ctx)
    assert result.text() == "Hi." and result.title == "clip" and canned.calls == []
    assert "subtitle track" in ctx.notes[0]
    TranscriptTransform().run(video, TranscriptTransform.Params(use_captions=False), ctx)
    assert len(canned.calls) == 1


def test_transcript_transform_on_a_silent_video_without_captions(tmp_path):
    video = Video(path=tmp_path / "v.mp4", duration=3.0, width=320, height=240, fps=25,
                  has_audio=False, title="mute")
    with pytest.raises(TransformError, match="no audio stream and no subtitle track"):
        TranscriptTransform().run(video, TranscriptTransform.Params(), context(CannedTranscriber()))


def test_an_empty_transcript_is_noted(tmp_path):
    ctx = context(CannedTranscriber(transcript=Transcript(duration=5.0)))
    result = TranscriptTransform().run(audio(tmp_path), TranscriptTransform.Params(), ctx)
    assert result.segments == () and "no speech" in ctx.notes[0]


def test_transcript_exports_text_captions_and_json(tmp_path):
    transcript = CannedTranscriber().transcript
    files = TranscriptTransform().exports(transcript)
    assert set(files) == {"txt", "srt", "vtt", "json"}
    assert files["txt"].decode() == "The museum opens at 9.\n"
    (cue,) = srt.parse(files["srt"].decode())
    assert cue.content == "The museum opens at 9."
    assert webvtt.from_string(files["vtt"].decode()).captions[0].text == "The museum opens at 9."
    data = json.loads(files["json"])
    assert data["segments"][0]["words"][1] == {"text": "museum", "start": 0.45, "end": 0.75,
                                               "probability": None, "speaker": None}


def test_params_are_validated():
    with pytest.raises(ValueError):
        TranscriptTransform.Params(language="English")
    with pytest.raises(ValueError):
        TranscriptTransform.Params(model="tiny")


def test_align_transform_keeps_the_script_words(tmp_path):
    script = "The museum opens at nine."
    source = audio(tmp_path, metadata={"script": script})
    result = AlignTransform().run(source, AlignTransform.Params(), context(CannedTranscriber()))
    assert [w.text for w in result.words()] == script.split()
    assert result.words()[-1].start == pytest.approx(1.5) and result.title == "talk"


def test_align_transform_reads_the_script_from_audio_words(tmp_path):
    source = audio(tmp_path, words=(Word(text="The", start=0, end=0),
                                    Word(text="museum", start=0, end=0)))
    result = AlignTransform().run(source, AlignTransform.Params(), context(CannedTranscriber()))
    assert result.text() == "The museum"


def test_align_transform_without_a_script(tmp_path):
    with pytest.raises(TransformError, match="carries no script"):
        AlignTransform().run(audio(tmp_path), AlignTransform.Params(),
                             context(CannedTranscriber()))


# --------------------------------------------------------------------------- the recipe

@pytest.mark.slow
def test_transcribe_recipe_over_a_batch_of_good_and_bad_files(invoke, tmp_path, speech):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "-odd name é.wav").write_bytes(speech.read_bytes())
    mh.video(inbox / "talk.mp4", 5.0, audio=speech)
    subs = tmp_path / "subs.srt"
    subs.write_text("1\n00:00:00,500 --> 00:00:02,000\nCaptioned words.\n", encoding="utf-8")
    mh.video(inbox / "captioned.mkv", 3.0, with_tone=True, subtitles=subs)
    mh.silence(inbox / "quiet.flac", 5.0)
    mh.corrupt(inbox / "broken.wav")
    mh.truncated(mh.video(tmp_path / "whole.mp4", 2.0, with_tone=True), inbox / "cut.mp4")
    (inbox / "notes.mp3").write_text("not audio at all\n")
    mh.video(inbox / "mute.webm", 1.0)

    out = tmp_path / "out"
    result = invoke("run", RECIPES / "transcribe.yaml", inbox, "-o", out)
    assert result.exit_code == 1, result.output
    assert "8 sources: 4 ok, 4 failed" in result.output

    odd = out / next(p.name for p in out.iterdir() if "odd" in p.name)
    assert "museum" in (odd / "transcript.txt").read_text().lower()
    assert list(srt.parse((odd / "transcript.srt").read_text()))
    assert webvtt.read(str(odd / "transcript.vtt")).captions
    assert json.loads((odd / "transcript.json").read_text())["segments"][0]["words"]
    assert "museum" in (out / "talk" / "transcript.txt").read_text().lower()
    assert (out / "captioned" / "transcript.txt").read_text() == "Captioned words.\n"
    assert (out / "quiet" / "transcript.txt").read_text() == "\n"
    assert (out / "quiet" / "transcript.srt").read_text() == ""

    reasons = {Path(line.split(": ", 2)[1]).stem: line for line in result.output.splitlines()
               if line.startswith("failed: ")}
    assert "corrupt or not a media file" in reasons["broken"]
    assert "truncated" in reasons["cut"]
    assert "corrupt or not a media file" in reasons["notes"]
    assert "no audio stream and no subtitle track" in reasons["mute"]
