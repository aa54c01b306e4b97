"""The studio over audio: a podcast reviewed in the page (player, chapters, cover), its
script edited, and the episode spoken again from the edit (heard through Whisper)."""

from __future__ import annotations

import pytest

from .conftest import SAMPLES
from .studio_fixtures import client_for, wait_finished


@pytest.mark.slow
def test_edit_the_podcast_script_and_hear_the_new_episode(tmp_path):
    from plugins.speech.whisper import WhisperTranscriber
    with client_for(tmp_path) as client:
        answer = client.post("/api/jobs", data={"recipe": "podcast", "set": ["script.minutes=1"]},
                             files=[("files", ("article.md", (SAMPLES / "article.md").read_bytes(),
                                               "text/markdown"))])
        job = wait_finished(client, answer.json()["id"], timeout=600)
        assert job["state"] == "done", job
        page = client.get(f"/jobs/{job['id']}/article/podcast").text
        assert '<audio controls preload="metadata" src="/api/jobs/' in page
        assert "podcast.cover.png" in page and '<img class="still"' in page
        assert "<h2>Chapters</h2>" in page and "Introduction" in page
        assert "<h2>Edit</h2>" not in page  # audio is not edited as text; its script is

        edited = ("## Watering\n\n**Alex:** Street trees need water every week in their first "
                  "summers.\n\n**Sam:** Without that water most young trees die.\n")
        answer = client.post(f"/api/jobs/{job['id']}/edits",
                             headers={"X-CSRF-Token": client.cookies["remixer_csrf"]},
                             data={"source": "article", "step": "script", "text": edited})
        assert answer.status_code == 200, answer.text
        job = wait_finished(client, job["id"], timeout=600)
        steps = {s["id"]: s for s in job["sources"][0]["steps"]}
        assert steps["script"]["cache"] == "edited" and steps["podcast"]["cache"] == "miss"
        mp3 = tmp_path / "podcast.mp3"
        mp3.write_bytes(client.get(f"/api/jobs/{job['id']}/outputs/article/podcast.mp3").content)
        page = client.get(f"/jobs/{job['id']}/article/podcast").text
        assert "Watering" in page and "Introduction" not in page  # the edit's one chapter
    heard = WhisperTranscriber().transcribe(mp3).text().lower()
    assert "water" in heard and "trees" in heard and "die" in heard, heard
