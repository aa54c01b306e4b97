"""When each scene and key point of a storyboard shows, from the narration's word timings.

The storyboard's text is found in the words (which are the script's own words, timed):
the scripts are matched token by token (:class:`difflib.SequenceMatcher`, so a narration
made elsewhere with small differences still lines up). A scene starts on the frame of
the first word of its narration, which is the start of a sentence; a key point appears
on the frame of the first word of its cue sentence. The title card starts at 0; the
closing card starts just after the last word and stays ``tail`` seconds. Times are on
frame boundaries. The transition into a scene ends when its first word is spoken.

A slide never shows its heading alone for long: when a scene's first key point is said
more than ``BARE_SECONDS`` into it (a section whose chosen sentences come late), that
point shows as soon as the heading has been said, when the scene's second sentence
starts (``EARLY_SECONDS`` in at the latest), as a preview of what the section arrives
at; the points after it still appear as they are said.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Sequence

from engine.artifacts import Storyboard, Word

_TOKEN = re.compile(r"[\W_]+", re.UNICODE)
#: the longest a scene shows only its heading before its first key point appears
BARE_SECONDS = 8.0
#: a first key point brought forward shows at most this long into its scene
EARLY_SECONDS = 3.0


def norm(token: str) -> str:
    return _TOKEN.sub("", token.lower())


@dataclass(frozen=True)
class Timeline:
    fps: float
    #: per scene: start and end, seconds on frame boundaries (end = next start)
    starts: tuple[float, ...]
    ends: tuple[float, ...]
    #: per scene: when each of its points appears
    points: tuple[tuple[float, ...], ...]
    #: per scene: the length of the transition that ends at its start (0 for the first)
    fades: tuple[float, ...]
    duration: float
    #: the storyboard's scenes shown, by index (a scene not found in the audio is not)
    scenes: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()

    def frames(self, seconds: float) -> int:
        return int(round(seconds * self.fps))


def speaker_turns(words: Sequence[Word]) -> list[tuple[str, float, float]]:
    """``(speaker, start, end)`` runs of words by one speaker; a turn lasts until the next."""
    turns: list[list] = []
    for word in words:
        if not word.speaker:
            continue
        if turns and turns[-1][0] == word.speaker:
            turns[-1][2] = word.end
        else:
            if turns:
                turns[-1][2] = word.start
            turns.append([word.speaker, word.start, word.end])
    return [(s, a, b) for s, a, b in turns]


def timeline(board: Storyboard, words: Sequence[Word], audio_duration: float, fps: float, *,
             transition: float = 0.5, tail: float = 3.0) -> Timeline:
    """The scenes' and points' times (see the module docstring)."""
    frame = 1.0 / fps

    def snap(t: float) -> float:
        return round(round(t * fps) / fps, 6)

    script: list[tuple[int, int]] = []   # (scene, token index in its narration)
    tokens: list[str] = []
    for i, scene in enumerate(board.scenes):
        for j, token in enumerate(scene.narration.split()):
            script.append((i, j))
            tokens.append(norm(token))
    heard = [norm(w.text) for w in words]
    matcher = difflib.SequenceMatcher(None, tokens, heard, autojunk=False)
    found: dict[tuple[int, int], float] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            found[script[block.a + k]] = words[block.b + k].start
    last_word = max((w.end for w in words), default=audio_duration)
    speech_end = min(max(last_word, 0.0), audio_duration) if audio_duration else last_word
    notes: list[str] = []
    starts: list[float | None] = []
    for i, scene in enumerate(board.scenes):
        count = len(scene.narration.split())
        hit = next((found[(i, j)] for j in range(count) if (i, j) in found), None)
        if i == 0:
            starts.append(0.0)
        elif scene.kind == "closing" and hit is None:
            starts.append(speech_end + 0.4)
        else:
            if hit is None:
                notes.append(f"scene {i + 1} ({scene.heading or scene.kind}): its narration "
                             "is not in the audio; it is left out")
            starts.append(hit)
    has_closing = board.scenes[-1].kind == "closing"
    duration = snap(max(audio_duration, (starts[-1] or 0) + tail if has_closing else 0))
    # drop scenes that were not found or would not last a frame; keep order
    kept: list[int] = []
    for i, start in enumerate(starts):
        if start is None:
            continue
        start = snap(start)
        if kept and start < snap(starts[kept[-1]]) + 2 * frame:
            notes.append(f"scene {i + 1} ({board.scenes[i].heading or board.scenes[i].kind}) "
                         "would last less than two frames; it is left out")
            continue
        starts[i] = start
        kept.append(i)
    scene_starts = [snap(starts[i]) if i in kept else None for i in range(len(board.scenes))]
    out_starts, out_ends, out_points, out_fades = [], [], [], []
    for n, i in enumerate(kept):
        start = scene_starts[i]
        end = scene_starts[kept[n + 1]] if n + 1 < len(kept) else duration
        out_starts.append(start)
        out_ends.append(end)
        previous = out_starts[-2] if n else None
        fade = 0.0 if n == 0 else snap(min(transition, (start - previous) / 2, (end - start) / 2))
        out_fades.append(fade)
        scene = board.scenes[i]
        times = []
        narration = [norm(t) for t in scene.narration.split()]
        for point in scene.points:
            cue = [norm(t) for t in (point.cue or point.text).split()]
            at = _sublist(narration, cue[:6])
            t = found.get((i, at)) if at is not None else None
            times.append(snap(min(max(t if t is not None else start, start), end)))
        if times and min(times) > start + BARE_SECONDS:
            first = times.index(min(times))
            times[first] = snap(min(_second_sentence(scene.narration, i, found, start),
                                    start + EARLY_SECONDS, end))
        out_points.append(tuple(times))
    return Timeline(fps, tuple(out_starts), tuple(out_ends), tuple(out_points), tuple(out_fades),
                    duration, tuple(kept), tuple(notes))


def _second_sentence(narration: str, scene: int, found: dict[tuple[int, int], float],
                     start: float) -> float:
    """When the scene's second sentence (the first after its heading, in a document's
    plan) starts, or ``start + EARLY_SECONDS`` when it is not heard."""
    tokens = narration.split()
    for j, token in enumerate(tokens[:-1]):
        if token.rstrip("\"'”’)").endswith((".", "!", "?", ":")) and (scene, j + 1) in found:
            return max(found[(scene, j + 1)], start)
    return start + EARLY_SECONDS


def _sublist(haystack: list[str], needle: list[str]) -> int | None:
    if not needle:
        return None
    for i in range(len(haystack) - len(needle) + 1):
        if haystack[i:i + len(needle)] == needle:
            return i
    return None
