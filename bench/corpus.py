"""Deterministic generated articles for benchmarks and tests.

Each article is Markdown with front matter and several sections of varied, readable
sentences, built from templates and a seeded random generator, so runs are repeatable
and a corpus of any size costs nothing to store.
"""

from __future__ import annotations

import random
from pathlib import Path

TOPICS = [
    ("river restoration", "the river", "engineers", "floodplain"),
    ("community solar", "the co-op", "residents", "rooftop array"),
    ("school gardens", "the garden", "teachers", "harvest"),
    ("night buses", "the network", "riders", "timetable"),
    ("library makerspaces", "the workshop", "volunteers", "3D printer"),
    ("urban beekeeping", "the hives", "keepers", "colony"),
    ("coastal dunes", "the dunes", "ecologists", "marram grass"),
    ("repair cafes", "the cafe", "fixers", "toaster"),
]

SENTENCES = [
    "In {year}, {actors} began to study {place} with a budget of {money} dollars.",
    "The first survey counted {n} problems, most of them small and easy to fix.",
    "{Actors} say the hardest part was not the money but the waiting.",
    "By the second year, {place} had changed in ways that nobody had predicted.",
    "A local report found that use of {thing} rose by {pct} percent in twelve months.",
    "Critics argued that {topic} would be too expensive to maintain over time.",
    "Those fears faded once the maintenance costs were published every quarter.",
    "The lesson, according to {actors}, is to start small and measure everything.",
    "Neighbouring towns have since copied the model, with mixed results.",
    "What made the difference was a simple rule: every change had to be reversible.",
    "Funding came from {n} small grants rather than one large contract.",
    "Today {place} is busier than at any point in the last {n} years.",
    "The {thing} became a symbol of the project and appears on its logo.",
    "Some residents still remember how {place} looked before the work began.",
    "Weekly meetings kept {actors} honest about what was and was not working.",
    "Data from sensors showed a steady improvement after each small change.",
]

HEADINGS = ["How it started", "The first year", "What the numbers say", "The critics",
            "Money and maintenance", "What others copied", "Where it goes next"]


def article(index: int, *, sections: int = 5, sentences_per_section: int = 9) -> str:
    """One generated Markdown article; the same index always gives the same text."""
    rng = random.Random(index)
    topic, place, actors, thing = TOPICS[index % len(TOPICS)]
    year = 2000 + rng.randrange(24)
    lines = ["---", f"title: Notes on {topic} number {index}", "author: Remixer Bench",
             f"date: {year}-0{1 + index % 9}-1{index % 9}", "---", "",
             f"# Notes on {topic} number {index}", ""]
    for heading in HEADINGS[:sections]:
        lines += [f"## {heading}", ""]
        body = []
        for _ in range(sentences_per_section):
            template = rng.choice(SENTENCES)
            body.append(template.format(
                year=year, actors=actors, Actors=actors.capitalize(), place=place, thing=thing,
                topic=topic, n=rng.randrange(3, 90), pct=rng.randrange(5, 60),
                money=f"{rng.randrange(10, 900)},000"))
        lines += [" ".join(body[:len(body) // 2]), "", " ".join(body[len(body) // 2:]), ""]
    return "\n".join(lines)


def write_corpus(folder: Path, count: int, **kwargs) -> list[Path]:
    """Write ``count`` articles as ``article-NNN.md`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"article-{i:03d}.md"
        path.write_text(article(i, **kwargs), encoding="utf-8")
        paths.append(path)
    return paths
