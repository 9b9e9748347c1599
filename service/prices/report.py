"""What one price import did, for the operator who ran it (printed) and for the log (the daily job)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

# Why a record was not stored, in the order the report lists them.
REASONS = ("unreadable", "unknown commodity", "not carried", "zero price", "modal outside min-max", "unknown state",
           "unknown district", "repeated", "tenfold jump")
SHOWN = 10  # examples of each kind of problem in the report
SHOWN_MANDIS = 20  # new mandis named in the printed report (the log names up to LOGGED_MANDIS)
LOGGED_MANDIS = 200


@dataclass
class Report:
    read: int = 0
    stored: int = 0  # prices new to us (a demo price they replace included)
    updated: int = 0  # prices we had, changed by this import
    unchanged: int = 0  # prices we had, the same again
    demo_replaced: int = 0  # demo prices removed for a day, mandi and crop that now has a reported price
    skipped: Counter = field(default_factory=Counter)  # reason -> records
    new_mandis: list[str] = field(default_factory=list)
    by_name: list[str] = field(default_factory=list)  # markets of a district we lack, found by name elsewhere
    unknown: dict[str, Counter] = field(default_factory=dict)  # reason -> what was unknown -> records
    examples: list[tuple[str, str]] = field(default_factory=list)  # (where, why) of skipped records
    days: set[date] = field(default_factory=set)  # of the prices stored or updated
    source: str = ""  # the file, or "data.gov.in"
    dry_run: bool = False

    def skip(self, reason: str, where: str, detail: str = "", name: str = "") -> None:
        self.skipped[reason] += 1
        if name:
            self.unknown.setdefault(reason, Counter())[name] += 1
        if sum(1 for w in self.examples if w[1].startswith(reason)) < SHOWN:
            self.examples.append((where, f"{reason}: {detail}" if detail else reason))

    def lines(self) -> list[str]:
        """The report as a person reads it: the totals first, then what to look at."""
        days = f" ({min(self.days)}" + (f" to {max(self.days)})" if len(self.days) > 1 else ")") if self.days else ""
        out = [f"{self.source}{days}: read {self.read}, stored {self.stored}, updated {self.updated}, "
               f"unchanged {self.unchanged}, skipped {sum(self.skipped.values())}"
               + (" (a dry run: nothing was stored)" if self.dry_run else "")]
        if not self.read:
            out.append("nothing to import: no prices in it (Agmarknet may not have published the day yet)")
        if self.demo_replaced:
            out.append(f"demo prices replaced by reported ones: {self.demo_replaced}")
        for reason in REASONS:
            if self.skipped[reason]:
                named = self.unknown.get(reason)
                names = ": " + ", ".join(f"{n} ({c})" for n, c in named.most_common(SHOWN)) if named else ""
                more = f" and {len(named) - SHOWN} more" if named and len(named) > SHOWN else ""
                out.append(f"skipped, {reason}: {self.skipped[reason]}{names}{more}")
        if self.new_mandis:
            more = f" and {len(self.new_mandis) - SHOWN_MANDIS} more" if len(self.new_mandis) > SHOWN_MANDIS else ""
            out.append(f"new mandis ({len(self.new_mandis)}): {', '.join(self.new_mandis[:SHOWN_MANDIS])}{more}")
        if self.by_name:
            more = f" and {len(self.by_name) - SHOWN_MANDIS} more" if len(self.by_name) > SHOWN_MANDIS else ""
            out.append(f"unknown district, market found by name in another district ({len(self.by_name)}): "
                       f"{', '.join(self.by_name[:SHOWN_MANDIS])}{more}")
        out += [f"  {where}: {why}" for where, why in self.examples if not why.startswith(_NAMED)]
        return out

    def as_log(self) -> dict:
        """The counts as structured log fields."""
        return {"read": self.read, "stored": self.stored, "updated": self.updated, "unchanged": self.unchanged,
                "demo_replaced": self.demo_replaced, "skipped": dict(self.skipped),
                "new_mandis": len(self.new_mandis), "new_mandi_names": self.new_mandis[:LOGGED_MANDIS],
                "by_name": self.by_name[:LOGGED_MANDIS],
                "unknown": {reason: dict(names) for reason, names in self.unknown.items()},
                "days": sorted(d.isoformat() for d in self.days)}


# Reasons whose report line already names what was not known: no example lines for them.
_NAMED = ("unknown commodity", "not carried", "unknown state", "unknown district")
