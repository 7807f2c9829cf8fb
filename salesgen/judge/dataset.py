"""Judge a dataset a user already has: a run's dialogues.jsonl, a sales_conversations.csv or a Car Dealer JSON."""
from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import FAILED, SALESPERSON, Dialogue
from salesgen.core.errors import InputError
from salesgen.core.formats import read_car_dealer, read_csv
from salesgen.core.jsonl import read_jsonl
from salesgen.core.mentions import product_index
from salesgen.judge.panel import Panel, PanelOptions

log = logging.getLogger(__name__)


def read_dataset(path: Path | str) -> tuple[str, list[Dialogue]]:
    """(format name, dialogues): dialogues.jsonl, a CSV with Salesman/User columns, or Car Dealer JSON."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} is not a file.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "sales_conversations.csv", read_csv(path)
    if suffix == ".jsonl":
        return "dialogues.jsonl", [_from_record(r, path, n) for n, r in enumerate(read_jsonl(path), 1)]
    if suffix == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InputError(f"{path} is not readable JSON ({e}).") from None
        records = raw.get("dialogues") if isinstance(raw, dict) and "dialogues" in raw else raw
        if isinstance(records, list):  # a JSON array of the project's dialogue records
            return "dialogues.json", [_from_record(r, path, n) for n, r in enumerate(records, 1)]
        return "car_dealer.json", read_car_dealer(path)
    raise InputError(f"{path}: expected a .jsonl (dialogues), .csv (sales conversations) or .json (Car Dealer) file.")


def _from_record(record: object, path: Path, n: int) -> Dialogue:
    try:
        if not isinstance(record, dict):
            raise TypeError("not an object")
        return Dialogue.from_dict(record)
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"{path}: record {n} is not a dialogue record ({e}).") from None


def resolve_product(dialogue: Dialogue, catalog: Catalog) -> None:
    """Give a dialogue without a catalog product the one it names: by the file's product column, else the
    product the salesperson names most often. Car Dealer's own MSRP is kept in extra['msrp']."""
    p = dialogue.product
    if p is not None and p.id and catalog.get(p.id) is not None:
        return
    if p is not None and p.price and "msrp" not in dialogue.extra:
        dialogue.extra["msrp"] = p.price
    found = catalog.find_by_name(str(dialogue.extra.get("product_name") or "")) if dialogue.extra else None
    if found is None:
        index = product_index(catalog)
        counts: Counter[str] = Counter()
        first: dict[str, int] = {}
        for i, t in enumerate(dialogue.turns):
            for m in index.find(t.text):
                if len(m.products) == 1:
                    pid = m.products[0].id
                    counts[pid] += 2 if t.role == SALESPERSON else 1
                    first.setdefault(pid, i)
        if counts:
            best = max(counts, key=lambda k: (counts[k], -first[k]))
            found = catalog.get(best)
    if found is not None:
        dialogue.product = copy.deepcopy(found)
        dialogue.extra["product_resolved_by"] = "name"
    elif p is not None and not p.id:
        dialogue.extra["product_resolved_by"] = "none (no catalog product named)"


async def judge_dataset(path: Path | str, panel: Panel, min_score: float, *, concurrency: int = 8,
                        on_judged: Callable[[Dialogue], None] | None = None) -> list[Dialogue]:
    """Read the file, resolve products, judge every dialogue; returns them in file order, verdicts filled.

    Imported turns were never held to this tool's word limits: build the panel with min_words/max_words/
    max_exchanges set to None unless those limits are meant to apply.
    """
    fmt, dialogues = read_dataset(path)
    if not dialogues:
        raise InputError(f"{path} holds no dialogues.")
    catalog = panel.catalog
    log.info("judging %d dialogues from %s (%s)", len(dialogues), path, fmt)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(d: Dialogue) -> None:
        if d.status == FAILED and not d.turns:
            return  # a generation failure has nothing to judge; its reasons stay as recorded
        resolve_product(d, catalog)
        async with gate:
            await panel.judge(d, min_score)
        if on_judged is not None:
            on_judged(d)

    await asyncio.gather(*(one(d) for d in dialogues))
    return dialogues


def unapplied_gates(dialogues: list[Dialogue], options: PanelOptions) -> list[str]:
    """The gates imported data could not be held to, each with why: limits not given, facts not recorded."""
    out = []
    if options.min_words is None and options.max_words is None:
        out.append("band (no --min-words/--max-words given)")
    if options.max_exchanges is None:
        out.append("the exchange limit of the exchanges gate (no --max-exchanges given)")
    no_price = sum(1 for d in dialogues if d.outcome is not None and d.outcome.bought and d.outcome.price is None)
    if no_price:
        out.append(f"the accepted price of the outcome gate on {no_price} sale(s) with no recorded price")
    no_product = sum(1 for d in dialogues if d.turns and (d.product is None or not d.product.id))
    if no_product:
        out.append(f"catalog and floor on {no_product} dialogue(s) whose product is not in the catalog (checked "
                   f"against the products they name)")
    return out
