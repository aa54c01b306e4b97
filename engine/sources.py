"""What a source loader is: it turns one input file into the first artifact of a run."""

from __future__ import annotations

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
