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
* :func:`mix` joins the passages with pauses, optional intro/outro, and a music bed
  ducked under speech (``sidechaincompress``), in one ffmpeg run that also measures the
  mix's integrated loudness (EBU R128).
* :func:`master` applies the gain that measurement calls for under a 4x-oversampled
  true-peak limiter and writes the wav and the mp3 in one run, then checks the mp3
  (a second run only when it misses by more than 0.5 LU); :func:`write_tags` writes ID3
  tags, the voice engines' disclosure statements (TXXX), chapters (CHAP/CTOC, in time
  order) and a cover (APIC).

Every ffmpeg call goes through :mod:`engine.media`. numpy, ffmpeg-python and mutagen are
imported inside functions.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from engine import media
from engine.artifacts import Chapter, Word
from engine.errors import TransformError
from engine.transform import Context
from engine.voices import SentenceSpan, Utterance, VoiceEngine, sentence_plan, write_utterances

from plugins.audio.sentence_cache import Sentence, speak_sentences
from plugins.speech.lexicon import respell

#: the loudness of the finished file (EBU R128 integrated, podcast standard)
TARGET_LUFS = -16.0
#: true-peak ceiling of the limiter; below the -1 dBTP promise so mp3 encoding's
#: small overshoots stay under it
TARGET_TP = -2.0
#: loudness lossy encoding takes away (LAME at 192k, measured on our voices): added to
#: the first gain so one pass usually lands within tolerance
LOSSY_LOUDNESS_LOSS = 0.3
#: the gain at which a mix's limiter loss is measured: what our voices usually need
#: (their speech mixes at about -26 LUFS)
PROBE_GAIN = 10.0
#: the sample rate the mix and the finished files use
MIX_RATE = 44100

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
          lexicon: Mapping[str, str] | None = None) -> list[Spoken]:
    """Every passage into its own WAV file in ``ctx.work_dir``, from sentences spoken
    once and cached (:mod:`plugins.audio.sentence_cache`), each said as the pronunciation
    ``lexicon`` says (the written sentence stays for timings); ``progress(done, total)``
    counts sentences."""
    plans = [sentence_plan(p.text, speed) for p in passages]
    sentences = [Sentence(p.engine, p.voice, text, speed,
                          respell(text, lexicon) if lexicon else None)
                 for p, plan in zip(passages, plans) for text, _ in plan]
    speech = iter(speak_sentences(sentences, ctx, progress))
    out: list[Spoken] = []
    for index, (passage, plan) in enumerate(zip(passages, plans)):
        path = ctx.work_dir / f"passage-{index:04d}.wav"
        duration, spans = write_utterances(
            [Utterance(text, next(speech), pause) for text, pause in plan], path)
        out.append(Spoken(passage, path, duration, spans))
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
    #: the gain the master files were already written at by the mix run, if they were
    mastered_at: float | None = None


@dataclass(frozen=True)
class Bed:
    """Music under the speech: its file, its level, and how hard it ducks."""

    path: Path
    volume: float = 0.25
    #: sidechaincompress ratio: how hard speech pushes the music down (8: by ~10 dB)
    duck_ratio: float = 8.0


def mix(spoken: Sequence[Spoken], gaps: Sequence[float], dst: Path, *,
        intro: Path | None = None, outro: Path | None = None, bed: Bed | None = None,
        sample_rate: int = MIX_RATE, master: "Delivery | None" = None) -> "MixLevel":
    """Join the passages (each followed by its gap), optional intro and outro, and an
    optional music bed ducked under the speech, into a mono WAV at ``sample_rate``.
    Returns the mix's loudness and the limiter's expected loss, measured in the same
    run (mastering's first pass). With ``master`` (a gain known from earlier renders
    with the same voices), the same run also writes the master wav and mp3 at that
    gain, and :func:`master` only checks them."""
    import ffmpeg

    def prepared(path: Path):
        return (ffmpeg.input(media.media_path(path)).audio
                .filter("aresample", sample_rate)
                .filter("aformat", sample_fmts="fltp", channel_layouts="mono"))

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
    if bed is not None:
        split = speech.filter_multi_output("asplit", 2)
        voice, key = split[0], split[1]
        music = (ffmpeg.input(media.media_path(bed.path), stream_loop=-1).audio
                 .filter("aresample", sample_rate)
                 .filter("aformat", sample_fmts="fltp", channel_layouts="mono")
                 .filter("volume", f"{bed.volume:.4f}"))
        ducked = ffmpeg.filter([music, key], "sidechaincompress", threshold=0.015,
                               ratio=bed.duck_ratio, attack=40, release=450, makeup=1)
        speech = ffmpeg.filter([voice, ducked], "amix", inputs=2, duration="first",
                               dropout_transition=0, normalize=0)
    # the mix's integrated loudness (no peaks: the limiter runs whatever they are, and the
    # delivered file's true peak is measured); on a second branch, either the master at
    # the gain expected (``master``), or what a limiter at the usual gain takes away
    # (sample-rate limiter: cheap, close to the 4x one)
    split = speech.filter_multi_output("asplit", 2)
    mixed, second = split[0], split[1]
    outputs = [mixed.filter("ebur128").output(media.media_path(dst), format="wav",
                                              acodec="pcm_s16le", ar=sample_rate, ac=1)]
    if master is not None:
        outputs += _delivered(_limited(second, master.gain_db, TARGET_TP, sample_rate),
                              master.wav, master.mp3, master.bitrate, sample_rate)
    else:
        outputs.append(second.filter("volume", f"{PROBE_GAIN:.2f}dB")
                       .filter("alimiter", limit=f"{10 ** (TARGET_TP / 20):.5f}", attack=1,
                               release=60, level="false", latency="true")
                       .filter("ebur128", peak="sample")
                       .output("-", format="null"))
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
    return MixLevel(raw[0], round(loss, 2), master.gain_db if master else None)


def media_duration(path: Path) -> float:
    return media.probe(path).duration


# --------------------------------------------------------------------------- mastering

def _limited(stream, gain_db: float, true_peak: float, sample_rate: int):
    """``stream`` with one gain applied and true peaks held under ``true_peak``.

    The limiter runs at four times the sample rate, so it sees the peaks between
    samples (true peak, ITU-R BS.1770) and not only the samples themselves; the SoX
    resampler (in the bundled ffmpeg and Debian's) does the oversampling at about half
    the cost of ffmpeg's own at the same quality. It only touches the rare peaks above
    the ceiling, so the balance of pauses, voices and music stays as mixed (a single
    linear gain, unlike loudnorm's dynamic mode).
    """
    return (stream.filter("volume", f"{gain_db:.3f}dB", precision="double")
            .filter("aresample", 4 * sample_rate, resampler="soxr")
            .filter("alimiter", limit=f"{10 ** (true_peak / 20):.5f}", attack=1, release=60,
                    level="false", latency="true")
            .filter("aresample", sample_rate, resampler="soxr"))


def _delivered(stream, wav: Path, mp3: Path | None, bitrate: str, sample_rate: int) -> list:
    """Outputs writing ``stream`` to the 16-bit ``wav`` and, when given, the ``mp3``
    (LAME's fast mode, compression level 7: about twice as fast as its default, and at
    192k the same loudness and peaks on our speech)."""
    branches = stream.filter_multi_output("asplit", 2) if mp3 is not None else [stream]
    outputs = [branches[0].output(media.media_path(wav), format="wav", acodec="pcm_s16le",
                                  ar=sample_rate, ac=1)]
    if mp3 is not None:
        outputs.append(branches[1].output(media.media_path(mp3), format="mp3",
                                          **{"b:a": bitrate, "compression_level": 7},
                                          ar=sample_rate, ac=1))
    return outputs


def normalize(src: Path, dst: Path, *, gain_db: float, true_peak: float = TARGET_TP,
              sample_rate: int = MIX_RATE, mp3: Path | None = None,
              bitrate: str = "192k") -> None:
    """Apply one gain to the whole of ``src`` under a true-peak limiter (:func:`_limited`),
    into the WAV ``dst`` and, in the same run, the mp3 ``mp3``."""
    import ffmpeg

    limited = _limited(ffmpeg.input(media.media_path(src)).audio, gain_db, true_peak,
                       sample_rate)
    graph = ffmpeg.merge_outputs(*_delivered(limited, dst, mp3, bitrate, sample_rate))
    media.run_ffmpeg(["-y", *media.graph_args(graph)], what=f"normalise {src.name!r}")


@dataclass(frozen=True)
class Delivery:
    """The files mastering writes, at a gain: what :func:`mix` may write directly."""

    gain_db: float
    wav: Path
    mp3: Path | None = None
    bitrate: str = "192k"


def delivery(work: Path, stem: str, bitrate: str, gain_db: float = 0.0) -> Delivery:
    """Where mastering writes ``STEM.wav`` and ``STEM.mp3`` in ``work``."""
    return Delivery(gain_db, work / f"{stem}.wav", work / f"{stem}.mp3", bitrate)


def master_to_files(mixed: Path, first: MixLevel, out: Delivery, *,
                    target: float = TARGET_LUFS):
    """Master ``mixed`` (whose loudness ``first`` was measured while mixing) into the
    files of ``out`` at ``target`` LUFS: returns the measured loudness of the delivered
    mp3, the duration, the gain applied and how many ffmpeg runs it took (0: the mix run
    wrote them)."""
    loudness, gain, runs = master(mixed, out.wav, first, mp3=out.mp3, bitrate=out.bitrate,
                                  target=target)
    return loudness, media_duration(out.wav), gain, runs


def master(src: Path, wav: Path, level: MixLevel, *, mp3: Path | None = None,
           bitrate: str = "192k", target: float = TARGET_LUFS, true_peak: float = TARGET_TP,
           tolerance: float = 0.5, peak_limit: float = -1.2
           ) -> tuple[media.Loudness, float, int]:
    """Loudness normalisation of ``src`` into the 16-bit WAV ``wav`` (and ``mp3``).

    ``level`` is the integrated loudness of ``src`` (EBU R128) and what the limiter will
    take away, measured while it was mixed, so mastering needs no measuring pass of its
    own: one ffmpeg run applies the gain that reaches ``target`` under a true-peak
    limiter and writes both files (or the mix run already did, at a gain known from
    earlier renders: ``level.mastered_at``), and the delivered file (the mp3, since
    lossy encoding moves loudness: LAME takes 0.2-0.4 LU away, and true peak) is
    measured. When that is more than ``tolerance`` LU off, or its true peak is above
    ``peak_limit``, gain and ceiling are corrected and the run repeated (at most twice
    more; the first gain already adds ``LOSSY_LOUDNESS_LOSS`` when there is an mp3).
    Returns the last measurement, the gain applied and the number of runs.
    """
    first = level.loudness
    gain = 0.0 if first.integrated_lufs < -70 else (target - first.integrated_lufs
                                                    + level.limiter_loss)
    if mp3 is not None:
        gain += LOSSY_LOUDNESS_LOSS
    ceiling = true_peak
    done = level.mastered_at is not None
    if done:
        gain = level.mastered_at
    measured, runs = first, 0
    for _ in range(3):
        if not done:
            normalize(src, wav, gain_db=gain, true_peak=ceiling, mp3=mp3, bitrate=bitrate)
            runs += 1
        done = False
        measured = media.measure_loudness(mp3 or wav)
        if first.integrated_lufs < -70:   # silence: nothing to gain
            break
        miss = target - measured.integrated_lufs
        over = measured.true_peak_dbfs - peak_limit
        if abs(miss) <= tolerance and over <= 0:
            break
        gain += miss
        if over > 0:
            ceiling -= over + 0.2
    return measured, round(gain, 2), runs


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
