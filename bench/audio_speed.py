"""Audio speed and timing accuracy, as ratios measured in one run (issue #17's measures).

1. Podcast end to end: the ``podcast`` step on a 5-minute script of samples/article.md
   (synthesis, mixing, mastering, word timings, tags) against synthesising the same
   script's sentences alone with the same voices (target: at most 1.5x).
2. Narration of samples/article.md end to end against synthesising its sentences alone
   (target: at most 1.4x), delivered as the step does by default (the voice's own 24 kHz,
   a 96k mp3, mastered while spoken: ``plugins.audio.streaming``): wall time (what the
   user waits, and how long after the last sentence), and what each part costs in CPU
   seconds: the mastering thread (analysing the passages, limiting them, feeding LAME,
   the rest) measured on that thread, synthesis and the rest of the step, and LAME
   alone on the finished wav for comparison.
3. Re-render after editing one turn of that podcast, with the step's sentence cache,
   against the first render (target: at most 15%).
4. Mastering in one pass at the gain predicted from the passages (what the steps do for
   speech alone) against two passes (the mix written and measured, then mastered): the
   delivered mp3s of both, measured (target: within 0.5 LU of each other).
5. Word-start error of engine timings beside the aligner's (median and p90), on the
   speech of bench/word_timing.py whose word starts are known by construction: every
   word synthesised alone by hibari and placed at a known sample. The aligner
   (whisper tiny.en + alignment) times the joined file; the engine's timing of a word is
   where hibari's duration predictor put its first sound, against the word's acoustic
   onset (its first frame above 2% of the peak, as the construction trims it).

Both sides of every ratio run in this process with models loaded beforehand, one
synthesis thread (``ctx.threads = 1``, so the ratios measure the pipeline, not the
cores), and a fresh step cache in a temporary folder.

    python bench/audio_speed.py [--minutes 5] [--passes 2] [--narration] [--lame]

``--narration`` measures the narration alone (2 and its part of 4); ``--lame`` only what
LAME does to the masters at each sample rate and bitrate (``production.LAME_EFFECTS``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.artifacts import Script  # noqa: E402
from engine.cache import Cache  # noqa: E402
from engine.plugins import PluginConfig, build_registry  # noqa: E402
from engine.transform import Context  # noqa: E402
from engine.voices import sentence_plan  # noqa: E402

ARTICLE = ROOT / "samples" / "article.md"


def context(registry, step: str, tmp: Path, cache: Cache | None) -> Context:
    """A step's context as the runner makes it: scratch files on the cache's disk, so
    the cache adopts them by renaming."""
    return Context(registry=registry, step_id=step, source_name=ARTICLE.name,
                   scratch_root=cache.work_root if cache else tmp / "work", cache=cache,
                   threads=1)


def cold() -> None:
    """Forget the engines' per-token phoneme caches, so each side starts alike."""
    from plugins.speech import hibari_voice, piper_voice

    hibari_voice._token_phonemes.cache_clear()
    piper_voice._token_phonemes.cache_clear()


class Clock:
    """Wall-clock and CPU seconds (this process and the ffmpeg runs it waited for) of a
    block. The machine may be shared: CPU time is what the work costs whatever else
    runs, wall time what a user waits."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu() - self.cpu
        return False


def _cpu() -> float:
    import resource

    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _thread_cpu() -> float:
    """CPU seconds of the calling thread and of the ffmpeg runs it waited for (Linux):
    what work on one thread costs while others run beside it."""
    import resource

    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_THREAD,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def plain_synthesis(pairs) -> Clock:
    """Synthesise every (engine, voice, text) sentence, nothing else (the engines'
    ``synthesize``, which includes reading their word timings)."""
    cold()
    with Clock() as clock:
        for engine, voice, text in pairs:
            engine.synthesize(text, voice)
    return clock


def timed_run(step, source, params, ctx) -> tuple[Clock, object]:
    cold()
    with Clock() as clock:
        artifact = step.run(source, params, ctx)
    ctx.cleanup()
    return clock, artifact


class StageClocks:
    """CPU seconds spent inside named functions of modules while the block runs (each
    function wrapped for the block only): where a step's time goes."""

    def __init__(self, *targets: tuple[object, str], clock=None):
        self.targets, self.cpu = targets, {name: 0.0 for _, name in targets}
        self.clock = clock or _cpu

    def __enter__(self):
        import functools

        self.saved = [(module, name, getattr(module, name)) for module, name in self.targets]
        for module, name, function in self.saved:
            @functools.wraps(function)
            def timed(*args, _function=function, _name=name, **kwargs):
                started = self.clock()
                try:
                    return _function(*args, **kwargs)
                finally:
                    self.cpu[_name] += self.clock() - started
            setattr(module, name, timed)
        return self

    def __exit__(self, *exc):
        for module, name, function in self.saved:
            setattr(module, name, function)
        return False


def mean(a: Clock, b: Clock) -> Clock:
    """The average of two measurements of the same work (a shared machine's speed drifts:
    the work measured before and after what it is compared with)."""
    both = Clock()
    both.wall, both.cpu = (a.wall + b.wall) / 2, (a.cpu + b.cpu) / 2
    return both


def bare_run(args: list[str], times: int = 2) -> float:
    """CPU seconds of an ffmpeg run (the least of ``times``: they vary on a shared machine)."""
    from engine import media

    seconds = []
    for _ in range(times):
        with Clock() as clock:
            media.run_ffmpeg(["-y", *args], what="measure a part of the mastering run",
                             loglevel="info")
        seconds.append(clock.cpu)
    return min(seconds)


def narration_measures(registry, doc, tmp: Path) -> list[str]:
    """Measure 2 (and the narration's part of 4): the lines to print."""
    from engine import media
    from plugins.audio import loudness, production, streaming
    from plugins.audio.narration import SECTION_PAUSE, narration_blocks

    narration = registry.transform("narration")
    params = narration.Params()
    name, voice = params.voice.split(":")
    engine = registry.voice_engine(name)
    pairs = [(engine, voice, s) for _, block in narration_blocks(doc)
             for s, _ in sentence_plan(block)]
    before = plain_synthesis(pairs)
    ctx = context(registry, "narration", tmp, Cache(tmp / "cache-narration"))
    master = streaming.StreamingMaster
    background = StageClocks((master, "_take"), (master, "_finish"), (loudness, "analyse"),
                             (production, "limit_part"), (media.FFmpegWriter, "write"),
                             (media.FFmpegWriter, "close"), clock=_thread_cpu)
    cold()
    with background, Clock() as seconds:
        spoken = narration.run(doc, params, ctx)
    delivered = media.measure_loudness(spoken.path)
    ctx.cleanup()
    plain = mean(before, plain_synthesis(pairs))   # synthesis alone, before and after
    wav = media.media_path(spoken.metadata["wav"])
    rate = spoken.sample_rate
    lame = bare_run(["-i", wav, "-b:a", params.bitrate, "-compression_level", "7", "-f", "mp3",
                     media.media_path(tmp / "floor.mp3")]) - bare_run(["-i", wav, "-f", "null",
                                                                       "-"])
    cpu = background.cpu
    mastering = cpu["_take"] + cpu["_finish"]
    base = plain.cpu
    stages = ctx.metrics["seconds"]

    def part(label: str, cpu: float) -> str:
        return f"    {label}: {cpu:.2f} s ({cpu / base:.2f}x synthesis)"

    mastering_check = compare_mastering(registry, [
        production.Passage(text, engine, voice) for _, text in narration_blocks(doc)],
        SECTION_PAUSE, context(registry, "narration", tmp, Cache(tmp / "cache-narration")),
        bitrate=params.bitrate, sample_rate=None)
    return [
        f"narration: {len(pairs)} sentences, {spoken.duration / 60:.2f} min at {rate} Hz, mp3 "
        f"{params.bitrate}; stages {stages}; mastering "
        f"{ctx.metrics['mastering']}; the mp3 measured: {delivered.integrated_lufs} LUFS, "
        f"true peak {delivered.true_peak_dbfs} dBTP (targets -16 +-0.5, <= -1)",
        f"  end to end / synthesis alone: {ratio(seconds, plain)} (target <= 1.4x; "
        "mastered while spoken, so wall time is what the user waits)",
        f"  waited after the last sentence (the rest of the master, tags, timings): "
        f"{seconds.wall - stages['synthesis']:.2f} s ({(seconds.wall - stages['synthesis']) / plain.wall:.2f}x synthesis)",
        f"  where the CPU goes, against synthesis alone ({base:.2f} s):",
        part("mastering on its own thread while speaking (with its ffmpeg runs)", mastering),
        part("  of which analysing the passages (loudness.analyse)", cpu["analyse"]),
        part("  of which limiting them (production.limit_part, one run per batch)",
             cpu["limit_part"]),
        part("  of which LAME, fed as the master grows (its process and the pipe)",
             cpu["write"] + cpu["close"]),
        part("  the rest: reading the parts back, metering the master, the wav", mastering
             - cpu["analyse"] - cpu["limit_part"] - cpu["write"] - cpu["close"]),
        part("synthesis and the rest of the step (sentence cache, word timings, tags)",
             seconds.cpu - mastering),
        part("for comparison: LAME alone on the finished wav (a floor on any pipeline)", lame),
        f"mastering, narration: {mastering_check}"]


def ratio(a: Clock, b: Clock) -> str:
    return f"{a.wall / b.wall:.2f}x wall ({a.wall:.1f} s / {b.wall:.1f} s), " \
           f"{a.cpu / b.cpu:.2f}x CPU ({a.cpu:.1f} s / {b.cpu:.1f} s)"


def word_start_errors(passes: int) -> tuple[list[float], list[float]]:
    """(engine errors, aligner errors) in ms over the known-boundary speech."""
    from bench.word_timing import start_errors
    from plugins.speech.hibari_voice import HibariEngine
    from plugins.speech.whisper import WhisperTranscriber
    from tests.media_helpers import SENTENCES, SPEECH_RATE, synthesize, trim

    engine, aligner = [], []
    hibari = HibariEngine()
    for sentence in SENTENCES:
        for token in sentence.split():
            samples = synthesize(token, seed=0)
            onset = _onset(samples, trim(samples))
            words = hibari.synthesize(token, "heart").words
            engine.append((words[0].start - onset / SPEECH_RATE) * 1000)   # signed
    transcriber = WhisperTranscriber()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(passes):
            aligner += [e * 1000 for e in start_errors(Path(tmp), seed, transcriber)]
    return engine, aligner


def _onset(samples, trimmed) -> int:
    """Where ``trimmed`` (a slice of ``samples``) starts in ``samples``."""
    import numpy as np

    for start in range(0, len(samples) - len(trimmed) + 1, 120):
        if np.array_equal(samples[start:start + len(trimmed)], trimmed):
            return start
    raise ValueError("trimmed audio not found")


def compare_mastering(registry, passages, gap: float, ctx: Context, *, bitrate: str = "192k",
                      sample_rate: int | None = 44100) -> str:
    """The mp3 loudness of ``passages`` mastered in one pass (predicted gain) and in two
    (mix measured first), at ``sample_rate`` (None: the voices' own) and ``bitrate``, and
    the ffmpeg runs each took."""
    from engine import media
    from plugins.audio import production
    from plugins.audio.loudness import predict

    spoken = production.speak(passages, ctx)
    gaps = [gap] * (len(spoken) - 1) + [0.0]
    work_rate = max(production.wav_rate(s.path) for s in spoken)
    rate = sample_rate or work_rate
    one = production.delivery(ctx.work_dir, "one-pass", bitrate, rate)
    predicted = predict([s.path for s in spoken], gaps, target=production.TARGET_LUFS,
                        ceiling_dbtp=production.TARGET_TP, extra_db=one.lossy_loss)
    _, _, _, one_runs = production.master(
        production.parts_mix(production.chapter_parts(spoken, gaps, ctx.work_dir),
                             work_rate, rate), one, gain_db=predicted.gain_db)
    two = production.delivery(ctx.work_dir, "two-pass", bitrate, rate)
    level = production.mix(spoken, gaps, ctx.work_dir / "mix.wav")
    _, _, _, two_runs = production.master(
        production.whole_mix(ctx.work_dir / "mix.wav", rate), two,
        gain_db=production.TARGET_LUFS - level.loudness.integrated_lufs + level.limiter_loss
        + two.lossy_loss)
    a, b = media.measure_loudness(one.mp3), media.measure_loudness(two.mp3)
    ctx.cleanup()
    return (f"one pass {a.integrated_lufs} LUFS, true peak {a.true_peak_dbfs} dBTP "
            f"({one_runs} ffmpeg run); two passes {b.integrated_lufs} LUFS, true peak "
            f"{b.true_peak_dbfs} dBTP ({two_runs + 1} ffmpeg runs); difference "
            f"{abs(a.integrated_lufs - b.integrated_lufs):.1f} LU (target <= 0.5)")


def lame_effects(registry, doc, tmp: Path) -> None:
    """What LAME does to our voices' masters, per sample rate and bitrate: the loudness it
    takes away and how much higher the mp3's true peak is than the master's as measured
    in the mastering run (``production.LAME_EFFECTS`` is set from this). The narration of
    the article with hibari (24 kHz) and its first three sections with piper (22.05 kHz),
    each mastered once at the voice's own rate and at 44.1 and 48 kHz and encoded at every
    bitrate the rate allows; the master and the mp3 are measured by ffmpeg's ``ebur128``
    (true peak), as a player's meter would."""
    from engine import media
    from plugins.audio import production
    from plugins.audio.loudness import predict
    from plugins.audio.narration import SECTION_PAUSE, narration_blocks

    blocks = narration_blocks(doc)
    for spec, count in (("hibari:heart", len(blocks)), ("piper:joe", 3)):
        name, voice = spec.split(":")
        engine = registry.voice_engine(name)
        ctx = context(registry, "lame", tmp, Cache(tmp / "cache-lame"))
        spoken = production.speak([production.Passage(text, engine, voice, chapter=chapter)
                                   for chapter, text in blocks[:count]], ctx)
        gaps = [SECTION_PAUSE] * (len(spoken) - 1) + [0.0]
        work_rate = max(production.wav_rate(s.path) for s in spoken)
        gain = predict([s.path for s in spoken], gaps, target=production.TARGET_LUFS,
                       ceiling_dbtp=production.TARGET_TP).gain_db
        parts = production.chapter_parts(spoken, gaps, ctx.work_dir)
        for rate in (work_rate, 44100, 48000):
            build = production.parts_mix(parts, work_rate, rate)
            kbps = [64, 96, 128, 160] + ([192, 256] if rate >= 32000 else [])
            for bitrate in kbps:
                out = production.delivery(ctx.work_dir, f"{rate}-{bitrate}", f"{bitrate}k",
                                          rate)
                run = production.deliver(*build(gain, production.TARGET_TP), out)
                master, mp3 = media.measure_loudness(out.wav), media.measure_loudness(out.mp3)
                print(f"lame {spec} {rate} Hz {bitrate}k: master {master.integrated_lufs} LUFS "
                      f"{master.true_peak_dbfs} dBTP (run's own meter {run.true_peak_dbfs}); "
                      f"mp3 {mp3.integrated_lufs} LUFS {mp3.true_peak_dbfs} dBTP: takes "
                      f"{master.integrated_lufs - mp3.integrated_lufs:.1f} LU, true peak "
                      f"{mp3.true_peak_dbfs - run.true_peak_dbfs:+.2f} dB over the run's",
                      flush=True)
        ctx.cleanup()


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.9 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--passes", type=int, default=2, help="word-timing passes")
    parser.add_argument("--lame", action="store_true",
                        help="only measure what LAME does to the masters (LAME_EFFECTS)")
    parser.add_argument("--narration", action="store_true", help="only the narration")
    args = parser.parse_args()

    registry = build_registry(PluginConfig(load_entry_points=False))
    doc = registry.loader_for(ARTICLE).load(ARTICLE)
    if args.lame:
        with tempfile.TemporaryDirectory() as folder:
            lame_effects(registry, doc, Path(folder))
        return
    podcast = registry.transform("podcast")
    narration = registry.transform("narration")
    pod_params = podcast.Params(minutes=args.minutes)
    nar_params = narration.Params()
    for spec in [*pod_params.voices, nar_params.voice]:   # load the models first
        name, voice = spec.split(":")
        registry.voice_engine(name).synthesize("Hello there.", voice)
    if args.narration:
        with tempfile.TemporaryDirectory() as folder:
            print("\n".join(narration_measures(registry, doc, Path(folder))))
        return

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        script_step = registry.transform("podcast-script")
        script = script_step.run(doc, script_step.Params(minutes=args.minutes),
                                 context(registry, "script", tmp, None))
        voices = {host: spec.split(":") for host, spec in zip(script.speakers, pod_params.voices)}
        pairs = [(registry.voice_engine(voices[t.speaker][0]), voices[t.speaker][1], s)
                 for t in script.turns for s, _ in sentence_plan(t.text)]

        # 1 and 3: podcast, cold cache, then one turn edited
        cache = Cache(tmp / "cache")
        pod_plain = plain_synthesis(pairs)
        pod_seconds, audio = timed_run(podcast, script, pod_params,
                                       ctx := context(registry, "podcast", tmp, cache))
        middle = len(script.turns) // 2
        turn = script.turns[middle]
        edited_turn = turn.model_copy(update={"text": turn.text.replace(".", ", really.", 1)})
        edited = Script(**{**script.model_dump(), "turns": tuple(
            edited_turn if i == middle else t for i, t in enumerate(script.turns))})
        edit_seconds, _ = timed_run(podcast, edited, pod_params,
                                    edit_ctx := context(registry, "podcast", tmp, cache))

        # 2: narration, cold cache, and its part of 4
        narration_lines = narration_measures(registry, doc, tmp)

        # 4: one-pass mastering against two-pass, on the same (cached) sentences
        from plugins.audio import production
        pod_mastering = compare_mastering(registry, [
            production.Passage(t.text, registry.voice_engine(voices[t.speaker][0]),
                               voices[t.speaker][1]) for t in script.turns],
            pod_params.gap, context(registry, "podcast", tmp, cache))

    engine_ms, aligner_ms = word_start_errors(args.passes)

    print(f"podcast: {len(script.turns)} turns, {len(pairs)} sentences, "
          f"{audio.duration / 60:.2f} min; stages {ctx.metrics['seconds']}; "
          f"timing {ctx.metrics['timing']}; mastering {ctx.metrics['mastering']}, "
          f"{audio.loudness_lufs} LUFS")
    print(f"  end to end / synthesis alone: {ratio(pod_seconds, pod_plain)} (target <= 1.5x)")
    print(f"  re-render after editing turn {middle + 1} / first render: "
          f"{ratio(edit_seconds, pod_seconds)} (target <= 15%); "
          f"sentences {edit_ctx.metrics['sentences']}; stages {edit_ctx.metrics['seconds']}; "
          f"mastering {edit_ctx.metrics['mastering']}")
    print("\n".join(narration_lines))
    print(f"mastering, podcast: {pod_mastering}")
    errors = [abs(e) for e in engine_ms]
    print(f"word start error, engine timings: median {statistics.median(errors):.0f} ms, "
          f"p90 {p90(errors):.0f} ms ({len(errors)} words; engine start minus acoustic onset: "
          f"median {statistics.median(engine_ms):+.0f} ms)")
    print(f"word start error, aligner:        median {statistics.median(aligner_ms):.0f} ms, "
          f"p90 {p90(aligner_ms):.0f} ms ({len(aligner_ms)} words, {args.passes} passes)")


if __name__ == "__main__":
    main()
