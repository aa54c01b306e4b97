"""Writing quality of the offline extractive generator over a corpus of real articles.

For every article in ``bench/corpus/`` (HTML, Markdown and plain text; see its README for
sources and licences) this writes what ``recipes/article-text.yaml`` and the podcast
script step write (summaries of 25, 50, 150 and 400 words, five key points, a post from
each summary, a post and a thread from the article, a five-minute script) and counts:

- unresolved openings: output sentences (summaries, key points, posts) that open with a
  reference to something absent: a pronoun or demonstrative, a connective ("However",
  "Also"), an additive or temporal adverb ("also", "has since"), an ordinal ("The
  second") or a category description ("The insect"), when the sentence before it in the
  output is not the one before it in the source;
- identical posts: a post from a summary that is the summary unchanged;
- stray titles: a line of a post, thread or summary that is the title or a heading;
- split sentences: article sentences a podcast script starts saying but does not say
  whole within one turn;
- verbless questions: questions in a script without a finite verb ("And then?"), and
  clauses pasted in as nouns ("what did you find out about planting is the easy part?").

The checker is written here, separately from the generator's own rules
(``plugins/text/cohesion.py``), with its own word lists.

    python bench/writing_quality.py                       # this checkout
    python bench/writing_quality.py --baseline /work/main # and another, side by side

``--baseline`` runs the same measurement against another checkout in a subprocess (its
code first on ``sys.path``) and prints both.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
SUMMARY_WORDS = (25, 50, 150, 400)

PRONOUNS = set("it its they them their theirs he him his she her this these those "
               "that such".split())
CONNECTIVES = set("however but and so yet also moreover furthermore besides still then thus "
                  "therefore hence consequently meanwhile likewise similarly instead "
                  "nevertheless nonetheless additionally or nor otherwise".split())
CATEGORY = set("insect beetle pest fungus disease approach method technique idea rule "
               "system process problem mistake result study company tool change plan "
               "alternative number latter former first second third other same rest two "
               "both".split())
AUX = set("is are was were be been being do does did can could will would shall should may "
          "might must has have had 's 're 've 'd 'll isn't aren't wasn't weren't don't "
          "doesn't didn't can't couldn't won't wouldn't shouldn't hasn't haven't".split())
WH = ("how", "why", "what", "when", "where", "who", "whether", "which")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))


def opens_with_reference(sentence: str) -> bool:
    """The bench's own test for an opening that leans on an earlier sentence."""
    words = _words(sentence)
    if not words:
        return False
    first = words[0].split("'")[0]
    if first in PRONOUNS or first in CONNECTIVES:
        return not (first in ("this", "that") and len(words) > 1 and words[1] in (
            "article", "guide", "page", "document", "section", "tutorial", "howto"))
    head = words[:6]
    if "also" in head or re.search(r"\b(has|have|had) since\b", " ".join(words[:8])):
        return True
    if any(w in ("it", "they", "them", "these", "those") for w in head[1:4]):
        return True
    return first == "the" and len(words) > 2 and words[1] in CATEGORY and words[2] not in (
        "of", "that", "which", "who", "called", "named")


def sentences_of(text: str) -> list[str]:
    from engine.sentences import split_sentences
    return split_sentences(text)


def unresolved(output: str, source_sentences: list[str]) -> tuple[int, int]:
    """(unresolved openings, sentences) of one output, judged against the source."""
    position = {normalize(s): i for i, s in enumerate(source_sentences)}
    sentences = [s for s in sentences_of(output) if not s.endswith("?")]
    bad = 0
    previous = None
    for sentence in sentences:
        here = position.get(normalize(sentence))
        if opens_with_reference(sentence) and not (
                here is not None and previous is not None and here == previous + 1):
            bad += 1
        previous = here
    return bad, len(sentences)


def normalize(text: str) -> str:
    expansions = {"n't": " not", "'re": " are", "'s": " is", "'ve": " have", "'m": " am",
                  "'ll": " will", "'d": " would"}
    text = text.lower().replace("’", "'")
    text = text.replace("can't", "cannot").replace("won't", "will not")
    text = re.sub(r"\s*\([^()]*\)", "", text)
    for short, long in expansions.items():
        text = text.replace(short, long)
    text = text.replace("can not", "cannot").replace("wo not", "will not")
    return " ".join(re.findall(r"[a-z0-9]+", text))


#: past and present forms a wh-question may use without an auxiliary ("what stood out")
PLAIN_VERBS = set("stood came went made took happened changed matters stands comes goes "
                  "makes takes happens changes works needs means".split())


def verbless(question: str) -> bool:
    """No finite verb ("And then?"), or a clause pasted in where a noun belongs ("what
    did you find out about planting is the easy part?")."""
    words = _words(question)
    if any(w in AUX or "'" + w.split("'")[-1] in AUX or w in PLAIN_VERBS for w in words):
        pasted = re.search(r"\babout (?!(?:" + "|".join(WH) + r")\b)(?:(?!\b(?:while|when|if|"
                           r"because|after|before|until|where|that|which)\b)[^?])*"
                           r"\b(is|are|was|were)\b", question.lower())
        return bool(pasted)
    return True


def measure() -> dict:
    """Everything counted over the corpus with the code on ``sys.path``."""
    from engine.artifacts import Text, as_document
    from engine.plugins import build_registry

    registry = build_registry()
    generator = registry.text_generator("extractive")
    totals = {"articles": 0, "sentences": 0, "unresolved": 0, "posts_from_summaries": 0,
              "identical_posts": 0, "lines": 0, "stray_titles": 0, "script_sentences": 0,
              "split_sentences": 0, "questions": 0, "verbless_questions": 0, "seconds": 0.0}
    examples: dict[str, list[str]] = {"unresolved": [], "stray": [], "split": [],
                                      "verbless": []}
    started = time.perf_counter()
    for path in sorted(CORPUS.iterdir()):
        if path.suffix not in (".md", ".html", ".txt"):
            continue
        if path.name == "README.md":
            continue
        doc = registry.loader_for(path).load(path)
        totals["articles"] += 1
        source = [s for p in doc.paragraphs() for s in sentences_of(p)]
        headings = {doc.title.strip().lower()} | {
            s.heading.strip().lower() for s in doc.sections if s.heading}
        outputs: list[tuple[str, str]] = []
        for words in SUMMARY_WORDS:
            summary = generator.summarize(doc, words=words)
            outputs.append(("summary", summary))
            summary_doc = as_document(Text(title=doc.title, body=summary))
            post = generator.social_post(summary_doc, max_chars=280)
            outputs.append(("post", post))
            totals["posts_from_summaries"] += 1
            if normalize(post) == normalize(summary):
                totals["identical_posts"] += 1
        outputs.append(("key-points", "\n".join(generator.key_points(doc, count=5))))
        outputs.append(("post", generator.social_post(doc, max_chars=280)))
        thread = generator.thread(doc, max_chars=280, max_posts=6)
        outputs.append(("thread", "\n\n".join(re.sub(r" \d+/\d+$", "", p) for p in thread)))
        for kind, text in outputs:
            for line in text.splitlines():
                if not line.strip():
                    continue
                totals["lines"] += 1
                if line.strip().lstrip("- ").lower() in headings:
                    totals["stray_titles"] += 1
                    examples["stray"].append(f"{path.name} {kind}: {line.strip()}")
            for piece in text.splitlines():
                bad, count = unresolved(piece.lstrip("- "), source)
                totals["unresolved"] += bad
                totals["sentences"] += count
                if bad:
                    examples["unresolved"].append(f"{path.name} {kind}: {piece[:100]}")
        turns = generator.dialogue(doc, hosts=["Alex", "Sam"], words=750)
        said = [normalize(text) for _, text, _ in turns]
        for sentence in source:
            whole = normalize(sentence)
            words = whole.split()
            if len(words) < 8:
                continue
            head = " ".join(words[:8])
            if any(head in turn for turn in said):
                totals["script_sentences"] += 1
                if not any(whole in turn for turn in said):
                    totals["split_sentences"] += 1
                    examples["split"].append(f"{path.name}: {sentence[:100]}")
        for _, text, _ in turns:
            for question in [s for s in sentences_of(text) if s.endswith("?")]:
                totals["questions"] += 1
                if verbless(question):
                    totals["verbless_questions"] += 1
                    examples["verbless"].append(f"{path.name}: {question.strip()}")
    totals["seconds"] = round(time.perf_counter() - started, 1)
    totals["examples"] = {k: v[:5] for k, v in examples.items()}
    return totals


def report(name: str, t: dict) -> list[str]:
    share = 100 * t["unresolved"] / max(1, t["sentences"])
    return [name,
            f"{t['unresolved']}/{t['sentences']} ({share:.1f}%)",
            f"{t['identical_posts']}/{t['posts_from_summaries']}",
            f"{t['stray_titles']}/{t['lines']}",
            f"{t['split_sentences']}/{t['script_sentences']}",
            f"{t['verbless_questions']}/{t['questions']}",
            f"{t['seconds']} s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", help="another checkout to measure the same way")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--examples", action="store_true", help="print a few failures of each kind")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure()))
        return
    rows = []
    if args.baseline:
        root = Path(args.baseline).resolve()
        env = {**os.environ, "PYTHONPATH": str(root)}
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--json"],
                             cwd=root, env=env, capture_output=True, text=True, check=True)
        rows.append(("baseline " + str(root), json.loads(out.stdout.splitlines()[-1])))
    rows.append(("this checkout", measure()))
    header = ["code", "unresolved openings", "identical posts", "stray titles",
              "split sentences", "verbless questions", "time"]
    print(f"{rows[-1][1]['articles']} articles in {CORPUS}")
    table = [header] + [report(name, t) for name, t in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)))
    if len(rows) == 2:
        before, after = rows[0][1], rows[1][1]
        ratio = (after["unresolved"] / max(1, after["sentences"])) / max(
            1e-9, before["unresolved"] / max(1, before["sentences"]))
        print(f"unresolved-opening share, this checkout / baseline: {ratio:.2f}")
    if args.examples:
        for name, t in rows:
            for kind, found in t["examples"].items():
                for line in found:
                    print(f"[{name} {kind}] {line}")


if __name__ == "__main__":
    main()
