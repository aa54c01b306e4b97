"""The mastering gain, predicted from the spoken passages before anything is mixed.

A mix of speech passages with silent pauses between them has the integrated loudness
(EBU R128) of the passages' own gated blocks pooled together, with the blocks across
each edge of speech: blocks of pause alone fall below the absolute gate. libebur128
(through pyebur128) measures each passage, with up to one block of its pauses either
side, at its voice's sample rate and pools them (``get_loudness_global_multiple``):
within 0.05 LU of ffmpeg measuring the finished mix.

The true-peak limiter that follows the gain takes some loudness away (0.3 LU on
hibari's narration, 1.2 LU on a podcast with piper's peakier voice). That loss is
predicted with a coarse model of the limiter: per millisecond, the gain that keeps the
frame's sample peak under the ceiling, held for ``HOLD_SECONDS`` (what ffmpeg's
``alimiter`` with a 60 ms release costs on average, measured on both voices), and the
energy it removes. The gain is then solved so that the limited mix
reaches the target. Mastering measures the result in the same ffmpeg run and corrects it
in a second run only when the prediction missed (``production.master``).

numpy and pyebur128 are imported inside functions.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

#: below this the mix is silence (the absolute gate of EBU R128)
SILENCE_LUFS = -70.0
#: the gating block of EBU R128's integrated loudness
BLOCK_SECONDS = 0.4
#: the limiter model's frame: one gain per millisecond
FRAME_SECONDS = 0.001
#: how long the model holds a frame's gain reduction; ffmpeg's alimiter releases over
#: 60 ms, which costs about as much loudness as a 15 ms hold (within 0.02 LU on
#: hibari's narration and on a hibari + piper podcast)
HOLD_SECONDS = 0.015


@dataclass(frozen=True)
class Prediction:
    """What mastering needs to know of the passages, found without mixing them."""

    #: integrated loudness of the passages as mixed, before any gain
    speech_lufs: float
    #: LU the true-peak limiter is expected to take away at ``gain_db``
    limiter_loss: float
    #: the gain that brings the limited mix to the target
    gain_db: float
    #: the highest sample rate among the passages (the mix is limited at four times it)
    sample_rate: int


@dataclass
class _Signal:
    """What the limiter model needs of a passage: per-frame figures, not its samples
    (a twelfth of their memory, so a book-length narration's analyses stay small)."""

    seconds: float
    rate: int
    #: the sample peak of every ``FRAME_SECONDS`` frame
    peaks: "np.ndarray"
    #: the energy (sum of squares) of every frame
    energies: "np.ndarray"
    #: their sum
    energy: float


@dataclass
class Analysis:
    """One passage as prediction needs it: its signal and its loudness meter's state
    (the passage with up to one block of its pauses either side)."""

    signal: _Signal
    state: object


def analyse(path: Path, before: float, after: float) -> Analysis:
    """The passage in the 16-bit mono WAV ``path``, followed by ``after`` seconds of
    silence in the mix and preceded by ``before``, read and measured."""
    samples, signal = _read(path)
    return Analysis(signal, meter_state(samples, signal.rate, before, after))


def predict(paths: Sequence[Path], gaps: Sequence[float], *, target: float,
            ceiling_dbtp: float, extra_db: float = 0.0) -> Prediction:
    """The gain that brings the passages in ``paths`` (16-bit mono WAVs, each followed by
    the silence of its gap in ``gaps`` when mixed) to ``target`` LUFS under a limiter at
    ``ceiling_dbtp``, plus ``extra_db`` (what lossy encoding will take away)."""
    before = [0.0, *gaps[:-1]]
    return predict_from([analyse(path, lead, trail)
                         for path, lead, trail in zip(paths, before, gaps)],
                        target=target, ceiling_dbtp=ceiling_dbtp, extra_db=extra_db)


def predict_from(analyses: Sequence[Analysis], *, target: float, ceiling_dbtp: float,
                 extra_db: float = 0.0) -> Prediction:
    """:func:`predict` from passages already analysed (:func:`analyse`)."""
    signals = [a.signal for a in analyses]
    rate = max((s.rate for s in signals), default=0)
    speech = pooled([a.state for a in analyses])
    if speech < SILENCE_LUFS:
        return Prediction(speech, 0.0, 0.0, rate)
    base = target - speech + extra_db
    gain, loss = base, 0.0
    for _ in range(4):   # the loss grows with the gain: settle it
        loss = limiter_loss(signals, gain, ceiling_dbtp)
        gain = base + loss
    return Prediction(round(speech, 2), round(loss, 2), round(gain, 2), rate)


def meter_state(samples: "np.ndarray", rate: int, before: float = 0.0, after: float = 0.0,
                *, loudness_range: bool = False):
    """libebur128's state after the mono ``samples`` at ``rate``, with up to one block
    (0.4 s) of their ``before`` and ``after`` silence, so the blocks a mix has across each
    edge of speech are counted as the mix counts them (without them, short passages
    measure up to half a LU louder); ``loudness_range``: able to give the loudness
    range too (:func:`pooled_range`). None for no samples."""
    import numpy as np
    import pyebur128

    if not len(samples):
        return None
    mode = pyebur128.MeasurementMode.MODE_I
    if loudness_range:
        mode |= pyebur128.MeasurementMode.MODE_LRA
    state = pyebur128.R128State(1, rate, mode)
    for part in (np.zeros(int(min(before, BLOCK_SECONDS) * rate), np.float32), samples,
                 np.zeros(int(min(after, BLOCK_SECONDS) * rate), np.float32)):
        if len(part):
            state.add_frames(part, len(part))
    return state


def pooled(states: Sequence[object]) -> float:
    """EBU R128 integrated loudness of signals measured apart (:func:`meter_state`),
    their gated blocks pooled as one programme's, in LUFS; -inf for silence."""
    import pyebur128

    states = [state for state in states if state is not None]
    if not states:
        return float("-inf")
    return pyebur128.get_loudness_global_multiple(states)


def pooled_range(states: Sequence[object]) -> float:
    """EBU R128 loudness range (LU) of signals measured apart with ``loudness_range``."""
    import pyebur128

    states = [state for state in states if state is not None]
    return pyebur128.get_loudness_range_multiple(states) if states else 0.0


def limiter_loss(signals: Sequence[_Signal], gain_db: float, ceiling_dbtp: float) -> float:
    """LU the model limiter (see the module's docstring) takes from ``signals`` at
    ``gain_db``: the energy it removes, frame by frame. Unweighted energy stands in for
    the K-weighted one here; on our voices the two losses differ by under 0.03 LU, and
    the frames' energies are computed once, so settling the gain costs next to nothing."""
    import numpy as np

    scale = 10 ** (gain_db / 20)
    ceiling = 10 ** (ceiling_dbtp / 20)
    # a frame over the ceiling pulls down itself, the frame before (the limiter looks
    # ahead) and the ``hold`` frames after it; each frame keeps the deepest pull
    reach = np.arange(-1, max(int(round(HOLD_SECONDS / FRAME_SECONDS)), 1) + 1)
    before = removed = 0.0
    for signal in signals:
        before += signal.energy
        over = np.flatnonzero(signal.peaks * scale > ceiling)
        if not len(over):
            continue
        frames = (over[:, None] + reach).ravel()
        pulls = np.repeat(ceiling / (signal.peaks[over] * scale), len(reach))
        inside = (frames >= 0) & (frames < len(signal.peaks))
        envelope = np.ones(len(signal.peaks))
        np.minimum.at(envelope, frames[inside], pulls[inside])
        touched = np.unique(frames[inside])
        removed += float(np.dot(signal.energies[touched], 1.0 - envelope[touched] ** 2))
    after = before - removed
    if after <= 0.0:
        return 0.0
    return max(10 * math.log10(before / after), 0.0)


def _frame(rate: int) -> int:
    return max(int(rate * FRAME_SECONDS), 1)


def _read(path: Path) -> tuple["np.ndarray", _Signal]:
    import numpy as np

    with wave.open(str(path), "rb") as source:
        rate = source.getframerate()
        pcm = source.readframes(source.getnframes())
    samples = np.frombuffer(pcm, "<i2").astype(np.float32) / np.float32(32767.0)
    frame = _frame(rate)
    frames = samples[:len(samples) // frame * frame].reshape(-1, frame)
    energies = np.einsum("ij,ij->i", frames, frames, dtype=np.float64)
    return samples, _Signal(len(samples) / rate, rate, np.abs(frames).max(axis=1, initial=0.0),
                            energies, float(energies.sum()))
