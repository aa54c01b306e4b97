"""``http(s)://`` source arguments: web pages, feeds, documents, recordings, video pages.

The URL is fetched into the download cache (:mod:`plugins.sources.fetch`) and routed by
what the server says it is: a feed expands to its items (:mod:`plugins.sources.feeds`),
an HTML page is read by the ``webpage`` loader, a PDF, Word file, EPUB, recording or
video by the loader of its extension.

Video pages (YouTube, Vimeo and the other sites yt-dlp knows, or any URL written
``video:https://...``) go through yt-dlp, an optional extra (``remixer[web-video]``):
the video is downloaded once into the cache, with its subtitles when the site has them
(the transcript uses those instead of recognising speech). Without the extra they fail
with one line saying how to install it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import engine
from engine import atomic
from engine.errors import SourceError
from engine.sources import ExpandedSource, ExpandSettings
from plugins.sources.feeds import expand_feed, looks_like_feed
from plugins.sources.fetch import MAX_MEDIA_BYTES, fetch

VIDEO_PREFIX = "video:"
#: hosts whose pages are videos rather than articles
VIDEO_HOSTS = ("youtube.com", "youtu.be", "vimeo.com", "dailymotion.com", "twitch.tv",
               "tiktok.com", "peertube")


def is_video_page(spec: str) -> bool:
    if spec.startswith(VIDEO_PREFIX):
        return True
    host = (urlsplit(spec).hostname or "").lower()
    return any(host == h or host.endswith("." + h) or h in host for h in VIDEO_HOSTS)


def download_video(url: str, downloads: Path) -> tuple[Path, dict[str, str]]:
    """The video behind a page, downloaded once by yt-dlp (with subtitles when offered),
    and the page's title, uploader and date."""
    try:
        import yt_dlp
    except ImportError:
        raise SourceError(f"{url} is a video page, which needs the web-video extra",
                          hint="pip install 'remixer[web-video]' (yt-dlp)") from None
    folder = Path(downloads) / ("video-" + hashlib.sha256(url.encode()).hexdigest()[:32])
    done = sorted(folder.glob("*.captioned.mkv")) or sorted(folder.glob("*.mp4")) + \
        sorted(folder.glob("*.webm")) + sorted(folder.glob("*.mkv"))
    if done and (folder / "info.json").is_file():
        return done[0], json.loads((folder / "info.json").read_text(encoding="utf-8"))
    options = {"outtmpl": str(folder / "%(title).80B.%(ext)s"), "quiet": True,
               "no_warnings": True, "noprogress": True, "format": "best[height<=1080]/best",
               "writesubtitles": True, "subtitleslangs": ["en.*", "en"],
               "max_filesize": MAX_MEDIA_BYTES, "socket_timeout": 30, "retries": 2,
               "merge_output_format": "mp4"}
    try:
        with yt_dlp.YoutubeDL(options) as downloader:
            info = downloader.extract_info(url, download=True)
            path = Path(downloader.prepare_filename(info))
    except yt_dlp.utils.DownloadError as error:
        message = str(error).replace("ERROR: ", "").splitlines()[0]
        raise SourceError(f"{url}: yt-dlp could not download the video ({message})",
                          hint="check the address; some sites need cookies or are unsupported") from None
    if not path.is_file():
        raise SourceError(f"{url}: yt-dlp reported no video file", hint="check the address")
    date = info.get("upload_date") or ""
    about = {"title": info.get("title") or "", "author": info.get("uploader") or "",
             "date": f"{date[:4]}-{date[4:6]}-{date[6:]}" if len(date) == 8 else "", "url": url}
    about = {key: str(value) for key, value in about.items() if value}
    video = _with_subtitles(path)
    atomic.write_bytes(folder / "info.json", json.dumps(about).encode("utf-8"))
    return video, about


def _with_subtitles(video: Path) -> Path:
    """The video with the site's subtitles (downloaded beside it) as a subtitle stream, so
    the ``video`` loader hands them to the transcript instead of recognising speech."""
    from engine import media
    from engine.errors import MediaError

    subtitles = sorted(video.parent.glob(f"{video.stem}*.vtt")) + \
        sorted(video.parent.glob(f"{video.stem}*.srt"))
    if not subtitles:
        return video
    target = video.with_name(f"{video.stem}.captioned.mkv")
    try:
        with atomic.replacing(target) as partial:
            media.run_ffmpeg(["-i", str(video), "-i", str(subtitles[0]), "-map", "0:v",
                              "-map", "0:a?", "-map", "1", "-c", "copy", "-c:s", "srt",
                              "-f", "matroska", "-y", str(partial)],
                             what="add the site's subtitles to the video")
    except MediaError:
        return video  # unusable subtitles: the transcript recognises the speech instead
    video.unlink()
    return target


class UrlExpander(engine.SourceExpander):
    """Web pages, feeds, documents and recordings named by ``http(s)://`` address."""

    name = "url"

    def claims(self, spec: str) -> bool:
        return spec.startswith(("http://", "https://", VIDEO_PREFIX + "http"))

    def expand(self, spec: str, settings: ExpandSettings) -> list[ExpandedSource]:
        downloads = settings.cache_dir / "downloads"
        url = spec.removeprefix(VIDEO_PREFIX)
        try:
            if is_video_page(spec):
                video, about = download_video(url, downloads)
                return [ExpandedSource(path=video, origin=url, metadata=tuple(sorted(about.items())))]
            download = fetch(url, downloads)
            if download.content_type.endswith("xml") and looks_like_feed(download.path.read_bytes()):
                return expand_feed(download.path.read_bytes(), url, settings)
            html = download.content_type in ("text/html", "application/xhtml+xml")
            return [ExpandedSource(path=download.path, origin=url,
                                   loader="webpage" if html else "")]
        except SourceError as error:
            return [ExpandedSource(path=None, origin=url, error=str(error),
                                   name=Path(urlsplit(url).path).stem or urlsplit(url).hostname or "page")]


@engine.hookimpl
def register_source_expanders(register):
    register(UrlExpander)
