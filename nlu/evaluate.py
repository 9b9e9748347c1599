"""`kheti nlu eval`: how well the parser reads the held-out messages, per intent and per language and script,
with the confusion matrix, entity accuracy and the parse time per message."""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from pathlib import Path
from statistics import quantiles

from nlu.dataset import INTENTS, load
from nlu.parser import Parser


def evaluate(cache_dir: Path | str = "var") -> dict:
    started = time.perf_counter()
    parser = Parser(cache_dir)
    load_s = time.perf_counter() - started
    examples = load("heldout")
    parses, times = [], []
    for example in examples:
        t0 = time.perf_counter()
        parses.append(parser.parse(example.text))
        times.append(time.perf_counter() - t0)
    report = {"load_s": load_s, "n": len(examples), "times_ms": [t * 1000 for t in times]}
    right = [p.intent == e.intent for p, e in zip(parses, examples)]
    report["intent_accuracy"] = sum(right) / len(right)
    for field in ("crop", "location", "language"):
        pairs = [(p.entities[field], getattr(e, field)) for p, e in zip(parses, examples)]
        report[f"{field}_accuracy"] = sum(a == b for a, b in pairs) / len(pairs)
    named = [(p.entities["crop"], e.crop) for p, e in zip(parses, examples) if e.crop]
    report["crop_recall_when_named"] = sum(a == b for a, b in named) / len(named)
    by_group, by_intent = defaultdict(list), defaultdict(list)
    confusion: Counter = Counter()
    for p, e, ok in zip(parses, examples, right):
        by_group[e.group].append(ok)
        by_intent[e.intent].append(ok)
        confusion[(e.intent, p.intent)] += 1
    report["by_group"] = {g: sum(v) / len(v) for g, v in sorted(by_group.items())}
    report["by_intent"] = {i: sum(by_intent[i]) / len(by_intent[i]) for i in INTENTS if by_intent[i]}
    report["confusion"] = confusion
    report["low_confidence"] = sum(not p.confident for p in parses) / len(parses)
    report["wrong_but_confident"] = sum(p.confident and not ok for p, ok in zip(parses, right)) / len(parses)
    report["mistakes"] = [(e.group, e.text, e.intent, p.intent, round(p.confidence, 2))
                          for p, e, ok in zip(parses, examples, right) if not ok]
    return report


def format_report(report: dict) -> str:
    t = sorted(report["times_ms"])
    pct = quantiles(t, n=100)
    lines = [
        f"held-out messages: {report['n']}    model loaded in {report['load_s']:.2f} s",
        f"intent accuracy   {report['intent_accuracy']:.1%}   (target 92%)",
        f"crop accuracy     {report['crop_accuracy']:.1%}   (right crop or rightly none; {report['crop_recall_when_named']:.1%}"
        " where a crop is named; target 90%)",
        f"location accuracy {report['location_accuracy']:.1%}    language accuracy {report['language_accuracy']:.1%}",
        f"below the confidence floor: {report['low_confidence']:.1%} (answered with help)"
        f"    wrong and confident: {report['wrong_but_confident']:.1%}",
        f"parse time per message: p50 {pct[49]:.2f} ms, p99 {pct[98]:.2f} ms, max {t[-1]:.2f} ms (target p99 < 2 ms)",
        "", "by language and script:",
    ]
    lines += [f"  {g:10} {a:.1%}" for g, a in report["by_group"].items()]
    lines += ["", "by intent:"] + [f"  {i:16} {a:.1%}" for i, a in report["by_intent"].items()]
    short = {i: i[:6] for i in INTENTS}
    lines += ["", "confusion (rows: labelled, columns: predicted):",
              " " * 17 + " ".join(f"{short[i]:>6}" for i in INTENTS)]
    for row in INTENTS:
        lines.append(f"  {row:15}" + " ".join(f"{report['confusion'][(row, col)] or '.':>6}" for col in INTENTS))
    return "\n".join(lines)
