"""The kept dialogues as Parquet: one row per dialogue with its turns nested, and one row per turn; the Hugging
Face dataset layout is the two files under data/ with a dataset card beside them (core/exports.py names them)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from salesgen.core.dialogue import Dialogue
from salesgen.core.rundir import atomic_file

ROWS_PER_GROUP = 256  # dialogues per row group: memory stays flat with the run's size
_TURN = pa.struct([("role", pa.string()), ("text", pa.string()), ("timestamp", pa.string())])
DIALOGUE_SCHEMA = pa.schema([
    ("id", pa.string()), ("index", pa.int64()), ("variant", pa.string()), ("seed", pa.int64()),
    ("model", pa.string()), ("category", pa.string()), ("product_id", pa.string()), ("product", pa.string()),
    ("list_price", pa.float64()),
    ("persona", pa.struct([("name", pa.string()), ("personality", pa.string()), ("budget", pa.float64()),
                           ("over_budget_ok", pa.bool_()), ("needs", pa.string()),
                           ("must_haves", pa.list_(pa.string())), ("preferred_brand", pa.string()),
                           ("preferred_type", pa.string()), ("strategy", pa.string())])),
    ("sold", pa.bool_()), ("price", pa.float64()), ("score", pa.float64()),
    ("criteria", pa.list_(pa.struct([("name", pa.string()), ("score", pa.float64())]))),
    ("turns", pa.list_(_TURN)),
])
TURN_SCHEMA = pa.schema([("dialogue_id", pa.string()), ("turn", pa.int64()), ("role", pa.string()),
                         ("text", pa.string()), ("timestamp", pa.string())])


def dialogue_row(d: Dialogue) -> dict[str, Any]:
    p, o, product = d.persona, d.outcome, d.product
    return {
        "id": d.id, "index": d.index, "variant": d.variant, "seed": d.seed, "model": d.model,
        "category": product.category if product else p.category, "product_id": product.id if product else None,
        "product": product.name if product else None, "list_price": product.price if product else None,
        "persona": {"name": p.name, "personality": p.personality, "budget": p.budget,
                    "over_budget_ok": p.over_budget_ok, "needs": p.needs, "must_haves": list(p.preferred_features),
                    "preferred_brand": p.preferred_brand, "preferred_type": p.preferred_type,
                    "strategy": p.strategy},
        "sold": o.bought if o else None, "price": o.price if o and o.bought else None, "score": d.score,
        "criteria": [{"name": k, "score": v} for k, v in d.criteria.items()],
        "turns": [{"role": t.role, "text": t.text, "timestamp": t.timestamp} for t in d.turns],
    }


def turn_rows(d: Dialogue) -> Iterator[dict[str, Any]]:
    for n, t in enumerate(d.turns):
        yield {"dialogue_id": d.id, "turn": n, "role": t.role, "text": t.text, "timestamp": t.timestamp}


def write_parquet(dialogues_path: Path, turns_path: Path, dialogues: Iterable[Dialogue]) -> int:
    """Both files in one pass over the dialogues, a row group at a time; returns the dialogues written."""
    n = 0
    with atomic_file(dialogues_path, binary=True) as fd, atomic_file(turns_path, binary=True) as ft, \
            pq.ParquetWriter(fd, DIALOGUE_SCHEMA) as wd, pq.ParquetWriter(ft, TURN_SCHEMA) as wt:
        rows: list[dict[str, Any]] = []
        turns: list[dict[str, Any]] = []
        for d in dialogues:
            rows.append(dialogue_row(d))
            turns += turn_rows(d)
            n += 1
            if len(rows) == ROWS_PER_GROUP:
                wd.write_table(pa.Table.from_pylist(rows, DIALOGUE_SCHEMA))
                wt.write_table(pa.Table.from_pylist(turns, TURN_SCHEMA))
                rows, turns = [], []
        # The last group, or an empty table: a file with no rows still carries its schema.
        wd.write_table(pa.Table.from_pylist(rows, DIALOGUE_SCHEMA))
        wt.write_table(pa.Table.from_pylist(turns, TURN_SCHEMA))
    return n


def features_yaml(schema: pa.Schema, indent: str = "    ") -> str:
    """A schema as the `dataset_info.features` list of a Hugging Face dataset card."""
    return "\n".join(_feature(f.name, f.type, indent) for f in schema)


def _feature(name: str, t: pa.DataType, indent: str) -> str:
    head = f"{indent}- name: {name}\n"
    if pa.types.is_struct(t):
        return head + f"{indent}  struct:\n" + "\n".join(_feature(f.name, f.type, indent + "  ") for f in t)
    if pa.types.is_list(t):
        v = t.value_type
        if pa.types.is_struct(v):
            return head + f"{indent}  list:\n" + "\n".join(_feature(f.name, f.type, indent + "  ") for f in v)
        return head + f"{indent}  sequence: {_dtype(v)}"
    return head + f"{indent}  dtype: {_dtype(t)}"


def _dtype(t: pa.DataType) -> str:
    return {pa.string(): "string", pa.int64(): "int64", pa.float64(): "float64", pa.bool_(): "bool"}[t]
