"""Command line: flags → RunConfig, stages wired in order, one-line errors with exit code 2."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from salesgen.app.args import Parser, unit
from salesgen.app.sessions import close_session, open_session
from salesgen.core.config import RunConfig, resume_conflicts
from salesgen.core.errors import InputError
from salesgen.core.exports import DEFAULT_FORMATS, EXPORTS, parse_formats
from salesgen.core.rundir import RunDir, default_run_dir, utc_now

EXIT_OK, EXIT_PARTIAL, EXIT_INPUT = 0, 1, 2
PACKAGES = ("openai", "xllamacpp", "torch", "transformers", "bert-score", "alt-profanity-check", "harper-py")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="run.py", argument_default=argparse.SUPPRESS,
                description="Generate, judge and evaluate synthetic sales conversations.")
    g = p.add_argument_group("run")
    g.add_argument("--num-dialogues", type=int, help="kept dialogues wanted (default 100)")
    g.add_argument("--max-attempts", type=int, help="dialogues to try at most (default 2 x --num-dialogues)")
    g.add_argument("--min-score", type=unit, help="keep dialogues scoring at least this, 0-1 (default 0.7)")
    g.add_argument("--seed", type=int, help="fixes personas, products and sampling (default 0)")
    g.add_argument("--out", help="run directory (default runs/<timestamp>)")
    g.add_argument("--resume", metavar="RUN_DIR", help="continue a run that was stopped")
    m = p.add_argument_group("model")
    m.add_argument("--backend", metavar="NAME",
                   help="the model by backend: embedded/qwen2.5-1.5b (default), embedded/tiny, llamacpp/URL (a "
                        "llama.cpp server: grammar and slots), openai/MODEL or vllm/MODEL (with --base-url)")
    m.add_argument("--base-url", help="OpenAI-compatible server (default: the embedded llama.cpp server)")
    m.add_argument("--model", help="model name: qwen2.5-1.5b (default) or tiny embedded, or the server's name")
    m.add_argument("--model-path", help="any local GGUF file for the embedded server")
    m.add_argument("--api-key-env", help="environment variable holding the API key (default OPENAI_API_KEY)")
    m.add_argument("--temperature", type=float, help="sampling temperature (default 0.7)")
    m.add_argument("--top-p", type=float, help="nucleus sampling (default 0.9)")
    m.add_argument("--concurrency", type=int, help="dialogues in flight (default 4 embedded, 32 remote)")
    m.add_argument("--threads", type=int, help="embedded server CPU threads (default: all cores)")
    m.add_argument("--request-timeout", type=float, help="seconds per model request (default 120)")
    m.add_argument("--max-request-retries", type=int,
                   help="retries of a model request that failed transiently (429, 5xx, timeouts; default 5)")
    d = p.add_argument_group("dialogue")
    d.add_argument("--policy", choices=["planned", "free"],
                   help="planned (default): rules decide each move (what to ask, offer, accept) and the model writes "
                        "it; free: the model decides too (for strong models)")
    d.add_argument("--max-exchanges", type=int, help="salesperson/customer exchanges at most (default 5)")
    d.add_argument("--min-words", type=int, help="words per response at least (default 50)")
    d.add_argument("--max-words", type=int, help="words per response at most (default 75)")
    d.add_argument("--max-retries", type=int,
                   help="rewrites of a line that misses its move or the band (default 1 planned, 2 free)")
    d.add_argument("--no-line-check", dest="line_check", action="store_false",
                   help="keep lines the judges would object to (repetition, catalog contradictions) instead of "
                        "repairing or regenerating them")
    d.add_argument("--no-line-grammar", dest="line_grammar", action="store_false",
                   help="llama.cpp servers: decode lines freely (no grammar for one paragraph of plain text that "
                        "ends a sentence, nor for the words a continuation must add)")
    d.add_argument("--prompts", help="prompt variant file (default salesgen/prompts/default.toml)")
    d.add_argument("--variants", nargs="+", metavar="FILE", help="compare several prompt variant files")
    d.add_argument("--catalog", help="product catalog JSON (default salesgen/data/catalog.json)")
    d.add_argument("--personas", help="persona value lists TOML (default salesgen/data/personas.toml)")
    d.add_argument("--few-shot", type=int, help="exemplars from the experience hub per prompt, 0 = off (default 3)")
    d.add_argument("--hub", help="persistent experience hub directory shared across runs")
    j = p.add_argument_group("judge and report")
    j.add_argument("--llm-judge", dest="llm_judge", action="store_true",
                   help="run the LLM rubric judge (default: on with --base-url or --judge-base-url, off on the "
                        "embedded model, where it does not tell good dialogues from bad)")
    j.add_argument("--no-llm-judge", dest="llm_judge", action="store_false", help="heuristic and model judges only")
    j.add_argument("--llm-judge-all", action="store_true",
                   help="run the LLM judge on every dialogue, also those the rules already discard")
    j.add_argument("--judge-base-url", help="separate OpenAI-compatible server for the LLM judge")
    j.add_argument("--judge-model", help="model name on --judge-base-url")
    j.add_argument("--toxicity", choices=["profanity-check", "detoxify"], help="toxicity classifier")
    j.add_argument("--judge-weights", metavar="FILE",
                   help="judge panel weights TOML (default salesgen/data/judge/weights.toml)")
    j.add_argument("--reference", help="LMRL-Gym Car Dealer JSON to compare against (default: bundled)")
    j.add_argument("--bertscore-model", help="local encoder directory for BERTScore")
    j.add_argument("--no-report", dest="report", action="store_false", help="skip evaluation and report.html")
    j.add_argument("--format", dest="formats", type=parse_formats, metavar="NAMES",
                   help="export formats, comma-separated: " + ", ".join(f"{e.name} ({e.help})" for e in
                                                                     EXPORTS.values())
                        + f"; or all (default {','.join(DEFAULT_FORMATS)})")
    j.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _config_from(ns: dict[str, Any]) -> dict[str, Any]:
    asked = {k: v for k, v in ns.items() if k not in ("out", "resume", "variants", "quiet")}
    if "variants" in ns:
        asked["prompts"] = list(ns["variants"])
    elif "prompts" in ns:
        asked["prompts"] = [ns["prompts"]]
    return asked


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _summary_lines(s: dict[str, Any], cfg: RunConfig, run: RunDir, seconds: float) -> list[str]:
    kept = s["kept"]
    per = f"{seconds / kept:.1f} s per kept dialogue" if kept else "no dialogue kept"
    lines = [f"Kept {kept} of {s['attempted']} dialogues (wanted {cfg.num_dialogues} per variant); "
             f"sold {s['sold']}; {per}; {s['tokens_per_dialogue']} tokens per dialogue."]
    if s["discard_reasons"]:
        top = ", ".join(f"{k} ({v})" for k, v in list(s["discard_reasons"].items())[:5])
        lines.append(f"Discarded or failed because of: {top}.")
    if s["failed"]:
        lines.append(f"PARTIAL RUN: {s['failed']} dialogues failed (see discarded.jsonl); --resume {run.path} "
                     "tries the failed ones again and keeps everything finished.")
    lines.append(f"Run directory: {run.path}")
    return lines


def _first_missing(path: Path) -> Path | None:
    """The outermost directory a run at `path` would create (None if `path` exists): what a failure removes."""
    path = path.absolute()
    if path.exists():
        return None
    while not path.parent.exists():
        path = path.parent
    return path


def _remove_new_run(path: Path, made: Path | None) -> None:
    """Undo a run directory this invocation created; one that existed before (RunDir.create checked it was
    empty) is only emptied."""
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
    elif path.is_dir():
        for child in path.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def _finish(run: RunDir, cfg: RunConfig, manifest: dict[str, Any], status: str,
            t0: float) -> tuple[dict[str, Any], float]:
    """Rebuild the final files from dialogues.jsonl and close the manifest (also after a failure)."""
    from salesgen.app.outputs import write_outputs

    summary = write_outputs(run, cfg.num_dialogues, cfg.formats, manifest)
    if summary["failed"]:
        status = "partial"
    seconds = time.perf_counter() - t0
    finished = utc_now()
    manifest.update(status=status, finished=finished, totals=summary)
    close_session(manifest, finished, status, seconds)
    run.write_manifest(manifest)
    return summary, seconds


def main_generate(argv: list[str]) -> int:
    ns = vars(build_parser().parse_args(argv))
    r = generate_run(_config_from(ns), ns.get("out"), ns.get("resume"), ns.get("quiet", False))
    for line in _summary_lines(r.summary, r.config, r.run, r.seconds):
        print(line)
    return EXIT_PARTIAL if r.status != "complete" else EXIT_OK


@dataclass
class RunResult:
    run: RunDir
    config: RunConfig
    summary: dict[str, Any]  # as the manifest's totals
    seconds: float
    status: str  # "complete", or "partial" when dialogues failed


def generate_run(asked: dict[str, Any], out: str | Path | None = None, resume: str | Path | None = None,
                 quiet: bool = True) -> RunResult:
    """A run from RunConfig's fields (`asked`), into `out` or continuing `resume`: generated, judged, exported and,
    unless report is off, evaluated."""
    from salesgen.app.pipeline import generate, load_setup
    from salesgen.app.progress import Progress

    created, made = False, None
    if resume is not None:
        run = RunDir.open(Path(resume))
        manifest = run.manifest()
        saved = RunConfig.from_dict(manifest.get("config", {}))
        bad = resume_conflicts(saved, asked)
        if bad:
            raise InputError(f"Cannot resume {run.path} with different options: {', '.join(bad)}.")
        cfg = RunConfig.from_dict({**saved.to_dict(), **asked}).validate()
        setup = load_setup(cfg)
        last = max((rec.get("finished") or "" for _, rec in run.scan()), default="")
        open_session(manifest, utc_now(), _versions(), last_record=last)
        manifest["status"] = "running"
        run.write_manifest(manifest)
    else:
        cfg = RunConfig.from_dict(asked).validate()
        setup = load_setup(cfg)  # fail on bad files before creating anything
        out = Path(out or default_run_dir())
        made = _first_missing(out)
        try:
            run = RunDir.create(out)
        except InputError:
            if made is not None:  # e.g. the probe write failed in directories just made; never touch existing ones
                shutil.rmtree(made, ignore_errors=True)
            raise
        created = True
        manifest = {"tool": "salesgen", "created": utc_now(), "config": cfg.to_dict(), "versions": _versions(),
                    "variants": [v.name for v in setup.variants], "status": "running"}
        open_session(manifest, manifest["created"], manifest["versions"])
        run.write_manifest(manifest)
    progress = Progress(cfg.num_dialogues * len(setup.variants), enabled=not quiet)
    t0 = time.perf_counter()
    try:
        asyncio.run(generate(cfg, setup, run, progress, manifest))
    except BaseException as e:
        progress.close()
        if isinstance(e, InputError) and created and not run.has_dialogues():
            _remove_new_run(run.path, made)  # e.g. the server is down: leave nothing half-made behind
        else:
            _finish(run, cfg, manifest, "partial", t0)
        raise
    progress.close()
    summary, seconds = _finish(run, cfg, manifest, "complete", t0)
    if cfg.report:
        from salesgen.app.evaluation import evaluate_run

        evaluate_run(run, cfg)
    return RunResult(run, cfg, summary, seconds, manifest["status"])


def _terminated(signum: int, frame: Any) -> None:
    # `kill` or a job scheduler: the same orderly stop as Ctrl-C (outputs rebuilt, manifest and session closed). A
    # run started in the background of a script never sees Ctrl-C's SIGINT: the shell ignores it for such jobs.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    logging.basicConfig(level=os.environ.get("SALESGEN_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from installed packages, never from a hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        if argv and argv[0] in ("judge", "report"):
            from salesgen.app.subcommands import main_subcommand

            return main_subcommand(argv)
        return main_generate(argv)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted: finished dialogues are saved; continue with --resume RUN_DIR", file=sys.stderr)
        return 130


USAGE = """usage: salesgen run [options]       generate, judge and evaluate (the options of `python run.py`)
       salesgen judge FILE [options] score dialogues.jsonl, a CSV or Car Dealer JSON
       salesgen report RUN_DIR        rebuild metrics.json and report.html of a run
salesgen run --help lists every option."""


def console() -> None:
    """The installed command: `salesgen run …` is `python run.py …`; judge and report as in run.py."""
    argv = sys.argv[1:]
    if argv[:1] == ["run"]:
        sys.exit(main(argv[1:]))
    if argv[:1] in (["judge"], ["report"]):
        sys.exit(main(argv))
    print(USAGE, file=sys.stdout if argv[:1] in (["-h"], ["--help"]) else sys.stderr)
    sys.exit(0 if argv[:1] in (["-h"], ["--help"]) else EXIT_INPUT)
