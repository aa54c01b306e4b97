"""The hostile suite: adversarial recipes, names and files, each run by the real CLI in a
subprocess with memory and CPU limits, next to good sources.

Every test carries ``@pytest.mark.hostile("<class>")``; the end of the run prints how
many cases of each class passed (the issue's measure).
"""

from __future__ import annotations

from collections import Counter


CLASSES: dict[str, str] = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "hostile(cls): a hostile case of class CLS")


def pytest_collection_modifyitems(items):
    for item in items:
        marker = item.get_closest_marker("hostile")
        if marker is not None:
            CLASSES[item.nodeid] = marker.args[0]


def pytest_terminal_summary(terminalreporter):
    outcomes: dict[str, Counter] = {}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            cls = CLASSES.get(getattr(report, "nodeid", ""))
            if cls and getattr(report, "when", "call") in ("call", "setup"):
                if outcome == "passed" and report.when != "call":
                    continue
                outcomes.setdefault(cls, Counter())[outcome] += 1
    if not outcomes:
        return
    terminalreporter.section("hostile cases by class")
    total = Counter()
    for cls in sorted(outcomes):
        counts = outcomes[cls]
        total.update(counts)
        terminalreporter.write_line(f"{cls:<22} {counts['passed']:>3} passed"
                                    + (f", {counts['failed'] + counts['error']} failed"
                                       if counts['failed'] + counts['error'] else ""))
    terminalreporter.write_line(f"{'all':<22} {total['passed']:>3} passed"
                                + (f", {total['failed'] + total['error']} failed"
                                   if total['failed'] + total['error'] else ""))
