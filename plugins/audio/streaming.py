"""Mastering speech while it is still being spoken.

Synthesis keeps one core busy for most of a narration's time, and everything after it
(limiting, metering, LAME) used to wait for the last sentence: on the sample article
that was a third as long again as the synthesis. Here the passages are mastered as
they are written, on a second thread, so the work overlaps the speaking:

1. Each passage is analysed as it arrives (:func:`plugins.audio.loudness.analyse`).
2. Once the passages analysed hold ``SETTLE_SECONDS`` of speech, the gain is fixed from
   them (:func:`plugins.audio.loudness.predict_from`). One voice reading one text keeps
   its loudness: on the sample article the first two minutes predict the whole within
   0.15 dB.
3. From then on, the passages waiting are limited at that gain in one ffmpeg run once
   they hold ``PART_SECONDS`` (:func:`plugins.audio.production.limit_part`, which also
   reads their true peak), and
   their 16-bit samples are appended to the wav, measured with libebur128 (pooled, as
   one programme) and piped to one LAME process that encodes the whole programme as one
   stream (:class:`engine.media.FFmpegWriter`), so the mp3 is what encoding the finished
   wav would give.
4. :meth:`StreamingMaster.finish` masters what is left and checks the delivered file
   as :func:`plugins.audio.production.master` does: within its tolerance of the target
   and under the peak limit, the result stands; otherwise it returns None and the
   caller masters the whole again at a corrected gain (nothing half-made is kept).

The limiter lets go within 60 ms and every passage ends with a pause of at least half
a second, so limiting passage by passage sounds as limiting the whole.
"""

from __future__ import annotations

import math
import wave
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from engine import media
from engine.transform import Context

from plugins.audio import loudness, production

#: seconds of speech the gain is predicted from before mastering starts
SETTLE_SECONDS = 60.0
#: seconds of passages (with their pauses) limited together in one ffmpeg run: many
#: short passages (a script's turns) would otherwise cost a run each
PART_SECONDS = 30.0


@dataclass
class Streamed:
    """A master made while the passages were spoken."""

    out: production.Delivery
    #: the delivered file's loudness (:func:`production.delivered_loudness`)
    loudness: media.Loudness
    gain_db: float
    #: what the manifest records of how it was made
    how: dict = field(default_factory=dict)


class StreamingMaster:
    """Passages in (:meth:`add`, in order, as :func:`production.speak` writes them), one
    master out (:meth:`finish`). ``gaps[i]`` is the pause after passage ``i``;
    ``delivery(rate)`` says where the files go and at which rate, given the voice's rate;
    ``used_gain`` is a gain used before for this voice, taken instead of the prediction
    when within ``production.GAIN_REUSE_DB`` of it (a re-render after an edit keeps
    its loudness). Use it as a context manager: leaving it unfinished stops the
    encoder and the thread."""

    def __init__(self, gaps: Sequence[float], ctx: Context,
                 delivery: Callable[[int], production.Delivery], *,
                 target: float = production.TARGET_LUFS, tolerance: float = 0.5,
                 peak_limit: float = -1.2, used_gain: float | None = None):
        self.gaps, self.ctx, self.delivery = list(gaps), ctx, delivery
        self.target, self.tolerance, self.peak_limit = target, tolerance, peak_limit
        self.used_gain = used_gain
        self.gain: float | None = None
        self.analyses: list[loudness.Analysis] = []
        self.waiting: list[production.Spoken] = []
        self.done = 0                      # passages mastered
        self.states: list[object] = []     # the master's loudness meter, part by part
        self.peak = -math.inf
        self.runs = 0
        self.settled_after = 0.0
        self.out: production.Delivery | None = None
        self.work_rate = 0                 # the voice's rate, known from the first passages
        self.wav: wave.Wave_write | None = None
        self.encoder: media.FFmpegWriter | None = None
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="mastering")
        self.pending: list[Future] = []

    # ------------------------------------------------------------------ the caller's side

    def add(self, spoken: production.Spoken) -> None:
        """Take the next passage (mastered on the worker thread)."""
        self.pending.append(self.worker.submit(self._take, spoken))

    def finish(self) -> Streamed | None:
        """Master what is left and check the result: the master, or None when it missed
        the target or the peak limit (then the caller masters the whole again)."""
        self.pending.append(self.worker.submit(self._finish))
        for future in self.pending:
            result = future.result()   # raises what the worker raised
        self.worker.shutdown()
        return result

    def __enter__(self) -> StreamingMaster:
        return self

    def __exit__(self, *exc) -> None:
        self.worker.shutdown(cancel_futures=True)
        self._close_outputs(finished=False)   # nothing left running after a failure

    # ------------------------------------------------------------------ the worker's side

    def _take(self, spoken: production.Spoken) -> None:
        index = len(self.analyses)
        before = self.gaps[index - 1] if index else 0.0
        self.analyses.append(loudness.analyse(spoken.path, before, self.gaps[index]))
        self.waiting.append(spoken)
        if self.gain is None and self._speech_seconds() >= SETTLE_SECONDS:
            self._settle()
        waiting = sum(s.duration for s in self.waiting) + sum(
            self.gaps[self.done:self.done + len(self.waiting)])
        if self.gain is not None and waiting >= PART_SECONDS:
            self._master_waiting()

    def _finish(self) -> Streamed | None:
        if self.gain is None:
            self._settle()
        self._master_waiting()
        final = loudness.predict_from(self.analyses, target=self.target,
                                      ceiling_dbtp=production.TARGET_TP,
                                      extra_db=self.out.lossy_loss)
        self._close_outputs()
        master = media.Loudness(round(loudness.pooled(self.states), 2),
                                round(loudness.pooled_range(self.states), 2),
                                round(self.peak, 2))
        delivered = production.delivered_loudness(master, self.out)
        miss = self.target - delivered.integrated_lufs
        if abs(miss) > self.tolerance or delivered.true_peak_dbfs > self.peak_limit:
            return None
        how = {"gain": "streamed", "speech_lufs": final.speech_lufs,
               "limiter_loss_lu": final.limiter_loss, "predicted_gain_db": final.gain_db,
               "gain_from_seconds": round(self.settled_after, 1),
               "mastering_runs": 1, "ffmpeg_runs": self.runs + 1}
        return Streamed(self.out, delivered, self.gain, how)

    def _speech_seconds(self) -> float:
        return sum(a.signal.seconds for a in self.analyses)

    def _settle(self) -> None:
        self.settled_after = self._speech_seconds()
        rate = max(a.signal.rate for a in self.analyses)
        self.out = self.delivery(rate)
        self.work_rate = rate
        self.gain = loudness.predict_from(self.analyses, target=self.target,
                                          ceiling_dbtp=production.TARGET_TP,
                                          extra_db=self.out.lossy_loss).gain_db
        if self.used_gain is not None and \
                abs(self.used_gain - self.gain) <= production.GAIN_REUSE_DB:
            self.gain = self.used_gain

    def _master_waiting(self) -> None:
        """The passages waiting, limited in one run and sent on to the wav and the mp3."""
        if not self.waiting:
            return
        first, passages = self.done, self.waiting
        gaps = self.gaps[first:first + len(passages)]
        part = self.ctx.work_dir / f"streamed-{first:04d}.wav"
        peak = production.limit_part(passages, gaps, part, gain_db=self.gain,
                                     work_rate=self.work_rate,
                                     sample_rate=self.out.sample_rate)
        self.runs += 1
        self.peak = max(self.peak, peak)
        self._send(part, before=self.gaps[first - 1] if first else 0.0)
        self.done += len(passages)
        self.waiting = []

    def _send(self, part: Path, before: float) -> None:
        import numpy as np

        with wave.open(str(part), "rb") as source:
            pcm = source.readframes(source.getnframes())
        part.unlink()
        samples = np.frombuffer(pcm, "<i2").astype(np.float32) / np.float32(32768.0)
        self.states.append(loudness.meter_state(samples, self.out.sample_rate, before,
                                                loudness_range=True))
        if self.wav is None:
            self._open_outputs()
        self.wav.writeframes(pcm)
        if self.encoder is not None:
            self.encoder.write(pcm)

    def _open_outputs(self) -> None:
        out = self.out
        self.wav = wave.open(str(out.wav), "wb")
        self.wav.setnchannels(1)
        self.wav.setsampwidth(2)
        self.wav.setframerate(out.sample_rate)
        if out.mp3 is not None:
            options = []
            for name, value in production.lame_options(out).items():
                options += [f"-{name}", str(value)]
            self.encoder = media.FFmpegWriter(
                ["-y", "-f", "s16le", "-ar", str(out.sample_rate), "-ch_layout", "mono",
                 "-i", "pipe:0", *options, "-f", "mp3", media.media_path(out.mp3)],
                what=f"encode {out.mp3.name}")

    def _close_outputs(self, *, finished: bool = True) -> None:
        """Close the wav and end the encoder's input, waiting for it; not ``finished``
        (a failure, or a run left unfinished): stop the encoder instead."""
        if self.wav is not None:
            self.wav.close()
            self.wav = None
        if self.encoder is not None:
            encoder, self.encoder = self.encoder, None
            if finished:
                encoder.close()
            else:
                encoder.abort()
