"""Prompt variants: TOML data files with the agents' system prompts, loaded, validated and rendered."""
from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesgen.core.errors import InputError
from salesgen.core.files import read_toml

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
DEFAULT_PROMPTS = PROMPTS_DIR / "default.toml"
# Every variant must define these; the simulator fills their placeholders.
REQUIRED = {
    "salesperson": ("system", "opening", "relay"),
    "customer": ("system", "relay"),
    "decision": ("prompt",),
}
_WORDS = ("min_words", "max_words")
_OFFER = ("budget_limit", "offer_product", "offer_price", "offer_fit")  # the final offer (scenarios/sales/offer.py)
# The values the simulator supplies to each required text: a placeholder outside these fails at load, not mid-run.
PLACEHOLDERS = {
    ("salesperson", "system"): {"seller_name", "store", "category", "catalog_facts", "examples", *_WORDS},
    ("salesperson", "opening"): {*_WORDS},
    ("salesperson", "relay"): {"text", "speaker", *_WORDS},
    ("customer", "relay"): {"text", "speaker", *_WORDS},
    ("customer", "system"): {"name", "needs", "personality", "personality_behaviour", "strategy", "must_haves",
                             "brand_line", "budget", "budget_rule", *_WORDS},
    ("decision", "prompt"): {"name"},
    # Optional: asks a speaker whose line stopped short to go on (no key, no continuation; see Simulator._extend).
    ("salesperson", "extend"): {"text", "words", "more", "speaker", *_WORDS},
    ("customer", "extend"): {"text", "words", "more", "speaker", *_WORDS},
    # Optional: the relay of the closing exchange (final offer, then the decision in words); without it, the relay.
    ("salesperson", "close"): {"text", "speaker", *_WORDS},
    ("customer", "close"): {"text", "speaker", *_OFFER, *_WORDS},
    # Optional: the customer's closing request when the offer is over a budget the persona may not stretch.
    ("customer", "close_over"): {"text", "speaker", *_OFFER, *_WORDS},
    # Optional, for --policy planned: the voice's system prompts (the scenario's own voice file otherwise).
    ("planned", "salesperson"): {"seller", "store", "category", *_WORDS},
    ("planned", "customer"): {"name", "needs", "personality", "behaviour", *_WORDS},
}


@dataclass
class PromptSet:
    name: str
    path: Path
    sections: dict[str, dict[str, str]]

    def render(self, section: str, key: str, **values: Any) -> str:
        """Fill a template; str.format only substitutes names, it never evaluates the file's text."""
        return self.sections[section][key].format_map(values)

    def has(self, section: str, key: str) -> bool:
        return key in self.sections.get(section, {})


def load_prompts(path: Path | str = DEFAULT_PROMPTS, _seen: tuple[Path, ...] = ()) -> PromptSet:
    path = Path(path).resolve()
    if path in _seen:
        raise InputError(f"Prompt file {path} extends itself in a loop.")
    data = read_toml(path, "Prompt file ")
    sections: dict[str, dict[str, str]] = {}
    if "extends" in data:
        base = load_prompts(path.parent / str(data["extends"]), _seen + (path,))
        sections = {k: dict(v) for k, v in base.sections.items()}
    for sec, body in data.items():
        if isinstance(body, dict):
            sections.setdefault(sec, {}).update({k: v for k, v in body.items() if isinstance(v, str)})
    for sec, keys in REQUIRED.items():
        for key in keys:
            if not isinstance(sections.get(sec, {}).get(key), str):
                raise InputError(f"Prompt file {path} lacks the text [{sec}] {key}.")
    for sec, body in sections.items():
        for key, text in body.items():
            _check_placeholders(path, sec, key, text)
    return PromptSet(name=str(data.get("name") or path.stem), path=path, sections=sections)


def _check_placeholders(path: Path, sec: str, key: str, text: str) -> None:
    """Only plain {name} fields: str.format would follow {x.attr} and {x[key]} into Python objects."""
    where = f"Prompt file {path}: [{sec}] {key}"
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name is not None]
    except ValueError as e:
        raise InputError(f"{where} has a broken placeholder ({e}); write literal braces as {{{{ and }}}}.") from None
    allowed = PLACEHOLDERS.get((sec, key))
    for name, spec, conv in fields:
        shown = "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
        if not name.isidentifier() or spec or conv:
            raise InputError(f"{where} has the placeholder {shown}; only plain names like {{name}} are allowed.")
        if allowed is not None and name not in allowed:
            known = ", ".join("{" + n + "}" for n in sorted(allowed)) or "none"
            raise InputError(f"{where} has the unknown placeholder {shown} (known here: {known}).")
