"""Reference sets: one loader per bundled set, each mapping its published format onto core Dialogues."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Outcome, Persona, Product, Turn
from salesgen.core.errors import InputError
from salesgen.core.files import read_csv_rows, read_json, read_text
from salesgen.core.formats import read_car_dealer
from salesgen.evaluate.config import SetInfo, default_reference, reference_sets

_INTENT = re.compile(r"<intent>.*?</intent>", re.S)


@dataclass
class ReferenceSet:
    name: str
    label: str
    path: Path
    kind: str  # "human" or "llm"
    dialogues: list[Dialogue] = field(default_factory=list)
    note: str = ""


def _persona(key: str, category: str, budget: float = 0.0) -> Persona:
    return Persona(id=f"{key}-customer", name="", personality="unknown", category=category, budget=budget)


def load_car_dealer(path: Path) -> list[Dialogue]:
    """LMRL-Gym Car Dealer JSON (personality -> conversations), via the core reader."""
    try:
        dialogues = read_car_dealer(path)
    except InputError:
        raise
    except (AttributeError, TypeError, ValueError, KeyError) as e:
        # The core reader trusts field types (e.g. a numeric budget); turn a bad field into one sentence.
        raise InputError(f"{path} is not in the Car Dealer format ({type(e).__name__}: {e}).") from None
    if not dialogues:
        raise InputError(f"{path} holds no Car Dealer conversations.")
    return dialogues


def load_craigslist(path: Path) -> list[Dialogue]:
    """CraigslistBargain as reformatted by PPDPP: JSON lines; speaker usr = seller, sys = buyer."""
    out = []
    roles = {"usr": SALESPERSON, "sys": CUSTOMER}
    for n, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            turns = [Turn(role=roles[t["speaker"]], text=str(t["text"]), timestamp="") for t in rec["dialog"]]
            category = str(rec.get("item_name") or "")
            product = Product(id=f"{path.stem}-{n}", name=str(rec.get("seller_item_description", ""))[:60],
                              category=category, price=float(rec.get("seller_price") or 0))
            persona = _persona(f"{path.stem}-{n}", category, float(rec.get("buyer_price") or 0))
        except json.JSONDecodeError as e:
            raise InputError(f"{path}: line {n} is not valid JSON ({e.msg}).") from None
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"{path}: line {n} is not a CraigslistBargain record (bad or missing {e}).") from None
        out.append(Dialogue(id=f"{path.stem}-{n}", index=len(out), persona=persona, product=product,
                            turns=turns, outcome=None, source=str(path)))
    if not out:
        raise InputError(f"{path} holds no CraigslistBargain dialogues.")
    return out


def load_persuasion(path: Path) -> list[Dialogue]:
    """PersuasionForGood full_dialog.csv: one row per sentence (Unit); B4 0 = persuader, 1 = persuadee."""
    rows = read_csv_rows(path, ("Unit", "Turn", "B4", "B2"), "the PersuasionForGood columns")
    grouped: dict[str, list[Turn]] = {}
    for n, row in enumerate(rows, 2):
        role = {"0": SALESPERSON, "1": CUSTOMER}.get((row["B4"] or "").strip())
        if role is None:
            raise InputError(f"{path}: row {n} has role B4 \"{row['B4']}\" (expected 0 or 1).")
        turns = grouped.setdefault(row["B2"], [])
        # Sentences of one speaker's turn are separate rows: join consecutive rows of the same speaker.
        if turns and turns[-1].role == role:
            turns[-1].text = f"{turns[-1].text} {row['Unit'].strip()}"
        else:
            turns.append(Turn(role=role, text=row["Unit"].strip(), timestamp=""))
    return [Dialogue(id=key, index=i, persona=_persona(key, "donation"), product=None, turns=turns,
                     source=str(path)) for i, (key, turns) in enumerate(grouped.items())]


def load_salesbot(path: Path) -> list[Dialogue]:
    """SalesBot 2.0 in FastChat format: human = customer, gpt = salesperson; <intent> tags removed."""
    raw = read_json(path)
    if not isinstance(raw, list):
        raise InputError(f"{path} is not in the SalesBot format (expected a list of conversations).")
    out = []
    roles = {"gpt": SALESPERSON, "human": CUSTOMER}
    for n, rec in enumerate(raw, 1):
        try:
            turns = [Turn(role=roles[t["from"]], text=_INTENT.sub("", str(t["value"])).strip(), timestamp="")
                     for t in rec["conversations"]]
            key = str(rec.get("id") or f"{path.stem}-{n}")
        except (KeyError, TypeError, AttributeError) as e:
            raise InputError(f"{path}: conversation {n} is not a SalesBot record (bad or missing {e}).") from None
        out.append(Dialogue(id=key, index=n - 1, persona=_persona(key, ""), product=None, turns=turns,
                            outcome=Outcome(bought=None), source=str(path)))
    if not out:
        raise InputError(f"{path} holds no SalesBot conversations.")
    return out


LOADERS: dict[str, Callable[[Path], list[Dialogue]]] = {
    "car_dealer": load_car_dealer,
    "craigslist": load_craigslist,
    "persuasion": load_persuasion,
    "salesbot": load_salesbot,
}


def load_set(info: SetInfo) -> ReferenceSet:
    return ReferenceSet(name=info.name, label=info.label, path=info.path, kind=info.kind,
                        dialogues=LOADERS[info.loader](info.path), note=info.note)


def bundled() -> list[ReferenceSet]:
    return [load_set(info) for info in reference_sets()]


def load_reference(path: Path | str | None = None) -> ReferenceSet:
    """The BERTScore reference: a Car Dealer JSON file the user gives, or the bundled default."""
    if path is None:
        return load_set(default_reference())
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Reference file {path} does not exist.")
    return ReferenceSet(name=path.stem, label=f"Car Dealer ({path.name})", path=path, kind="llm",
                        dialogues=load_car_dealer(path))
