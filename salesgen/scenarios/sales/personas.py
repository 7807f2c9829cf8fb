"""Customer personas sampled deterministically from a seed, each paired with the product in play."""
from __future__ import annotations

import random
import string
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from salesgen.core.dialogue import Persona, Product
from salesgen.core.errors import InputError

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "data" / "personas.toml"
CAR = "car"

# Match score weights: affordability outweighs brand or type alone, because a product the persona can never pay
# for makes a dull dialogue; each must-have feature present adds one point.
_BRAND_POINTS, _TYPE_POINTS, _AFFORDABLE_POINTS = 2, 2, 3


@dataclass(frozen=True)
class CarValues:
    """The LMRL-Gym Car Dealer value lists a car persona is drawn from."""

    brands: tuple[str, ...]
    types: tuple[str, ...]
    features: tuple[str, ...]
    budgets: tuple[int, ...]
    feature_count: tuple[int, int]  # inclusive range of preferred features
    type_phrases: dict[str, str]  # body type -> "an SUV", used by needs templates as {a_type}
    unsuited_needs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # body type -> needs it cannot meet
    shapes: tuple[str, ...] = ()  # the types that name a body shape


@dataclass(frozen=True)
class PersonaConfig:
    """A validated data/personas.toml."""

    path: Path
    over_budget_probability: float
    over_budget_stretch: float  # how far past the budget an over_budget_ok persona will go (1.15 = 15%)
    match_probability: float
    retail_brand_probability: float
    category_weights: dict[str, float]
    personalities: dict[str, str]  # Car Dealer personality -> behaviour line
    temperaments: dict[str, str]  # retail-only temperament -> behaviour line
    strategies: tuple[str, ...]
    first_names: tuple[str, ...]
    car: CarValues
    retail_feature_count: tuple[int, int]
    retail_budget_ranges: dict[str, tuple[float, float]]  # category (or "default") -> (low, high) multipliers
    needs: dict[str, tuple[str, ...]]  # category -> needs that suit any of its products
    feature_needs: dict[str, tuple[str, ...]]  # catalog feature -> needs that suit a product having it

    def describe(self, personality: str) -> str:
        """The behaviour line for a personality or temperament, for the customer prompt ("" if unknown)."""
        return self.personalities.get(personality) or self.temperaments.get(personality, "")

    def budget_range(self, category: str) -> tuple[float, float]:
        return self.retail_budget_ranges.get(category, self.retail_budget_ranges["default"])

    def budget_limit(self, persona: Persona) -> float:
        """The most this persona will pay: the budget, stretched when the persona says they may go over it."""
        return persona.budget * (self.over_budget_stretch if persona.over_budget_ok else 1.0)


# ---------------------------------------------------------------------------------------------------------------
# Loading and validation: every problem becomes one InputError naming the file and the offending key.


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> NoReturn:
        raise InputError(f"{self.path}: {where} {problem}")

    def table(self, data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            self.fail(f"{where}{key}", "is missing or is not a table")
        return value

    def only(self, data: dict[str, Any], allowed: set[str], where: str) -> None:
        # Unknown keys are almost always typos of a required key; say so instead of ignoring them.
        extra = sorted(set(data) - allowed)
        if extra:
            self.fail(where or "top level", f"has unknown key(s): {', '.join(extra)}")

    def number(self, data: dict[str, Any], key: str, where: str, lo: float, hi: float) -> float:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            self.fail(f"{where}{key}", f"must be a number between {lo} and {hi}, got {value!r}")
        return float(value)

    def strings(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(where, "must be a non-empty list of non-empty strings")
        if len(set(value)) != len(value):
            self.fail(where, "has duplicate entries")
        return tuple(value)

    def descriptions(self, value: Any, where: str) -> dict[str, str]:
        if not isinstance(value, dict) or not value:
            self.fail(where, "must be a non-empty table of name = \"behaviour description\"")
        for k, v in value.items():
            if not isinstance(v, str) or not v.strip():
                self.fail(f"{where}.{k}", "must be a non-empty string")
        return dict(value)

    def count_range(self, value: Any, where: str, most: int) -> tuple[int, int]:
        ok = (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)
              and 1 <= value[0] <= value[1] <= most)
        if not ok:
            self.fail(where, f"must be [low, high] integers with 1 <= low <= high <= {most}, got {value!r}")
        return value[0], value[1]

    def multipliers(self, value: Any, where: str) -> tuple[float, float]:
        ok = (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
              and 0 < value[0] <= value[1])
        if not ok:
            self.fail(where, f"must be [low, high] positive numbers with low <= high, got {value!r}")
        return float(value[0]), float(value[1])

    def templates(self, value: Any, where: str, allowed: set[str]) -> tuple[str, ...]:
        items = self.strings(value, where)
        for t in items:
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(t) if name is not None}
            except ValueError as e:  # unbalanced braces
                self.fail(where, f"has a malformed template {t!r} ({e})")
            if names - allowed:
                self.fail(where, f"template {t!r} uses unknown placeholder(s) {sorted(names - allowed)}; "
                                 f"allowed: {sorted(allowed) or 'none'}")
        return items


def _unsuited(c: _Checker, car_t: dict[str, Any], types: set[str]) -> dict[str, tuple[str, ...]]:
    if "unsuited_needs" not in car_t:
        return {}
    table = c.table(car_t, "unsuited_needs", "car.")
    c.only(table, types, "car.unsuited_needs")  # a misspelt type would silently filter nothing
    return {t: c.strings(v, f"car.unsuited_needs.{t}") for t, v in table.items()}


def _shapes(c: _Checker, car_t: dict[str, Any], types: tuple[str, ...]) -> tuple[str, ...]:
    if "shapes" not in car_t:
        return ()
    shapes = c.strings(car_t["shapes"], "car.shapes")
    if unknown := [s for s in shapes if s not in types]:
        c.fail("car.shapes", f"names no type: {', '.join(unknown)}")
    return shapes


def load_persona_config(path: str | Path = DEFAULT_CONFIG) -> PersonaConfig:
    """Read and validate the persona value lists; raise InputError naming the file and the problem."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as e:
        raise InputError(f"{path}: persona config file not found") from e
    except OSError as e:
        raise InputError(f"{path}: cannot read persona config ({e.strerror})") from e
    except tomllib.TOMLDecodeError as e:  # its message carries "(at line N, column M)"
        raise InputError(f"{path}: invalid TOML: {e}") from e

    c = _Checker(path)
    c.only(data, {"over_budget_probability", "over_budget_stretch", "match_probability", "retail_brand_probability",
                  "category_weights", "personalities", "temperaments", "buyer", "car", "retail", "needs",
                  "needs_by_feature"}, "")

    weights_raw = c.table(data, "category_weights", "")
    weights: dict[str, float] = {}
    for cat in weights_raw:
        weights[cat] = c.number(weights_raw, cat, "category_weights.", 0, 1e9)
    if not any(weights.values()):
        c.fail("category_weights", "must give at least one category a weight above 0")

    personalities = c.descriptions(data.get("personalities"), "personalities")
    # Retail-only temperaments are optional: without them retail shoppers use the Car Dealer personalities.
    temperaments = c.descriptions(data["temperaments"], "temperaments") if "temperaments" in data else {}
    if overlap := sorted(set(personalities) & set(temperaments)):
        c.fail("temperaments", f"repeats personalities: {', '.join(overlap)}")

    buyer = c.table(data, "buyer", "")
    c.only(buyer, {"strategies", "first_names"}, "buyer")

    car_t = c.table(data, "car", "")
    c.only(car_t, {"brands", "types", "features", "budgets", "preferred_features", "type_phrases", "unsuited_needs",
                   "shapes"}, "car")
    features = c.strings(car_t.get("features"), "car.features")
    types = c.strings(car_t.get("types"), "car.types")
    budgets = car_t.get("budgets")
    if not isinstance(budgets, list) or not budgets or not all(type(b) is int and b > 0 for b in budgets):
        c.fail("car.budgets", f"must be a non-empty list of positive integers, got {budgets!r}")
    phrases = c.descriptions(car_t.get("type_phrases"), "car.type_phrases")
    if missing := [t for t in types if t not in phrases]:
        c.fail("car.type_phrases", f"has no phrase for type(s): {', '.join(missing)}")
    car = CarValues(
        brands=c.strings(car_t.get("brands"), "car.brands"),
        types=types,
        features=features,
        budgets=tuple(budgets),
        feature_count=c.count_range(car_t.get("preferred_features"), "car.preferred_features", len(features)),
        type_phrases=phrases,
        unsuited_needs=_unsuited(c, car_t, set(types)),
        shapes=_shapes(c, car_t, types),
    )

    retail = c.table(data, "retail", "")
    c.only(retail, {"preferred_features", "budget_range"}, "retail")
    ranges_raw = c.table(retail, "budget_range", "retail.")
    if "default" not in ranges_raw:
        c.fail("retail.budget_range", "needs a default = [low, high] entry")
    ranges = {k: c.multipliers(v, f"retail.budget_range.{k}") for k, v in ranges_raw.items()}

    needs_raw = c.table(data, "needs", "")
    needs = {cat: c.templates(v, f"needs.{cat}", {"a_type"} if cat == CAR else set())
             for cat, v in needs_raw.items()}
    if missing := [cat for cat, w in weights.items() if w > 0 and cat not in needs]:
        c.fail("needs", f"has no templates for weighted category(ies): {', '.join(missing)}")
    feature_needs_raw = data.get("needs_by_feature", {})
    if not isinstance(feature_needs_raw, dict):
        c.fail("needs_by_feature", "must be a table of \"feature\" = [needs]")
    feature_needs = {f: c.templates(v, f"needs_by_feature.{f}", set()) for f, v in feature_needs_raw.items()}

    return PersonaConfig(
        path=path,
        over_budget_probability=c.number(data, "over_budget_probability", "", 0, 1),
        over_budget_stretch=c.number(data, "over_budget_stretch", "", 1, 10),
        match_probability=c.number(data, "match_probability", "", 0, 1),
        retail_brand_probability=c.number(data, "retail_brand_probability", "", 0, 1),
        category_weights=weights,
        personalities=personalities,
        temperaments=temperaments,
        strategies=c.strings(buyer.get("strategies"), "buyer.strategies"),
        first_names=c.strings(buyer.get("first_names"), "buyer.first_names"),
        car=car,
        retail_feature_count=c.count_range(retail.get("preferred_features"), "retail.preferred_features", 100),
        retail_budget_ranges=ranges,
        needs=needs,
        feature_needs=feature_needs,
    )


# ---------------------------------------------------------------------------------------------------------------
# Sampling


def sample_personas(
    n: int, seed: int, catalog_products: Sequence[Product], config_path: str | Path = DEFAULT_CONFIG
) -> list[tuple[Persona, Product]]:
    """The first n (persona, product in play) pairs for this seed; pair i is the same whatever n is."""
    if n < 0:
        raise InputError(f"the number of personas must be 0 or more, got {n}")
    cfg = load_persona_config(config_path)
    return [sample_pair(seed, i, catalog_products, cfg) for i in range(n)]


def sample_pair(seed: int, index: int, products: Sequence[Product], cfg: PersonaConfig) -> tuple[Persona, Product]:
    """Pair number `index` for `seed`: it depends only on (seed, index), the catalog and the config."""
    # A string seed is hashed with SHA-512 by random.Random, so it is stable across runs and PYTHONHASHSEED; a
    # fresh generator per index lets a longer run reproduce a shorter run's pairs exactly.
    rng = random.Random(f"{seed}:{index}")
    by_category = _group(products)
    categories = [c for c, w in cfg.category_weights.items() if w > 0 and c in by_category]
    if not categories:
        raise InputError(
            f"no catalog product is in a category weighted in {cfg.path} "
            f"(catalog has: {', '.join(sorted(by_category)) or 'nothing'})"
        )
    category = rng.choices(categories, weights=[cfg.category_weights[c] for c in categories])[0]
    pool = by_category[category]

    name = rng.choice(cfg.first_names)
    strategy = rng.choice(cfg.strategies)
    over_budget_ok = rng.random() < cfg.over_budget_probability
    persona_id = f"p{seed}-{index}"
    if category == CAR:
        persona = _car_persona(rng, cfg, pool, persona_id, name, strategy, over_budget_ok)
    else:
        persona = _retail_persona(rng, cfg, pool, category, persona_id, name, strategy, over_budget_ok)
    return persona, _pick_product(rng, cfg, persona, pool)


def _group(products: Sequence[Product]) -> dict[str, list[Product]]:
    # Sorted by id so that reordering the catalog file does not change which product a seed picks.
    groups: dict[str, list[Product]] = {}
    for p in sorted(products, key=lambda p: p.id):
        groups.setdefault(p.category, []).append(p)
    return groups


def _car_persona(
    rng: random.Random, cfg: PersonaConfig, pool: list[Product], pid: str, name: str, strategy: str,
    over_budget_ok: bool,
) -> Persona:
    # Car Dealer's value lists, drawn around one car of the catalog the buyer has in mind, so the fields fit
    # together: its body type and brand, must-haves it has, a budget near its price, a need its type can meet.
    # Drawn independently (as the Car Dealer environment does), a buyer wanted "a sedan for hauling tools to job
    # sites" with third-row seating, or a Lexus pickup, and no policy could make that dialogue read right.
    car = cfg.car
    # The budget first (Car Dealer's list), then a car it is near: budget / price within the category's budget
    # range, as for retail shoppers, so about a third cannot pay their car's floor and must be steered or walk.
    budget = rng.choice(car.budgets)
    low, high = cfg.budget_range(CAR)
    near = [p for p in pool if low <= budget / p.price <= high]
    anchor = rng.choice(near or pool)
    body_type = anchor.body_type if anchor.body_type in car.types else rng.choice(car.types)
    has = [f for f in car.features if f in anchor.features] or list(car.features)
    lo, hi = car.feature_count
    unsuited = car.unsuited_needs.get(body_type, ())
    needs = [n for n in cfg.needs[CAR] if not any(u in n for u in unsuited)] or list(cfg.needs[CAR])
    return Persona(
        id=pid,
        name=name,
        personality=rng.choice(list(cfg.personalities)),
        category=CAR,
        budget=budget,
        preferred_brand=anchor.brand if anchor.brand in car.brands else rng.choice(car.brands),
        preferred_features=rng.sample(has, rng.randint(min(lo, len(has)), min(hi, len(has)))),
        preferred_type=body_type,
        strategy=strategy,
        needs=rng.choice(needs).format(a_type=car.type_phrases[body_type]),
        over_budget_ok=over_budget_ok,
    )


def _retail_persona(
    rng: random.Random,
    cfg: PersonaConfig,
    pool: list[Product],
    category: str,
    pid: str,
    name: str,
    strategy: str,
    over_budget_ok: bool,
) -> Persona:
    # The shopper has one product of the category in mind: must-haves, brand, budget and need all come from it,
    # so they fit together even in a mixed category (a $129 pressure cooker next to a $999 washer). The product
    # in play is chosen afterwards and may differ.
    anchor = rng.choice(pool)
    wants_brand = rng.random() < cfg.retail_brand_probability
    lo, hi = cfg.retail_feature_count
    n = len(anchor.features)
    features = rng.sample(anchor.features, rng.randint(min(lo, n), min(hi, n)))
    low, high = cfg.budget_range(category)
    specific = [need for f in anchor.features for need in cfg.feature_needs.get(f, ())]
    return Persona(
        id=pid,
        name=name,
        personality=rng.choice([*cfg.personalities, *cfg.temperaments]),
        category=category,
        budget=_round_budget(anchor.price * rng.uniform(low, high)),
        preferred_brand=anchor.brand if wants_brand and anchor.brand else None,
        preferred_features=features,
        preferred_type=None,
        strategy=strategy,
        needs=rng.choice(specific or cfg.needs[category]),
        over_budget_ok=over_budget_ok,
    )


def _round_budget(x: float) -> int:
    """Round to the granularity a shopper would say out loud ($45, $1,250, $2,300)."""
    step = 5 if x < 100 else 10 if x < 1000 else 50 if x < 5000 else 100
    return max(step, round(x / step) * step)


def match_score(persona: Persona, product: Product, cfg: PersonaConfig) -> float:
    """How well a product fits a persona: brand, type, must-have features present, and affordability."""
    score = 0.0
    if persona.preferred_brand and product.brand == persona.preferred_brand:
        score += _BRAND_POINTS
    if persona.preferred_type and product.body_type == persona.preferred_type:
        score += _TYPE_POINTS
    score += len(set(persona.preferred_features) & set(product.features))
    floor = product.min_price if product.min_price is not None else product.price
    if floor <= cfg.budget_limit(persona):
        score += _AFFORDABLE_POINTS
    return score


def _pick_product(rng: random.Random, cfg: PersonaConfig, persona: Persona, pool: list[Product]) -> Product:
    # Mostly the best fit, sometimes any product of the category: mismatches test the salesperson's honesty.
    if rng.random() < cfg.match_probability:
        scores = [match_score(persona, p, cfg) for p in pool]
        best = max(scores)
        pool = [p for p, s in zip(pool, scores, strict=True) if s == best]
    return rng.choice(pool)
