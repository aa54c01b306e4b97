"""Atomic file writes: a temporary file in the same folder, then one rename.

A run killed at any moment leaves either the old file, the new file, or a hidden
``.<name>.<random>.part`` file that the next run sweeps away; never a half-written
file under the real name. There is no fsync: that guards against power loss, not a
killed process, and costs more than the work for small outputs; a cache record torn by
a power cut reads as a miss and is simply made again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PART_SUFFIX = ".part"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: mode of written files: what open() would give (mkstemp's own 0600 would hide a served feed)
FILE_MODE = 0o666 & ~_current_umask()


def _temp_beside(path: Path) -> tuple[int, Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PART_SUFFIX, dir=path.parent)
    os.fchmod(fd, FILE_MODE)
    return fd, Path(tmp)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A hidden temporary path beside ``path`` for a writer that needs a file name (ffmpeg,
    a WAV writer); it becomes ``path`` if the block succeeds and is removed if not."""
    fd, tmp = _temp_beside(Path(path))
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def copy_file(src: Path, path: Path) -> None:
    """Copy ``src`` to ``path`` atomically."""
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def move_file(src: Path, path: Path) -> None:
    """Move ``src`` to ``path`` atomically, copying when they are on different disks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, path)
    except OSError:
        copy_file(src, path)
        src.unlink(missing_ok=True)


def same_content(path: Path, data: bytes) -> bool:
    """True when ``path`` exists and holds exactly ``data`` (skips needless rewrites)."""
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def sweep_partials(folder: Path) -> int:
    """Delete leftover ``.part`` files of killed runs below ``folder``; return how many."""
    if not folder.is_dir():
        return 0
    count = 0
    for tmp in folder.rglob(f".*{PART_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        count += 1
    return count
