"""URL sources and feeds against a real HTTP server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.sources import ExpandSettings
from plugins.sources import fetch as fetch_module
from plugins.sources.feeds import FeedFileExpander
from plugins.sources.urls import UrlExpander
from plugins.sources.web import WebPageLoader
from tests.document_helpers import png_bytes
from tests.web_server import Route, Server

ARTICLE = b"""<!doctype html><html><head><title>Roots | City Journal</title>
<meta name="author" content="Maren Ostby">
<meta property="article:published_time" content="2024-04-18"></head>
<body><nav><a href="/">Home</a> <a href="/about">About us</a> Subscribe now</nav>
<article><h1>Roots under the pavement</h1>
<p>Street trees cool the pavement in summer and shade the people who walk beneath them
every day of the year, which is why cities plant them along their busiest streets.</p>
<h2>Why the soil matters</h2>
<p>Structural soil gives roots room to spread and to find water deep down, so an avenue
survives long dry summers that would kill trees planted in compacted ground.</p>
<figure><img src="/img/soil.png" alt="Soil cells under a new street">
<figcaption>Soil cells wait for the first trees.</figcaption></figure>
<p>Engineers now lay soil cells under new pavements before a single tree is planted, and
the first results from those streets look promising to everyone involved.</p>
</article><footer>Copyright 2024 City Journal. All rights reserved.</footer></body></html>"""

PNG = png_bytes()


def rss(items: list[str], title: str = "City Journal") -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
            f'<link>http://example.invalid/</link><description>d</description>{"".join(items)}'
            f'</channel></rss>').encode()


def item(title: str, link: str = "", date: str = "", enclosure: str = "") -> str:
    parts = [f"<title>{title}</title>", f"<author>desk@example.invalid (Ana Lima)</author>"]
    if link:
        parts.append(f"<link>{link}</link>")
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    if enclosure:
        parts.append(f'<enclosure url="{enclosure}" type="audio/wav" length="1"/>')
    return f"<item>{''.join(parts)}</item>"


@pytest.fixture
def settings(tmp_path):
    return ExpandSettings(cache_dir=tmp_path / "cache", limit=10)


def expand_one(url: str, settings: ExpandSettings):
    sources = UrlExpander().expand(url, settings)
    assert len(sources) == 1
    return sources[0]


def test_web_page_main_content_images_and_revalidation(settings, tmp_path):
    routes = {"/robots.txt": Route(b"User-agent: *\nDisallow: /private\n", "text/plain"),
              "/article": Route(ARTICLE, etag='"v1"'),
              "/img/soil.png": Route(PNG, "image/png", etag='"img1"')}
    with Server(routes) as server:
        source = expand_one(f"{server.url}/article", settings)
        assert source.error == "" and source.loader == "webpage"
        loader = WebPageLoader()
        loader.assets_dir = tmp_path / "assets"
        doc = loader.load(source.path)
        first_stat = source.path.stat().st_mtime_ns
        again = expand_one(f"{server.url}/article", settings)
        page_requests = [headers for path, headers in server.requests if path == "/article"]
    assert doc.title == "Roots under the pavement"
    assert doc.metadata["author"] == "Maren Ostby" and doc.metadata["date"] == "2024-04-18"
    assert doc.metadata["url"] == f"{server.url}/article"
    assert [s.heading for s in doc.sections if s.heading] == ["Why the soil matters"]
    text = doc.text()
    assert "Structural soil gives roots room" in text
    assert "Subscribe" not in text and "Copyright" not in text   # boilerplate dropped
    figure, = [f for s in doc.sections for f in s.figures]
    assert figure.url == f"{server.url}/img/soil.png" and figure.alt == "Soil cells under a new street"
    assert figure.caption == "Soil cells wait for the first trees."
    assert "wait for the first trees" not in text   # the caption is not glued into the prose
    assert Path(figure.path).read_bytes() == PNG and figure.sha256 in figure.path
    # the re-run revalidated with the ETag, got 304 and kept the same file
    assert len(page_requests) == 2 and page_requests[1].get("If-None-Match") == '"v1"'
    assert "remixer/" in page_requests[0]["User-Agent"]
    assert again.path == source.path and again.path.stat().st_mtime_ns == first_stat


def test_last_modified_revalidation(settings):
    stamp = "Thu, 18 Apr 2024 10:00:00 GMT"
    with Server({"/a": Route(ARTICLE, last_modified=stamp)}) as server:
        first = expand_one(f"{server.url}/a", settings)
        written = first.path.stat().st_mtime_ns
        second = expand_one(f"{server.url}/a", settings)
        assert second.path.stat().st_mtime_ns == written   # 304: the file was kept as it was
        sent = [headers.get("If-Modified-Since") for path, headers in server.requests
                if path == "/a"]
    assert sent == [None, stamp] and second.path == first.path
    assert second.path.read_bytes() == ARTICLE


def test_changed_page_is_fetched_again(settings):
    routes = {"/a": Route(ARTICLE, etag='"v1"')}
    with Server(routes) as server:
        first = expand_one(f"{server.url}/a", settings)
        routes["/a"] = Route(ARTICLE.replace(b"Engineers", b"Planners"), etag='"v2"')
        second = expand_one(f"{server.url}/a", settings)
    assert b"Planners" in second.path.read_bytes() and first.path == second.path


@pytest.mark.parametrize("route,expected", [
    (Route(ARTICLE, status=404), "answered HTTP 404"),
    (Route(ARTICLE, status=500), "answered HTTP 500"),
    (Route(b"\x00\x01binary", "application/octet-stream"), "serves application/octet-stream"),
    (Route(ARTICLE, delay=2.0), "did not answer within 0.5 s"),
    (Route(ARTICLE, headers={"Content-Length": str(2 * 1024 ** 3)}), "MB limit"),
])
def test_url_failures_are_one_line(settings, monkeypatch, route, expected):
    monkeypatch.setenv("REMIXER_HTTP_TIMEOUT", "0.5")
    if "Content-Length" in route.headers:  # a 2 GB page announced: refused before reading
        route.body = lambda: iter([ARTICLE])
    with Server({"/page": route}) as server:
        source = expand_one(f"{server.url}/page", settings)
    assert source.path is None and expected in source.error and "\n" not in source.error


def test_redirect_loop_and_robots(settings):
    routes = {"/loop": Route(status=302, headers={"Location": "/loop"}),
              "/robots.txt": Route(b"User-agent: remixer\nDisallow: /private\n", "text/plain"),
              "/private/page": Route(ARTICLE)}
    with Server(routes) as server:
        loop = expand_one(f"{server.url}/loop", settings)
        private = expand_one(f"{server.url}/private/page", settings)
        assert server.hits("/private/page") == 0
    assert "redirects more than 5 times" in loop.error
    assert "disallowed for remixer by the site's robots.txt" in private.error


def test_endless_body_stops_at_the_limit(settings, monkeypatch):
    monkeypatch.setattr(fetch_module, "MAX_PAGE_BYTES", 1024 * 1024)
    chunk = b"<p>" + b"x" * 65530 + b"</p>"

    def endless():
        for _ in range(10_000):  # 640 MB if the client read it all
            yield chunk

    with Server({"/huge": Route(endless)}) as server:
        source = expand_one(f"{server.url}/huge", settings)
    assert "sent more than the 1 MB limit" in source.error
    leftovers = [p for p in (settings.cache_dir / "downloads").rglob("*") if p.is_file()]
    assert leftovers == []   # nothing half-written stays in the cache


def test_feed_items_newest_first_broken_ones_fail_alone(settings, tmp_path):
    from tests.media_helpers import tone

    wav = tone(tmp_path / "episode.wav", 1.0).read_bytes()
    with Server({}) as server:
        server.routes.update({
            "/new": Route(ARTICLE),
            "/ep1.wav": Route(wav, "audio/wav"),
            "/feed": Route(rss([
                item("Oldest story", f"{server.url}/new", "Mon, 01 Jan 2024 10:00:00 GMT"),
                item("Newest story", f"{server.url}/new", "Fri, 05 Jan 2024 10:00:00 GMT"),
                item("Gone story", f"{server.url}/gone", "Thu, 04 Jan 2024 10:00:00 GMT"),
                item("No link at all", "", "Wed, 03 Jan 2024 10:00:00 GMT"),
                item("Episode 1", f"{server.url}/page", "Tue, 02 Jan 2024 10:00:00 GMT",
                     enclosure=f"{server.url}/ep1.wav"),
            ]), "application/rss+xml")})
        sources = UrlExpander().expand(f"{server.url}/feed", settings)
        limited = UrlExpander().expand(f"{server.url}/feed",
                                       ExpandSettings(settings.cache_dir, limit=2))
    titles = [dict(s.metadata)["title"] for s in sources]
    assert titles == ["Newest story", "Gone story", "No link at all", "Episode 1", "Oldest story"]
    newest, gone, nolink, episode, _ = sources
    assert newest.loader == "webpage" and dict(newest.metadata)["date"] == "2024-01-05"
    assert dict(newest.metadata)["feed"] == "City Journal"
    assert "answered HTTP 404" in gone.error and "has no http(s) link" in nolink.error
    assert episode.path.suffix == ".wav" and episode.loader == ""
    assert [dict(s.metadata)["title"] for s in limited] == ["Newest story", "Gone story"]


def test_local_feed_file_is_a_batch(settings, tmp_path):
    with Server({"/a": Route(ARTICLE)}) as server:
        feed = tmp_path / "journal.rss"
        feed.write_bytes(rss([item("Only story", f"{server.url}/a")]))
        expander = FeedFileExpander()
        assert expander.claims(str(feed)) and not expander.claims(str(tmp_path / "x.rss"))
        sources = expander.expand(str(feed), settings)
    assert len(sources) == 1 and sources[0].loader == "webpage"
    empty = tmp_path / "empty.rss"
    empty.write_bytes(b"<rss><channel><title>x</title></channel></rss>")
    failed, = FeedFileExpander().expand(str(empty), settings)
    assert failed.path is None and failed.error.endswith("empty.rss is a feed with no items")
    truncated = tmp_path / "truncated.rss"
    truncated.write_bytes(b"<rss><channel><title>x</title><item><title>half")
    salvaged, = FeedFileExpander().expand(str(truncated), settings)  # one line, no crash
    assert salvaged.path is None and "has no http(s) link" in salvaged.error


def test_document_by_address_goes_to_its_loader(settings, tmp_path, registry):
    from tests.document_helpers import make_pdf
    from tests.test_documents import BLOCKS

    pdf = make_pdf(tmp_path / "r.pdf", BLOCKS, title="Roots").read_bytes()
    with Server({"/files/report": Route(pdf, "application/pdf")}) as server:
        source = expand_one(f"{server.url}/files/report", settings)
    assert source.path.name == "report.pdf" and source.loader == ""
    assert registry.loader_for(source.path).name == "pdf"
    assert registry.loader_for(source.path).load(source.path).title == "Roots"


def test_video_page_without_the_extra(settings, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "yt_dlp", None)   # as if the extra were not installed
    source = expand_one("https://www.youtube.com/watch?v=abc", settings)
    assert source.error == ("https://www.youtube.com/watch?v=abc is a video page, which needs "
                            "the web-video extra (pip install 'remixer[web-video]' (yt-dlp))")


@pytest.mark.slow
def test_video_url_through_yt_dlp(settings, tmp_path):
    pytest.importorskip("yt_dlp")
    from plugins.sources.media import VideoLoader
    from tests.media_helpers import video

    clip = video(tmp_path / "clip.mp4", 1.0).read_bytes()
    with Server({"/clip.mp4": Route(clip, "video/mp4")}) as server:
        source = expand_one(f"video:{server.url}/clip.mp4", settings)
    assert source.error == "" and source.path.read_bytes() == clip
    assert source.path.is_relative_to(settings.cache_dir / "downloads")
    assert VideoLoader().load(source.path).captions is None


@pytest.mark.slow
def test_video_page_subtitles_become_captions(settings, tmp_path):
    """A page with an HTML5 video and an English subtitle track: the video is downloaded
    once, the subtitles travel inside it, and the loader hands them to the transcript."""
    pytest.importorskip("yt_dlp")
    from plugins.sources.media import VideoLoader
    from tests.media_helpers import video

    page = (b'<html><head><title>Trees talk</title></head><body><video controls>'
            b'<source src="/clip.mp4" type="video/mp4"><track kind="subtitles" src="/clip.vtt" '
            b'srclang="en" label="English"></video></body></html>')
    routes = {"/talk": Route(page), "/clip.vtt": Route(
                  b"WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nStreet trees cool the pavement.\n",
                  "text/vtt"),
              "/clip.mp4": Route(video(tmp_path / "clip.mp4", 2.0).read_bytes(), "video/mp4")}
    with Server(routes) as server:
        source = expand_one(f"video:{server.url}/talk", settings)
        again = expand_one(f"video:{server.url}/talk", settings)
        assert server.hits("/clip.mp4") == 1          # the second run reused the download
    assert source.error == "" and again.path == source.path
    assert dict(source.metadata)["title"].startswith("Trees talk")  # yt-dlp numbers entries
    loaded = VideoLoader().load(source.path)
    assert loaded.captions.text() == "Street trees cool the pavement."


def test_manifest_keeps_the_origin(invoke, tmp_path):
    from tests.conftest import RECIPES

    with Server({"/article": Route(ARTICLE), "/broken": Route(status=500)}) as server:
        result = invoke("run", RECIPES / "article-text.yaml", f"{server.url}/article",
                        f"{server.url}/broken", "-o", tmp_path / "out")
    assert result.exit_code == 1
    manifest = json.loads((tmp_path / "out" / "article" / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["source"]["origin"] == f"{server.url}/article"
    assert manifest["source"]["loader"] == "webpage"
    broken = json.loads((tmp_path / "out" / "broken" / "manifest.json").read_text())
    assert broken["status"] == "failed" and "answered HTTP 500" in broken["error"]
    assert "failed: broken: " in result.output and "HTTP 500" in result.output


def test_feed_run_from_the_command_line(invoke, tmp_path):
    """`remixer run RECIPE FEED --limit 2`: newest two items, slugs from their titles."""
    from tests.conftest import RECIPES

    with Server({"/post": Route(ARTICLE)}) as server:
        server.routes["/feed"] = Route(rss([
            item("Oldest story", f"{server.url}/post", "Mon, 01 Jan 2024 10:00:00 GMT"),
            item("Newest story", f"{server.url}/post?v=2", "Fri, 05 Jan 2024 10:00:00 GMT"),
            item("Gone story", f"{server.url}/gone", "Thu, 04 Jan 2024 10:00:00 GMT"),
        ]), "application/atom+xml")
        result = invoke("run", RECIPES / "article-text.yaml", f"{server.url}/feed",
                        "--limit", "2", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir() and p.name[0] not in "._") == [
        "gone-story", "newest-story"]
    newest = json.loads((tmp_path / "out" / "newest-story" / "manifest.json").read_text())
    assert newest["status"] == "ok" and newest["source"]["origin"] == f"{server.url}/post?v=2"
    gone = json.loads((tmp_path / "out" / "gone-story" / "manifest.json").read_text())
    assert "feed item 'Gone story'" in gone["error"] and "HTTP 404" in gone["error"]
