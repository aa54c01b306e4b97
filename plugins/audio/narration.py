"""Transform ``narration``: any text, document or script read aloud by one voice.

Writes ``narration.mp3`` (ID3 tagged: title, artist = the voice, album = the source's
title, chapters, the voice engine's disclosure statements as TXXX frames),
``narration.wav`` (the same master, lossless) and ``narration.json`` (word timings,
chapters, loudness, the exact script), at the voice's own sample rate unless
``sample_rate`` asks for 44.1 or 48 kHz. Loudness is -16 LUFS integrated (EBU R128,
predicted from the passages, measured in the one run that writes wav and mp3), true
peak below -1 dBTP.

Word timings are the script's own words (captions show what was written): sentence
boundaries come from synthesis, and within sentences they come from the voice engine's
phoneme durations (``timing: engine``, the default: no speech recognition), the
embedded transcriber's words aligned to the script (``timing: aligned``; the transcript
is cached per audio with ``ctx.memo``; also used by ``engine`` for voices that give no
timings) or the time shared by word length (``timing: estimated``). The manifest's
``timing`` metric and the sidecar say how many sentences were timed each way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from pydantic import Field, field_validator

import engine
from engine.artifacts import (Artifact, Audio, Document, Script, Text, Transcript, as_document,
                              file_sha256)
from engine.errors import TransformError
from engine.languages import LanguageTag, same_language
from engine.transform import Context, Params, Transform
from engine.voices import VoiceEngine

from plugins.audio import production
from plugins.audio.loudness import SILENCE_LUFS, predict
from plugins.audio.streaming import Streamed, StreamingMaster

#: pause between the sections of a narration, in seconds at speed 1.0
SECTION_PAUSE = 1.1
#: the heading of the text before the first heading, as a chapter
OPENING_CHAPTER = "Introduction"


def voice_field(default: str, description: str):
    return Field(default, min_length=1, description=description,
                 json_schema_extra={"registry": "voices"})


Bitrate = Literal["64k", "96k", "128k", "160k", "192k", "256k", "320k"]


class AudioParams(Params):
    """What narration and podcasts share."""

    speed: float = Field(1.0, ge=0.5, le=2.0, description="speaking pace: 1.0 natural, "
                         "0.8 slower, 1.25 faster (the pitch stays the same)")
    bitrate: Bitrate = Field(
        "192k", description="mp3 bitrate; the loudness and true peak of the mp3 are "
        "checked either way (measured on the mp3 itself where mp3's effect on our voices "
        "at that rate and bitrate is not known)")
    timing: Literal["engine", "aligned", "estimated"] = Field(
        "engine", description="word timings: 'engine' takes them from the voice engine's "
        "phoneme durations (fast; sentences the engine cannot time are aligned), "
        "'aligned' times the script's words with the transcriber, 'estimated' shares each "
        "sentence's time by word length (no speech recognition)")
    transcriber: str = Field("whisper", description="transcriber used by timing: aligned "
                             "(and by timing: engine for voices that give no timings)",
                             json_schema_extra={"registry": "transcribers"})
    voice_consent: bool = Field(False, description=(
        "you have the speaker's consent to clone the voice of a reference recording (not "
        "needed when the voice's profile states consent); the output is marked synthetic"))
    loudness: float = Field(-16.0, ge=-30.0, le=-9.0, description=(
        "integrated loudness of the finished file in LUFS (EBU R128; -16 suits podcasts "
        "and spoken word), true peak under -1 dBTP"))
    pronunciation: dict[str, str] = Field(default_factory=dict, description=(
        "how voices say words, {written: spoken} (`SQLite: S Q Lite`): whole words, any "
        "case; captions and word timings keep the written words"))

    @field_validator("pronunciation")
    @classmethod
    def _lexicon(cls, value: dict[str, str]) -> dict[str, str]:
        for written, spoken in value.items():
            if not written.strip() or not spoken.strip():
                raise ValueError(f"the entry {written!r} needs a written and a spoken form")
        return value


class NarrationParams(AudioParams):
    sample_rate: Literal["native", 44100, 48000] = Field(
        "native", description="sample rate of the mp3 and wav: 'native' keeps the voice's "
        "own (hibari 24 kHz, piper 22.05 kHz: resampling synthetic speech up adds nothing "
        "to it), 44100 or 48000 where a platform asks for one")
    bitrate: Bitrate = Field(
        "96k", description="mp3 bitrate (mono): 64k-96k is the usual rate for spoken word; "
        "at 96k the transcriber hears the narration as well as at 192k; at sample rates "
        "below 32 kHz mp3 allows at most 160k")
    voice: str = voice_field("hibari:heart", "voice as ENGINE:VOICE (`remixer voices` lists "
                             "them), or a path to a reference recording to clone")
    read_title: bool = Field(True, description="read the title before the text")
    language: LanguageTag | None = Field(
        None, description="language to speak, as a BCP 47 tag (pt-BR); the voice must speak "
                          "it, and a text in another language is translated first (see the "
                          "translate step); empty: the text's own language")


def language_problems(voice: str, language: str | None, registry) -> list[tuple[str, str]]:
    """A voice that does not speak the step's language, with the voices that do."""
    if not language:
        return []
    try:
        _, info = registry.resolve_voice(voice)
    except Exception:  # noqa: BLE001 - unknown voices are reported by the registry check
        return []
    if info.speaks(language):
        return []
    speakers = [f"{r.name}:{v.name}" for r in registry.voices
                for v in registry.voice_engine(r.name).voices() if v.speaks(language)]
    return [("voice", f"{voice} speaks {info.language}, not {language}; voices that do: "
                      f"{', '.join(speakers) or 'none installed'} (`remixer voices --language "
                      f"{language}`)")]


def voice_engine(spec: str, ctx: Context, consent: bool = False) -> tuple[VoiceEngine, str]:
    """The engine and voice name a spec names (a recording to clone included, with the
    user's ``consent`` declared); errors are one line naming the fix."""
    from plugins.speech.cloning import with_consent

    try:
        engine_, info = ctx.registry.resolve_voice(with_consent(spec, consent))
    except ValueError as exc:
        raise TransformError(str(exc), hint="`remixer voices` lists the voices") from None
    return engine_, info.name


def heard_words(wav: Path, params: AudioParams, ctx: Context, language: str | None = "en"):
    """What the transcriber hears in ``wav`` (cached per audio and transcriber)."""
    transcriber = ctx.registry.transcriber(params.transcriber)

    def compute() -> Transcript:
        return transcriber.transcribe(
            wav, language=language,
            progress=lambda fraction: ctx.phase("aligning", fraction=0.9 + 0.05 * fraction))

    transcript = ctx.memo("spoken-audio-transcript",
                          {"audio": file_sha256(wav), "transcriber": transcriber.identity(),
                           "language": language}, compute)
    return transcript.words()


def keep_file(ctx: Context, name: str, audio: Audio) -> Audio:
    """Store a second file of a step (the wav beside the mp3) in the cache, by content."""
    return ctx.memo(name, {"sha256": file_sha256(audio.path), "suffix": audio.path.suffix},
                    lambda: audio)


def sidecar(audio: Audio, **extra) -> bytes:
    """The JSON written beside the audio: what players and caption tools need."""
    data = {
        "title": audio.title,
        "duration": audio.duration,
        "sample_rate": audio.sample_rate,
        "loudness_lufs": audio.loudness_lufs,
        "true_peak_dbtp": _float(audio.metadata.get("true_peak_dbtp")),
        "voices": audio.metadata.get("voices", ""),
        "disclosure": {k.split(":", 1)[1]: v for k, v in audio.metadata.items()
                       if k.startswith("disclosure:")},
        "timing": json.loads(audio.metadata.get("timing") or "null"),
        **extra,
        "chapters": [c.model_dump() for c in audio.chapters],
        "words": [w.model_dump(exclude_none=True) for w in audio.words],
        "script": audio.metadata.get("script", ""),
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _float(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def record_disclosure(entries: dict[str, str], ctx: Context) -> dict[str, str]:
    """Disclosure statements go into the manifest (metrics and a note) and metadata."""
    if entries:
        ctx.metrics["disclosure"] = dict(entries)
        for key, value in entries.items():
            ctx.note(f"synthetic voice disclosure ({key}): {value}")
    return {f"disclosure:{k}": v for k, v in entries.items()}


@dataclass
class Rendered:
    """Spoken passages mixed, mastered and timed."""

    wav: Path
    mp3: Path
    loudness: "production.media.Loudness"
    duration: float
    starts: list[float]
    words: list
    chapters: list
    sample_rate: int


def render(spoken: list[production.Spoken], gaps: list[float], stem: str,
           params: AudioParams, ctx: Context, timer: Callable[[str, float], None], *,
           intro: Path | None = None, outro: Path | None = None,
           bed: production.Bed | None = None,
           sample_rate: int | None = production.MIX_RATE,
           streamed: Streamed | None = None) -> Rendered:
    """Mix and master to wav and mp3 at ``sample_rate`` (None: the voices' own rate), and
    time every word with the method ``params.timing`` names; the manifest records the
    timing method used and how the master was made.

    A master already made while the passages were spoken (``streamed``,
    :mod:`plugins.audio.streaming`) is taken as it is. Otherwise speech alone is mixed
    and mastered in one ffmpeg run, at the gain its passages call for
    (:mod:`plugins.audio.loudness`); each chapter's stretch of the master is kept in
    the cache, and a chapter mastered before at that gain is read back from it (an edit
    re-limits only its chapter); with
    music, an intro or an outro, the mix is written and measured in a first run, then
    mastered as a whole."""
    started = time.perf_counter()
    offset = production.media_duration(intro) if intro else 0.0
    parts: list[production.Part] = []
    level_key = gain_key([s.passage for s in spoken], stem, params)
    if streamed is not None:
        out, delivered, gain, how = (streamed.out, streamed.loudness, streamed.gain_db,
                                     streamed.how)
        ctx.remember("mastering-gain", level_key, Text(body=f"{gain:.2f}"))
    elif intro is None and outro is None and bed is None:
        ctx.phase("measuring loudness", fraction=0.72)
        rate = max(production.wav_rate(s.path) for s in spoken)
        out = delivery(stem, params, ctx, sample_rate or rate)
        predicted = predict([s.path for s in spoken], gaps, target=params.loudness,
                            ceiling_dbtp=production.TARGET_TP, extra_db=out.lossy_loss)
        gain = predicted.gain_db
        silent = predicted.speech_lufs < SILENCE_LUFS
        # a gain used before for these voices, when within a hair of the prediction:
        # then the chapters an edit left alone come back mastered from the cache
        used = gain_used(level_key, ctx)
        if used is not None and abs(used - gain) <= production.GAIN_REUSE_DB:
            gain = used
        parts = production.cached_parts(spoken, gaps, gain, rate, out.sample_rate, ctx)
        build = production.parts_mix(parts, rate, out.sample_rate)
        how = {"gain": "predicted", "speech_lufs": predicted.speech_lufs,
               "limiter_loss_lu": predicted.limiter_loss, "predicted_gain_db": predicted.gain_db}
        timer("loudness", time.perf_counter() - started)
    else:
        ctx.phase("mixing", fraction=0.72)
        out = delivery(stem, params, ctx, sample_rate or production.MIX_RATE)
        mixed = ctx.work_dir / "mix.wav"
        level = production.mix(spoken, gaps, mixed, intro=intro, outro=outro, bed=bed)
        first = level.loudness.integrated_lufs
        silent = first < SILENCE_LUFS
        gain = 0.0 if silent else (params.loudness - first + level.limiter_loss
                                   + out.lossy_loss)
        build = production.whole_mix(mixed, out.sample_rate)
        how = {"gain": "measured", "mix_lufs": first, "limiter_loss_lu": level.limiter_loss}
        timer("mixing", time.perf_counter() - started)

    starts = production.layout(spoken, gaps, offset)
    if streamed is None:
        started = time.perf_counter()
        expected = starts[-1] + spoken[-1].duration + (production.media_duration(outro)
                                                       if outro else 0.0)
        ctx.phase("mastering", fraction=0.75)
        delivered, gain, ceiling, runs = production.master(
            build, out, gain_db=gain, silent=silent, duration=expected, target=params.loudness,
            progress=lambda f: ctx.phase("mastering", fraction=0.75 + 0.15 * f))
        if parts:
            how["parts_from_cache"] = production.keep_parts(parts, out.wav, gain, ceiling,
                                                            rate, out.sample_rate, ctx)
            how["parts"] = len(parts)
            ctx.remember("mastering-gain", level_key, Text(body=f"{gain:.2f}"))
        timer("mastering", time.perf_counter() - started)
        how.update({"mastering_runs": runs, "ffmpeg_runs": runs + (how["gain"] == "measured")})
    duration = production.wav_duration(out.wav)
    ctx.metrics["mastering"] = {**how, "gain_db": gain}

    engine = params.timing == "engine"
    heard = None
    if params.timing == "aligned" or (engine and not production.engine_timed(spoken)):
        started = time.perf_counter()
        ctx.phase("aligning", fraction=0.9)
        heard = heard_words(out.wav, params, ctx)
        timer("alignment", time.perf_counter() - started)
    methods: dict[str, int] = {}
    words = production.timed_words(spoken, starts, heard, duration, engine=engine,
                                   methods=methods)
    ctx.metrics["timing"] = {"requested": params.timing, "sentences": methods}
    chapters = production.chapters_of(spoken, starts, duration)
    return Rendered(out.wav, out.mp3, delivered, duration, starts, words, chapters,
                    out.sample_rate)


def gain_key(passages: list[production.Passage], stem: str, params: AudioParams) -> dict:
    """The cache key of the mastering gain used for these voices (and this target)."""
    key = {"voices": sorted({p.engine.identity(p.voice) for p in passages}),
           "stem": stem}
    if params.loudness != production.TARGET_LUFS:
        key["target"] = params.loudness
    return key


def gain_used(key: dict, ctx: Context) -> float | None:
    """The mastering gain used before under ``key`` (:func:`gain_key`), if any."""
    used = ctx.recall("mastering-gain", key)
    return float(used.body) if isinstance(used, Text) else None


def delivery(stem: str, params: AudioParams, ctx: Context,
             sample_rate: int) -> production.Delivery:
    """Where and how the step's files are written: at ``sample_rate``, the mp3 at the
    bitrate asked for, or the highest the rate allows (noted)."""
    bitrate = production.mp3_bitrate(params.bitrate, sample_rate)
    if bitrate != params.bitrate:
        ctx.note(f"mp3 written at {bitrate}, the most mp3 allows at {sample_rate} Hz "
                 f"({params.bitrate} asked for; set sample_rate: 44100 for more)")
    return production.delivery(ctx.work_dir, stem, bitrate, sample_rate)


def speaking_progress(ctx: Context, share: float = 0.7) -> Callable[[int, int], None]:
    """``progress(done, total)`` for sentences, as "synthesising 31/80 sentences" over
    the first ``share`` of the step."""
    def report(done: int, total: int) -> None:
        ctx.phase("synthesising", done, total, "sentences",
                  fraction=share * done / total if total else 0.0)
    return report


class Narration(Transform):
    """Read a text, document or script aloud in one voice: mp3, wav and word timings."""

    name = "narration"
    version = "5"  # 5: mastered while spoken (plugins.audio.streaming)
    # 4: the voice's own sample rate, 96k mp3, limited at 2x
    # 3: mastered in one run at a predicted gain, chapter by chapter
    consumes = ("text", "document", "script")
    produces = "audio"
    Params = NarrationParams

    @classmethod
    def brand_params(cls, brand) -> dict:
        """The narrator's voice, the narration's loudness and the pronunciation lexicon."""
        return {"voice": brand.sound.narrator, "loudness": brand.sound.loudness.narration,
                "pronunciation": dict(brand.words.pronunciation) or None}

    def check(self, params: NarrationParams, registry) -> list[tuple[str, str]]:
        return language_problems(params.voice, params.language, registry)

    def model_identity(self, params: NarrationParams, ctx: Context) -> str:
        engine_, voice = voice_engine(params.voice, ctx, params.voice_consent)
        identity = engine_.identity(voice)
        if params.language:
            translate = ctx.registry.transform("translate")
            identity += f"+translate@{translate.version} " + translate.model_identity(
                translate.Params(language=params.language), ctx)
        if params.timing != "estimated":
            identity += "+" + ctx.registry.transcriber(params.transcriber).identity()
        return identity

    def run(self, source: Artifact, params: NarrationParams, ctx: Context) -> Audio:
        engine_, voice = voice_engine(params.voice, ctx, params.voice_consent)
        if params.language:
            translate = ctx.registry.transform("translate")
            source = translate.run(source, translate.Params(language=params.language), ctx)
            if params.timing == "aligned" and not same_language(params.language, "en"):
                ctx.note("word timings estimated: the aligner's transcriber is English-only")
                params = params.model_copy(update={"timing": "estimated"})
        title = getattr(source, "title", "") or Path(ctx.source_name).stem
        passages = [production.Passage(text, engine_, voice, chapter=chapter)
                    for chapter, text in narration_blocks(source, params.read_title)]
        if not passages:
            raise TransformError(f"{ctx.source_name} has no text to narrate",
                                 hint="give the step a source with some text in it")
        timings: dict[str, float] = {}

        def timer(name: str, seconds: float) -> None:
            timings[name] = timings.get(name, 0.0) + seconds

        gaps = [production.pause(SECTION_PAUSE / params.speed, p.text)
                for p in passages[:-1]] + [0.0]
        sample_rate = None if params.sample_rate == "native" else params.sample_rate
        with StreamingMaster(gaps, ctx,
                             lambda rate: delivery("narration", params, ctx, sample_rate or rate),
                             target=params.loudness,
                             used_gain=gain_used(gain_key(passages, "narration", params),
                                                 ctx)) as streamer:
            started = time.perf_counter()
            spoken = production.speak(passages, ctx, speed=params.speed,
                                      progress=speaking_progress(ctx),
                                      lexicon=params.pronunciation, on_passage=streamer.add)
            timer("synthesis", time.perf_counter() - started)
            started = time.perf_counter()
            ctx.phase("mastering", fraction=0.75)
            streamed = streamer.finish()
            timer("mastering", time.perf_counter() - started)
        if streamed is None:
            ctx.note("the master made while speaking missed the loudness target: "
                     "mastered again as a whole")
        out = render(spoken, gaps, "narration", params, ctx, timer, sample_rate=sample_rate,
                     streamed=streamed)
        wav, mp3, loudness, duration = out.wav, out.mp3, out.loudness, out.duration
        words, chapters = out.words, out.chapters
        ctx.phase("tagging", fraction=0.95)

        disclosure = production.disclosures([(engine_, voice)])
        album = (source.metadata.get("album") if isinstance(source, Document) else None) or title
        started = time.perf_counter()
        production.write_tags(mp3, production.Tags(title=title, artist=f"{engine_.name}:{voice}", album=album,
                                   comment="narrated by remixer", extra=disclosure,
                                   chapters=tuple(chapters)))
        timer("tagging", time.perf_counter() - started)

        metadata = {"script": production.spoken_text(spoken), "voices": params.voice,
                    "timing": json.dumps(ctx.metrics["timing"]),
                    "true_peak_dbtp": f"{loudness.true_peak_dbfs:.2f}",
                    **record_disclosure(disclosure, ctx)}
        master = keep_file(ctx, "narration-wav", Audio(path=wav, duration=duration,
                                                       sample_rate=out.sample_rate, title=title))
        metadata["wav"] = str(master.path)
        ctx.metrics.update({"loudness_lufs": loudness.integrated_lufs,
                            "true_peak_dbtp": loudness.true_peak_dbfs,
                            "duration": round(duration, 3), "words": len(words),
                            "seconds": {k: round(v, 3) for k, v in timings.items()}})
        if timings.get("synthesis"):
            ctx.metrics["synthesis_realtime_factor"] = round(duration / timings["synthesis"], 2)
        ctx.progress(1.0)
        return Audio(path=mp3, duration=duration, sample_rate=out.sample_rate, channels=1,
                     title=title, loudness_lufs=round(loudness.integrated_lufs, 2),
                     words=tuple(words), chapters=tuple(chapters), metadata=metadata)

    def exports(self, artifact: Audio) -> dict[str, bytes | Path]:
        return audio_exports(artifact, wav=True)


def audio_exports(artifact: Audio, *, wav: bool, **extra) -> dict[str, bytes | Path]:
    """mp3 (the artifact's file), optionally the wav master, and the JSON sidecar."""
    out: dict[str, bytes | Path] = {"mp3": artifact.path}
    if wav:
        master = Path(artifact.metadata.get("wav", ""))
        if artifact.metadata.get("wav") and master.is_file():
            out["wav"] = master
        else:  # the cache lost the master: decode the mp3 (lossy, but the file exists)
            from engine import media
            out["wav"] = media.wav_bytes(media.decode_audio(artifact.path, artifact.sample_rate),
                                         artifact.sample_rate)
    out["json"] = sidecar(artifact, **extra)
    return out


def narration_blocks(source: Artifact, read_title: bool = True) -> list[tuple[str | None, str]]:
    """``(chapter, text)`` blocks to read, one per section (its heading first), turn or
    text; paragraphs separated by blank lines so synthesis pauses between them."""
    if isinstance(source, Script):
        return [(turn.chapter, turn.text.strip()) for turn in source.turns if turn.text.strip()]
    doc = source if isinstance(source, Document) else as_document(source)
    blocks: list[tuple[str | None, str]] = []
    pending: list[str] = []   # headings of sections without text: read with the next one
    for section in doc.sections:
        paragraphs = [_flat(p) for p in section.paragraphs if p.strip()]
        if section.heading:
            pending.append(_sentence(section.heading))
        if not paragraphs:
            continue
        if section.heading:
            chapter = section.heading.strip()
        else:
            chapter = OPENING_CHAPTER if any(s.heading for s in doc.sections) else None
        if not blocks and read_title and doc.title.strip():
            pending.insert(0, _sentence(doc.title))
            chapter = chapter or doc.title.strip()
        blocks.append((chapter, "\n\n".join(pending + paragraphs)))
        pending = []
    if read_title and doc.title.strip() and not blocks:
        blocks.append((None, _sentence(doc.title)))
    return blocks


def _flat(text: str) -> str:
    return " ".join(text.split())


def _sentence(text: str) -> str:
    """A heading read as a sentence: one line, ending in punctuation."""
    text = _flat(text)
    return text if text[-1:] in ".!?:" else text + "."


# --------------------------------------------------------------------------- voices command

@engine.hookimpl
def register_transforms(register):
    register(Narration)


@engine.hookimpl
def register_commands(cli):
    import click

    @cli.command("voices")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @click.option("--language", metavar="TAG",
                  help="Only voices that speak this language (BCP 47: pt, pt-BR, es).")
    @click.pass_context
    def voices(ctx, as_json, language):
        """List every voice of every engine and whether it works offline now."""
        registry = ctx.obj.registry
        rows = []
        for entry in sorted(registry.voices, key=lambda r: r.name):
            engine_ = registry.voice_engine(entry.name)
            try:
                infos = engine_.voices()
            except Exception as exc:  # an engine that cannot even list: say why
                rows.append({"voice": f"{entry.name}:*", "ready_offline": False,
                             "reason": f"cannot list voices: {exc}", "description": "",
                             "default": False, "plugin": entry.plugin})
                continue
            for info in [*infos, *engine_.templates()]:
                rows.append({"voice": f"{entry.name}:{info.name}",
                             "ready_offline": info.ready_offline, "reason": info.reason,
                             "description": info.description, "language": info.language,
                             "default": info.name == engine_.default_voice,
                             "plugin": entry.plugin, "speaks": info.speaks})
        if language:
            rows = [r for r in rows if r.get("speaks") and r["speaks"](language)]
        for r in rows:
            r.pop("speaks", None)
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        width = max((len(r["voice"]) for r in rows), default=10) + 2
        for r in rows:
            state = "ready" if r["ready_offline"] else "not ready: " + (r["reason"] or "unknown")
            default = " (default)" if r["default"] else ""
            click.echo(f"{r['voice']:<{width}}{r['description']}{default}  [{state}]")
        if not rows and language:
            click.echo(f"no installed voice speaks {language}")
