"""Run the real CLI (``python -m engine``) in a subprocess under resource limits.

Memory is capped with RLIMIT_AS and CPU time with RLIMIT_CPU; a wall-clock timeout kills
the process group. The child's own peak memory comes from ``os.wait4``. Run as root,
the child drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its bounding set, so file
permissions apply to it as to anyone (an unreadable file is unreadable).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "recipes"
ARTICLE = (ROOT / "samples" / "article.md").read_text(encoding="utf-8")

MEMORY_LIMIT = 2 * 1024 ** 3
CPU_SECONDS = 120
TIMEOUT = 120.0

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


@dataclass
class Run:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    #: CPU time of the child (user + system): steadier than wall time on a busy machine
    cpu_seconds: float = 0.0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def failed_lines(self, name: str) -> list[str]:
        """The ``failed: NAME: reason`` lines of a source: one per failed step, or one for
        a source that failed as a whole."""
        return [l for l in self.stdout.splitlines() if l.startswith(f"failed: {name}: ")]

    def failed_line(self, name: str) -> str:
        """The one ``failed: NAME: reason`` line of a source (exactly one must exist)."""
        lines = self.failed_lines(name)
        assert len(lines) == 1, f"{len(lines)} failure lines for {name!r}:\n{self.stdout}"
        return lines[0]


def _limits(cpu_seconds: int = CPU_SECONDS) -> None:
    os.setsid()
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
            libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)


def child_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "REMIXER_", "PYTEST_"))}
    env.update({"PYTHONPATH": str(ROOT), "HOME": str(home), "REMIXER_LOAD_PLUGINS": "",
                "COLUMNS": "400", "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(extra)
    return env


def run_engine(args: list[str], cwd: Path, *, env: dict[str, str] | None = None,
               timeout: float = TIMEOUT) -> Run:
    """``python -m engine ARGS`` in ``cwd``; never hangs longer than ``timeout`` (nor
    uses more CPU time than that)."""
    argv = [sys.executable, "-m", "engine", *map(str, args)]
    out_path, err_path = cwd / ".hostile-stdout", cwd / ".hostile-stderr"
    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err, env=env or child_env(cwd),
                                   preexec_fn=lambda: _limits(int(max(timeout, 1))))
        killer = threading.Timer(timeout, lambda: os.killpg(process.pid, signal.SIGKILL))
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    out_path.unlink()
    err_path.unlink()
    return Run(argv, process.returncode, stdout, stderr, seconds, usage.ru_maxrss / 1024,
               usage.ru_utime + usage.ru_stime)


def snapshot(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, tuple]:
    """Every entry under ``root`` (links not followed) with its type, size and mtime."""
    skipped = {str(p) for p in skip}
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skipped]
        for name in dirs + files:
            path = os.path.join(folder, name)
            if path in skipped or name.startswith(".hostile-"):
                continue
            st = os.lstat(path)
            found[path] = (st.st_mode, st.st_size if not os.path.isdir(path) else 0,
                           st.st_mtime_ns if not os.path.isdir(path) else 0)
    return found


def assert_sane(run: Run, *, max_seconds: float = 60, max_mb: float = 1024) -> None:
    """No traceback, bounded time and memory, not killed."""
    assert "Traceback" not in run.output, run.output[-3000:]
    assert "internal error" not in run.output, run.output[-3000:]
    assert run.returncode >= 0, f"killed by signal {-run.returncode}"
    assert run.seconds < max_seconds, f"took {run.seconds:.1f} s"
    assert run.peak_mb < max_mb, f"peak memory {run.peak_mb:.0f} MB"


def article(title: str) -> str:
    """The sample article under another title (so sources differ)."""
    return f"# {title}\n\n" + ARTICLE.split("\n", 1)[1]


def hostile_workspace(root: Path) -> Path:
    """A folder an attacker could write to: a ``plugins/`` package and a payload that
    leave a marker file if imported (see :func:`pwned`)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "home").mkdir(exist_ok=True)
    (root / "plugins").mkdir(exist_ok=True)
    (root / "plugins" / "__init__.py").write_text(
        "import pathlib; pathlib.Path(__file__).parent.parent.joinpath('PWNED-plugins')"
        ".write_text('local plugins/ imported')\n")
    (root / "payload").mkdir(exist_ok=True)
    (root / "payload" / "evil.py").write_text(
        "import pathlib; pathlib.Path(__file__).parent.parent.joinpath('PWNED-payload')"
        ".write_text('--plugins-dir taken from a source name')\n")
    return root


def pwned(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("PWNED-*"))
