"""The studio over audio: a podcast reviewed in the page (player, chapters, cover), its
script edited, and the episode spoken again from the edit (heard through Whisper)."""

from __future__ import annotations

import pytest

from .conftest import SAMPLES
from .studio_fixtures import client_for, wait_finished


def edit_and_rerun(client, job_id: str, step: str, text: str) -> tuple[dict, dict]:
    """Save an edit as the page does (it set the CSRF cookie); the re-run job and its steps."""
    answer = client.post(f"/api/jobs/{job_id}/edits",
                         headers={"X-CSRF-Token": client.cookies["remixer_csrf"]},
                         data={"source": "article", "step": step, "text": text})
    assert answer.status_code == 200, answer.text
    job = wait_finished(client, job_id, timeout=600)
    return job, {s["id"]: s for s in job["sources"][0]["steps"]}


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
        job, steps = edit_and_rerun(client, job["id"], "script", edited)
        assert steps["script"]["cache"] == "edited" and steps["podcast"]["cache"] == "miss"
        mp3 = tmp_path / "podcast.mp3"
        mp3.write_bytes(client.get(f"/api/jobs/{job['id']}/outputs/article/podcast.mp3").content)
        page = client.get(f"/jobs/{job['id']}/article/podcast").text
        assert "Watering" in page and "Introduction" not in page  # the edit's one chapter
    heard = WhisperTranscriber().transcribe(mp3).text().lower()
    assert "water" in heard and "trees" in heard and "die" in heard, heard


@pytest.mark.slow
def test_a_captioned_video_plays_with_its_captions_and_follows_an_edited_summary(tmp_path):
    with client_for(tmp_path) as client:
        answer = client.post("/api/jobs", data={"recipe": "tiny-short"},
                             files=[("files", ("article.md", (SAMPLES / "article.md").read_bytes(),
                                               "text/markdown"))])
        job = wait_finished(client, answer.json()["id"], timeout=600)
        assert job["state"] == "done", job
        base = f"/api/jobs/{job['id']}/outputs/article"
        page = client.get(f"/jobs/{job['id']}/article/short").text
        assert f'<video controls preload="metadata" src="{base}/short.mp4">' in page
        assert f'<track kind="captions" srclang="en" label="captions" src="{base}/short.vtt">' in page
        assert client.get(f"{base}/short.mp4").headers["content-type"] == "video/mp4"
        assert client.get(f"{base}/short.vtt").headers["content-type"] == "text/vtt; charset=utf-8"

        edited = "Water young street trees every week. Most of them die without it."
        job, steps = edit_and_rerun(client, job["id"], "summary", edited)
        assert [steps[s]["cache"] for s in ("summary", "narration", "short")] == ["edited", "miss", "miss"]
        captions = client.get(f"{base}/short.vtt").text.lower()
    assert all(w in captions for w in ("water", "young", "street", "trees", "week", "die")), captions
