"""What LLM tokens cost: a small table of USD per million tokens, per model, overridable by LLM_PRICES.

``LLM_PRICES='gpt-4o-mini=0.15:0.60,my-model=1:2'`` sets (or adds) a model's input and output
price per million tokens. A model found in neither table costs nothing known: reports show "?"
rather than a made-up number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_ENTRY = re.compile(r"^\s*([^=,\s]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*$")


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million input and output tokens."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000


# List prices at the time of writing; override with LLM_PRICES when yours differ.
DEFAULT_PRICES: Mapping[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "claude-3-5-haiku-latest": Price(0.80, 4.00),
    "claude-sonnet-4-0": Price(3.00, 15.00),
    "simulated-model": Price(0.0, 0.0),
}


class PriceTable:
    """Prices by model name; a dated model name (``gpt-4o-mini-2024-07-18``) uses its base entry."""

    def __init__(self, prices: Mapping[str, Price]) -> None:
        self._prices = dict(prices)

    @classmethod
    def from_setting(cls, setting: str | None) -> PriceTable:
        """The defaults, with the entries of an ``LLM_PRICES`` value on top; ValueError if it is malformed."""
        return cls({**DEFAULT_PRICES, **parse_prices(setting or "")})

    def price(self, model: str) -> Price | None:
        if model in self._prices:
            return self._prices[model]
        # Providers answer with dated names; the longest known prefix is the model's family.
        matches = [name for name in self._prices if model.startswith(name + "-")]
        return self._prices[max(matches, key=len)] if matches else None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        price = self.price(model)
        return None if price is None else price.cost(input_tokens, output_tokens)


def parse_prices(setting: str) -> dict[str, Price]:
    prices: dict[str, Price] = {}
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        match = _ENTRY.match(entry)
        if match is None:
            raise ValueError(f"expected model=input_per_mtok:output_per_mtok (got {entry!r})")
        prices[match.group(1)] = Price(float(match.group(2)), float(match.group(3)))
    return prices


def format_cost(cost: float | None) -> str:
    if cost is None:
        return "?"
    return f"${cost:.4f}" if cost < 1 else f"${cost:,.2f}"
