"""Stock media: the register_media_providers hook, the Pexels provider against a local fake
of Pexels' search APIs (the real HTTP client code path), and the credits."""

from __future__ import annotations

import json
import textwrap

import pytest

from engine import media
from engine.errors import PluginError, StockError
from engine.plugins import PluginConfig, build_registry
from engine.stock import MediaProvider, StockItem
from plugins.video.credits import credits_manifest, credits_text
from plugins.video.pexels import PexelsProvider
from tests import media_helpers as mh
from tests.fake_pexels import FakePexels

KEY = "test-key-5f3a9c"


@pytest.fixture
def server(tmp_path, monkeypatch):
    video = mh.video(tmp_path / "clip.mp4", 1.0)
    photo = mh.lavfi(tmp_path / "pic.jpg", "testsrc2=size=64x48", extra=("-frames:v", "1"))
    monkeypatch.setenv("PEXELS_API_KEY", KEY)
    with FakePexels(key=KEY, video=video, photo=photo) as fake:
        yield fake


@pytest.fixture
def pexels(server):
    return PexelsProvider(base_url=server.base_url)


def test_the_hook_registers_pexels_and_the_cli_lists_it(registry, invoke):
    assert registry.media_providers.names() == ["pexels"]
    assert registry.media_providers.entries["pexels"].plugin == "plugins.video.pexels"
    provider = registry.media_provider("pexels")
    assert isinstance(provider, PexelsProvider) and registry.media_provider("pexels") is provider
    with pytest.raises(PluginError, match="unknown media provider 'pexel'.*did you mean 'pexels'"):
        registry.media_provider("pexel")
    result = invoke("plugins")
    assert "media providers:" in result.output
    assert "pexels" in result.output and "needs PEXELS_API_KEY" in result.output
    listing = json.loads(invoke("plugins", "--json").output)
    assert listing["media providers"] == [{"name": "pexels", "plugin": "plugins.video.pexels",
                                           "key": "PEXELS_API_KEY"}]


def test_a_third_party_provider_plugs_in_and_a_wrong_one_is_refused(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "mine.py").write_text(textwrap.dedent('''
        import engine

        class Library(engine.MediaProvider):
            name = "my-library"

            def search(self, query, *, kind="video", orientation="landscape", count=5):
                return [engine.StockItem(id="1", kind=kind, url="file:///x.mp4", width=10,
                                         height=10, page_url="https://example.org/1",
                                         author="Me", licence="CC0", attribution="By me")]

        @engine.hookimpl
        def register_media_providers(register):
            register(Library)
    '''))
    registry = build_registry(PluginConfig(plugins_dirs=(str(folder),), load_entry_points=False))
    assert registry.media_providers.names() == ["my-library", "pexels"]
    library = registry.media_provider("my-library")
    item = library.search("x")[0]
    assert item.author == "Me"
    with pytest.raises(StockError, match="no web address"):       # file:// is never read
        library.download(item, tmp_path / "stock")
    (folder / "mine.py").write_text(textwrap.dedent('''
        import engine

        @engine.hookimpl
        def register_media_providers(register):
            register(dict)
    '''))
    with pytest.raises(PluginError, match="not a MediaProvider"):
        build_registry(PluginConfig(plugins_dirs=(str(folder),), load_entry_points=False))


def test_stock_items_forbid_unknown_fields():
    with pytest.raises(ValueError):
        StockItem(id="1", kind="video", url="u", width=1, height=1, page_url="p", author="a",
                  licence="l", attribution="t", provider="extra")


def test_video_search_sends_the_documented_request_and_reads_the_answer(pexels, server):
    items = pexels.search("city at night", kind="video", orientation="portrait", count=3)
    [request] = server.requests
    assert request.path == "/videos/search"
    assert request.query == {"query": "city at night", "orientation": "portrait",
                             "per_page": "3", "page": "1"}
    assert request.headers["Authorization"] == KEY
    assert len(items) == 3
    first = items[0]
    assert (first.id, first.kind, first.width, first.height) == ("1000", "video", 1920, 1080)
    assert first.url.endswith("&r=hd")              # full HD, not the 4K nor the HLS one
    assert first.duration == 12.0
    assert first.page_url == "https://www.pexels.com/video/city-at-night-1000/"
    assert first.author == "Videographer 0"
    assert first.attribution == "Video by Videographer 0 on Pexels"
    assert first.licence.startswith("Pexels License")


def test_photo_search(pexels, server):
    items = pexels.search("sunset", kind="photo", orientation="square", count=200)
    assert server.requests[0].path == "/v1/search"
    assert server.requests[0].query["per_page"] == "80"          # Pexels' largest page
    assert server.requests[0].query["orientation"] == "square"
    assert len(items) == 80
    assert (items[1].kind, items[1].author, items[1].width, items[1].duration) == \
        ("photo", "Photographer 1", 640, None)
    assert items[1].attribution == "Photo by Photographer 1 on Pexels"
    assert "s=original" in items[1].url


def test_download_streams_the_file_once(pexels, server, tmp_path):
    item = pexels.search("waves", kind="video", count=1)[0]
    path = pexels.download(item, tmp_path / "stock")
    assert path.name == "pexels-video-1000.mp4"
    assert media.probe(path).video
    count = len(server.requests)
    assert pexels.download(item, tmp_path / "stock") == path
    assert len(server.requests) == count                           # reused, not fetched again
    photo = pexels.search("sunset", kind="photo", count=1)[0]
    assert pexels.download(photo, tmp_path / "stock").name == "pexels-photo-2000.jpeg"
    assert not [p for p in (tmp_path / "stock").iterdir() if p.name.startswith(".")]


def test_a_missing_key_names_the_variable_and_sends_nothing(pexels, server, monkeypatch):
    monkeypatch.delenv("PEXELS_API_KEY")
    with pytest.raises(StockError) as caught:
        pexels.search("city")
    assert "PEXELS_API_KEY is not set" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert server.requests == []


def test_a_refused_key_is_one_line_without_the_key(pexels, server, monkeypatch):
    monkeypatch.setenv("PEXELS_API_KEY", "wrong-key-123")
    with pytest.raises(StockError) as caught:
        pexels.search("city")
    message = str(caught.value)
    assert "refused the API key in PEXELS_API_KEY (HTTP 401)" in message
    assert "wrong-key-123" not in message and "\n" not in message


@pytest.mark.parametrize("mode, expected", [
    ("rate-limited", "pexels rate limit reached, resets at 2030-03-17 17:46 UTC"),
    ("server-error", "pexels answered HTTP 502"),
    ("garbage", "that is not JSON"),
])
def test_service_failures_are_one_line(pexels, server, mode, expected):
    server.mode = mode
    with pytest.raises(StockError) as caught:
        pexels.search("city")
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert KEY not in str(caught.value)


def test_a_server_that_does_not_answer_times_out(pexels, server):
    server.mode, server.delay = "slow", 2.0
    pexels.timeout = 0.3
    with pytest.raises(StockError, match=r"pexels did not answer within 0.3 s"):
        pexels.search("city")


def test_no_server_is_one_line(monkeypatch):
    monkeypatch.setenv("PEXELS_API_KEY", KEY)
    provider = PexelsProvider(base_url="http://127.0.0.1:9")       # nothing listens there
    with pytest.raises(StockError, match="cannot reach pexels at 127.0.0.1:9"):
        provider.search("city")


def test_the_url_can_come_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("PEXELS_API_URL", server.base_url)
    assert len(PexelsProvider().search("city", count=2)) == 2


def test_base_class_needs_a_search():
    class Bare(MediaProvider):
        name = "bare"

    with pytest.raises(NotImplementedError):
        Bare().search("x")
    assert Bare().api_key() == ""                                   # no key needed


def test_credits_list_each_item_once_with_licence_and_page(pexels, server):
    videos = pexels.search("city", kind="video", count=2)
    photo = pexels.search("sunset", kind="photo", count=1)
    used = [videos[0], photo[0], videos[0], videos[1]]
    text = credits_text(used)
    assert text.count("Video by Videographer 0 on Pexels") == 1
    assert text.splitlines()[:5] == [
        "Stock media in this video", "",
        "Video by Videographer 0 on Pexels",
        "  https://www.pexels.com/video/city-1000/",
        "  Licence: Pexels License, https://www.pexels.com/license/"]
    assert "Photo by Photographer 0 on Pexels" in text
    assert text.endswith("Licences: Pexels License, https://www.pexels.com/license/\n")
    manifest = credits_manifest(used)
    assert [m["id"] for m in manifest["stock_media"]] == ["1000", "2000", "1001"]
    assert manifest["stock_media"][1]["kind"] == "photo"
    assert manifest["licences"] == ["Pexels License, https://www.pexels.com/license/"]
    json.dumps(manifest)
    assert credits_text([]) == "" and credits_manifest([])["stock_media"] == []
