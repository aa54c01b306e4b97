"""A podcast script as a source: the ``podcast-script.md`` the ``podcast-script`` step
writes, edited by hand and spoken again by the ``podcast`` step.

The markdown loader hands a file here when its front matter says ``remixer:
podcast-script``. The format, as :meth:`engine.artifacts.Script.to_markdown` writes it:
front matter (title, ``hosts: Alex, Sam`` and the source's metadata), an optional
``# Title``, a ``## Chapter`` heading where a chapter starts, and one paragraph per turn
beginning ``**Speaker:**``; a turn may run over several lines. Anything else is a
one-line error naming the line.
"""

from __future__ import annotations

import re

from engine.artifacts import Script, Turn
from engine.errors import SourceError

MARKER = "podcast-script"
_TURN = re.compile(r"^\*\*(?P<speaker>[^*]+?):\*\*\s*(?P<text>.*)$")


def is_script(metadata: dict[str, str]) -> bool:
    return metadata.get("remixer") == MARKER


def parse_script(metadata: dict[str, str], body: str, name: str) -> Script:
    """The script in ``body`` (the file's text after its front matter)."""
    hosts = [h.strip() for h in metadata.get("hosts", "").split(",") if h.strip()]
    title = metadata.get("title", "")
    turns: list[list] = []      # [speaker, text, chapter]
    chapter: str | None = None
    open_turn = False
    for number, raw in enumerate(body.splitlines(), start=1):
        line = raw.strip()
        if not line:
            open_turn = False
            continue
        if line.startswith("## "):
            chapter, open_turn = line[3:].strip() or None, False
        elif line.startswith("# "):
            title, open_turn = title or line[2:].strip(), False
        elif (match := _TURN.match(line)) is not None:
            speaker = match["speaker"].strip()
            if hosts and speaker not in hosts:
                raise SourceError(f"{name} line {number}: {speaker!r} is not one of the hosts "
                                  f"({', '.join(hosts)})",
                                  hint="fix the name, or add the host to 'hosts:' at the top")
            turns.append([speaker, match["text"].strip(), chapter])
            open_turn = True
        elif open_turn:
            turns[-1][1] += " " + line
        else:
            raise SourceError(f"{name} line {number}: expected '**Speaker:** text' or a "
                              f"'## Chapter' heading", hint="start each turn with **Name:**")
    turns = [t for t in turns if t[1].strip()]
    if not turns:
        raise SourceError(f"{name} has no turns", hint="write turns as '**Name:** text'")
    speakers = tuple(hosts or dict.fromkeys(t[0] for t in turns))
    extra = {k: v for k, v in metadata.items() if k not in ("remixer", "title", "hosts")}
    return Script(title=title, metadata=extra, speakers=speakers,
                  turns=tuple(Turn(speaker=s, text=" ".join(t.split()), chapter=c)
                              for s, t, c in turns))
