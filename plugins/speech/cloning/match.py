"""The ``match`` cloning backend: an embedded voice converted towards a reference speaker.

No neural cloning model is involved. An embedded voice (hibari "heart" by default, the
one whose pitch and spectrum are closest to the reference when more are installed)
speaks the text; the WORLD vocoder (``pyworld``) splits its speech into pitch (F0),
spectral envelope and aperiodicity, and each is moved towards the reference speaker:

1. **Pitch**: log-F0 is mapped from the base voice's mean and spread to the
   reference's (``f0' = exp((log f0 - mu_s) / sd_s * sd_r + mu_r)``).
2. **Formants**: the spectral envelope (and aperiodicity) is warped along frequency by a
   piecewise-linear map through the median formants F1-F4 of both speakers (LPC on
   voiced frames), so vowels keep their identity while the vocal tract "length" and
   formant spacing become the reference's.
3. **Timbre, frame by frame**: each frame's envelope is described by 120 mel-spaced band
   energies. Band energies are normalised per speaker (mean and spread, separately for
   voiced and unvoiced frames); every frame of the base voice is then replaced by the
   average shape of its ``K_NEAREST`` nearest frames of the reference recording (a
   k-nearest-neighbour voice conversion, as in kNN-VC, on WORLD envelopes instead of
   neural features), keeping the base voice's loudness contour. This carries over the
   reference's long-term spectrum, spectral tilt and formant shapes per sound class,
   which a uniform warp cannot.

What it does not do: it keeps the base voice's rhythm, intonation pattern, accent and
pronunciation; it cannot reproduce a voice quality that the reference's few seconds do
not show; and it sounds vocoded (WORLD resynthesis), unlike a neural cloning model such
as XTTS. ``bench/voice_clone_similarity.py`` measures what it achieves.

numpy and pyworld are imported inside functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

#: the converter's sample rate (hibari's): base voices at another rate are resampled
WORK_RATE = 24000
#: WORLD frame period in milliseconds
FRAME_PERIOD = 5.0
F0_FLOOR, F0_CEIL = 60.0, 500.0
#: mel-spaced bands describing one frame's spectral envelope (60: -0.01 similarity, 40: -0.02)
BANDS = 120
#: highest band edge used (references are often 16 kHz recordings: nothing above 8 kHz)
MAX_BAND_HZ = 7600.0
#: reference frames averaged per base-voice frame
K_NEAREST = 8
#: frames within this many nepers (log power) of a clip's loudest frame are speech (~26 dB)
SPEECH_RANGE = 6.0
#: spread ratios (reference / base) are kept within this range
SPREAD_LIMITS = (0.25, 4.0)
#: largest per-band correction, in nepers of power (~26 dB)
MAX_GAIN = 6.0
#: most reference frames kept per class for the neighbour search (memory and time bound)
MAX_REFERENCE_FRAMES = 12000
VERSION = "1"


@dataclass(frozen=True, eq=False)
class VoiceStats:
    """What the converter knows about one speaker, measured on a recording of them."""

    logf0_mean: float
    logf0_std: float
    #: median F1-F4 in Hz
    formants: "np.ndarray"
    #: log band energies of speech frames: voiced frames, unvoiced frames
    voiced: "np.ndarray"
    unvoiced: "np.ndarray"
    #: highest frequency (Hz) the recording carries energy at, capped at MAX_BAND_HZ
    bandwidth: float
    seconds: float

    @property
    def f0_hz(self) -> float:
        import math
        return math.exp(self.logf0_mean)

    def frames(self, voiced: bool) -> "np.ndarray":
        return self.voiced if voiced else self.unvoiced

    def spectrum_shape(self) -> "np.ndarray":
        """The voiced long-term band spectrum, level removed (nepers)."""
        mean = self.voiced.mean(axis=0)
        return mean - mean.mean()


# --------------------------------------------------------------------------- WORLD

def fft_size() -> int:
    import pyworld

    return pyworld.get_cheaptrick_fft_size(WORK_RATE, F0_FLOOR)


def world_analyse(samples: "np.ndarray"):
    """F0, spectral envelope and aperiodicity of float samples at ``WORK_RATE``."""
    import numpy as np
    import pyworld

    x = np.ascontiguousarray(samples, dtype=np.float64)
    f0, times = pyworld.dio(x, WORK_RATE, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL,
                            frame_period=FRAME_PERIOD)
    f0 = pyworld.stonemask(x, f0, times, WORK_RATE)
    size = fft_size()
    sp = pyworld.cheaptrick(x, f0, times, WORK_RATE, f0_floor=F0_FLOOR, fft_size=size)
    ap = pyworld.d4c(x, f0, times, WORK_RATE, fft_size=size)
    return f0, sp, ap


def resample(samples: "np.ndarray", rate: int, target: int) -> "np.ndarray":
    """Band-limited resampling by FFT (sentences and references are short)."""
    import numpy as np

    if rate == target or not len(samples):
        return np.asarray(samples, dtype=np.float64)
    n = len(samples)
    m = max(int(round(n * target / rate)), 1)
    spectrum = np.fft.rfft(np.asarray(samples, dtype=np.float64))
    out = np.zeros(m // 2 + 1, dtype=complex)
    k = min(len(spectrum), len(out))
    out[:k] = spectrum[:k]
    return np.fft.irfft(out, m) * (m / n)


# --------------------------------------------------------------------------- features

def _mel(hz):
    import numpy as np
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _hz(mel):
    import numpy as np
    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


def band_matrix(bins: int):
    """Triangular mel bands over the envelope's bins: (weights [BANDS x bins], centres Hz,
    bin frequencies Hz)."""
    import numpy as np

    freqs = np.linspace(0.0, WORK_RATE / 2, bins)
    edges = _hz(np.linspace(_mel(50.0), _mel(MAX_BAND_HZ), BANDS + 2))
    weights = np.zeros((BANDS, bins))
    for i in range(BANDS):
        low, centre, high = edges[i:i + 3]
        weights[i] = np.clip(np.minimum((freqs - low) / (centre - low),
                                        (high - freqs) / (high - centre)), 0.0, None)
    weights /= weights.sum(axis=1, keepdims=True) + 1e-12
    return weights, edges[1:-1], freqs


def band_energies(sp: "np.ndarray") -> "np.ndarray":
    import numpy as np

    weights, _, _ = band_matrix(sp.shape[1])
    return np.log(sp @ weights.T + 1e-16)


def speech_frames(sp: "np.ndarray") -> "np.ndarray":
    import numpy as np

    energy = np.log(sp.sum(axis=1) + 1e-16)
    return energy > energy.max() - SPEECH_RANGE


def median_formants(samples: "np.ndarray", f0: "np.ndarray") -> "np.ndarray":
    """Median F1-F4 (Hz) over voiced frames: LPC (order 12) at 10 kHz, pre-emphasised;
    poles between 200 Hz and 4.5 kHz with bandwidth under 400 Hz."""
    import numpy as np

    rate = 10000
    y = resample(samples, WORK_RATE, rate)
    y = np.append(y[:1], y[1:] - 0.7 * y[:-1])
    hop, width, order = int(rate * FRAME_PERIOD / 1000), 250, 12
    window = np.hamming(width)
    found = []
    for index in np.flatnonzero(f0 > 0):
        frame = y[index * hop:index * hop + width]
        if len(frame) < width or np.abs(frame).max() < 1e-4:
            continue
        frame = frame * window
        r = np.correlate(frame, frame, "full")[width - 1:width + order]
        a = _levinson(r, order)
        if a is None:
            continue
        roots = np.roots(a)
        roots = roots[np.imag(roots) > 0]
        freqs = np.angle(roots) * rate / (2 * np.pi)
        bandwidths = -np.log(np.abs(roots)) * rate / np.pi
        candidates = sorted(f for f, b in zip(freqs, bandwidths) if 200 < f < 4500 and b < 400)
        if len(candidates) >= 4:
            found.append(candidates[:4])
    if len(found) < 10:
        return np.array([500.0, 1500.0, 2500.0, 3500.0])  # a neutral tract: no warp
    return np.median(np.array(found), axis=0)


def _levinson(r, order):
    import numpy as np

    a = np.zeros(order + 1)
    a[0] = 1.0
    error = r[0]
    if error <= 0:
        return None
    for i in range(1, order + 1):
        k = -(r[i] + np.dot(a[1:i], r[i - 1:0:-1])) / error
        a[1:i] = a[1:i] + k * a[i - 1:0:-1]
        a[i] = k
        error *= 1 - k * k
        if error <= 0:
            return None
    return a


def _bandwidth(sp: "np.ndarray", speech: "np.ndarray") -> float:
    """Highest frequency within 50 dB of the recording's strongest, capped: a 16 kHz
    reference has nothing above 8 kHz, and the converter must not copy that silence."""
    import numpy as np

    ltas = 10 * np.log10(sp[speech].mean(axis=0) + 1e-20)
    freqs = np.linspace(0, WORK_RATE / 2, sp.shape[1])
    strong = np.flatnonzero(ltas > ltas.max() - 50)
    return float(min(freqs[strong[-1]] if len(strong) else MAX_BAND_HZ, MAX_BAND_HZ))


def analyse(samples: "np.ndarray", rate: int) -> VoiceStats:
    """Measure a speaker on a recording (any rate; at least a few seconds of speech)."""
    import numpy as np

    x = resample(samples, rate, WORK_RATE)
    f0, sp, ap = world_analyse(x)
    speech = speech_frames(sp)
    voiced = f0 > 0
    if voiced.sum() < 20:
        raise ValueError("too little voiced speech to measure the speaker")
    log_f0 = np.log(f0[voiced])
    bands = band_energies(sp)
    return VoiceStats(
        logf0_mean=float(log_f0.mean()), logf0_std=float(max(log_f0.std(), 1e-3)),
        formants=median_formants(x, f0),
        voiced=_cap(bands[speech & voiced]), unvoiced=_cap(bands[speech & ~voiced]),
        bandwidth=_bandwidth(sp, speech), seconds=len(x) / WORK_RATE)


def _cap(frames: "np.ndarray") -> "np.ndarray":
    """At most MAX_REFERENCE_FRAMES frames, evenly spread over the recording."""
    import numpy as np

    if len(frames) <= MAX_REFERENCE_FRAMES:
        return frames
    step = len(frames) / MAX_REFERENCE_FRAMES
    return frames[(np.arange(MAX_REFERENCE_FRAMES) * step).astype(int)]


def distance(base: VoiceStats, reference: VoiceStats) -> float:
    """How far a base voice is from the reference: pitch difference in octaves plus the
    RMS difference of their long-term spectrum shapes (in units of 10 dB)."""
    import numpy as np

    octaves = abs(base.logf0_mean - reference.logf0_mean) / np.log(2)
    bands = min(BANDS, int(np.searchsorted(band_matrix(fft_size() // 2 + 1)[1],
                                           reference.bandwidth)))
    shape = base.spectrum_shape()[:bands] - reference.spectrum_shape()[:bands]
    shape_db = float(np.sqrt(np.mean((shape - shape.mean()) ** 2))) * 10 / np.log(10)
    return float(octaves + shape_db / 10)


# --------------------------------------------------------------------------- conversion

def convert(samples: "np.ndarray", rate: int, base: VoiceStats,
            reference: VoiceStats) -> "np.ndarray":
    """Speech of the base voice (``samples`` at ``rate``) converted towards ``reference``;
    float32 at ``WORK_RATE``, at the input's loudness."""
    import numpy as np
    import pyworld

    x = resample(samples, rate, WORK_RATE)
    if len(x) < WORK_RATE * FRAME_PERIOD / 1000 * 8 or not np.any(x):
        return x.astype(np.float32)
    f0, sp, ap = world_analyse(x)

    # 1. pitch: log-domain mean and spread
    voiced = f0 > 0
    new_f0 = np.zeros_like(f0)
    ratio = np.clip(reference.logf0_std / base.logf0_std, *SPREAD_LIMITS)
    new_f0[voiced] = np.exp((np.log(f0[voiced]) - base.logf0_mean) * ratio
                            + reference.logf0_mean)
    new_f0 = np.where(voiced, np.clip(new_f0, F0_FLOOR * 0.7, F0_CEIL * 1.3), 0.0)

    # 2. formants: piecewise-linear frequency warp through F1-F4
    nyquist = WORK_RATE / 2
    source_at = np.interp(np.linspace(0, nyquist, sp.shape[1]),
                          np.r_[0.0, reference.formants, nyquist],
                          np.r_[0.0, base.formants, nyquist])
    sp = _warp(sp, source_at)
    ap = np.clip(_warp(ap, source_at), 0.0, 1.0)

    # 3. timbre: per-frame band gains (kNN on speaker-normalised band energies); the base
    #    voice's statistics are taken after the same formant warp as the frames
    weights, centres, freqs = band_matrix(sp.shape[1])
    bands = np.log(sp @ weights.T + 1e-16)
    speech = speech_frames(sp)
    gains = np.zeros_like(bands)
    centre_source = np.interp(centres, np.r_[0.0, reference.formants, nyquist],
                              np.r_[0.0, base.formants, nyquist])
    for is_voiced in (True, False):
        rows = speech & (voiced == is_voiced)
        if rows.any():
            warped_base = _warp_bands(base.frames(is_voiced), centres, centre_source)
            gains[rows] = _band_gains(bands[rows], warped_base, reference.frames(is_voiced))
    usable = centres <= reference.bandwidth
    last = int(np.flatnonzero(usable)[-1]) if usable.any() else 0
    gains[:, last + 1:] = gains[:, last:last + 1]   # above the reference's band: hold
    gains = np.clip(gains, -MAX_GAIN, MAX_GAIN)
    curve = np.stack([np.interp(freqs, centres, row) for row in gains])
    sp = sp * np.exp(curve)

    y = pyworld.synthesize(*(np.ascontiguousarray(a, dtype=np.float64) for a in (new_f0, sp, ap)),
                           WORK_RATE, FRAME_PERIOD)[:len(x)]
    level_in, level_out = np.sqrt(np.mean(x ** 2)), np.sqrt(np.mean(y ** 2))
    if level_out > 0:
        y = y * (level_in / level_out)
    peak = np.abs(y).max() if len(y) else 0.0
    if peak > 0.99:
        y = y * (0.99 / peak)
    return y.astype(np.float32)


def _warp(matrix: "np.ndarray", source_at: "np.ndarray") -> "np.ndarray":
    """``out[:, f] = matrix[:, source_at(f)]`` with linear interpolation between bins."""
    import numpy as np

    position = source_at / (WORK_RATE / 2) * (matrix.shape[1] - 1)
    low = np.clip(np.floor(position).astype(int), 0, matrix.shape[1] - 1)
    high = np.clip(low + 1, 0, matrix.shape[1] - 1)
    frac = position - low
    return matrix[:, low] * (1 - frac) + matrix[:, high] * frac


def _warp_bands(frames: "np.ndarray", centres: "np.ndarray",
                centre_source: "np.ndarray") -> "np.ndarray":
    """Band energies as they would be after the formant warp: band ``i`` takes the value
    at frequency ``centre_source[i]`` (linear between band centres)."""
    import numpy as np

    if not len(frames):
        return frames
    position = np.interp(centre_source, centres, np.arange(len(centres)))
    low = np.clip(np.floor(position).astype(int), 0, len(centres) - 1)
    high = np.clip(low + 1, 0, len(centres) - 1)
    frac = position - low
    return frames[:, low] * (1 - frac) + frames[:, high] * frac


def _band_gains(frames: "np.ndarray", base: "np.ndarray", reference: "np.ndarray") -> "np.ndarray":
    """Per-band log gains moving ``frames`` (base voice, one class) to the reference.

    Mean/spread normalisation gives the reference's long-term spectrum; with enough
    reference frames, each frame's shape is replaced by the mean shape of its nearest
    reference frames in the normalised space, at the frame's own (mapped) level."""
    import numpy as np

    if len(base) < 2 or len(reference) < 2:
        return np.zeros_like(frames)
    mu_s, sd_s = base.mean(axis=0), base.std(axis=0) + 1e-6
    mu_r, sd_r = reference.mean(axis=0), reference.std(axis=0) + 1e-6
    mapped = (frames - mu_s) + mu_r            # mean normalisation: the long-term spectrum
    if len(reference) < K_NEAREST * 2:
        return mapped - frames
    z_frames = (frames - mu_s) / sd_s
    z_reference = (reference - mu_r) / sd_r
    z_frames = z_frames - z_frames.mean(axis=1, keepdims=True)       # shape, not level
    z_reference = z_reference - z_reference.mean(axis=1, keepdims=True)
    distances = ((z_frames ** 2).sum(axis=1)[:, None] + (z_reference ** 2).sum(axis=1)[None]
                 - 2.0 * z_frames @ z_reference.T)
    nearest = np.argpartition(distances, K_NEAREST, axis=1)[:, :K_NEAREST]
    target = reference[nearest].mean(axis=1)
    target = target - target.mean(axis=1, keepdims=True) + mapped.mean(axis=1, keepdims=True)
    return target - frames


# --------------------------------------------------------------------------- the backend

#: what base voices read once per process to measure themselves (phonetically varied)
CALIBRATION_TEXT = (
    "A quick brown fox jumped over the lazy dogs while the children watched from the "
    "porch. Would you like some fresh bread, cheese and a cup of hot tea? The village "
    "shop sells maps, boots, pencils and jars of yellow honey. Thousands of birds fly "
    "south each autumn, and they return when the weather warms. She measured the beam "
    "twice, then cut it with a sharp saw, and it fitted perfectly.")


def _base_engines() -> dict:
    """Engines a base voice can come from (built-ins; the clone engine has no registry)."""
    from plugins.speech.hibari_voice import HibariEngine
    from plugins.speech.piper_voice import PiperEngine

    return {"hibari": HibariEngine, "piper": PiperEngine}


def _base_candidates() -> list[str]:
    """Embedded voices ``match`` chooses from: hibari's voices that are on this machine.

    piper voices are left out of the automatic choice: measured through WORLD
    resynthesis, their output lost intelligibility (word error 15-35% after conversion,
    against under 8% for hibari's), so they are used only when a profile asks
    (``base: piper:joe``)."""
    from plugins.speech.hibari_voice import HibariEngine

    return [f"hibari:{v.name}" for v in HibariEngine().voices() if v.ready_offline]


def _engine_and_voice(spec: str):
    from engine.voices import parse_voice_spec

    name, voice = parse_voice_spec(spec)
    engines = _base_engines()
    if name not in engines:
        from engine.errors import ModelUnavailableError
        raise ModelUnavailableError(f"match cannot start from voice {spec!r}",
                                    hint=f"base voices come from {', '.join(engines)}")
    engine = engines[name]()
    return engine, engine.voice(voice).name


def base_stats(spec: str) -> VoiceStats:
    """The base voice measured on CALIBRATION_TEXT (once per process)."""
    from engine.voices import shared_model

    def load() -> VoiceStats:
        import numpy as np
        from engine.voices import trim_silence

        engine, voice = _engine_and_voice(spec)
        pieces, rate = [], 0
        for utterance in engine.synthesize_long(CALIBRATION_TEXT, voice):
            spoken = trim_silence(utterance.synthesis)
            rate = spoken.sample_rate
            pieces += [spoken.samples, np.zeros(int(0.2 * rate), np.float32)]
        return analyse(np.concatenate(pieces), rate)

    return shared_model(("clone-match-base", spec, VERSION), load)


def reference_stats(clone) -> VoiceStats:
    """The reference speaker measured on their checked recordings (once per process)."""
    from engine.voices import shared_model
    from plugins.speech.cloning import reference_digest
    from plugins.speech.cloning.reference import load_reference

    def load() -> VoiceStats:
        reference = load_reference(clone.samples)
        return analyse(reference.samples, reference.rate)

    return shared_model(("clone-match-reference", reference_digest(clone), VERSION), load)


class MatchBackend:
    """Offline voice matching: an embedded voice converted towards the reference."""

    name = "match"

    def ready(self) -> tuple[bool, str]:
        import importlib.util

        if importlib.util.find_spec("pyworld") is None:
            return False, "needs the WORLD vocoder: pip install pyworld-prebuilt"
        return True, ""

    def base_voice(self, clone) -> str:
        """The profile's ``base``, else the candidate closest to the reference."""
        if clone.base:
            return clone.base
        candidates = _base_candidates()
        if len(candidates) == 1:
            return candidates[0]
        target = reference_stats(clone)
        return min(candidates, key=lambda spec: distance(base_stats(spec), target))

    def identity(self, clone) -> str:
        import importlib.metadata

        base = self.base_voice(clone)
        engine, voice = _engine_and_voice(base)
        try:
            world = importlib.metadata.version("pyworld-prebuilt")
        except importlib.metadata.PackageNotFoundError:
            world = importlib.metadata.version("pyworld")
        return f"match {VERSION}/base {engine.identity(voice)}/pyworld {world}"

    def describe(self, clone) -> str:
        return (f"remixer match (offline): the embedded voice {self.base_voice(clone)} with "
                f"its pitch and spectral envelope converted towards the reference recording "
                f"(WORLD vocoder); not a neural clone")

    def synthesize(self, text: str, clone, *, speed: float = 1.0):
        from engine.voices import Synthesis

        ready, reason = self.ready()
        if not ready:
            from engine.errors import ModelUnavailableError
            raise ModelUnavailableError("voice matching is not available", hint=reason)
        base = self.base_voice(clone)
        engine, voice = _engine_and_voice(base)
        target = reference_stats(clone)
        source = base_stats(base)
        spoken = engine.synthesize(text, voice, speed=speed)
        samples = convert(spoken.samples, spoken.sample_rate, source, target)
        # word timings are in seconds: resampling and conversion keep them
        return Synthesis(samples, WORK_RATE, spoken.words)
