"""Audio helpers shared by ``narration`` and ``podcast``: speaking, timing, mixing,
mastering and tagging.

* :func:`speak` turns a list of passages (each with its voice, chapter and speaker)
  into one WAV file per passage from sentences spoken once and cached
  (:mod:`plugins.audio.sentence_cache`), and returns where every sentence sits.
* :func:`timed_words` gives every script token a time: the sentence spans are exact
  (we wrote the audio), and inside a sentence the voice engine's own word timings are
  used (``timing: engine``), or the recogniser's words are aligned to the script
  (``plugins.speech.alignment.align``), or the sentence's time is shared in proportion
  to how long each word takes to say.
* :func:`mixed` joins the passages with pauses, optional intro/outro, and a music bed
  ducked under speech (``sidechaincompress``); :func:`mix` writes and measures such a
  mix (EBU R128) when its loudness cannot be predicted from the passages
  (:mod:`plugins.audio.loudness`).
* :func:`master` applies the gain under a 2x-oversampled true-peak limiter and writes
  the wav and the mp3, at the delivery's sample rate, in one run that also measures the
  master's loudness and true peak (a second run only when it misses by more than 0.5 LU
  or peaks too high); :func:`write_tags` writes ID3 tags, the voice
  engines' disclosure statements (TXXX), chapters (CHAP/CTOC, in time order) and a
  cover (APIC).

Every ffmpeg call goes through :mod:`engine.media`. numpy, ffmpeg-python and mutagen are
imported inside functions.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from engine import media
from engine.artifacts import Chapter, Word
from engine.errors import TransformError
from engine.transform import Context
from engine.voices import SentenceSpan, Utterance, VoiceEngine, sentence_plan, write_utterances

from plugins.audio.sentence_cache import Sentence, speak_sentences
from plugins.speech.lexicon import respell

#: the loudness of the finished file (EBU R128 integrated, podcast standard)
TARGET_LUFS = -16.0
#: true-peak ceiling of the limiter; below the -1 dBTP promise: limited at twice the
#: rate, the master's true peak lands 0.6-0.8 dB above it, and mp3 encoding's small
#: overshoots (``LAME_EFFECTS``) must stay under the promise too
TARGET_TP = -2.3
#: loudness lossy encoding takes away (LAME at 192k and 44.1 kHz, measured on our
#: voices): added to the first gain so one pass usually lands within tolerance; other
#: rates and bitrates: :data:`LAME_EFFECTS`
LOSSY_LOUDNESS_LOSS = 0.3
#: the gain at which a mix's limiter loss is measured: what our voices usually need
#: (their speech mixes at about -26 LUFS)
PROBE_GAIN = 10.0
#: the sample rate podcasts are delivered at (Apple's podcast spec), and the rate music,
#: intros and outros are mixed at; narration is delivered at its voice's own rate
MIX_RATE = 44100
#: the true-peak limiter runs at this many times the working rate (it then sees most of
#: the peaks between samples; the true peak of the result is measured, not assumed)
OVERSAMPLING = 2
#: what LAME does to our voices' masters, measured by ``bench/audio_speed.py --lame``
#: (hibari and piper, at their own rates, 44.1 and 48 kHz):
#: (lowest and highest sample rate, lowest and highest bitrate in kbit/s) ->
#: (loudness it takes away in LU, the most it raises the true peak over the mastering
#: run's meter in dB). Its lowpass takes the treble K-weighting counts: 0.4-0.5 LU up to
#: 160k, 0.2-0.3 at 192k, none at 256k; true peaks rose by at most 0.08 dB. In these
#: ranges the mp3 is not decoded again to be measured; elsewhere it is.
LAME_EFFECTS: dict[tuple[int, int, int, int], tuple[float, float]] = {
    (22050, 48000, 64, 160): (0.45, 0.1),
    (32000, 48000, 192, 192): (LOSSY_LOUDNESS_LOSS, 0.0),
    (32000, 48000, 256, 256): (0.0, 0.1),
}
#: the highest mp3 bitrate at sample rates below 32 kHz (MPEG-2 layer III)
MPEG2_MAX_KBPS = 160

Progress = Callable[[float], None]


# --------------------------------------------------------------------------- speaking

@dataclass(frozen=True)
class Passage:
    """A piece of text one voice speaks: a narration paragraph block or a podcast turn."""

    text: str
    engine: VoiceEngine
    voice: str
    speaker: str | None = None
    chapter: str | None = None


@dataclass
class Spoken:
    """A passage spoken into a WAV file, with its sentences' spans (file time)."""

    passage: Passage
    path: Path
    duration: float
    spans: list[SentenceSpan] = field(default_factory=list)


def speak(passages: Sequence[Passage], ctx: Context, *, speed: float = 1.0,
          progress: Callable[[int, int], None] | None = None,
          lexicon: Mapping[str, str] | None = None,
          on_passage: Callable[[Spoken], None] | None = None) -> list[Spoken]:
    """Every passage into its own WAV file in ``ctx.work_dir``, from sentences spoken
    once and cached (:mod:`plugins.audio.sentence_cache`), each said as the pronunciation
    ``lexicon`` says (the written sentence stays for timings); ``progress(done, total)``
    counts sentences; ``on_passage`` is given each passage as soon as it is written,
    while the later ones are still being spoken."""
    plans = [sentence_plan(p.text, speed) for p in passages]
    sentences = [Sentence(p.engine, p.voice, text, speed,
                          respell(text, lexicon) if lexicon else None)
                 for p, plan in zip(passages, plans) for text, _ in plan]
    speech = speak_sentences(sentences, ctx, progress)
    out: list[Spoken] = []
    for index, (passage, plan) in enumerate(zip(passages, plans)):
        path = ctx.work_dir / f"passage-{index:04d}.wav"
        duration, spans = write_utterances(
            [Utterance(text, next(speech), pause) for text, pause in plan], path)
        out.append(Spoken(passage, path, duration, spans))
        if on_passage is not None:
            on_passage(out[-1])
    next(speech, None)   # the speaker's bookkeeping ends after the last sentence
    return out


def spoken_text(spoken: Sequence[Spoken]) -> str:
    """The exact text the audio speaks: every sentence, in order (captions show this)."""
    return " ".join(span.text for s in spoken for span in s.spans)


# --------------------------------------------------------------------------- timing

def layout(spoken: Sequence[Spoken], gaps: Sequence[float], offset: float = 0.0) -> list[float]:
    """Where each passage starts in the mix: ``offset``, then each passage and its gap."""
    starts, at = [], offset
    for item, gap in zip(spoken, gaps):
        starts.append(at)
        at += item.duration + gap
    return starts


def timed_words(spoken: Sequence[Spoken], starts: Sequence[float],
                heard: Sequence[Word] | None = None, total: float | None = None, *,
                engine: bool = False, methods: dict[str, int] | None = None) -> list[Word]:
    """One timed word per whitespace token of every sentence, in mix time.

    Sentence boundaries come from synthesis (exact). Within a sentence, with ``engine``,
    the voice engine's own word timings are used where it gave them; otherwise the words
    heard there by a transcriber (``heard``, in mix time) are aligned to the script
    words; without either, the sentence's time is shared by how long each word takes to
    say. ``methods`` counts the sentences timed each way ("engine", "aligned",
    "estimated"). Times never go backwards and every word stays inside its sentence.
    """
    from plugins.speech.alignment import _spread, align

    heard = sorted((w for w in (heard or ()) if w.text.strip()), key=lambda w: w.start)
    words: list[Word] = []
    floor = 0.0
    for item, start in zip(spoken, starts):
        speaker = item.passage.speaker
        for span in item.spans:
            tokens = span.text.split()
            if not tokens:
                continue
            lo, hi = start + span.start, start + span.end
            if total is not None:
                lo, hi = min(lo, total), min(hi, total)
            inside = [w for w in heard if lo - 0.15 <= (w.start + w.end) / 2 <= hi + 0.15]
            if engine and len(span.words) == len(tokens):
                method = "engine"
                timed = [(start + w.start, start + w.end) for w in span.words]
            elif inside:
                method = "aligned"
                timed = [(w.start, w.end) for w in align(span.text, inside, duration=hi)]
            else:
                method = "estimated"
                timed = _spread(tokens, lo, hi)
            if methods is not None:
                methods[method] = methods.get(method, 0) + 1
            for token, (a, b) in zip(tokens, timed):
                a = min(max(a, lo, floor), hi)
                b = min(max(b, a), hi)
                words.append(Word(text=token, start=round(a, 3), end=round(b, 3),
                                  speaker=speaker))
                floor = a
    return words


def engine_timed(spoken: Sequence[Spoken]) -> bool:
    """Whether the voice engines gave word timings for every sentence (then
    ``timing: engine`` needs no transcriber at all)."""
    return all(len(span.words) == len(span.text.split()) for s in spoken for span in s.spans)


def chapters_of(spoken: Sequence[Spoken], starts: Sequence[float], total: float,
                *, first_start: float = 0.0) -> list[Chapter]:
    """One chapter per run of passages with the same chapter title, back to back: each
    ends where the next begins, the first starts at ``first_start``, the last ends at
    ``total``."""
    marks: list[tuple[str, float]] = []
    for item, start in zip(spoken, starts):
        title = item.passage.chapter
        if title and (not marks or marks[-1][0] != title):
            marks.append((title, start))
    chapters = []
    for i, (title, start) in enumerate(marks):
        begin = first_start if i == 0 else start
        end = marks[i + 1][1] if i + 1 < len(marks) else total
        chapters.append(Chapter(title=title, start=round(begin, 3), end=round(max(end, begin), 3)))
    return chapters


def pause(seconds: float, key: str, spread: float = 0.25) -> float:
    """``seconds`` varied by up to +-``spread`` (a fraction), the same for the same key:
    natural, never identical, and deterministic (so the cache and tests are stable)."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    unit = int.from_bytes(digest[:4], "big") / 0xFFFFFFFF   # [0, 1]
    return round(max(seconds * (1 + spread * (2 * unit - 1)), 0.0), 3)


# --------------------------------------------------------------------------- mixing

@dataclass(frozen=True)
class MixLevel:
    """What mastering needs to know of a mix, measured while mixing."""

    loudness: media.Loudness
    #: LU the true-peak limiter takes from the mix at about the gain mastering will apply
    limiter_loss: float = 0.0


@dataclass(frozen=True)
class Bed:
    """Music under the speech: its file, its level, and how hard it ducks."""

    path: Path
    volume: float = 0.25
    #: sidechaincompress ratio: how hard speech pushes the music down (8: by ~10 dB)
    duck_ratio: float = 8.0


def mixed(spoken: Sequence[Spoken], gaps: Sequence[float], *, intro: Path | None = None,
          outro: Path | None = None, bed: Bed | None = None, sample_rate: int = MIX_RATE):
    """The ffmpeg stream of the passages (each followed by its gap), optional intro and
    outro, and an optional music bed ducked under the speech, mono at ``sample_rate``."""
    import ffmpeg

    # ffmpeg-python makes one input of equal inputs, so a file used twice (one sting as
    # intro and outro) is read once and split
    uses = Counter(str(p) for p in [intro, *(item.path for item in spoken), outro] if p)
    copies: dict[str, list] = {}

    def prepared(path: Path):
        key = str(path)
        if key not in copies:
            stream = (ffmpeg.input(media.media_path(path)).audio
                      .filter("aresample", sample_rate)
                      .filter("aformat", sample_fmts="fltp", channel_layouts="mono"))
            split = stream.filter_multi_output("asplit", uses[key]) if uses[key] > 1 else None
            copies[key] = [split[i] for i in range(uses[key])] if split else [stream]
        return copies[key].pop()

    parts = []
    if intro is not None:
        parts.append(prepared(intro))
    for item, gap in zip(spoken, gaps):
        stream = prepared(item.path)
        if gap > 0:
            stream = stream.filter("apad", pad_dur=f"{gap:.3f}")
        parts.append(stream)
    if outro is not None:
        parts.append(prepared(outro))
    if not parts:
        raise TransformError("there is nothing to mix", hint="give the step some text")
    speech = ffmpeg.concat(*parts, v=0, a=1) if len(parts) > 1 else parts[0]
    if bed is None:
        return speech
    split = speech.filter_multi_output("asplit", 2)
    voice, key = split[0], split[1]
    music = (ffmpeg.input(media.media_path(bed.path), stream_loop=-1).audio
             .filter("aresample", sample_rate)
             .filter("aformat", sample_fmts="fltp", channel_layouts="mono")
             .filter("volume", f"{bed.volume:.4f}"))
    ducked = ffmpeg.filter([music, key], "sidechaincompress", threshold=0.015,
                           ratio=bed.duck_ratio, attack=40, release=450, makeup=1)
    return ffmpeg.filter([voice, ducked], "amix", inputs=2, duration="first",
                         dropout_transition=0, normalize=0)


def mix(spoken: Sequence[Spoken], gaps: Sequence[float], dst: Path, *,
        intro: Path | None = None, outro: Path | None = None, bed: Bed | None = None,
        sample_rate: int = MIX_RATE) -> MixLevel:
    """Write the mix (:func:`mixed`) to the WAV ``dst`` and measure it in the same run:
    its integrated loudness and, on a second branch, what a limiter at the usual gain
    takes away (sample-rate limiter: cheap, close to the 4x one). For mixes whose
    loudness cannot be predicted from the passages (music, intro, outro)."""
    import ffmpeg

    split = mixed(spoken, gaps, intro=intro, outro=outro, bed=bed,
                  sample_rate=sample_rate).filter_multi_output("asplit", 2)
    outputs = [split[0].filter("ebur128").output(media.media_path(dst), format="wav",
                                                 acodec="pcm_s16le", ar=sample_rate, ac=1),
               split[1].filter("volume", f"{PROBE_GAIN:.2f}dB")
               .filter("alimiter", limit=f"{10 ** (TARGET_TP / 20):.5f}", attack=1,
                       release=60, level="false", latency="true")
               .filter("ebur128", peak="sample")
               .output("-", format="null")]
    result = media.run_ffmpeg(["-y", *media.graph_args(ffmpeg.merge_outputs(*outputs))],
                              what="mix the podcast audio", loglevel="info")
    summaries = media.loudness_summaries(result)
    raw = [m for m in summaries if math.isnan(m.true_peak_dbfs)]
    probed = [m for m in summaries if not math.isnan(m.true_peak_dbfs)]
    if not raw:
        raise TransformError("ffmpeg did not measure the loudness of the mix",
                             hint="run with --debug and report it")
    loss = 0.0
    if probed and raw[0].integrated_lufs > -70:
        loss = max(raw[0].integrated_lufs + PROBE_GAIN - probed[0].integrated_lufs, 0.0)
    return MixLevel(raw[0], round(loss, 2))


def wav_stream(path: Path):
    """The ffmpeg stream of a written mix, to master it."""
    import ffmpeg

    return ffmpeg.input(media.media_path(path)).audio


def media_duration(path: Path) -> float:
    return media.probe(path).duration


def wav_rate(path: Path) -> int:
    """The sample rate of a WAV this module wrote (read from its header)."""
    import wave

    with wave.open(str(path), "rb") as source:
        return source.getframerate()


def wav_duration(path: Path) -> float:
    """The duration of a WAV this module wrote, from its header (no ffmpeg run)."""
    import wave

    with wave.open(str(path), "rb") as source:
        return source.getnframes() / source.getframerate()


# --------------------------------------------------------------------------- mastering

def _limited(stream, gain_db: float, true_peak: float, work_rate: int, sample_rate: int):
    """``stream`` (at ``work_rate``) with one gain applied and true peaks held under
    ``true_peak``, at ``sample_rate``.

    The limiter runs at ``OVERSAMPLING`` times the working rate, so it sees most of the
    peaks between samples (true peak, ITU-R BS.1770) and not only the samples
    themselves; the SoX resampler (in the bundled ffmpeg and Debian's) does the
    oversampling at about half the cost of ffmpeg's own at the same quality, and brings
    the result straight to the delivery rate. Twice the rate costs 0.4 s of CPU less
    than four times on an 8.8-minute narration and leaves the delivered true peak about
    0.2 dB higher, which the ceiling (``TARGET_TP``) allows for; :func:`deliver` measures
    it on the way. The limiter only touches
    the rare peaks above the ceiling, so the balance of pauses, voices and music stays
    as mixed (a single linear gain, unlike loudnorm's dynamic mode).
    """
    return (stream.filter("volume", f"{gain_db:.3f}dB", precision="double")
            .filter("aresample", OVERSAMPLING * work_rate, resampler="soxr")
            .filter("alimiter", limit=f"{10 ** (true_peak / 20):.5f}", attack=1, release=60,
                    level="false", latency="true")
            .filter("aresample", sample_rate, resampler="soxr")
            .filter("aformat", sample_fmts="fltp", sample_rates=sample_rate,
                    channel_layouts="mono"))


#: a limited stream and the extra outputs its run must write, at (gain, true-peak ceiling)
Build = Callable[[float, float], tuple[Any, list]]


def whole_mix(path: Path, sample_rate: int = MIX_RATE) -> Build:
    """Mastering a written mix (:func:`mix`, at ``MIX_RATE``) as a whole, delivered at
    ``sample_rate``."""
    return lambda gain, ceiling: (_limited(wav_stream(path), gain, ceiling, MIX_RATE,
                                           sample_rate), [])


@dataclass(frozen=True)
class Part:
    """Consecutive passages mastered together (a chapter's): their master is written
    to ``master`` at the gain and ceiling used, and a later render at the same gain reads
    it back instead of limiting them again (``cached_at``: the gain it holds)."""

    spoken: tuple[Spoken, ...]
    gaps: tuple[float, ...]
    master: Path
    cached_at: float | None = None


def chapter_parts(spoken: Sequence[Spoken], gaps: Sequence[float], work: Path) -> list[Part]:
    """The passages in runs of one chapter each, every passage with its following gap."""
    parts: list[Part] = []
    start = 0
    for end in range(1, len(spoken) + 1):
        if end == len(spoken) or spoken[end].passage.chapter != spoken[start].passage.chapter:
            parts.append(Part(tuple(spoken[start:end]), tuple(gaps[start:end]),
                              work / f"part-{len(parts):04d}.wav"))
            start = end
    return parts


def parts_mix(parts: Sequence[Part], work_rate: int, sample_rate: int = MIX_RATE) -> Build:
    """Mastering speech by chapter parts, in one run, delivered at ``sample_rate``: a part
    mastered before at the same gain and ceiling (``TARGET_TP``) is read back; the others
    are mixed from their passages at ``work_rate`` and limited (all of them as one stream
    when none was mastered before). The limiter lets go within 60 ms, far shorter than
    any pause, so limiting part by part sounds as limiting the whole."""
    import ffmpeg

    def build(gain: float, ceiling: float):
        reused = [p.cached_at == gain and ceiling == TARGET_TP for p in parts]
        if not any(reused):
            spoken = [s for p in parts for s in p.spoken]
            gaps = [g for p in parts for g in p.gaps]
            return _limited(mixed(spoken, gaps, sample_rate=work_rate), gain, ceiling,
                            work_rate, sample_rate), []
        streams = [wav_stream(p.master).filter("aformat", sample_fmts="fltp",
                                               sample_rates=sample_rate,
                                               channel_layouts="mono")
                   if cached else
                   _limited(mixed(p.spoken, p.gaps, sample_rate=work_rate), gain, ceiling,
                            work_rate, sample_rate)
                   for p, cached in zip(parts, reused)]
        return (ffmpeg.concat(*streams, v=0, a=1) if len(streams) > 1 else streams[0]), []
    return build


def cut_parts(master: Path, parts: Sequence[Part]) -> None:
    """Write each part's stretch of the finished ``master`` (a 16-bit mono wav) to its
    ``master`` file, cut where the layout puts the part; parts read from the cache are
    left as they are."""
    import wave

    with wave.open(str(master), "rb") as source:
        frames, rate = source.getnframes(), source.getframerate()
        at = 0.0
        for part in parts:
            length = sum(s.duration for s in part.spoken) + sum(part.gaps)
            first = min(int(round(at * rate)), frames)
            last = frames if part is parts[-1] else min(int(round((at + length) * rate)),
                                                        frames)
            at += length
            if part.cached_at is not None:
                continue
            source.setpos(first)
            with wave.open(str(part.master), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(rate)
                out.writeframes(source.readframes(last - first))


#: bump when the mastering chain changes: parts mastered before are kept by it
MASTERING_VERSION = "2"   # 2: limited at twice the working rate, delivered at any rate
#: a gain used before for the same voices is used again when the prediction is this
#: close to it, so the unchanged parts of an edited script come back from the cache
#: instead of being limited again. 0.3 dB is inaudible and well inside mastering's
#: 0.5 LU tolerance (which still measures, and corrects a miss); editing one sentence of
#: a short script moves its predicted gain by 0.2-0.3 dB, so a tighter window would
#: remaster everything after small edits
GAIN_REUSE_DB = 0.3
_PART = "mastered-part"


def _part_key(part: Part, gain: float, work_rate: int, sample_rate: int) -> dict:
    from engine.artifacts import file_sha256

    return {"passages": [file_sha256(s.path) for s in part.spoken], "gaps": list(part.gaps),
            "gain": gain, "ceiling": TARGET_TP, "work_rate": work_rate,
            "sample_rate": sample_rate, "version": MASTERING_VERSION}


def cached_parts(spoken: Sequence[Spoken], gaps: Sequence[float], gain: float,
                 work_rate: int, sample_rate: int, ctx: Context) -> list[Part]:
    """The chapter parts (:func:`chapter_parts`), each read back from the step cache
    when it was mastered before at ``gain`` for delivery at ``sample_rate``."""
    from engine.artifacts import Audio

    parts = []
    for part in chapter_parts(spoken, gaps, ctx.work_dir):
        hit = ctx.recall(_PART, _part_key(part, gain, work_rate, sample_rate))
        if isinstance(hit, Audio) and hit.path.is_file():
            part = Part(part.spoken, part.gaps, hit.path, gain)
        parts.append(part)
    return parts


def keep_parts(parts: Sequence[Part], master: Path, gain: float, ceiling: float,
               work_rate: int, sample_rate: int, ctx: Context) -> int:
    """Store in the step cache each part of the finished ``master`` (made at ``gain`` and
    ``ceiling``, at ``sample_rate``) that did not come from it (:func:`cut_parts`);
    returns how many did."""
    from engine.artifacts import Audio

    if ceiling != TARGET_TP:   # a corrected ceiling: nothing a later render would ask for
        return 0
    reused = [p for p in parts if p.cached_at == gain]
    # the others are cut afresh into the scratch folder (never over a cached file)
    fresh = [p if p.cached_at == gain else
             Part(p.spoken, p.gaps, ctx.work_dir / f"part-{i:04d}.wav")
             for i, p in enumerate(parts)]
    cut_parts(master, fresh)
    for part in fresh:
        if part.cached_at is None:
            seconds = sum(s.duration for s in part.spoken) + sum(part.gaps)
            ctx.remember(_PART, _part_key(part, gain, work_rate, sample_rate),
                         Audio(path=part.master, duration=round(seconds, 3),
                               sample_rate=sample_rate))
    return len(reused)


@dataclass(frozen=True)
class Delivery:
    """The files mastering writes, and their sample rate."""

    wav: Path
    mp3: Path | None = None
    bitrate: str = "192k"
    sample_rate: int = MIX_RATE

    @property
    def lame_effect(self) -> tuple[float, float] | None:
        """(loudness LAME takes away in LU, the most it raises the true peak in dB) when
        known for this rate and bitrate (:data:`LAME_EFFECTS`; then the mp3 is not decoded
        to be measured), else None."""
        kbps = int(self.bitrate.rstrip("k"))
        return next((effect for (low, high, least, most), effect in LAME_EFFECTS.items()
                     if low <= self.sample_rate <= high and least <= kbps <= most), None)

    @property
    def lossy_loss(self) -> float:
        """The loudness the mp3 is expected to lose, added to the first gain."""
        if self.mp3 is None:
            return 0.0
        effect = self.lame_effect
        return effect[0] if effect else LOSSY_LOUDNESS_LOSS


def delivery(work: Path, stem: str, bitrate: str, sample_rate: int = MIX_RATE) -> Delivery:
    """Where mastering writes ``STEM.wav`` and ``STEM.mp3`` in ``work``, at
    ``sample_rate``."""
    return Delivery(work / f"{stem}.wav", work / f"{stem}.mp3", bitrate, sample_rate)


def mp3_bitrate(bitrate: str, sample_rate: int) -> str:
    """``bitrate``, or the highest mp3 allows at ``sample_rate`` when it is lower (below
    32 kHz, MPEG-2 layer III stops at 160 kbit/s)."""
    if sample_rate < 32000 and int(bitrate.rstrip("k")) > MPEG2_MAX_KBPS:
        return f"{MPEG2_MAX_KBPS}k"
    return bitrate


#: the true peak is measured on the delivered signal upsampled this many times (ITU-R
#: BS.1770's meter oversamples 4x)
PEAK_OVERSAMPLING = 4
_PEAK_LEVEL = re.compile(r"Peak level dB:\s*(-?[\d.]+|-?inf)")


def deliver(limited, extra: list, out: Delivery, *, progress: Progress | None = None,
            duration: float | None = None) -> media.Loudness:
    """One ffmpeg run: the ``limited`` master written to the 16-bit wav and the mp3 at
    ``out.sample_rate`` (LAME's fast mode, compression level 7: about twice as fast as its
    default, with the same loudness and peaks on our speech), measured on the way, with
    the ``extra`` outputs its graph needs. Returns the measurement; ``progress`` gets the
    fraction written when the ``duration`` expected is given.

    Loudness is ffmpeg's ``ebur128`` (without its frame log) on the way to the wav (it
    passes the audio through unchanged); the true peak is the highest sample of the
    delivered signal upsampled 4x by the SoX resampler (``astats``). That is the
    true-peak meter of ITU-R BS.1770 with a sharper interpolation filter: on our speech
    it reads the same as ``ebur128=peak=true`` or up to 0.15 dB higher (never lower), at
    half the cost. The meter's branch passes on only its first frame, so no upsampled
    audio is handed to an output."""
    import ffmpeg

    rate = out.sample_rate
    branches = limited.filter_multi_output("asplit", 3 if out.mp3 is not None else 2)
    outputs = [branches[0].filter("ebur128", framelog="verbose")
               .output(media.media_path(out.wav), format="wav", acodec="pcm_s16le", ar=rate,
                       ac=1),
               _peak_meter(branches[1], rate), *extra]
    if out.mp3 is not None:
        outputs.append(branches[2].output(media.media_path(out.mp3), format="mp3",
                                          **lame_options(out), ar=rate, ac=1))
    what = f"master {out.wav.stem!r}"
    result = media.run_ffmpeg(["-y", *media.graph_args(ffmpeg.merge_outputs(*outputs))],
                              what=what, loglevel="info", progress=progress, duration=duration)
    loudness = media.loudness_of(result, what)
    return media.Loudness(loudness.integrated_lufs, loudness.range_lu,
                          _true_peak(result, what))


def lame_options(out: Delivery) -> dict[str, Any]:
    """LAME's options for the delivery's mp3 (its fast mode, compression level 7)."""
    return {"b:a": out.bitrate, "compression_level": 7}


def _peak_meter(stream, rate: int):
    """The true-peak meter's null output (see :func:`deliver`)."""
    return (stream.filter("aresample", PEAK_OVERSAMPLING * rate, resampler="soxr")
            .filter("astats", measure_overall="Peak_level", measure_perchannel="none")
            .filter("aselect", "eq(n,0)").output("-", format="null"))


def _true_peak(result: media.FFmpegResult, what: str) -> float:
    peaks = _PEAK_LEVEL.findall(result.stderr)
    if not peaks:
        raise media.media_error(what, result.stderr, result.argv)
    return round(float(peaks[-1]), 2)


def limit_part(spoken: Sequence[Spoken], gaps: Sequence[float], dst: Path, *, gain_db: float,
               work_rate: int, sample_rate: int, true_peak: float = TARGET_TP) -> float:
    """Passages (each with its gap) mixed at ``work_rate``, given ``gain_db`` under the
    true-peak limiter (:func:`_limited`) and written to the 16-bit wav ``dst`` at
    ``sample_rate``, in one ffmpeg run that returns their true peak (dBTP): a stretch of
    a master made apart from the rest (:mod:`plugins.audio.streaming`)."""
    import ffmpeg

    branches = _limited(mixed(spoken, gaps, sample_rate=work_rate), gain_db, true_peak,
                        work_rate, sample_rate).filter_multi_output("asplit", 2)
    outputs = [branches[0].output(media.media_path(dst), format="wav", acodec="pcm_s16le",
                                  ar=sample_rate, ac=1),
               _peak_meter(branches[1], sample_rate)]
    what = f"master {dst.stem!r}"
    result = media.run_ffmpeg(["-y", *media.graph_args(ffmpeg.merge_outputs(*outputs))],
                              what=what, loglevel="info")
    return _true_peak(result, what)


def delivered_loudness(master: media.Loudness, out: Delivery) -> media.Loudness:
    """The loudness of the file people get: the master's own without an mp3; with one at
    a rate and bitrate where LAME's effect is known (:attr:`Delivery.lame_effect`), the
    master's less the loudness LAME takes, its true peak plus the most LAME adds;
    otherwise the mp3 decoded and measured."""
    if out.mp3 is None:
        return master
    effect = out.lame_effect
    if effect is not None:
        loss, rise = effect
        return media.Loudness(round(master.integrated_lufs - loss, 2), master.range_lu,
                              round(master.true_peak_dbfs + rise, 2))
    return media.measure_loudness(out.mp3)


def master(build: Build, out: Delivery, *, gain_db: float, silent: bool = False,
           target: float = TARGET_LUFS, true_peak: float = TARGET_TP,
           tolerance: float = 0.5, peak_limit: float = -1.2,
           progress: Progress | None = None, duration: float | None = None
           ) -> tuple[media.Loudness, float, float, int]:
    """Loudness normalisation into ``out``: the master ``build`` makes at ``gain_db``
    (predicted from the passages, or measured while mixing) under a true-peak limiter,
    in one ffmpeg run that also measures it (:func:`deliver`). When the delivered file
    (:func:`delivered_loudness`) is more than ``tolerance`` LU off ``target``, or its true
    peak is above ``peak_limit``, gain and ceiling are corrected and the run repeated (at
    most twice more). ``silent``: nothing to gain, one run. Returns the delivered file's
    loudness, the gain and ceiling applied and the number of runs; ``progress`` and
    ``duration`` as for :func:`deliver`."""
    gain, ceiling, runs = gain_db, true_peak, 0
    for _ in range(3):
        limited, extra = build(gain, ceiling)
        measured = delivered_loudness(
            deliver(limited, extra, out, progress=progress, duration=duration), out)
        runs += 1
        if silent:
            break
        miss = target - measured.integrated_lufs
        over = measured.true_peak_dbfs - peak_limit
        if abs(miss) <= tolerance and over <= 0:
            break
        gain = round(gain + miss, 2)
        if over > 0:
            ceiling -= over + 0.2
    return measured, gain, ceiling, runs


# --------------------------------------------------------------------------- tagging

@dataclass(frozen=True)
class Tags:
    title: str
    artist: str
    album: str = ""
    comment: str = ""
    #: extra TXXX frames (the voice engines' disclosure statements)
    extra: dict[str, str] = field(default_factory=dict)
    chapters: tuple[Chapter, ...] = ()
    cover: bytes | None = None
    cover_mime: str = "image/png"


def write_tags(mp3: Path, tags: Tags) -> None:
    """ID3v2.4 tags: title, artist, album, comment, TXXX extras, CHAP/CTOC chapters and
    an APIC front cover. Deterministic (no dates), so identical inputs give identical
    files."""
    from mutagen.id3 import (APIC, CHAP, COMM, CTOC, ID3, TALB, TIT2, TPE1, TXXX, CTOCFlags,
                             ID3NoHeaderError)

    try:
        ID3(str(mp3)).delete(str(mp3))
    except ID3NoHeaderError:
        pass
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TPE1(encoding=3, text=tags.artist))
    if tags.album:
        id3.add(TALB(encoding=3, text=tags.album))
    if tags.comment:
        id3.add(COMM(encoding=3, lang="eng", desc="", text=tags.comment))
    for key, value in tags.extra.items():
        id3.add(TXXX(encoding=3, desc=key, text=value))
    if tags.chapters:
        ids = chapter_ids([c.title for c in tags.chapters])
        id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                     child_element_ids=ids, sub_frames=[TIT2(encoding=3, text="Chapters")]))
        for cid, chapter in zip(ids, tags.chapters):
            id3.add(CHAP(element_id=cid, start_time=int(round(chapter.start * 1000)),
                         end_time=int(round(chapter.end * 1000)),
                         sub_frames=[TIT2(encoding=3, text=chapter.title)]))
    if tags.cover:
        id3.add(APIC(encoding=3, mime=tags.cover_mime, type=3, desc="Cover", data=tags.cover))
    id3.save(str(mp3), v2_version=4)


def chapter_ids(titles: Sequence[str]) -> list[str]:
    """CHAP element ids that keep chapters in time order in the file.

    mutagen writes frames sorted by size, then by id; ffmpeg (and players built on it)
    list CHAP frames in file order, so chapters with titles of different lengths came out
    shuffled. The ids (never shown) are padded so every CHAP frame has the same size,
    and numbered with zeros so the id sorts in time order."""
    width = len(str(len(titles) - 1))
    sizes = [len(t.encode("utf-8")) for t in titles]
    return [f"chp{i:0{width}d}" + "_" * (max(sizes) - size) for i, size in enumerate(sizes)]


def image_mime(path: Path) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}.get(
        path.suffix.lower(), "image/png")


def disclosures(pairs: Sequence[tuple[VoiceEngine, str]]) -> dict[str, str]:
    """Every voice's disclosure entries, merged (the same key from two voices joined)."""
    merged: dict[str, str] = {}
    for engine, voice in pairs:
        for key, value in engine.disclosure(voice).items():
            if key in merged and value not in merged[key].split(" | "):
                merged[key] = f"{merged[key]} | {value}"
            else:
                merged.setdefault(key, value)
    return merged
