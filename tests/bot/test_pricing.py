from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.pricing import Price, PriceTable, format_cost, parse_prices


def test_defaults_cover_the_default_model_and_dated_names_use_their_family() -> None:
    prices = PriceTable.from_setting("")
    assert prices.price("gpt-4o-mini") == Price(0.15, 0.60)
    assert prices.price("gpt-4o-mini-2024-07-18") == Price(0.15, 0.60)  # not gpt-4o's price
    assert prices.cost("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert prices.cost("some-local-model", 10, 10) is None


def test_the_setting_overrides_and_adds_models() -> None:
    prices = PriceTable.from_setting("gpt-4o-mini=1:2, local-llama=0:0.5")
    assert prices.cost("gpt-4o-mini", 500_000, 250_000) == pytest.approx(1.0)
    assert prices.cost("local-llama", 10, 2_000_000) == pytest.approx(1.0)


@pytest.mark.parametrize("setting", ["gpt-4o=1", "gpt-4o=a:b", "=1:2", "gpt-4o=1:2:3"])
def test_a_malformed_setting_is_refused_naming_the_variable(setting: str) -> None:
    with pytest.raises(ValueError):
        parse_prices(setting)
    with pytest.raises(ConfigError) as raised:
        Settings.load("console", llm_prices=setting)
    assert raised.value.variable == "LLM_PRICES"


def test_costs_are_formatted_and_an_unknown_cost_is_not_a_number() -> None:
    assert format_cost(None) == "?"
    assert format_cost(0.001234) == "$0.0012"
    assert format_cost(12.5) == "$12.50"
