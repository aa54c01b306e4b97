"""plugins.audio.sentence_cache: each sentence spoken once per step and cached, given in
order as soon as it is ready, a repeated sentence at every place it is said."""

from __future__ import annotations

import numpy as np

from engine.cache import Cache
from engine.transform import Context
from plugins.audio.sentence_cache import Sentence, speak_sentences

from .test_voices import ToneEngine


class CountingEngine(ToneEngine):
    def __init__(self):
        self.said: list[str] = []

    def synthesize(self, text, voice, *, speed=1.0):
        self.said.append(text)
        return super().synthesize(text, voice, speed=speed)


def _context(registry, tmp_path) -> Context:
    return Context(registry=registry, step_id="narration", source_name="s",
                   scratch_root=tmp_path / "work", cache=Cache(tmp_path / "cache"))


def test_a_repeated_sentence_is_spoken_once_and_given_at_every_place(registry, tmp_path):
    engine = CountingEngine()
    texts = ["Hello there.", "A longer sentence follows.", "Hello there.", "Bye.",
             "Hello there."]
    ctx = _context(registry, tmp_path)
    speech = list(speak_sentences([Sentence(engine, "a", t) for t in texts], ctx))
    assert engine.said == ["Hello there.", "A longer sentence follows.", "Bye."]
    assert len(speech) == len(texts)
    for i, j in ((0, 2), (0, 4)):
        assert np.array_equal(speech[i].samples, speech[j].samples)
    assert len(speech[1].samples) > len(speech[0].samples) > len(speech[3].samples)
    assert ctx.metrics["sentences"] == {"spoken": 5, "unique": 3, "synthesised": 3,
                                        "from_cache": 0, "threads": 1}


def test_sentences_spoken_before_come_from_the_cache_in_order(registry, tmp_path):
    texts = ["One sentence here.", "Two.", "One sentence here.", "Three words now."]
    first = list(speak_sentences([Sentence(CountingEngine(), "a", t) for t in texts],
                                 _context(registry, tmp_path)))
    engine = CountingEngine()
    ctx = _context(registry, tmp_path)
    again = speak_sentences([Sentence(engine, "a", t) for t in texts], ctx)
    assert np.allclose(next(again).samples, first[0].samples, atol=1 / 32767)
    rest = list(again)
    assert engine.said == []   # nothing spoken again
    assert [len(s.samples) for s in rest] == [len(s.samples) for s in first[1:]]
    assert ctx.metrics["sentences"]["from_cache"] == 3
