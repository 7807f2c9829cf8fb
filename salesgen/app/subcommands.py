"""`run.py judge FILE` (score a dataset a user already has) and `run.py report RUN_DIR` (rebuild the metrics and
the report of a run; `python -m salesgen.evaluate RUN_DIR` is the same command)."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path

from salesgen.app.args import Parser, unit
from salesgen.core.catalog import DEFAULT_CATALOG, Catalog
from salesgen.core.config import RunConfig
from salesgen.core.dialogue import KEPT
from salesgen.core.errors import InputError
from salesgen.core.formats import write_csv
from salesgen.core.jsonl import JsonlWriter
from salesgen.core.rundir import RunDir, write_atomic


def judge_parser() -> argparse.ArgumentParser:
    return _parser("run.py judge")


def _parser(prog: str) -> argparse.ArgumentParser:
    p = Parser(prog=prog)
    if prog.endswith("judge"):
        p.add_argument("file", help="dialogues.jsonl, sales_conversations.csv or an LMRL-Gym Car Dealer JSON")
        p.add_argument("--min-score", type=unit, default=0.7)
        p.add_argument("--out", help="directory for the verdicts (default: beside FILE)")
        p.add_argument("--catalog", default=str(DEFAULT_CATALOG))
        p.add_argument("--no-llm-judge", dest="llm_judge", action="store_false")
        p.add_argument("--llm-judge-all", action="store_true")
        p.add_argument("--backend")
        p.add_argument("--base-url")
        p.add_argument("--model")
        p.add_argument("--api-key-env", default="OPENAI_API_KEY")
        p.add_argument("--toxicity", choices=["profanity-check", "detoxify"], default="profanity-check")
        # Imported datasets have their own turn lengths (Car Dealer lines are ~15 words): no limits unless asked.
        p.add_argument("--min-words", type=int, default=None)
        p.add_argument("--max-words", type=int, default=None)
        p.add_argument("--max-exchanges", type=int, default=None)
        p.add_argument("--judge-weights", default=None)
    else:
        p.add_argument("run_dir", help="a run directory (holds manifest.json and dialogues.jsonl)")
        p.add_argument("--reference", help="an LMRL-Gym Car Dealer JSON file for BERTScore "
                                           "(default: the bundled paper examples)")
        p.add_argument("--bertscore-model", help="a local encoder directory for BERTScore "
                                                 "(default: the packaged all-MiniLM-L6-v2)")
        p.add_argument("--no-bertscore", dest="bertscore", action="store_false", help="skip BERTScore (fast)")
        p.add_argument("--no-report", dest="report", action="store_false", help="write metrics.json only")
        p.add_argument("-q", "--quiet", action="store_true")
    return p


async def judge_path(ns: argparse.Namespace) -> tuple[int, int, Path, list[str]]:
    from salesgen.judge.dataset import judge_dataset, unapplied_gates
    from salesgen.judge.panel import Panel, PanelOptions
    from salesgen.llm.backends import open_chat_model
    from salesgen.scenarios import load_all

    path = Path(ns.file)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.")
    out = Path(ns.out) if ns.out else path.parent / f"{path.stem}.judged"
    out.mkdir(parents=True, exist_ok=True)
    load_all()  # the scenarios' judges join the panel's registry
    catalog = Catalog.load(ns.catalog)
    opts = dict(min_words=ns.min_words, max_words=ns.max_words, max_exchanges=ns.max_exchanges,
                weights_path=ns.judge_weights, cascade=not ns.llm_judge_all)
    if ns.llm_judge:
        async with open_chat_model(ns.backend, base_url=ns.base_url, model=ns.model, api_key_env=ns.api_key_env,
                                   n_parallel=2, temperature=0.0, top_p=1.0) as llm:
            panel = Panel.build(catalog, PanelOptions(**opts, llm=llm, use_llm_judge=True, toxicity=ns.toxicity))
            dialogues = await judge_dataset(path, panel, ns.min_score)
    else:
        panel = Panel.build(catalog, PanelOptions(**opts, llm=None, use_llm_judge=False, toxicity=ns.toxicity))
        dialogues = await judge_dataset(path, panel, ns.min_score)
    judged = out / "judgements.jsonl"
    judged.unlink(missing_ok=True)
    with JsonlWriter(judged) as w:
        for d in dialogues:
            w.write(d.to_dict())
    kept = [d for d in dialogues if d.status == KEPT]
    write_csv(out / "kept.csv", kept)
    write_csv(out / "discarded.csv", [d for d in dialogues if d.status != KEPT])
    unapplied = unapplied_gates(dialogues, panel.options)
    write_atomic(out / "summary.json", json.dumps(
        {"file": str(path), "min_score": ns.min_score, "judged": len(dialogues), "kept": len(kept),
         "gates_not_applied": unapplied, "judge": panel.describe()}, indent=2, default=str))
    return len(kept), len(dialogues), out, unapplied


def main_subcommand(argv: list[str]) -> int:
    cmd, rest = argv[0], argv[1:]
    ns = _parser(f"run.py {cmd}").parse_args(rest)
    if cmd == "judge":
        kept, total, out, unapplied = asyncio.run(judge_path(ns))
        print(f"Kept {kept} of {total} dialogues at --min-score {ns.min_score}; verdicts in {out}")
        if unapplied:
            print("Gates not applied: " + "; ".join(unapplied) + ".")
        return 0
    from salesgen.app.evaluation import evaluate_run, summary_lines

    logging.getLogger().setLevel(logging.WARNING if ns.quiet else logging.INFO)
    cfg = RunConfig(reference=ns.reference, bertscore_model=ns.bertscore_model)
    metrics, report = evaluate_run(RunDir.open(Path(ns.run_dir)), cfg, bertscore=ns.bertscore, report=ns.report)
    print(summary_lines(metrics, report))
    return 0
