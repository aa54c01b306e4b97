"""What a transform is: the unit of work a recipe step names.

A transform consumes one artifact of the kinds in ``consumes`` and produces one of kind
``produces``. Its parameters are a pydantic model (``Params``, ``extra="forbid"``) so a
recipe's ``with:`` block is validated, documented and exported as JSON Schema for free.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from pydantic import BaseModel, ConfigDict

from engine.artifacts import Artifact

if TYPE_CHECKING:  # pragma: no cover
    from engine.cache import Cache


class Params(BaseModel):
    """Base for transform parameters. Describe every field: the text is user documentation."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Context:
    """What a running step may use besides its input and parameters."""

    #: the run's ``engine.plugins.Registry`` (the registry sits above transforms: not imported)
    registry: Any
    step_id: str
    source_name: str
    #: where ``work_dir`` is made, on first use (the cache's disk, so files move cheaply)
    scratch_root: Path | None = None
    #: called with a fraction in [0, 1] for long steps, and optionally a label saying
    #: what is happening ("synthesising 31/80 sentences"); see :meth:`phase`
    progress: Callable[..., None] = lambda fraction, label="": None
    #: threads this step may use for work inside one source (the runner gives each
    #: source its share of the cores, so ``-j N`` is never oversubscribed)
    threads: int = 1
    #: notes a step wants in the manifest (fallbacks taken, targets not reachable)
    notes: list[str] = field(default_factory=list)
    #: numbers a step wants in the manifest (tokens spent, real-time factor)
    metrics: dict[str, Any] = field(default_factory=dict)
    #: the step cache, set by the runner (see :meth:`memo`)
    cache: "Cache | None" = field(default=None, repr=False)
    _work_dir: Path | None = field(default=None, repr=False)
    _fraction: float = field(default=0.0, repr=False)

    def memo(self, name: str, key: dict[str, Any], compute: Callable[[], Artifact]) -> Artifact:
        """An artifact computed once per ``key``, across steps, sources and runs.

        For expensive work that several steps need but that is not a step of its own,
        such as transcribing a source video that both ``long-to-short`` and
        ``captioned-video`` use. ``key`` must identify everything the result depends on
        (file digests, model identity, parameters).
        """
        hit = self.recall(name, key)
        if hit is not None:
            return hit
        return self.remember(name, key, compute())

    def recall(self, name: str, key: dict[str, Any]) -> Artifact | None:
        """What :meth:`memo` stored for ``key``, or None (for work done in parallel: look
        everything up first, compute the misses together, then :meth:`remember` them)."""
        if self.cache is None:
            return None
        hit = self.cache.get(self._memo_key(name, key))
        return hit.artifact if hit is not None else None

    def remember(self, name: str, key: dict[str, Any], artifact: Artifact) -> Artifact:
        """Store ``artifact`` for ``key`` (its files move into the cache); returns the
        stored artifact."""
        if self.cache is None:
            return artifact
        return self.cache.put(self._memo_key(name, key), artifact).artifact

    @staticmethod
    def _memo_key(name: str, key: dict[str, Any]) -> str:
        from engine.cache import step_key
        return step_key(f"memo:{name}", "1", key, "", "")

    def phase(self, label: str, done: int | None = None, total: int | None = None,
              unit: str = "", fraction: float | None = None) -> None:
        """Say what the step is doing: ``phase("synthesising", 31, 80, "sentences",
        fraction=0.27)`` reports "synthesising 31/80 sentences" at 27%. Without
        ``fraction`` the step's progress is ``done / total`` when both are given, else
        where it was."""
        if fraction is None and done is not None and total:
            fraction = done / total
        if fraction is None:
            fraction = self._fraction
        self._fraction = fraction
        counts = f" {done}/{total}" if done is not None and total is not None else ""
        self.progress(fraction, label + counts + (f" {unit}" if unit else ""))

    @contextlib.contextmanager
    def within(self, start: float, end: float):
        """Inside the block, progress a helper reports as a whole (fractions 0 to 1, a
        transcription inside a dub) is shown as ``start`` to ``end`` of the step, so the
        step's bar never runs back."""
        original = self.progress
        self.progress = lambda fraction, label="": original(
            start + (end - start) * fraction, label)
        try:
            yield self
        finally:
            self.progress = original
            self._fraction = end

    @property
    def work_dir(self) -> Path:
        """A scratch folder for files this step creates; the cache adopts them afterwards."""
        if self._work_dir is None:
            root = self.scratch_root or Path(tempfile.gettempdir())
            root.mkdir(parents=True, exist_ok=True)
            self._work_dir = Path(tempfile.mkdtemp(prefix=f"{self.step_id}-", dir=root))
        return self._work_dir

    def cleanup(self) -> None:
        """Remove the scratch folder, if the step made one."""
        if self._work_dir is not None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            self._work_dir = None

    def note(self, message: str) -> None:
        self.notes.append(message)


class Transform:
    """Base class for transforms. Subclass, set the class attributes, implement ``run``."""

    #: the name recipes use in ``use:``
    name: ClassVar[str]
    #: bump when the output for the same input and parameters changes (invalidates cache)
    version: ClassVar[str] = "1"
    #: artifact kinds this transform accepts as input
    consumes: ClassVar[tuple[str, ...]]
    #: the artifact kind it returns
    produces: ClassVar[str]
    Params: ClassVar[type[Params]] = Params

    @classmethod
    def summary(cls) -> str:
        """First line of the docstring, for listings."""
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    def model_identity(self, params: Params, ctx: Context) -> str:
        """Identity of any model or service the output depends on, for the cache key.

        Return, for example, ``"openai:gpt-4o-mini"`` or a voice file's digest. The default
        says the output depends on nothing outside the transform's own code.
        """
        return ""

    def check(self, params: Params, registry: Any) -> list[tuple[str, str]]:
        """Problems only the loaded plugins can reveal (a voice that does not speak the
        step's language, a translator that lacks the pair), as ``(parameter, message)``.
        Called while a recipe is validated, before anything runs; the default finds none."""
        return []

    @classmethod
    def brand_params(cls, brand: Any) -> dict[str, Any]:
        """The parameters a brand (``engine.brand.Brand``) fills for this transform.

        Return only what the brand sets (skip fields it leaves empty), for example
        ``{"voice": brand.sound.narrator}``. The values sit between the transform's own
        defaults and the recipe's ``defaults:``, so a recipe or a step still overrides
        them; a step that takes any is re-run when the brand's content changes. The
        default takes nothing from a brand.
        """
        return {}

    def run(self, source: Artifact, params: Params, ctx: Context) -> Artifact:
        raise NotImplementedError

    def exports(self, artifact: Artifact) -> dict[str, bytes | Path]:
        """The files written to OUT for this step's result: extension -> bytes or path."""
        return artifact.exports()
