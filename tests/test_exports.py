"""The export formats (core/exports.py) on a synthetic run: what each writes, read back with the readers users use."""
from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from salesgen.app.outputs import write_outputs
from salesgen.core import exports
from salesgen.core.dialogue import KEPT
from salesgen.core.errors import InputError
from salesgen.core.exports import EXPORTS, Export, parse_formats
from salesgen.core.formats import read_car_dealer
from salesgen.evaluate.synthetic import synthetic_run

WANTED = 10


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    rd = synthetic_run(tmp_path_factory.mktemp("exports") / "run", 24)
    summary = write_outputs(rd, WANTED, list(EXPORTS), rd.manifest())
    kept = sorted((d for d in rd.dialogues() if d.status == KEPT), key=lambda d: d.index)[:WANTED]
    assert 0 < len(kept) == summary["kept"]
    return rd, kept


def test_every_format_writes_its_files(run):
    rd, _ = run
    for e in EXPORTS.values():
        assert all((rd.path / f).is_file() for f in e.files), e.name


def test_the_dialogue_parquet_is_the_kept_records(run):
    rd, kept = run
    df = pd.read_parquet(rd.path / "dialogues.parquet")
    assert list(df["id"]) == [d.id for d in kept]
    for (_, row), d in zip(df.iterrows(), kept, strict=True):
        assert [(t["role"], t["text"]) for t in row["turns"]] == [(t.role, t.text) for t in d.turns]
        assert row["product"] == d.product.name and row["list_price"] == d.product.price
        assert row["persona"]["budget"] == d.persona.budget
        assert list(row["persona"]["must_haves"]) == d.persona.preferred_features
        assert row["sold"] == d.outcome.bought and row["score"] == pytest.approx(d.score)
        assert {c["name"]: c["score"] for c in row["criteria"]} == pytest.approx(d.criteria)


def test_the_turn_parquet_has_a_row_per_line(run):
    rd, kept = run
    df = pd.read_parquet(rd.path / "turns.parquet")
    assert len(df) == sum(len(d.turns) for d in kept)
    first = kept[0]
    lines = df[df["dialogue_id"] == first.id].sort_values("turn")
    assert list(lines["text"]) == [t.text for t in first.turns]


def test_the_dataset_card_names_the_files_and_their_features(run):
    rd, kept = run
    card = (rd.path / "hf" / "README.md").read_text()
    head, body = card.split("\n---\n", 1)
    assert head.startswith("---\n") and "data_files: data/dialogues.parquet" in head
    for column in pd.read_parquet(rd.path / "hf" / "data" / "dialogues.parquet").columns:
        assert f"- name: {column}\n" in head
    assert f"{len(kept)} dialogues" in body and "$" not in body.replace("$ ", "")
    assert pd.read_parquet(rd.path / "hf" / "data" / "turns.parquet").equals(
        pd.read_parquet(rd.path / "turns.parquet"))


def test_the_hugging_face_folder_loads_with_datasets_as_its_card_declares(run, tmp_path, monkeypatch):
    # Offline: a local folder needs no hub. `load_dataset` casts the columns to the card's `dataset_info` features,
    # so a wrong type in the card shows as a wrong dtype here.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    rd, kept = run
    folder = str(rd.path / "hf")
    dialogues = datasets.load_dataset(folder, "dialogues", split="train", cache_dir=str(tmp_path))
    assert dialogues["id"] == [d.id for d in kept]
    assert [[t["text"] for t in row] for row in dialogues["turns"]] == [[t.text for t in d.turns] for d in kept]
    assert dialogues.features["persona"]["budget"].dtype == "float64"
    turns = datasets.load_dataset("parquet", data_files=str(rd.path / "hf" / "data" / "turns.parquet"),
                                  split="train", cache_dir=str(tmp_path))
    assert len(turns) == sum(len(d.turns) for d in kept)


def test_jsonl_csv_and_car_dealer_hold_the_same_kept_dialogues(run):
    rd, kept = run
    records = [json.loads(x) for x in (rd.path / "kept.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [d.id for d in kept]
    with open(rd.path / "sales_conversations.csv", newline="") as fh:
        ids = {r["dialogue_id"] for r in csv.DictReader(fh)}
    assert ids == {d.id for d in kept}
    cars = [d.id for d in kept if d.product.category == "car"]
    raw = json.loads((rd.path / "car_dealer.json").read_text())
    assert sorted(c["dialogue_id"] for convs in raw.values() for c in convs) == sorted(cars)
    assert len(read_car_dealer(rd.path / "car_dealer.json")) == len(cars)  # our reader reads it back


def test_a_new_format_is_a_writer_and_a_registry_line(run, monkeypatch):
    rd, kept = run
    seen = []

    def count(path, dialogues, info):
        seen.extend(d.id for d in dialogues())
        (path / "ids.txt").write_text("\n".join(seen))

    monkeypatch.setitem(EXPORTS, "ids", Export("ids", ("ids.txt",), "ids, one per line", count))
    write_outputs(rd, WANTED, parse_formats("ids"), rd.manifest())
    assert seen == [d.id for d in kept] and (rd.path / "ids.txt").is_file()


def test_a_failed_writer_leaves_the_old_file_whole(run, monkeypatch):
    rd, _ = run
    before = (rd.path / "dialogues.parquet").read_bytes()

    def broken():
        yield from []
        raise OSError("disk full")

    with pytest.raises(OSError):
        EXPORTS["parquet"].write(rd.path, broken, {})
    assert (rd.path / "dialogues.parquet").read_bytes() == before
    assert not list(rd.path.glob(".dialogues.parquet.*"))


def test_format_names_are_checked():
    assert parse_formats("all") == list(EXPORTS)
    assert parse_formats("parquet, csv,parquet") == ["parquet", "csv"]
    for bad in ("", "xlsx", "csv,xlsx"):
        with pytest.raises(InputError, match="--format"):
            parse_formats(bad)
    assert exports.DEFAULT_FORMATS == ("csv", "car-dealer")

