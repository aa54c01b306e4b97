"""Word timings from what a voice engine knows: how long it spoke each phoneme.

Neural voices such as Piper (VITS) and hibari predict a duration for every phoneme and
then generate exactly that many frames, so the phoneme durations *are* the timeline of
the audio. What the engine does not know is which written word each phoneme belongs to:
its front end rewrites the text (numbers said as words, espeak joining "of the" into one
phoneme word) before it speaks. :func:`words_from_phonemes` bridges that.

Method. Each written token is phonemised on its own by the engine's own front end, and
the sounds of all tokens are aligned with the sounds the engine spoke (difflib's
longest matching blocks, monotonic: spaces, pauses and stress marks left out). A token
starts at the spoken sound its first sound matched and ends where its last one did;
tokens read differently in context ("2024" as a year) share the time between their
neighbours. Pauses at commas and between sentences stay between words.

:func:`with_duration_output` makes an ONNX model report its per-phoneme durations (a
graph output added in memory; needs the ``onnx`` package, a default dependency).
"""

from __future__ import annotations

import difflib
from typing import Callable, Sequence

from engine.artifacts import Word
from plugins.speech.alignment import _fill_gaps, _monotonic

#: bump when the timings for the same phonemes change (keys cached sentences)
VERSION = "1"
#: phoneme symbols that are pauses, not sounds of a word
PAUSES = frozenset(",.!?;:—–-…\"'()[]“”‘’^$_")
#: symbols that mark stress or length: part of a word, but not sounds of their own
MARKS = frozenset("ˈˌːˑ")


def words_from_phonemes(text: str, phonemes: Sequence[tuple[str, float]],
                        phonemize: Callable[[str], Sequence[str]]) -> tuple[Word, ...]:
    """One timed word per token of ``text.split()``, from the engine's phoneme timeline
    ``(symbol, seconds)`` (from the start of the samples). ``phonemize`` is the engine's
    own front end for one token (its phoneme symbols), so each token's sounds can be
    found in what was spoken. Empty when the engine spoke nothing."""
    tokens = text.split()
    sounds = _sounds(phonemes)
    if not tokens or not sounds:
        return ()
    read: list[str] = []              # the sounds the tokens are read as, in order
    owner: list[int] = []             # the token index of each
    for index, token in enumerate(tokens):
        symbols = [s for s in phonemize(token) if _is_sound(s)]
        read += symbols
        owner += [index] * len(symbols)
    matcher = difflib.SequenceMatcher(None, [s for s, _, _ in sounds], read, autojunk=False)
    # anchors: for each token sound matched in the speech, the spoken sound's index
    spoken_at: list[int | None] = [None] * len(owner)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            spoken_at[block.b + k] = block.a + k
    first = {}
    last = {}
    for j, index in enumerate(owner):
        first.setdefault(index, j)
        last[index] = j
    timed: list[tuple[float | None, float | None]] = []
    for index in range(len(tokens)):
        a = spoken_at[first[index]] if index in first else None
        b = spoken_at[last[index]] if index in last else None
        timed.append((sounds[a][1] if a is not None else None,
                      sounds[b][2] if b is not None else None))
    return _filled(tokens, timed, sounds[-1][2])


def _is_sound(symbol: str) -> bool:
    return not symbol.isspace() and symbol not in PAUSES and symbol not in MARKS


def _sounds(phonemes: Sequence[tuple[str, float]]) -> list[tuple[str, float, float]]:
    """``(symbol, start, end)`` of every sound (no spaces, pauses or stress marks)."""
    out, at = [], 0.0
    for symbol, seconds in phonemes:
        if _is_sound(symbol):
            out.append((symbol, at, at + seconds))
        at += seconds
    return out


def _filled(tokens: Sequence[str], timed: list[tuple[float | None, float | None]],
            finish: float) -> tuple[Word, ...]:
    """Tokens whose sounds were not found in the speech ("2024" read as a year, not as
    the number its token was phonemised as) share the time between the found ones around
    them, as the aligner does for words the recogniser missed; never backwards."""
    spans = [(start, end) if start is not None and end is not None and end >= start else None
             for start, end in timed]
    _fill_gaps(tokens, spans, finish)
    return tuple(_monotonic(tokens, spans))


def with_duration_output(model_path: str, tensor: str | None = None) -> bytes:
    """The ONNX model at ``model_path`` with the tensor ``tensor`` (the per-phoneme
    durations; None: the output of the graph's only ``Ceil``, as in VITS voices) added as
    a graph output, serialised for ``onnxruntime.InferenceSession``. Raises ImportError
    without the ``onnx`` package, ValueError when there is no such tensor."""
    import onnx

    model = onnx.load(model_path)
    if tensor is None:
        ceils = [out for node in model.graph.node if node.op_type == "Ceil" for out in node.output]
        if len(ceils) != 1:
            raise ValueError(f"{model_path} has {len(ceils)} Ceil outputs, not one")
        tensor = ceils[0]
    if not any(tensor in node.output for node in model.graph.node):
        raise ValueError(f"{model_path} has no tensor {tensor!r}")
    if not any(output.name == tensor for output in model.graph.output):
        info = onnx.helper.ValueInfoProto()
        info.name = tensor
        model.graph.output.append(info)
    return model.SerializeToString()
