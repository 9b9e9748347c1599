"""Which provider carries a farmer's SMS and calls, by the country prefix of their number: PROVIDER_ROUTES, such as
`+91=plivo,+254=africastalking`, lets one deployment serve India (Plivo, with DLT identifiers) and Kenya (Africa's
Talking) together. The longest matching prefix wins; a number no route names goes by SMS_PROVIDER.

A call-back goes by the provider that carried the ring (the line the farmer rang is that provider's number), not by
this table; a broadcast's rows are each sent by their own route."""
from __future__ import annotations

import re
from dataclasses import dataclass

PROVIDERS = ("console", "africastalking", "twilio", "plivo")


@dataclass(frozen=True)
class Routes:
    rules: tuple[tuple[str, str], ...] = ()  # (prefix, provider), longest prefix first

    def provider_for(self, phone: str, default: str) -> str:
        for prefix, provider in self.rules:
            if phone.startswith(prefix):
                return provider
        return default

    def providers(self) -> set[str]:
        return {provider for _, provider in self.rules}

    def __str__(self) -> str:
        return ",".join(f"{prefix}={provider}" for prefix, provider in self.rules) or "(none)"


def parse_routes(raw: str) -> Routes:
    rules: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        prefix, _, provider = (s.strip() for s in part.partition("="))
        if not re.fullmatch(r"\+[1-9]\d{0,5}", prefix) or provider.lower() not in PROVIDERS:
            raise ValueError(f"{part!r} is not +prefix=provider (a country code such as +91, and one of "
                             f"{', '.join(PROVIDERS)})")
        if prefix in rules:
            raise ValueError(f"{prefix} is routed twice")
        rules[prefix] = provider.lower()
    return Routes(tuple(sorted(rules.items(), key=lambda rule: (-len(rule[0]), rule[0]))))
