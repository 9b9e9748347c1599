"""The labelled messages in nlu/data: <language>_<script>.train.jsonl to learn from, .heldout.jsonl to judge by
(written separately, in other words, so a score on it says something about messages nobody wrote down)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).with_name("data")
INTENTS = ("weather", "market_price", "crop_advisory", "pest_disease", "register", "subscribe", "opt_out", "help",
           "expert_callback", "change_language", "payment_status")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    crop: str | None
    location: str | None
    language: str | None
    group: str  # "hi_deva", "mr_latn", ...: the language and script it was written in


def load(split: str) -> list[Example]:
    examples = []
    for path in sorted(DATA.glob(f"*.{split}.jsonl")):
        group = path.name.split(".")[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                examples.append(Example(row["text"], row["intent"], row.get("crop"), row.get("location"),
                                        row.get("language"), group))
    return examples
