"""Planning an explainer: a document (or a podcast) becomes a :class:`Storyboard`.

A title card (title, author or publication, date), one scene per section with its
heading and one to three key points chosen by the step's text generator (extractive
offline), a big stat callout when a point hinges on a number, a pull quote when the
section quotes someone, the section's own first figure, and a closing card (title, call
to action, link). A document without headings gets one scene per paragraph (short ones
merged); one with more sections than ``max_scenes`` has neighbours merged, and says so.

Each scene carries the exact text narrated while it shows (``narration``): ``full``
reads every paragraph, ``key-points`` reads only the heading and the key points' own
sentences (a short). The render times scenes by finding that text in the word timings.

A storyboard edited by hand is read back by :func:`read_storyboard`, which reports a
mistake with its place (``scenes[3].points[0].cue``, line 41) and what to do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal, Sequence

from pydantic import ValidationError

from engine.artifacts import (Audio, Document, Point, Scene, Script, Section, Storyboard,
                              Visual)
from engine.errors import TransformError
from engine.sentences import (compressions, count_words, normalize_space, split_sentences,
                              truncate_words)
from engine.textgen import TextGenerator

#: at most this many words of a sentence on a slide; longer ones are cut at a clause
POINT_WORDS = 22
_NUMBER = r"\d[\d,.]*(?:\s?(?:%|percent|per cent|million|billion|thousand))?"
#: a number a sentence can hinge on: a share, an amount with a unit, a count of things
_STAT = re.compile(
    r"(?P<stat>(?:[$€£]\s?)?" + _NUMBER + r"(?:\s?(?:to|-|–)\s?" + _NUMBER + r")?"
    r"(?:\s?(?:degrees(?: Celsius| Fahrenheit)?|°C|°F|km|kilometres|miles|metres|meters|"
    r"litres|liters|tonnes|tons|hectares|years|times|trees|people|species|kg|%))?)",
    re.IGNORECASE)
_YEAR = re.compile(r"^(1[5-9]\d\d|20\d\d)$")
_QUOTE = re.compile(r"[“\"]([^”\"]{30,220})[”\"]")
#: paragraphs shorter than this many words join the next one into a scene (no headings)
_SHORT_PARAGRAPH = 40


def sentence(text: str) -> str:
    """A heading or title read as a sentence: one line, ending in punctuation."""
    text = normalize_space(text)
    return text if not text or text[-1:] in ".!?:" else text + "."


def said_call_to_action(text: str) -> str:
    """The closing card's call to action as the narrator says it: a sentence, and a
    colon that leads to the link (shown on the card, not read out) said as a full stop
    ("Plant one tree this spring:" is said "Plant one tree this spring.")."""
    text = normalize_space(text).rstrip(":").rstrip()
    return sentence(text) if text else ""


#: a trailing clause that can go, leaving the sentence before it true and whole ("...
#: makes before you can explain it"): not "if", "unless" or "until", whose loss would
#: change what the rest says
_TRAILING_CLAUSE = re.compile(r",?\s+(?:(?:simply|just|only|mainly|largely|partly|mostly)\s+)?"
                              r"(?:because|although|though|whereas|before|after|while|"
                              r"since|so that)\s", re.IGNORECASE)
#: a recap's connectives ("Next, cities ..."), which a slide's point does not need
_CONNECTIVE = re.compile(r"^(?:and\s+)?(?:first|second|third|next|then|also|finally|plus|so),\s+",
                         re.IGNORECASE)
#: a sentence opening with one of these is itself a subordinate clause, not a statement
_SUBORDINATE_OPENERS = {"because", "although", "though", "whereas", "before", "after", "while",
                        "since", "when", "if", "unless", "until", "as", "once"}


def shorten(text: str, words: int = POINT_WORDS) -> str:
    """A point short enough for a slide that is still a whole sentence, or ''.

    The sentence itself when it fits; else its longest main clause that fits: cut at
    clause punctuation whose left side stands alone (:func:`engine.sentences.compress`:
    ``The city planted 4,000 trees, which ...`` -> ``The city planted 4,000 trees.``), or
    before a trailing ``because``/``before``/``although``... clause. '' when there is no
    such cut: the planner then chooses another sentence (see :func:`_slide_points`).
    """
    if count_words(text) <= words:
        return text
    for short in compressions(text):
        if count_words(short) <= words and not _cuts_a_list(text, short):
            return short
    if not text.rstrip().rstrip("”’\"')").endswith("."):
        return ""   # a question or exclamation cut short asks or says something else
    first = text.split()[0].strip("“\"'(").lower()
    if first in _SUBORDINATE_OPENERS:
        return ""
    heads = [text[:m.start()].rstrip(" ,;:—–-") for m in _TRAILING_CLAUSE.finditer(text)]
    fitting = [h for h in heads if 5 <= count_words(h) <= words]
    return max(fitting, key=len) + "." if fitting else ""


def _cuts_a_list(text: str, short: str) -> bool:
    """Whether ``short`` ends where ``text`` lists on ("the layer of leaves, branches and
    stems": cut after "leaves" it says something else)."""
    rest = text[len(short) - 1:] if text.startswith(short[:-1]) else ""
    match = re.match(r",\s+((?:\S+\s+){0,3}?)(?:and|or)\s", rest)
    return bool(match) and "," not in match[1]


def _slide_points(chosen: Sequence[str], sentences: Sequence[str], more: Sequence[str],
                  notes: list[str], heading: str) -> list[tuple[str, str]]:
    """``(cue sentence, point)`` for each chosen key point, in narration order, one per
    sentence, each point a whole sentence short enough for a slide: a point that cannot
    be shortened into one gives way to the next of ``more`` (further key points) that
    can; when none can, the point stays whole (the slide shrinks its text to fit) and a
    note says so."""
    picked: dict[str, str] = {}
    spare = [p for p in more if p not in chosen]
    for point in chosen:
        cue = _best_sentence(point, sentences)
        if not cue or cue in picked:
            continue
        short = shorten(point)
        while not short and spare:
            other = spare.pop(0)
            other_cue = _best_sentence(other, sentences)
            if other_cue and other_cue not in picked and shorten(other):
                cue, short = other_cue, shorten(other)
        if not short:
            short = point
            notes.append(f"a key point of {heading!r} has no shorter whole sentence; it is "
                         f"shown in full, in smaller type: {point[:60]!r}")
        picked[cue] = _without_connective(short)
    return sorted(picked.items(), key=lambda item: sentences.index(item[0]))


def _without_connective(point: str) -> str:
    """``Next, cities lose trees.`` -> ``Cities lose trees.``"""
    rest = _CONNECTIVE.sub("", point, count=1)
    return rest[:1].upper() + rest[1:] if rest != point else point


def find_stat(text: str) -> str:
    """The number a sentence hinges on ("11 to 25 degrees Celsius", "40%"), or ''.

    Bare years and single digits are not stats; a share, an amount with a unit or a
    number of at least two digits with a unit is.
    """
    best = ""
    for match in _STAT.finditer(text):
        value = match["stat"].strip(" ,.")
        digits = re.sub(r"\D", "", value)
        has_unit = bool(re.search(r"[%$€£]|[a-zA-Z°]", value))
        if _YEAR.match(value) or not digits or (len(digits) < 2 and not has_unit):
            continue
        if not has_unit and len(digits) < 3:
            continue
        if len(value) > len(best):
            best = value
    return best


def pull_quote(paragraphs: Sequence[str]) -> str:
    """A quotation the section makes (30-220 characters between quote marks), or ''."""
    for paragraph in paragraphs:
        match = _QUOTE.search(paragraph)
        if match and len(match[1].split()) >= 6:
            return match[1].strip()
    return ""


def _best_sentence(point: str, sentences: Sequence[str]) -> str:
    """The narrated sentence a key point was drawn from (most words in common)."""
    words = set(re.findall(r"\w+", point.lower()))
    scored = [(len(words & set(re.findall(r"\w+", s.lower()))), -i, s)
              for i, s in enumerate(sentences)]
    return max(scored)[2] if scored else ""


# --------------------------------------------------------------------------- groups

def scene_groups(doc: Document, max_scenes: int) -> tuple[list[tuple[str, list[Section]]], list[str]]:
    """``(heading, sections)`` per scene, and notes on what was merged."""
    notes: list[str] = []
    sections = [s for s in doc.sections if any(p.strip() for p in s.paragraphs)]
    if not any(s.heading for s in sections):
        # no headings: scenes from paragraphs, short ones joined to the next
        units: list[Section] = []
        pending: list[str] = []
        figures = [f for s in sections for f in s.figures]
        for paragraph in (p for s in sections for p in s.paragraphs):
            pending.append(paragraph)
            if sum(len(p.split()) for p in pending) >= _SHORT_PARAGRAPH:
                units.append(Section(paragraphs=tuple(pending)))
                pending = []
        if pending:
            units.append(Section(paragraphs=tuple(pending)))
        if figures and units:   # the figures go with the scenes in order
            units = [u.model_copy(update={"figures": (figures[i],)}) if i < len(figures)
                     else u for i, u in enumerate(units)]
        notes.append("the source has no headings: scenes are made from its paragraphs")
        sections = units
    groups = [[s] for s in sections]
    if len(groups) > max_scenes:
        notes.append(f"{len(groups)} sections merged into {max_scenes} scenes "
                     f"(max_scenes: {max_scenes})")
        size = len(groups) / max_scenes
        groups = [sum(groups[int(round(i * size)):int(round((i + 1) * size))], [])
                  for i in range(max_scenes)]
    return [(merged_heading(g), g) for g in groups if g], notes


def _section_of(cues: Sequence[str], sections: Sequence[Section]) -> list[int]:
    """For each cue sentence, the index of the merged section it comes from (in order;
    a cue found in none keeps the previous one's)."""
    texts = [" ".join(normalize_space(p) for p in s.paragraphs) for s in sections]
    found, last = [], 0
    for cue in cues:
        last = next((i for i in range(last, len(texts)) if cue in texts[i]), last)
        found.append(last)
    return found


def merged_heading(sections: Sequence[Section]) -> str:
    """A scene's heading: its section's, or the headings of the sections merged into it
    joined with " · " (so a point from the second section never sits under the first's
    heading alone)."""
    headings = [normalize_space(s.heading) for s in sections if s.heading]
    return " · ".join(headings[:3]) + (" · …" if len(headings) > 3 else "")


# --------------------------------------------------------------------------- planning

def plan_document(doc: Document, generator: TextGenerator, *, points: int = 3,
                  max_scenes: int = 12, narrate: Literal["full", "key-points"] = "full",
                  call_to_action: str = "", link: str = "", tone: str = "",
                  avoid: Sequence[str] = ()) -> Storyboard:
    """The storyboard of a document (see the module docstring); ``avoid``: words the key
    points must not use (the caller leaves their sentences out of ``doc``, and a model
    that uses one anyway is noted)."""
    metadata = doc.metadata
    byline = " · ".join(v for v in (metadata.get("author", ""),
                                     metadata.get("publication", "") or metadata.get("site", ""))
                        if v)
    title = normalize_space(doc.title) or "Untitled"
    scenes = [Scene(kind="title", heading=title, narration=sentence(title))]
    groups, notes = scene_groups(doc, max_scenes)
    for heading, sections in groups:
        paragraphs = [normalize_space(p) for s in sections for p in s.paragraphs if p.strip()]
        # the scene opens with its first heading (a merged, untitled opening section
        # takes the next one's); each other merged section's heading is said where its
        # text begins, and shown when the scene says anything of it
        lead = next((i for i, s in enumerate(sections) if s.heading), None)
        spoken_heading = {normalize_space(s.paragraphs[0]): sentence(s.heading)
                          for i, s in enumerate(sections)
                          if i not in (0, lead) and s.heading and s.paragraphs}
        text = " ".join(paragraphs)
        sentences = split_sentences(text)
        part = Document(title=heading or title, sections=(Section(paragraphs=tuple(paragraphs)),))
        chosen = generator.key_points(part, count=points, tone=tone,
                                      avoid=avoid) if sentences else []
        more: list[str] = []
        if any(not shorten(p) for p in chosen):   # candidates to stand in for a long one
            more = generator.key_points(part, count=min(len(sentences), points + 4), tone=tone,
                                        avoid=avoid)
        ordered = _slide_points(chosen, sentences, more, notes, heading or title)
        scene_points = tuple(Point(text=p, cue=c) for c, p in ordered)
        first = sentence(sections[lead].heading) if lead is not None else ""
        if narrate == "full":
            narration = " ".join(([first] if first else []) + [
                f"{spoken_heading[p]} {p}" if p in spoken_heading else p for p in paragraphs])
        else:
            said = [c for c, _ in ordered] or sentences[:1]
            owner = _section_of(said, sections)
            introduced = {0} if lead is None else {0, lead}
            parts = [first] if first else []
            for cue, index in zip(said, owner):
                if index not in introduced and sections[index].heading:
                    parts.append(sentence(sections[index].heading))
                    introduced.add(index)
                parts.append(cue)
            narration = " ".join(parts)
            heading = merged_heading([s for i, s in enumerate(sections) if i in introduced])
        kind, stat, label, quote = "section", "", "", ""
        for point in scene_points:
            stat = find_stat(point.cue)
            if stat:
                kind, label = "stat", point.text
                # the stat and at most one other point, in the order they are spoken
                others = [p for p in scene_points if p is not point][:1]
                scene_points = tuple(p for p in scene_points if p is point or p in others)
                break
        if kind == "section" and narrate == "full":
            quote = pull_quote(paragraphs)
            if quote:
                kind = "quote"
                scene_points = scene_points[:2]
        figure = next((f for s in sections for f in s.figures), None)
        visual = None
        if figure is not None:
            visual = Visual(origin="figure", path=figure.path, url=figure.url,
                            sha256=figure.sha256, caption=figure.caption, alt=figure.alt)
        scenes.append(Scene(kind=kind, heading=heading, points=scene_points, quote=quote,
                            stat=stat, stat_label=label, visual=visual, narration=narration))
    closing = said_call_to_action(call_to_action)
    scenes.append(Scene(kind="closing", heading=title, narration=closing))
    return Storyboard(title=title, byline=byline, date=_date(metadata.get("date", "")),
                      link=link, call_to_action=call_to_action, scenes=tuple(scenes),
                      notes=tuple(notes))


#: the fewest words a host's sentence needs to be a video podcast's key point
_STATED_WORDS = 6


def plan_podcast(title: str, speakers: Sequence[str], chapters: Sequence[tuple[str, str]],
                 generator: TextGenerator, *, metadata: dict[str, str] | None = None,
                 points: int = 2, call_to_action: str = "", link: str = "",
                 tone: str = "", avoid: Sequence[str] = ()) -> Storyboard:
    """A video podcast's storyboard: a title card with the hosts, one chapter card per
    chapter (``(chapter title, text spoken in it)``) with its key points (none of them
    using a word of ``avoid``), a closing card."""
    metadata = metadata or {}
    chapters = list(chapters)
    opening = ""
    if chapters:   # the title card shows while the first sentence is said
        first = split_sentences(chapters[0][1])
        opening = first[0] if first else ""
        rest = chapters[0][1][len(opening):].strip() if chapters[0][1].startswith(opening) else ""
        chapters[0] = (chapters[0][0], rest)
        if not rest:
            chapters = chapters[1:]
    scenes = [Scene(kind="title", heading=title, narration=opening)]
    notes: list[str] = []
    for heading, text in chapters:
        sentences = split_sentences(text)
        # points come from what the hosts state: not their questions or short replies
        stated = [s for s in sentences
                  if not s.rstrip().endswith("?") and count_words(s) >= _STATED_WORDS]
        part = Document(title=heading,
                        sections=(Section(paragraphs=(" ".join(stated or sentences),)),))
        chosen = generator.key_points(part, count=points, tone=tone,
                                      avoid=avoid) if sentences else []
        more = generator.key_points(part, count=min(len(sentences), points + 4), tone=tone,
                                    avoid=avoid) \
            if any(not shorten(p) for p in chosen) else []
        ordered = _slide_points(chosen, sentences, more, notes, heading)
        scenes.append(Scene(kind="chapter", heading=heading, narration=text,
                            points=tuple(Point(text=p, cue=c) for c, p in ordered)))
    scenes.append(Scene(kind="closing", heading=title,
                        narration=said_call_to_action(call_to_action)))
    return Storyboard(title=title, byline=metadata.get("author", ""),
                      date=_date(metadata.get("date", "")), link=link,
                      call_to_action=call_to_action, speakers=tuple(speakers),
                      scenes=tuple(scenes), notes=tuple(notes))


def podcast_chapters(audio: Audio) -> list[tuple[str, str]]:
    """``(chapter title, words spoken in it)`` of a podcast or narration with timings."""
    words = list(audio.words)
    if not audio.chapters:
        return [(audio.title, " ".join(w.text for w in words))]
    out = []
    for chapter in audio.chapters:
        inside = [w.text for w in words if chapter.start <= w.start < chapter.end]
        if inside:
            out.append((chapter.title, " ".join(inside)))
    return out


def script_chapters(script: Script) -> list[tuple[str, str]]:
    """``(chapter, text)`` of a podcast script, consecutive turns of a chapter joined."""
    out: list[tuple[str, list[str]]] = []
    for turn in script.turns:
        chapter = turn.chapter or script.title
        if not out or out[-1][0] != chapter:
            out.append((chapter, []))
        out[-1][1].append(turn.text)
    return [(c, " ".join(t)) for c, t in out]


def audio_document(audio: Audio) -> Document:
    """A narration's words as a document: one section per chapter (its heading the
    chapter's title), so a narration made elsewhere can be storyboarded."""
    chapters = podcast_chapters(audio)
    sections = []
    for heading, text in chapters:
        body = text
        lead = sentence(heading)
        if heading and body.startswith(lead):
            body = body[len(lead):].strip()   # the heading was read aloud: not a paragraph
        sections.append(Section(heading=heading if len(chapters) > 1 else None,
                                paragraphs=(body or text,)))
    return Document(title=audio.title or "Untitled", sections=tuple(sections),
                    metadata=dict(audio.metadata))


def _date(value: str) -> str:
    """An ISO date as people write it (18 April 2024); anything else as given."""
    import datetime

    try:
        day = datetime.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return value.strip()
    return f"{day.day} {day:%B %Y}"


# --------------------------------------------------------------------------- reading

def read_storyboard(path: Path) -> Storyboard:
    """A storyboard JSON file (exported, perhaps edited by hand), checked: a mistake is
    one error naming its place in the file and the fix."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise TransformError(f"storyboard {str(path)!r} does not exist",
                             hint="give the path of a .storyboard.json file a storyboard step wrote")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TransformError(f"{path.name} line {e.lineno} column {e.colno}: {e.msg}",
                             hint="fix the JSON syntax there (a missing comma or quote?)") from None
    if isinstance(data, dict):
        data.setdefault("kind", "storyboard")
    try:
        board = Storyboard.model_validate(data)
    except ValidationError as e:
        error = e.errors()[0]
        where = _dotted(error["loc"])
        line = _line_of(text, error["loc"])
        at = f" (line {line})" if line else ""
        more = f"; {len(e.errors()) - 1} more problem(s)" if len(e.errors()) > 1 else ""
        raise TransformError(f"{path.name}: {where}{at}: {error['msg']}{more}",
                             hint="fix that field (scene kinds: title, section, stat, quote, "
                                  "chapter, closing; at most 3 points a scene)") from None
    for i, scene in enumerate(board.scenes):
        for j, point in enumerate(scene.points):
            if point.cue and normalize_space(point.cue) not in normalize_space(scene.narration):
                loc = ("scenes", i, "points", j, "cue")
                line = _line_of(text, loc)
                raise TransformError(
                    f"{path.name}: {_dotted(loc)}{f' (line {line})' if line else ''}: the cue "
                    f"{truncate_words(point.cue, 60)!r} is not in the scene's narration",
                    hint="copy the cue from the scene's `narration`, or leave it empty")
    return board


def _dotted(loc: Sequence) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(text: str, loc: Sequence) -> int | None:
    """The line of the JSON value at ``loc`` (keys and list indexes), by walking the text."""
    decoder = json.JSONDecoder()
    pos = 0
    ws = re.compile(r"\s*")
    try:
        for part in loc:
            pos = ws.match(text, pos).end()
            if isinstance(part, int):
                if text[pos] != "[":
                    return None
                pos += 1
                for _ in range(part):
                    pos = ws.match(text, pos).end()
                    _, pos = decoder.raw_decode(text, pos)
                    pos = ws.match(text, pos).end() + 1   # the comma
            else:
                if text[pos] != "{":
                    return None
                pos += 1
                while True:
                    pos = ws.match(text, pos).end()
                    key, pos = decoder.raw_decode(text, pos)
                    pos = ws.match(text, pos).end() + 1   # the colon
                    pos = ws.match(text, pos).end()
                    if key == part:
                        break
                    _, pos = decoder.raw_decode(text, pos)
                    pos = ws.match(text, pos).end() + 1   # the comma
        pos = ws.match(text, pos).end()
    except (ValueError, IndexError):
        return None
    return text.count("\n", 0, pos) + 1


__all__ = ["plan_document", "plan_podcast", "podcast_chapters", "script_chapters",
           "audio_document", "read_storyboard", "find_stat", "shorten", "sentence"]
