"""Interchange formats: the submission CSV and the LMRL-Gym Car Dealer JSON, written and read back."""
from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Outcome, Persona, Product, Turn
from salesgen.core.errors import InputError
from salesgen.core.files import read_csv_rows, read_json
from salesgen.core.rundir import atomic_file

CSV_COLUMNS = ["Salesman", "User", "Timestamp", "dialogue_id", "exchange", "product", "sold"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ROLE_TO_CD = {SALESPERSON: "Seller", CUSTOMER: "Buyer"}
_CD_TO_ROLE = {"seller": SALESPERSON, "agent": SALESPERSON, "buyer": CUSTOMER, "environment": CUSTOMER}


def safe_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _unsafe_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def csv_rows(dialogues: Iterable[Dialogue]) -> Iterable[list[str]]:
    """One row per exchange: the salesperson's line, the customer's answer, the time of the answer."""
    for d in dialogues:
        sold = "" if d.outcome is None or d.outcome.bought is None else str(bool(d.outcome.bought)).lower()
        product = d.product.name if d.product else ""
        for n, (s, c) in enumerate(d.exchanges(), 1):
            stamp = (c or s).timestamp
            yield [safe_cell(x) for x in (s.text if s else "", c.text if c else "", stamp, d.id, n, product, sold)]


def write_csv(path: Path, dialogues: Iterable[Dialogue]) -> None:
    """Streamed: one dialogue's rows in memory at a time."""
    with atomic_file(Path(path)) as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        w.writerows(csv_rows(dialogues))


def read_csv(path: Path) -> list[Dialogue]:
    """Dialogues from a CSV with Salesman/User columns; rows group by dialogue_id when present."""
    path = Path(path)
    rows = read_csv_rows(path, ("Salesman", "User"))
    groups: dict[str, list[dict[str, str]]] = {}
    for i, row in enumerate(rows):
        key = row.get("dialogue_id") or f"{path.stem}-{i + 1}"
        groups.setdefault(key, []).append(row)
    out = []
    for key, grp in groups.items():
        turns = []
        for row in grp:
            stamp = row.get("Timestamp") or ""
            for role, col in ((SALESPERSON, "Salesman"), (CUSTOMER, "User")):
                text = _unsafe_cell(row.get(col) or "").strip()
                if text:
                    turns.append(Turn(role=role, text=text, timestamp=stamp))
        persona = Persona(id=f"{key}-customer", name="", personality="unknown", category="", budget=0)
        sold = (grp[-1].get("sold") or "").lower()
        outcome = Outcome(bought={"true": True, "false": False}.get(sold)) if sold else None
        out.append(Dialogue(id=key, index=len(out), persona=persona, product=None, turns=turns,
                            outcome=outcome, source=str(path),
                            extra={"product_name": grp[-1].get("product") or ""}))
    return out


def _with_article(brand: str | None) -> str:
    if not brand:
        return ""
    return ("an " if brand[0].lower() in "aeiou" else "a ") + brand


def car_dealer_record(d: Dialogue) -> dict[str, Any]:
    p, o = d.product, d.outcome
    bought = bool(o and o.bought)
    return {
        "buyer_info": {
            "personality": d.persona.personality,
            "preferred_brands": _with_article(d.persona.preferred_brand),
            "preferred_features": list(d.persona.preferred_features),
            "budget": int(d.persona.budget),
            "preferred_type": d.persona.preferred_type,
        },
        "lines": [{"role": _ROLE_TO_CD[t.role], "text": t.text} for t in d.turns],
        "output": {
            "car_bought": bought,
            "msrp": int(p.price) if p else None,
            "buy_price": int(round(o.price)) if bought and o and o.price is not None else None,
        },
        "dialogue_id": d.id,
    }


def write_car_dealer(path: Path, dialogues: Iterable[Dialogue]) -> None:
    """The LMRL-Gym Car Dealer schema (personality -> conversations) for the car dialogues. Streamed: each
    personality's conversations go to a spool file of their own, joined into the one JSON object at the end."""
    spools: dict[str, Any] = {}
    try:
        for d in dialogues:
            if d.product is not None and d.product.category == "car":
                spool = spools.get(d.persona.personality)
                if spool is None:
                    spool = spools[d.persona.personality] = tempfile.TemporaryFile("w+", encoding="utf-8")
                else:
                    spool.write(",\n")
                spool.write(json.dumps(car_dealer_record(d), ensure_ascii=False))
        with atomic_file(Path(path)) as fh:
            fh.write("{")
            for n, (personality, spool) in enumerate(spools.items()):
                fh.write(("," if n else "") + f"\n {json.dumps(personality, ensure_ascii=False)}: [\n")
                spool.seek(0)
                shutil.copyfileobj(spool, fh)
                fh.write("\n ]")
            fh.write("\n}\n" if spools else "}\n")
    finally:
        for spool in spools.values():
            spool.close()


def _brand(text: str | None) -> str | None:
    if not text:
        return None
    for art in ("a ", "an "):
        if text.lower().startswith(art):
            return text[len(art):]
    return text


def read_car_dealer(path: Path, source: str | None = None) -> list[Dialogue]:
    """Conversations from an LMRL-Gym Car Dealer JSON file exactly as published (train.json / eval.json)."""
    path = Path(path)
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise InputError(f"{path} is not in the Car Dealer format (expected personality -> list of conversations).")
    out: list[Dialogue] = []
    for personality, convs in raw.items():
        if not isinstance(convs, list):
            raise InputError(f"{path}: \"{personality}\" should map to a list of conversations.")
        for j, c in enumerate(convs):
            where = f"{path}: conversation {j + 1} of \"{personality}\""
            if not isinstance(c, dict) or not isinstance(c.get("lines"), list):
                raise InputError(f"{where} has no \"lines\" list.")
            info = c.get("buyer_info") or {}
            if not isinstance(info, dict):
                raise InputError(f"{where} has a \"buyer_info\" that is not an object.")
            turns = []
            for k, line in enumerate(c["lines"]):
                role = _CD_TO_ROLE.get(str(line.get("role", "")).lower()) if isinstance(line, dict) else None
                if role is None or not isinstance(line.get("text"), str):
                    raise InputError(f"{where}, line {k + 1} needs a role Seller/Buyer and a text.")
                turns.append(Turn(role=role, text=line["text"], timestamp=""))
            output = c.get("output") or {}
            persona = Persona(
                id=f"{path.stem}-{personality}-{j}", name="", personality=str(info.get("personality") or personality),
                category="car", budget=float(info.get("budget") or 0),
                preferred_brand=_brand(info.get("preferred_brands")),
                preferred_features=list(info.get("preferred_features") or []),
                preferred_type=info.get("preferred_type"),
            )
            msrp = output.get("msrp")
            product = Product(id="", name="", category="car", price=float(msrp)) if msrp else None
            bought = output.get("car_bought")
            outcome = Outcome(bought=bought if isinstance(bought, bool) else None,
                              price=output.get("buy_price"), raw=json.dumps(output))
            out.append(Dialogue(id=f"{path.stem}-{personality}-{j}", index=len(out), persona=persona,
                                product=product, turns=turns, outcome=outcome, source=source or str(path)))
    return out
