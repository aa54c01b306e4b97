"""A local server answering like Pexels' search APIs, for tests: real sockets on 127.0.0.1.

    with FakePexels(key="k", video=Path("clip.mp4"), photo=Path("pic.jpg")) as server:
        provider = PexelsProvider(base_url=server.base_url)
        server.mode = "rate-limited"         # or "ok", "slow", "garbage", "server-error"
        server.requests                      # (path, query, headers) of every request

``GET /videos/search`` and ``GET /v1/search`` check the ``Authorization`` header, then
answer with the documented JSON shapes (``page``, ``per_page``, ``total_results``,
``url``, ``next_page`` and ``videos`` / ``photos``; each video with ``user`` and
``video_files`` in several renditions, an HLS one included, each photo with ``src``).
File links point back at this server, which serves the given real files.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RATE_RESET = 1_900_000_000          # 2030-03-17 17:46 UTC


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakePexels:
    def __init__(self, *, key: str, video: Path, photo: Path):
        self.key = key
        self.files = {"video.mp4": video, "photo.jpeg": photo}
        self.mode = "ok"
        self.delay = 1.0
        self.requests: list[Seen] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- answers -------------------------------------------------------------------------

    def _video(self, i: int, query: str) -> dict:
        link = f"{self.base_url}/files/video.mp4?id={i}"
        return {
            "id": 1000 + i, "width": 3840, "height": 2160, "duration": 12 + i,
            "full_res": None, "tags": [], "avg_color": None,
            "url": f"https://www.pexels.com/video/{query.replace(' ', '-')}-{1000 + i}/",
            "image": f"{self.base_url}/files/photo.jpeg",
            "user": {"id": 77, "name": f"Videographer {i}", "url": "https://www.pexels.com/@v"},
            "video_files": [
                {"id": 1, "quality": "hls", "file_type": "video/mp4", "width": None,
                 "height": None, "fps": None, "link": f"{self.base_url}/files/x.m3u8"},
                {"id": 2, "quality": "uhd", "file_type": "video/mp4", "width": 3840,
                 "height": 2160, "fps": 25, "link": link + "&r=uhd"},
                {"id": 3, "quality": "hd", "file_type": "video/mp4", "width": 1920,
                 "height": 1080, "fps": 25, "link": link + "&r=hd"},
                {"id": 4, "quality": "sd", "file_type": "video/mp4", "width": 960,
                 "height": 540, "fps": 25, "link": link + "&r=sd"},
            ],
            "video_pictures": [{"id": 1, "picture": f"{self.base_url}/files/photo.jpeg",
                                "nr": 0}],
        }

    def _photo(self, i: int, query: str) -> dict:
        original = f"{self.base_url}/files/photo.jpeg?id={i}"
        return {
            "id": 2000 + i, "width": 640, "height": 480, "avg_color": "#7A8B9C",
            "url": f"https://www.pexels.com/photo/{query.replace(' ', '-')}-{2000 + i}/",
            "photographer": f"Photographer {i}", "photographer_url": "https://www.pexels.com/@p",
            "photographer_id": 88, "liked": False, "alt": query,
            "src": {size: original + f"&s={size}" for size in
                    ("original", "large2x", "large", "medium", "small", "portrait",
                     "landscape", "tiny")},
        }

    def search(self, path: str, query: dict[str, str]) -> dict:
        per_page = int(query.get("per_page", "15"))
        words = query.get("query", "")
        kind = "videos" if path.startswith("/videos/") else "photos"
        make = self._video if kind == "videos" else self._photo
        return {"page": 1, "per_page": per_page, "total_results": 500,
                "url": f"https://www.pexels.com/search/{words}/",
                "next_page": f"{self.base_url}{path}?page=2&per_page={per_page}",
                kind: [make(i, words) for i in range(per_page)]}

    # -- server ---------------------------------------------------------------------------

    def __enter__(self) -> "FakePexels":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, content_type: str,
                      headers: dict[str, str] | None = None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass                           # the client gave up waiting

            def _json(self, status: int, body, headers=None):
                self._send(status, json.dumps(body).encode(), "application/json", headers)

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                fake.requests.append(Seen(parts.path, query, dict(self.headers)))
                if parts.path.startswith("/files/"):
                    name = parts.path.removeprefix("/files/")
                    if name not in fake.files:
                        return self._json(404, {"error": "Not found"})
                    return self._send(200, fake.files[name].read_bytes(),
                                      "video/mp4" if name.endswith(".mp4") else "image/jpeg")
                if parts.path not in ("/videos/search", "/v1/search"):
                    return self._json(404, {"error": "Not found"})
                if self.headers.get("Authorization") != fake.key:
                    return self._json(401, {"error": "Unauthorized"})
                if fake.mode == "rate-limited":
                    return self._json(429, {"error": "Too Many Requests"}, {
                        "X-Ratelimit-Limit": "20000", "X-Ratelimit-Remaining": "0",
                        "X-Ratelimit-Reset": str(RATE_RESET)})
                if fake.mode == "server-error":
                    return self._json(502, {"error": "Bad Gateway"})
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                if fake.mode == "garbage":
                    return self._send(200, b"<html>maintenance</html>", "text/html")
                self._json(200, fake.search(parts.path, query), {
                    "X-Ratelimit-Limit": "20000", "X-Ratelimit-Remaining": "19999",
                    "X-Ratelimit-Reset": str(RATE_RESET)})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
