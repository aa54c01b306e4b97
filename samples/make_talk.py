"""Regenerate samples/talk.mp4: a short talk (about 2.5 minutes) written for this project.

Speech: the offline hibari voice "heart", one sentence at a time, through
:func:`engine.voices.synthesize_to_wav`. Picture: one slide per paragraph, a slow
gradient with the slide's title drawn in Roboto (the pip font package captions use),
switching when the paragraph's first sentence starts. 640x360, 15 fps, low bitrate:
well under 5 MB. Deterministic (hibari is seeded).

    python samples/make_talk.py            # writes samples/talk.mp4
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLIDES = [
    ("Why short clips", "#1D3557", "#0B132B",
     "Hello everyone, and thank you for coming. Today I want to talk about a simple idea: "
     "most people will never watch your whole talk. They scroll past it on a phone, with "
     "the sound off, in a train or a waiting room. If the first few seconds do not explain "
     "themselves, the viewer is gone. I learned this the hard way. We once published a "
     "forty minute lecture, and the numbers showed that almost nobody stayed past the "
     "second minute. Later we cut a single thirty second moment from it, and that clip "
     "reached more people in one day than the lecture did in a year."),
    ("Captions carry the message", "#3A0CA3", "#10002B",
     "That is why captions matter more than music or fancy transitions. A caption that "
     "highlights each word as it is spoken lets people follow along without any sound at "
     "all. Keep the lines short, keep the words inside the frame, and put them where a "
     "thumb will not cover them. Size matters too. On a phone, a caption should be large "
     "enough to read at arm's length, with a dark outline so it stays clear over any "
     "picture. Three or four words at a time is often better than a full sentence."),
    ("Pick whole thoughts", "#2B9348", "#07261A",
     "The second lesson is about choosing what to cut. A good clip starts at the beginning "
     "of a thought and ends when that thought is finished. Cutting in the middle of a "
     "sentence feels careless, and viewers notice it at once. So we score every sentence "
     "for how much it says, and we only cut where a sentence ends. Then we look for a run "
     "of sentences that lasts about as long as the clip should be. The best runs open with "
     "a fresh idea, not with a word like but or so, which lean on something the viewer "
     "never heard. They also avoid ending on an open question."),
    ("Reframe for the phone", "#9D0208", "#370617",
     "Third, a wide video does not fit a tall screen. You can crop the middle, you can "
     "follow the speaker's face, or you can show the whole picture over a soft blurred "
     "copy of itself. Whatever you choose, the camera should move slowly and never "
     "jitter. A shaky crop is worse than no crop at all. Smooth the path of the camera, let "
     "it rest while the speaker stays near the middle, and only pan when they really move."),
    ("Measure what works", "#006D77", "#012A2E",
     "There is one more habit worth building. Measure what your audience actually "
     "watches. Look at where people stop, which clips get shared, and which titles make "
     "someone press play. Numbers will not tell you what to say, but they will tell you "
     "how people found it. Over a few months these small lessons add up, and your short "
     "clips start to feel less like advertising and more like a conversation."),
    ("One recipe, many outputs", "#E85D04", "#3D1300",
     "Finally, none of this should be manual work. Write one recipe, point it at a folder "
     "of recordings, and let the machine produce the transcripts, the captioned shorts and "
     "the square posts. Your job is to say something worth sharing. Thank you very much."),
]

WIDTH, HEIGHT, FPS = 640, 360, 15


def main(out: Path = ROOT / "samples" / "talk.mp4") -> Path:
    import ffmpeg

    from engine import media
    from engine.plugins import PluginConfig, build_registry
    from engine.voices import synthesize_to_wav
    from plugins.video.fonts import default_font_path

    registry = build_registry(PluginConfig(load_entry_points=False))
    voice = registry.voice_engine("hibari")
    text = "\n\n".join(body for _, _, _, body in SLIDES)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "talk.wav"
        duration, spans = synthesize_to_wav(voice, text, "heart", wav)
        # slide k starts with the first sentence of paragraph k
        starts, index = [], 0
        for _, _, _, body in SLIDES:
            starts.append(0.0 if not starts else spans[index].start - 0.3)
            index += len(_sentences(body))
        ends = starts[1:] + [duration + 1]
        font = default_font_path()
        layers = []
        for (title, top, bottom, _), start, end in zip(SLIDES, starts, ends):
            length = end - start
            slide = (ffmpeg.input(f"gradients=s={WIDTH}x{HEIGHT}:r={FPS}:c0=0x{top[1:]}:"
                                  f"c1=0x{bottom[1:]}:x0=0:y0=0:x1={WIDTH}:y1={HEIGHT}:"
                                  f"speed=0.004:d={length:.3f}", f="lavfi").video
                     .drawtext(text=title, fontfile=str(font), fontsize=40, fontcolor="white",
                               x="(w-text_w)/2", y="(h-text_h)/2-20")
                     .drawtext(text="remixer talk - sample", fontfile=str(font), fontsize=16,
                               fontcolor="white@0.7", x="(w-text_w)/2", y="h-40"))
            layers.append(slide)
        video = ffmpeg.concat(*layers, v=1, a=0)
        audio = ffmpeg.input(media.media_path(wav)).audio
        graph = ffmpeg.output(video, audio, media.media_path(out), vcodec="libx264",
                              pix_fmt="yuv420p", crf=30, preset="slow", r=FPS, g=FPS * 2,
                              acodec="aac", **{"b:a": "48k"}, ac=1, ar=24000,
                              t=f"{duration:.3f}", movflags="+faststart")
        media.run_ffmpeg(["-y", *media.graph_args(graph)], what="make the sample talk")
    return out


def _sentences(text: str) -> list[str]:
    from engine.sentences import split_sentences

    return split_sentences(text)


if __name__ == "__main__":
    path = main()
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
