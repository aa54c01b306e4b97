"""``remixer serve`` as a real process on a free port, for the studio's tests and bench."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StudioServer:
    """Start with ``start()``; ``url`` is where it answers; ``kill()`` is kill -9."""

    def __init__(self, data: Path, *args: str, env: dict[str, str] | None = None,
                 host: str = "127.0.0.1", plugins_dir: Path | None = None):
        self.data, self.args, self.host = Path(data), list(args), host
        self.before = ["--plugins-dir", str(plugins_dir)] if plugins_dir else []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.process: subprocess.Popen | None = None
        self.output = ""

    def start(self, timeout: float = 60.0) -> "StudioServer":
        log = open(self.data.parent / f"serve-{self.port}.log", "ab")  # noqa: SIM115 - kept by Popen
        self.log_path = Path(log.name)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine", *self.before, "serve", "--host", self.host, "--port", str(self.port),
             "--data", str(self.data), *self.args],
            stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"remixer serve exited: {self.log_path.read_text()}")
            try:
                urllib.request.urlopen(f"{self.url}/static/studio.css", timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"remixer serve did not answer: {self.log_path.read_text()}")

    def kill(self) -> None:
        """kill -9 the server (its pool workers die with it)."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
