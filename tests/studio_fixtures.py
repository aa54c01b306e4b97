"""Shared pieces of the studio tests: an in-process app, job waiting, local HTTP servers."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest

from engine.plugins import PluginConfig

from .conftest import FIXTURES

pytest.importorskip("fastapi", reason="the studio needs its extra: pip install -e '.[studio]'")

from fastapi.testclient import TestClient  # noqa: E402

from plugins.studio.app import create_app  # noqa: E402
from plugins.studio.jobs import Settings  # noqa: E402

STUDIO_FIXTURES = FIXTURES / "studio"
#: built-ins plus the slow test step
SLOW_PLUGINS = PluginConfig(load_entry_points=False,
                            plugins_dirs=(str(STUDIO_FIXTURES / "plugins"),))


def settings(tmp_path: Path, **changes) -> Settings:
    values = dict(data=tmp_path / "data", cache_dir=tmp_path / "cache", plugin_config=SLOW_PLUGINS,
                  recipes_dir=STUDIO_FIXTURES / "recipes")
    values.update(changes)
    return Settings(**values)


def client_for(tmp_path: Path, **changes) -> TestClient:
    return TestClient(create_app(settings(tmp_path, **changes)), base_url="http://127.0.0.1:8000")


def wait_finished(client, job_id: str, timeout: float = 60.0, **kwargs) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", **kwargs).json()
        if job["finished"]:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


class LocalServer:
    """A local HTTP server whose handler a test supplies (never the network)."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
