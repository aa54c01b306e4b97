"""What a source loader is (one input file to the first artifact of a run), and what a
source expander is (a URL or a feed to the files loaders read)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from engine.artifacts import Artifact


class SourceLoader:
    """Base class for source loaders, registered through ``register_source_loaders``.

    The runner picks the loader whose ``extensions`` contain the file's suffix (lower
    case, with the dot). Raise :class:`engine.errors.SourceError` with a one-line
    message for files that cannot be read; the batch goes on with the other sources.
    """

    name: ClassVar[str]
    #: bump when the same file would load differently (invalidates downstream cache)
    version: ClassVar[str] = "1"
    extensions: ClassVar[tuple[str, ...]]
    #: the artifact kind ``load`` returns
    produces: ClassVar[str]
    #: where a loader stores images it extracts (content-addressed, never beside the
    #: source); the runner points it into the run's cache before each load
    assets_dir: Path | None = None

    def load(self, path: Path) -> Artifact:
        raise NotImplementedError


@dataclass(frozen=True)
class ExpandSettings:
    """What an expander needs to know about the run."""

    #: the run's cache folder; downloads go under it (``cache_dir / "downloads"``)
    cache_dir: Path
    #: at most this many items of a feed, newest first
    limit: int = 10


@dataclass(frozen=True, slots=True)
class ExpandedSource:
    """One source an expander found: a local file the loaders read, and where it came from.

    ``origin`` is what the user named or the feed linked (a URL); it goes into the manifest
    and the report. ``loader`` names the loader when the file's extension does not say
    (a downloaded web page). ``metadata`` (the feed item's title, date, author) fills what
    the loaded artifact lacks. A source that could not be fetched has no ``path`` and a
    one-line ``error``; it fails alone like any unreadable file.
    """

    path: Path | None
    origin: str
    loader: str = ""
    metadata: tuple[tuple[str, str], ...] = ()
    error: str = ""
    #: what the source's slug is made from (a feed item's title); default: the file's name
    name: str = ""


class SourceExpander:
    """Base class for source expanders, registered through ``register_source_expanders``.

    An expander claims source arguments that are not plain files (an ``https://`` URL, a
    feed) and turns each into regular files before anything else runs: a download in the
    cache, or one file per feed item. ``claims(spec)`` must be cheap and must not touch
    the network; ``expand(spec, settings)`` may, and returns failures as
    :class:`ExpandedSource` with an ``error`` rather than raising, so the batch goes on.
    """

    name: ClassVar[str]

    def claims(self, spec: str) -> bool:
        raise NotImplementedError

    def expand(self, spec: str, settings: ExpandSettings) -> list[ExpandedSource]:
        raise NotImplementedError
