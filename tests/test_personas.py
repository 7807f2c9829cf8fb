"""Persona sampling (scenarios/sales/personas.py) and the catalog and persona data it draws on."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from salesgen.core.dialogue import Product
from salesgen.core.errors import InputError
from salesgen.scenarios.sales.personas import (
    DEFAULT_CONFIG,
    load_persona_config,
    match_score,
    sample_pair,
    sample_personas,
)

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "salesgen" / "data" / "catalog.json"

# The LMRL-Gym Car Dealer value lists (../shared/data/car_dealer/PROVENANCE.md), restated here on purpose so the
# data files cannot drift from them unnoticed.
BRANDS = {"Volkswagen", "Lexus", "Ford", "Mazda", "Hyundai", "Toyota", "Mercedes-Benz", "BMW", "Audi", "Subaru",
          "Honda", "Porsche", "Tesla"}
TYPES = {"luxury", "sedan", "convertible", "truck", "electric", "SUV"}
FEATURES = {"backup camera", "navigation system", "heated seats", "leather seats", "third-row seating",
            "blind spot monitoring", "sunroof", "Apple CarPlay"}
BUDGETS = {10000, 30000, 50000, 70000, 90000}
PERSONALITIES = {"abusive", "angry", "insulting", "polite", "respectful", "rude", "sarcastic", "talkative", "toxic",
                 "uncommunicative"}


@pytest.fixture(scope="module")
def raw_products() -> list[dict]:
    return json.loads(CATALOG.read_text(encoding="utf-8"))["products"]


@pytest.fixture(scope="module")
def products(raw_products) -> list[Product]:
    return [Product.from_dict(d) for d in raw_products]


@pytest.fixture(scope="module")
def cfg():
    return load_persona_config()


@pytest.fixture(scope="module")
def many(products):
    return sample_personas(600, 11, products)


# --- determinism -----------------------------------------------------------------------------------------------


def test_same_seed_gives_same_pairs(products):
    assert sample_personas(40, 42, products) == sample_personas(40, 42, products)


def test_different_seeds_give_different_pairs(products):
    a, b = sample_personas(40, 42, products), sample_personas(40, 43, products)
    assert sum(x != y for x, y in zip(a, b, strict=True)) >= 30


def test_pair_i_does_not_depend_on_n(products, cfg):
    long = sample_personas(60, 5, products)
    assert sample_personas(7, 5, products) == long[:7]
    assert sample_pair(5, 37, products, cfg) == long[37]


def test_catalog_order_does_not_change_pairs(products):
    assert sample_personas(30, 9, products) == sample_personas(30, 9, list(reversed(products)))


def test_pairs_are_stable_across_processes():
    # Guards against set iteration order or hash()-based seeding sneaking in: PYTHONHASHSEED must not matter.
    code = ("import json; from salesgen.core.dialogue import Product;"
            "from salesgen.scenarios.sales.personas import sample_personas;"
            "ps=[Product.from_dict(d) for d in json.load(open('salesgen/data/catalog.json'))['products']];"
            "print([(p.name, p.budget, p.preferred_features, q.id) for p, q in sample_personas(25, 3, ps)])")
    outs = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": h}).stdout for h in ("1", "2")}
    assert len(outs) == 1


def test_persona_ids_follow_seed_and_index(products):
    assert [p.id for p, _ in sample_personas(3, 8, products)] == ["p8-0", "p8-1", "p8-2"]


# --- persona fields --------------------------------------------------------------------------------------------


def test_car_personas_use_car_dealer_values(many):
    cars = [(p, q) for p, q in many if p.category == "car"]
    assert len(cars) > 150
    for persona, product in cars:
        assert persona.preferred_brand in BRANDS
        assert persona.preferred_type in TYPES
        assert persona.budget in BUDGETS
        assert persona.personality in PERSONALITIES
        assert 1 <= len(persona.preferred_features) <= 4
        assert len(set(persona.preferred_features)) == len(persona.preferred_features)
        assert set(persona.preferred_features) <= FEATURES
        assert "{" not in persona.needs and persona.needs
        assert product.category == "car"
    # The whole 1-4 range and every value list is actually used, not just allowed.
    assert {len(p.preferred_features) for p, _ in cars} == {1, 2, 3, 4}
    assert {p.budget for p, _ in cars} == BUDGETS
    assert {p.preferred_type for p, _ in cars} == TYPES


def test_retail_personas_draw_from_their_category(many, products):
    retail = [(p, q) for p, q in many if p.category != "car"]
    assert retail
    for persona, product in retail:
        category_features = {f for x in products if x.category == persona.category for f in x.features}
        assert product.category == persona.category
        assert 1 <= len(persona.preferred_features) <= 3
        assert set(persona.preferred_features) <= category_features
        assert len(set(persona.preferred_features)) == len(persona.preferred_features)
        assert persona.preferred_type is None
        assert persona.budget > 0 and persona.needs
    brands = [p.preferred_brand for p, _ in retail]
    assert None in brands and any(brands)  # brand preference is optional


def test_retail_budgets_let_some_but_not_all_afford_the_product(many, cfg):
    retail = [(p, q) for p, q in many if p.category != "car"]
    affordable = sum(q.min_price <= cfg.budget_limit(p) for p, q in retail) / len(retail)
    assert 0.5 < affordable < 0.98


def test_every_category_is_sampled(products):
    pairs = sample_personas(200, 1, products)
    assert {p.category for p, _ in pairs} == {x.category for x in products}
    car_share = sum(p.category == "car" for p, _ in pairs) / len(pairs)
    assert 0.3 < car_share < 0.5


def test_over_budget_ok_is_occasional(products):
    pairs = sample_personas(1000, 2, products)
    assert 0.10 < sum(p.over_budget_ok for p, _ in pairs) / len(pairs) < 0.20


def test_product_prefers_a_match_but_not_always(many, products, cfg):
    best, mismatched = 0, 0
    for persona, product in many:
        pool = [x for x in products if x.category == persona.category]
        top = max(match_score(persona, x, cfg) for x in pool)
        best += match_score(persona, product, cfg) == top
        mismatched += match_score(persona, product, cfg) < top
    assert best / len(many) > 0.7
    assert mismatched > 0.05 * len(many)


def test_personalities_have_behaviour_lines(cfg):
    assert set(cfg.personalities) == PERSONALITIES
    for word in ("abusive", "angry", "insulting", "rude", "toxic"):
        assert "never" in cfg.describe(word), word  # difficult but bounded: the line must say what is off limits
    assert cfg.describe("skeptical")
    assert len(cfg.first_names) >= 40
    assert {"only buys with a discount", "only buys if all must-have features are met",
            "impatient: wants a quick answer"} <= set(cfg.strategies)


def test_config_lists_match_car_dealer(cfg):
    assert set(cfg.car.brands) == BRANDS and len(cfg.car.brands) == 13
    assert set(cfg.car.types) == TYPES
    assert set(cfg.car.features) == FEATURES
    assert set(cfg.car.budgets) == BUDGETS


# --- catalog invariants ----------------------------------------------------------------------------------------


def test_catalog_size_and_categories(products):
    counts = Counter(p.category for p in products)
    assert len(products) >= 48
    assert len(counts) >= 7
    assert counts["car"] >= 18
    assert all(n >= 4 for n in counts.values()), counts


def test_catalog_ids_are_unique_slugs(products):
    ids = [p.id for p in products]
    assert len(ids) == len(set(ids))
    assert all(i == i.lower() and " " not in i for i in ids)


def test_catalog_prices_and_discount_floors(products):
    for p in products:
        assert p.price > 0 and p.min_price is not None, p.id
        assert 0.92 * p.price - 0.01 <= p.min_price <= p.price, p.id
    assert any(p.min_price == p.price for p in products)
    assert any(p.min_price < p.price for p in products)


def test_catalog_records_are_complete(raw_products):
    for d in raw_products:
        assert set(d) >= {"id", "name", "category", "price", "min_price", "specs", "features", "policies", "brand"}
        assert 4 <= len(d["specs"]) <= 6, d["id"]
        assert 4 <= len(d["features"]) <= 8, d["id"]
        assert set(d["policies"]) == {"warranty", "financing", "returns"}, d["id"]
        assert all(isinstance(v, str) and v for v in d["policies"].values()), d["id"]


def test_cars_cover_car_dealer_values(products):
    cars = [p for p in products if p.category == "car"]
    assert {p.brand for p in cars} == BRANDS
    assert {p.body_type for p in cars} == TYPES
    assert FEATURES <= {f for p in cars for f in p.features}
    # Every budget can buy something; the 10k budget needs a couple of cheap used cars.
    assert sum(p.min_price <= 10000 for p in cars) >= 2
    assert sum(p.price <= 14000 for p in cars) >= 3
    assert all(p.price <= 90000 for p in cars)


# --- configuration errors --------------------------------------------------------------------------------------


def _config_with(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "personas.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_malformed_toml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("over_budget_probability = 0.15\n\nmatch_probability = = 0.7\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_persona_config(path)
    assert "line 3" in str(e.value) and str(path) in str(e.value)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_persona_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(("old", "new", "named"), [
    ("preferred_features = [1, 4]", "preferred_features = [1, 9]", "car.preferred_features"),
    ("over_budget_probability = 0.15", "over_budget_probability = 1.5", "over_budget_probability"),
    ("over_budget_probability = 0.15", "over_budget_probabilty = 0.15", "unknown key"),
    ('SUV = "an SUV"', "", "car.type_phrases"),
    ('shapes = ["sedan", "convertible"', 'shapes = ["sedan", "coupe"', "car.shapes"),
    ('"{a_type} for a daily', '"{vehicle} for a daily', "needs.car"),
    ("budgets = [10000, 30000", "budgets = [-1, 30000", "car.budgets"),
    ("default = [0.75, 1.35]", "default = [1.35, 0.75]", "retail.budget_range.default"),
])
def test_invalid_values_name_the_key(tmp_path, old, new, named):
    with pytest.raises(InputError) as e:
        load_persona_config(_config_with(tmp_path, old, new))
    assert named in str(e.value)


def test_config_path_is_used_by_sample_personas(tmp_path, products):
    path = _config_with(tmp_path, "car = 40\n", "car = 0\n")
    pairs = sample_personas(50, 1, products, config_path=path)
    assert pairs and all(p.category != "car" for p, _ in pairs)


def test_catalog_without_weighted_categories_is_an_input_error(products):
    toys = [Product(id="t1", name="Toy", category="toy", price=10.0)]
    with pytest.raises(InputError, match="no catalog product"):
        sample_personas(1, 1, toys)
    assert sample_personas(0, 1, products) == []
    with pytest.raises(InputError):
        sample_personas(-1, 1, products)


def test_car_personas_are_coherent(many, products, cfg):
    # One catalog car has the persona's body type, brand and every must-have, and the need suits the type.
    cars = [x for x in products if x.category == "car"]
    personas = [p for p, _ in many if p.category == "car"]
    for p in personas:
        assert any(c.body_type == p.preferred_type and c.brand == p.preferred_brand
                   and set(p.preferred_features) <= set(c.features) for c in cars), p
        assert not any(u in p.needs for u in cfg.car.unsuited_needs.get(p.preferred_type, ())), p.needs
    assert not any("sedan for hauling tools" in p.needs for p in personas)
