"""Reframing a wide video to a narrow one: centre crop, face following, or blurred padding.

Face following: frames are sampled a few times a second (small, grey, through
:func:`engine.media.video_frames`); OpenCV's bundled Haar cascade
(``cv2.data.haarcascades``) finds faces and the largest one's centre is the target.
The raw track is noisy (missed frames, false hits, the detector's box wobbling), so
:func:`smooth_track`:

1. fills missed samples by interpolating between neighbours (holding at the ends);
2. takes a running median (drops one-sample false hits);
3. moves a virtual camera that stays still while the target is inside a dead zone
   around the frame centre, and otherwise pans towards it no faster than
   ``max_speed`` (fraction of the source width per second);
4. averages the camera path over a short window (no sudden starts or stops).

The path becomes the crop's ``x`` as an ffmpeg expression of ``t``, linear between
kept points (collinear points dropped, so it stays short). When no face is found in
enough samples, the clip is shown whole over a blurred copy of itself instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

#: share of samples that must hold a face for face following to be used
MIN_FACE_SHARE = 0.3


@dataclass(frozen=True)
class Track:
    """Where to centre the crop over time, as fractions of the source width."""

    times: tuple[float, ...]
    centers: tuple[float, ...]
    #: share of samples where a face was found
    found: float


def detect_faces(path: Path, *, start: float, duration: float, sample_fps: float = 3.0,
                 width: int = 320) -> tuple[list[float], list[float | None]]:
    """Times (relative to ``start``) and the largest face's centre x (fraction of the
    width) per sampled frame; None where no face was found."""
    import cv2

    from engine import media

    cascade = cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"))
    times, centers = [], []
    for t, gray in media.video_frames(path, start=start, duration=duration, fps=sample_fps,
                                      width=width):
        faces = ()
        # as decoded first; equalised (helps dim, low-contrast footage) when that finds none
        for image in (gray, None):
            image = cv2.equalizeHist(gray) if image is None else image
            faces = cascade.detectMultiScale(image, scaleFactor=1.1, minNeighbors=5,
                                             minSize=(max(width // 16, 16),) * 2)
            if len(faces):
                break
        times.append(round(t - start, 3))
        if len(faces):
            x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
            centers.append((x + w / 2) / gray.shape[1])
        else:
            centers.append(None)
    return times, centers


def smooth_track(times: Sequence[float], centers: Sequence[float | None], *,
                 crop_fraction: float, dead_zone: float = 0.06, max_speed: float = 0.25,
                 median: int = 5, average: float = 0.8) -> Track | None:
    """A steady camera path from a noisy face track (see the module docstring); None when
    too few samples hold a face. ``crop_fraction`` is the crop's width over the source's:
    the centre is kept where a crop that wide fits."""
    if not times:
        return None
    found = sum(c is not None for c in centers) / len(centers)
    if found < MIN_FACE_SHARE:
        return None
    filled = _interpolate(list(times), list(centers))
    filtered = _running_median(filled, median)
    half = crop_fraction / 2
    filtered = [min(max(c, half), 1 - half) for c in filtered]
    # the camera: still inside the dead zone, else a bounded pan towards the target
    camera = [filtered[0]]
    for k in range(1, len(filtered)):
        dt = max(times[k] - times[k - 1], 1e-6)
        error = filtered[k] - camera[-1]
        if abs(error) <= dead_zone:
            camera.append(camera[-1])
            continue
        step = error - dead_zone * (1 if error > 0 else -1)
        limit = max_speed * dt
        camera.append(camera[-1] + max(-limit, min(limit, step)))
    smoothed = _moving_average(list(times), camera, average)
    smoothed = [round(min(max(c, half), 1 - half), 4) for c in smoothed]
    return Track(tuple(times), tuple(smoothed), found)


def _interpolate(times: list[float], values: list[float | None]) -> list[float]:
    known = [(t, v) for t, v in zip(times, values) if v is not None]
    out = []
    for t, v in zip(times, values):
        if v is not None:
            out.append(v)
            continue
        before = [(tt, vv) for tt, vv in known if tt <= t]
        after = [(tt, vv) for tt, vv in known if tt >= t]
        if before and after:
            (t0, v0), (t1, v1) = before[-1], after[0]
            out.append(v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0))
        else:
            out.append((before or after)[-1 if before else 0][1])
    return out


def _running_median(values: list[float], size: int) -> list[float]:
    half = size // 2
    out = []
    for k in range(len(values)):
        window = sorted(values[max(0, k - half):k + half + 1])
        out.append(window[len(window) // 2])
    return out


def _moving_average(times: list[float], values: list[float], seconds: float) -> list[float]:
    out = []
    for k, t in enumerate(times):
        window = [v for tt, v in zip(times, values) if abs(tt - t) <= seconds / 2]
        out.append(sum(window) / len(window))
    return out


def jitter(values: Sequence[float]) -> float:
    """Mean absolute second difference: how much a path shakes (0 for straight pans)."""
    if len(values) < 3:
        return 0.0
    return sum(abs(values[k + 1] - 2 * values[k] + values[k - 1])
               for k in range(1, len(values) - 1)) / (len(values) - 2)


def crop_x_expression(track: Track, source_width: int, crop_width: int) -> str:
    """The crop's left edge in pixels as an ffmpeg expression of ``t``, piecewise linear."""
    xs = [c * source_width - crop_width / 2 for c in track.centers]
    points = _simplify(list(zip(track.times, xs)), tolerance=1.0)
    if len(points) == 1:
        return f"{points[0][1]:.1f}"
    terms = [f"lt(t,{points[0][0]:.3f})*{points[0][1]:.1f}"]
    for (t0, x0), (t1, x1) in zip(points, points[1:]):
        slope = (x1 - x0) / (t1 - t0)
        terms.append(f"gte(t,{t0:.3f})*lt(t,{t1:.3f})*({x0:.1f}+{slope:.3f}*(t-{t0:.3f}))")
    terms.append(f"gte(t,{points[-1][0]:.3f})*{points[-1][1]:.1f}")
    return "+".join(terms)


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Ramer-Douglas-Peucker on (t, x): keep the points a straight line cannot stand for."""
    if len(points) <= 2:
        return points if len(points) < 2 or abs(points[0][1] - points[1][1]) > tolerance \
            else points[:1]
    (t0, x0), (t1, x1) = points[0], points[-1]
    worst, index = 0.0, 0
    for k in range(1, len(points) - 1):
        t, x = points[k]
        line = x0 + (x1 - x0) * (t - t0) / (t1 - t0) if t1 != t0 else x0
        if abs(x - line) > worst:
            worst, index = abs(x - line), k
    if worst <= tolerance:
        return [points[0], points[-1]] if abs(x1 - x0) > tolerance else [points[0]]
    left = _simplify(points[:index + 1], tolerance)
    right = _simplify(points[index:], tolerance)
    return left[:-1] + right if left[-1] == right[0] else left + right
