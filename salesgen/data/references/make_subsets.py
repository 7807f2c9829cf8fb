"""Rebuild the bundled reference subsets from the full copies in ../shared/data (run from the project root).

python data/references/make_subsets.py [SHARED_DATA_DIR]
"""
from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE, SEED = 200, 0


def craigslist_cars(src: Path) -> int:
    """Keep the car listings of both PPDPP files, each JSON line copied byte for byte."""
    n = 0
    with open(HERE / "craigslist_bargain" / "cb-cars.jsonl", "w", encoding="utf-8") as out:
        for name in ("cb-test.jsonl", "cb-valid.jsonl"):
            for line in open(src / "craigslist_bargain" / name, encoding="utf-8"):
                if json.loads(line)["item_name"] == "car":
                    out.write(line if line.endswith("\n") else line + "\n")
                    n += 1
    return n


def persuasion(src: Path) -> int:
    """200 dialogues drawn with random.Random(0) from the sorted dialogue ids; rows keep their order."""
    with open(src / "persuasion_for_good" / "FullData_full_dialog.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    ids = sorted({r[4] for r in body})
    keep = set(random.Random(SEED).sample(ids, SAMPLE))
    with open(HERE / "persuasion_for_good" / "full_dialog_sample200.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(r for r in body if r[4] in keep)
    return len(keep)


def salesbot(src: Path) -> int:
    """200 dialogues drawn with random.Random(0) from the test split, in their original order."""
    data = json.loads((src / "salesbot2" / "salesbot2_test_narrative.json").read_text(encoding="utf-8"))
    idx = sorted(random.Random(SEED).sample(range(len(data)), SAMPLE))
    out = HERE / "salesbot2" / "test_narrative_sample200.json"
    out.write_text(json.dumps([data[i] for i in idx], indent=1, ensure_ascii=False), encoding="utf-8")
    return len(idx)


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "data"
    print("craigslist cars:", craigslist_cars(shared))
    print("persuasion dialogues:", persuasion(shared))
    print("salesbot dialogues:", salesbot(shared))
