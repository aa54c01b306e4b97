"""Audio helpers shared by ``narration`` and ``podcast``: speaking, timing, mixing,
mastering and tagging.

* :func:`speak` turns a list of passages (each with its voice, chapter and speaker)
  into one WAV file per passage, sentence by sentence (``synthesize_to_wav``), and
  returns where every sentence sits.
* :func:`timed_words` gives every script token a time: the sentence spans are exact
  (we wrote the audio), and inside a sentence the recogniser's words are aligned to the
  script (``plugins.speech.alignment.align``), or, without a transcriber, the sentence's time is
  shared in proportion to how long each word takes to say.
* :func:`mix` joins the passages with pauses, optional intro/outro, and a music bed
  ducked under speech (``sidechaincompress``), in one ffmpeg run.
* :func:`master` normalises loudness in two passes (EBU R128: measured, then one gain
  applied under a 4x-oversampled true-peak limiter) and encodes; :func:`write_tags` writes ID3 tags, the voice
  engines' disclosure statements (TXXX), chapters (CHAP/CTOC) and a cover (APIC).

Every ffmpeg call goes through :mod:`engine.media`. numpy, ffmpeg-python and mutagen are
imported inside functions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from engine import media
from engine.artifacts import Chapter, Word
from engine.errors import TransformError
from engine.voices import SentenceSpan, VoiceEngine, synthesize_to_wav

#: the loudness of the finished file (EBU R128 integrated, podcast standard)
TARGET_LUFS = -16.0
#: true-peak ceiling of the limiter; below the -1 dBTP promise so mp3 encoding's
#: small overshoots stay under it
TARGET_TP = -2.0
#: loudness lossy encoding takes away (LAME at 192k, measured on our voices): added to
#: the first gain so one pass usually lands within tolerance
LOSSY_LOUDNESS_LOSS = 0.3
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


def speak(passages: Sequence[Passage], work_dir: Path, *, speed: float = 1.0,
          progress: Progress | None = None,
          timer: Callable[[str, float], None] | None = None) -> list[Spoken]:
    """Every passage into its own WAV file (bounded memory: one sentence at a time)."""
    import time

    total = sum(len(p.text) for p in passages) or 1
    done = 0
    out: list[Spoken] = []
    for index, passage in enumerate(passages):
        path = work_dir / f"passage-{index:04d}.wav"
        started = time.perf_counter()

        def step(fraction: float, base=done, size=len(passage.text)) -> None:
            if progress:
                progress((base + fraction * size) / total)

        duration, spans = synthesize_to_wav(passage.engine, passage.text, passage.voice, path,
                                            speed=speed, progress=step)
        if timer:
            timer("synthesis", time.perf_counter() - started)
        out.append(Spoken(passage, path, duration, spans))
        done += len(passage.text)
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
                heard: Sequence[Word] | None = None, total: float | None = None) -> list[Word]:
    """One timed word per whitespace token of every sentence, in mix time.

    Sentence boundaries come from synthesis (exact). Within a sentence the words heard
    there by a transcriber (``heard``, in mix time) are aligned to the script words;
    without them, the sentence's time is shared by how long each word takes to say.
    Times never go backwards and every word stays inside its sentence.
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
            if inside:
                timed = [(w.start, w.end) for w in align(span.text, inside, duration=hi)]
            else:
                timed = _spread(tokens, lo, hi)
            for token, (a, b) in zip(tokens, timed):
                a = min(max(a, lo, floor), hi)
                b = min(max(b, a), hi)
                words.append(Word(text=token, start=round(a, 3), end=round(b, 3),
                                  speaker=speaker))
                floor = a
    return words


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
class Bed:
    """Music under the speech: its file, its level, and how hard it ducks."""

    path: Path
    volume: float = 0.25
    #: sidechaincompress ratio: how hard speech pushes the music down (8: by ~10 dB)
    duck_ratio: float = 8.0


def mix(spoken: Sequence[Spoken], gaps: Sequence[float], dst: Path, *,
        intro: Path | None = None, outro: Path | None = None, bed: Bed | None = None,
        sample_rate: int = MIX_RATE) -> float:
    """Join the passages (each followed by its gap), optional intro and outro, and an
    optional music bed ducked under the speech, into a mono WAV at ``sample_rate``.
    Returns the duration of the mix."""
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
    graph = speech.output(media.media_path(dst), format="wav", acodec="pcm_s16le",
                          ar=sample_rate, ac=1)
    media.run_ffmpeg(["-y", *media.graph_args(graph)], what="mix the podcast audio")
    return media.probe(dst).duration


def media_duration(path: Path) -> float:
    return media.probe(path).duration


# --------------------------------------------------------------------------- mastering

def normalize(src: Path, dst: Path, *, gain_db: float, true_peak: float = TARGET_TP,
              sample_rate: int = MIX_RATE) -> None:
    """Apply one gain to the whole of ``src`` and hold true peaks under ``true_peak``.

    The limiter runs at four times the sample rate, so it sees the peaks between
    samples (true peak, ITU-R BS.1770) and not only the samples themselves. It only
    touches the rare peaks above the ceiling, so the balance of pauses, voices and
    music stays as mixed (a single linear gain, unlike loudnorm's dynamic mode).
    """
    import ffmpeg

    graph = (ffmpeg.input(media.media_path(src)).audio
             .filter("volume", f"{gain_db:.3f}dB", precision="double")
             .filter("aresample", 4 * sample_rate)
             .filter("alimiter", limit=f"{10 ** (true_peak / 20):.5f}", attack=1, release=60,
                     level="false", latency="true")
             .filter("aresample", sample_rate)
             .output(media.media_path(dst), format="wav", acodec="pcm_s16le", ar=sample_rate,
                     ac=1))
    media.run_ffmpeg(["-y", *media.graph_args(graph)], what=f"normalise {src.name!r}")


def master_to_files(mixed: Path, work: Path, stem: str, bitrate: str):
    """Master ``mixed`` into ``STEM.wav`` and ``STEM.mp3`` in ``work``: returns the two
    paths, the measured loudness of the delivered mp3, and the duration."""
    wav, mp3 = work / f"{stem}.wav", work / f"{stem}.mp3"
    loudness = master(mixed, wav, deliver=lambda m: encode_mp3(m, mp3, bitrate=bitrate))
    return wav, mp3, loudness, media_duration(wav)


def master(src: Path, wav: Path, *, deliver: Callable[[Path], Path] | None = None,
           target: float = TARGET_LUFS, true_peak: float = TARGET_TP,
           tolerance: float = 0.4, peak_limit: float = -1.2) -> media.Loudness:
    """Two-pass loudness normalisation of ``src`` into the 16-bit WAV ``wav``.

    Pass one measures the integrated loudness (EBU R128); pass two applies the gain that
    reaches ``target`` under a true-peak limiter. ``deliver`` makes the file that will be
    published from the WAV (the mp3) and returns its path: the measurement is taken on
    that file, since lossy encoding moves loudness (LAME takes 0.2-0.4 LU away) and
    true peak. When the result is more than ``tolerance`` LU off, or its true peak is
    above ``peak_limit``, gain and ceiling are corrected and the pass repeated (at most
    twice more; the first gain already adds ``LOSSY_LOUDNESS_LOSS`` when
    there is a lossy file to deliver). Returns the last measurement.
    """
    first = media.measure_loudness(src)
    gain = 0.0 if first.integrated_lufs < -70 else target - first.integrated_lufs
    if deliver is not None:
        gain += LOSSY_LOUDNESS_LOSS
    ceiling = true_peak
    measured = first
    for _ in range(3):
        normalize(src, wav, gain_db=gain, true_peak=ceiling)
        out = deliver(wav) if deliver else wav
        measured = media.measure_loudness(out)
        if first.integrated_lufs < -70:   # silence: nothing to gain
            break
        miss = target - measured.integrated_lufs
        over = measured.true_peak_dbfs - peak_limit
        if abs(miss) <= tolerance and over <= 0:
            break
        gain += miss
        if over > 0:
            ceiling -= over + 0.2
    return measured


def encode_mp3(wav: Path, mp3: Path, *, bitrate: str = "192k") -> Path:
    return media.encode_audio(wav, mp3, bitrate=bitrate)


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
        ids = [f"chp{i}" for i in range(len(tags.chapters))]
        id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                     child_element_ids=ids, sub_frames=[TIT2(encoding=3, text="Chapters")]))
        for cid, chapter in zip(ids, tags.chapters):
            id3.add(CHAP(element_id=cid, start_time=int(round(chapter.start * 1000)),
                         end_time=int(round(chapter.end * 1000)),
                         sub_frames=[TIT2(encoding=3, text=chapter.title)]))
    if tags.cover:
        id3.add(APIC(encoding=3, mime=tags.cover_mime, type=3, desc="Cover", data=tags.cover))
    id3.save(str(mp3), v2_version=4)


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
