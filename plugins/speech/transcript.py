"""Transforms ``transcript`` (speech to timed text) and ``align`` (time a known script).

Both write the transcript as .txt, .srt, .vtt (readable caption cues, see
plugins/speech/captions.py) and .json (segments and words with times).

``align`` exists because a step has one input: the audio of a narration or podcast must
carry the script it was spoken from, in ``metadata["script"]`` (or, failing that, as the
texts of its ``words``). The output's words are then exactly the script's, timed by the
transcriber. Steps that make the audio themselves call
:func:`plugins.speech.alignment.aligned_transcript` directly instead.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

import engine
from engine.artifacts import Audio, Transcript, Video, file_sha256
from engine.errors import TransformError
from engine.transcribers import Transcriber
from engine.transform import Context, Params, Transform
from plugins.speech.alignment import aligned_transcript
from plugins.speech.captions import to_srt, to_vtt, transcript_cues

#: where an audio artifact carries the text it was spoken from
SCRIPT_KEY = "script"


def get_transcriber(ctx: Context, spec: str) -> Transcriber:
    """The transcriber a recipe names (``whisper``, ``whisper:small.en``, ``openai``)."""
    return ctx.registry.transcriber(spec)


def transcript_files(transcript: Transcript) -> dict[str, bytes | Path]:
    """A transcript as plain text, SRT and WebVTT captions, and JSON."""
    cues = transcript_cues(transcript)
    return {"txt": (transcript.text() + "\n").encode("utf-8"),
            "srt": to_srt(cues).encode("utf-8"),
            "vtt": to_vtt(cues).encode("utf-8"),
            "json": transcript.to_json_bytes()}


def transcribe_file(ctx: Context, path: Path, spec: str, language: str | None) -> Transcript:
    """The transcript of a media file, made once per (file content, transcriber, language)
    and cached with ``ctx.memo``: the ``transcript`` step and the video transforms that
    need the same recording's words share one transcription."""
    transcriber = get_transcriber(ctx, spec)
    key = {"file": file_sha256(Path(path)), "transcriber": transcriber.identity(),
           "language": language}
    def compute() -> Transcript:
        progress = transcribing(ctx)
        progress(0.0)   # say so at once: loading the model and decoding take a while
        return transcriber.transcribe(Path(path), language=language, progress=progress)

    return ctx.memo("transcript", key, compute)


def transcribing(ctx: Context, label: str = "transcribing"):
    """A transcriber's ``progress(fraction)`` reported as the step's phase ``label``."""
    return lambda fraction: ctx.phase(label, fraction=fraction)


class SpeechParams(Params):
    transcriber: str = Field("whisper", description=(
        "speech-to-text engine as NAME or NAME:MODEL: whisper (offline, tiny.en), "
        "whisper:small.en or whisper:large-v3 (downloaded once), openai (needs OPENAI_API_KEY)"),
        json_schema_extra={"registry": "transcribers"})
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description=(
        "language spoken, as an ISO 639-1 code such as 'en'; leave empty to detect it"))


class TranscriptParams(SpeechParams):
    use_captions: bool = Field(True, description=(
        "for a video carrying a subtitle track, use its text instead of recognising speech"))


class _SpeechTransform(Transform):
    produces = "transcript"
    Params = SpeechParams

    def model_identity(self, params: SpeechParams, ctx: Context) -> str:
        return get_transcriber(ctx, params.transcriber).identity()

    def exports(self, artifact: Transcript) -> dict[str, bytes | Path]:
        return transcript_files(artifact)


class TranscriptTransform(_SpeechTransform):
    """Speech to text with word timings, as .txt, .srt, .vtt and .json."""

    name = "transcript"
    version = "1"
    consumes = ("audio", "video")
    Params = TranscriptParams

    def run(self, source: Audio | Video, params: TranscriptParams, ctx: Context) -> Transcript:
        if isinstance(source, Video) and source.captions is not None and params.use_captions:
            ctx.note("used the video's subtitle track instead of recognising speech")
            return source.captions.model_copy(update={"title": source.title})
        if isinstance(source, Video) and not source.has_audio:
            raise TransformError(f"{source.title!r} has no audio stream and no subtitle "
                                 "track, so there is nothing to transcribe")
        transcript = transcribe_file(ctx, source.path, params.transcriber, params.language)
        if not transcript.segments:
            ctx.note("no speech was recognised; the transcript is empty")
        return transcript.model_copy(update={"title": source.title})


class AlignTransform(_SpeechTransform):
    """Time the script an audio was spoken from, keeping the script's exact words."""

    name = "align"
    version = "1"
    consumes = ("audio",)

    def run(self, source: Audio, params: SpeechParams, ctx: Context) -> Transcript:
        script = script_of(source)
        if not script.strip():
            raise TransformError(f"{source.title!r} carries no script to align",
                                 hint="use the transcript step for audio without a script")
        transcript = aligned_transcript(script, source.path,
                                        get_transcriber(ctx, params.transcriber),
                                        language=params.language,
                                        progress=transcribing(ctx, "aligning"))
        return transcript.model_copy(update={"title": source.title})


def script_of(audio: Audio) -> str:
    """The text an audio was spoken from: ``metadata["script"]``, else its words."""
    return audio.metadata.get(SCRIPT_KEY) or " ".join(w.text for w in audio.words)


@engine.hookimpl
def register_transforms(register):
    register(TranscriptTransform)
    register(AlignTransform)
