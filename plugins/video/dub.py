"""Transform ``dub``: a talk or video in, the same video out, spoken in another language.

1. The speech is transcribed (cached, shared with other steps) and cut into sentences,
   each with the time it was spoken.
2. Every sentence is translated (``plugins.translation.translate.translated``; a dub
   into the source's own language keeps the words, which exercises the timing alone).
3. Each translation is synthesised in the chosen voice and fitted into its original slot:
   the tempo changes within 0.85x-1.25x (ffmpeg ``atempo``: the pitch stays); a sentence
   still longer than its slot takes the pause after it, and one that cannot fit even
   then pushes the next one late, with a note in the manifest; a late sentence is sped
   up (to 1.25x at most) to be back on time by the next one's original start. The
   manifest records every sentence's start shift and tempo.
4. One ffmpeg graph mixes the new voice over the original sound with its speech band cut
   (300 Hz-3.4 kHz, -24 dB), so music and ambience stay under the new voice, and muxes
   it with the untouched picture, trimmed to the input's duration.
5. The captions are the translation, timed by slot, as .srt and .vtt beside the mp4, and
   the synthetic-voice disclosure goes into the mp4's tags and the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pydantic import Field

import engine
from engine import media
from engine.artifacts import Segment, Transcript, Video
from engine.errors import TransformError
from engine.languages import LanguageTag, primary, same_language
from engine.translators import AUTO
from engine.voices import trim_silence
from plugins.audio.narration import language_problems, voice_field
from plugins.speech.captions import estimate_words
from plugins.speech.lexicon import respell
from plugins.speech.transcript import transcribe_file
from plugins.translation.translate import spoken_sentences, translated
from plugins.video.captioned_video import video_exports, write_mp4_disclosure

MIN_TEMPO = 0.85
MAX_TEMPO = 1.25
#: the original speech band, cut under the new voice
SPEECH_BAND_HZ = (300, 3400)
SPEECH_CUT_DB = -24


class DubParams(engine.Params):
    language: LanguageTag = Field(description="the language to dub into, as a BCP 47 tag "
                                              "(pt-BR)", examples=["pt-BR"])
    source_language: LanguageTag = Field("en", description="the language spoken in the input")
    voice: str = voice_field("piper:pt_BR-faber-medium",
                             "the new voice as ENGINE:VOICE; it must speak the target "
                             "language (`remixer voices --language`)")
    engine: str = Field(AUTO, description="translator as NAME[:MODEL]; auto: the first "
                                          "offline one for the pair")
    transcriber: str = Field("whisper", description="speech-to-text engine for the input",
                             json_schema_extra={"registry": "transcribers"})
    glossary: list[str] = Field(default_factory=list, description="terms never translated")
    pronunciation: dict[str, str] = Field(default_factory=dict, description=(
        "how the new voice says words, {written: spoken}: whole words, any case; the "
        "captions keep the written words"))


@dataclass(frozen=True)
class Placed:
    """One dubbed sentence: its text, where it was spoken and where the new one goes."""

    text: str
    original_start: float
    start: float
    tempo: float
    seconds: float
    wav: Path


class Dub(engine.Transform):
    """Dub a video into another language: transcribe, translate, speak, fit, mix, caption."""

    @classmethod
    def brand_params(cls, brand) -> dict:
        """The brand's glossary (never translated) and pronunciation lexicon."""
        return {"glossary": list(brand.words.glossary) or None,
                "pronunciation": dict(brand.words.pronunciation) or None}

    name = "dub"
    version = "2"  # 2: a late sentence is sped up to be back on time; shifts in the manifest
    consumes = ("video",)
    produces = "video"
    Params = DubParams

    def check(self, params: DubParams, registry) -> list[tuple[str, str]]:
        return language_problems(params.voice, params.language, registry)

    def model_identity(self, params: DubParams, ctx: engine.Context) -> str:
        engine_, info = ctx.registry.resolve_voice(params.voice)
        parts = [engine_.identity(info.name), ctx.registry.transcriber(params.transcriber).identity()]
        if not same_language(params.source_language, params.language):
            parts.append(ctx.registry.translator_for(params.source_language, params.language,
                                                     params.engine).identity())
        return " ".join(parts)

    def run(self, source: Video, params: DubParams, ctx: engine.Context) -> Video:
        if not source.has_audio:
            raise TransformError(f"{source.title!r} has no sound to dub",
                                 hint="give a video with speech")
        with ctx.within(0.0, 0.25):
            heard = transcribe_file(ctx, source.path, params.transcriber,
                                    primary(params.source_language))
        sentences = spoken_sentences(heard)
        if not sentences:
            raise TransformError(f"no speech was recognised in {ctx.source_name}",
                                 hint="dub a video with speech in it")
        texts = [text for text, _, _ in sentences]
        if not same_language(params.source_language, params.language):
            translator = ctx.registry.translator_for(params.source_language, params.language,
                                                     params.engine)
            with ctx.within(0.25, 0.3):
                texts = translated(translator, texts, source=params.source_language,
                                   target=params.language, glossary=tuple(params.glossary),
                                   ctx=ctx)
        placed = self._speak_and_fit(texts, sentences, source.duration, params, ctx)
        ctx.phase("mixing", fraction=0.7)
        out = ctx.work_dir / "dub.mp4"
        _mix(source, placed, out,
             progress=lambda fraction: ctx.phase("mixing", fraction=0.7 + 0.25 * fraction))
        engine_, info = ctx.registry.resolve_voice(params.voice)
        disclosure = {"synthetic-voice": f"the speech in this video was dubbed into "
                                         f"{params.language} by remixer with the synthetic "
                                         f"voice {engine_.name}:{info.name}",
                      **engine_.disclosure(info.name)}
        write_mp4_disclosure(out, disclosure)
        for key, value in disclosure.items():
            ctx.note(f"synthetic voice disclosure ({key}): {value}")
        captions = Transcript(language=params.language, duration=source.duration,
                              title=source.title,
                              segments=tuple(_segment(p, source.duration) for p in placed))
        ctx.metrics["sentences"] = len(placed)
        ctx.metrics["start_shifts"] = [round(p.start - p.original_start, 3) for p in placed]
        ctx.metrics["tempos"] = [p.tempo for p in placed]
        info_out = media.probe(out)
        return Video(path=out, duration=info_out.duration, width=source.width,
                     height=source.height, fps=source.fps, title=source.title,
                     captions=captions,
                     metadata={**source.metadata, "language": params.language,
                               **{f"disclosure:{k}": v for k, v in disclosure.items()}})

    def exports(self, artifact: Video):
        return video_exports(artifact)

    def _speak_and_fit(self, texts: list[str], sentences, duration: float, params: DubParams,
                       ctx: engine.Context) -> list[Placed]:
        engine_, info = ctx.registry.resolve_voice(params.voice)
        placed: list[Placed] = []
        free_from = 0.0
        for index, (text, (_, start, end)) in enumerate(zip(texts, sentences)):
            said = respell(text, params.pronunciation).spoken
            spoken = trim_silence(engine_.synthesize(said, info.name))
            natural = spoken.duration
            at = max(start, free_from)  # late only when the sentence before overran
            next_start = sentences[index + 1][1] if index + 1 < len(sentences) else duration
            to_end, to_next = max(end - at, 0.05), max(next_start - at, 0.05)
            tempo = natural / to_end
            if tempo > MAX_TEMPO:  # too long for its slot: take the pause after it too
                tempo = natural / to_next
            tempo = min(max(tempo, MIN_TEMPO), MAX_TEMPO)
            if natural / tempo > to_next + 0.001:
                ctx.note(f"sentence {index + 1} needs {natural / MAX_TEMPO:.2f} s at "
                         f"{MAX_TEMPO}x but has {to_next:.2f} s; the next one starts late")
            wav = media.write_wav(ctx.work_dir / f"s{index:04d}.wav", spoken.samples,
                                  spoken.sample_rate)
            seconds = natural / tempo
            placed.append(Placed(text, start, round(at, 3), round(tempo, 4), seconds, wav))
            free_from = at + seconds
            ctx.phase("speaking", index + 1, len(texts), "sentences",
                      fraction=0.3 + 0.4 * (index + 1) / len(texts))
        return placed


def _segment(p: Placed, duration: float) -> Segment:
    """The caption of one dubbed sentence, while it is heard (never past the video's end)."""
    end = min(round(p.start + p.seconds, 3), duration)
    segment = Segment(start=min(p.start, end), end=end, text=p.text)
    return segment.model_copy(update={"words": tuple(estimate_words(segment))})


def _mix(source: Video, placed: list[Placed], out: Path,
         progress: Callable[[float], None] | None = None) -> None:
    """One ffmpeg graph: every sentence at its tempo and start, over the original sound
    with its speech band cut, muxed with the original picture, at the input's length."""
    low, high = SPEECH_BAND_HZ
    centre, width = (low + high) / 2, high - low
    args = ["-y", "-i", media.media_path(source.path)]
    for p in placed:
        args += ["-i", media.media_path(p.wav)]
    chains = [f"[0:a]aformat=sample_rates=48000:channel_layouts=mono,"
              f"equalizer=f={centre:.0f}:t=h:w={width}:g={SPEECH_CUT_DB},"
              f"equalizer=f={centre:.0f}:t=h:w={width}:g={SPEECH_CUT_DB}[bed]"]
    for i, p in enumerate(placed, start=1):
        delay = int(round(p.start * 1000))
        chains.append(f"[{i}:a]aformat=sample_rates=48000:channel_layouts=mono,"
                      f"atempo={p.tempo:.4f},adelay={delay}:all=1[v{i}]")
    voices = "".join(f"[v{i}]" for i in range(1, len(placed) + 1))
    chains.append(f"[bed]{voices}amix=inputs={len(placed) + 1}:normalize=0:duration=first,"
                  f"alimiter=limit=0.9,apad,atrim=0:{source.duration:.3f}[aout]")
    args += ["-filter_complex", ";".join(chains), "-map", "0:v:0", "-map", "[aout]",
             "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-t", f"{source.duration:.3f}",
             "-movflags", "+faststart", media.media_path(out)]
    media.run_ffmpeg(args, what="mix the dubbed voice into the video", progress=progress,
                     duration=source.duration)


@engine.hookimpl
def register_transforms(register):
    register(Dub)
