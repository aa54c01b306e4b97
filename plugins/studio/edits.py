"""Edited outputs: what a person changes in the page, turned back into the step's artifact.

An edit replaces the node's result for that source (``RunOptions.edits``); the engine keys
it by its own content, so only the steps downstream of it run again and everything
upstream comes from the cache. Texts are edited as their body; a podcast script as lines
``**Speaker:** what they say``, with ``## Chapter`` lines where a chapter starts.
"""

from __future__ import annotations

import re

from engine.artifacts import Artifact, Script, Text, Turn
from engine.errors import RemixerError

EDITABLE_KINDS = ("text", "script")

_TURN = re.compile(r"^\*\*(?P<speaker>[^*]+?):\*\*\s*(?P<text>.*)$")
_CHAPTER = re.compile(r"^##\s+(?P<title>.+?)\s*$")


def editable_text(artifact: Artifact) -> str:
    """What the editor shows for an artifact."""
    if isinstance(artifact, Text):
        return artifact.body
    if isinstance(artifact, Script):
        lines, chapter = [], None
        for turn in artifact.turns:
            if turn.chapter and turn.chapter != chapter:
                lines += [f"## {turn.chapter}", ""]
            chapter = turn.chapter
            lines += [f"**{turn.speaker}:** {turn.text}", ""]
        return "\n".join(lines).rstrip() + "\n"
    raise RemixerError(f"a {artifact.kind} output cannot be edited as text",
                       hint="edit a text output or a podcast script")


def _text_parts(original: Text, body: str) -> tuple[str, ...]:
    """The parts of an edited list or thread, split the way the original was written."""
    if not original.parts:
        return ()
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if lines and all(line.startswith("- ") for line in lines):
        return tuple(line[2:].strip() for line in lines)
    return tuple(p.strip() for p in body.split("\n\n") if p.strip())


def _script_turns(original: Script, text: str) -> tuple[Turn, ...]:
    turns: list[Turn] = []
    chapter = None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if match := _CHAPTER.match(line):
            chapter = match["title"]
        elif match := _TURN.match(line):
            speaker = match["speaker"].strip()
            if original.speakers and speaker not in original.speakers:
                raise RemixerError(f"line {number}: {speaker!r} is not a host of this script",
                                   hint="hosts: " + ", ".join(original.speakers))
            turns.append(Turn(speaker=speaker, text=match["text"].strip(), chapter=chapter))
        elif turns:  # a continuation of the turn above
            last = turns[-1]
            turns[-1] = last.model_copy(update={"text": f"{last.text} {line}"})
        elif not line.startswith("# "):
            raise RemixerError(f"line {number} belongs to no speaker",
                               hint="start a turn with **Name:**")
    if not turns:
        raise RemixerError("the script has no turns", hint="write lines as **Name:** text")
    return tuple(turns)


def apply_edit(original: Artifact, text: str) -> Artifact:
    """The original artifact with the person's text in place of its content."""
    text = text.replace("\r\n", "\n")
    if isinstance(original, Text):
        if not text.strip():
            raise RemixerError("the edited text is empty", hint="write something, or revert")
        return original.model_copy(update={"body": text.strip(),
                                           "parts": _text_parts(original, text.strip())})
    if isinstance(original, Script):
        return original.model_copy(update={"turns": _script_turns(original, text)})
    raise RemixerError(f"a {original.kind} output cannot be edited as text",
                       hint="edit a text output or a podcast script")
