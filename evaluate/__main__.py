"""python -m evaluate RUN_DIR [--reference PATH] [--bertscore-model DIR]: rebuild metrics.json and report.html."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from core.errors import InputError


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m evaluate", description=__doc__.split(":", 1)[1].strip())
    ap.add_argument("run_dir", type=Path, help="a run directory (holds manifest.json and dialogues.jsonl)")
    ap.add_argument("--reference", type=Path, default=None,
                    help="an LMRL-Gym Car Dealer JSON file for BERTScore (default: the bundled paper examples)")
    ap.add_argument("--bertscore-model", type=Path, default=None,
                    help="a local encoder directory for BERTScore (default: the packaged all-MiniLM-L6-v2)")
    ap.add_argument("--no-bertscore", action="store_true", help="skip BERTScore (fast)")
    ap.add_argument("--no-report", action="store_true", help="write metrics.json only")
    ap.add_argument("-q", "--quiet", action="store_true")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    # Models come from installed packages: never let a library reach for a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    from evaluate import run_evaluation
    try:
        metrics = run_evaluation(args.run_dir, reference=args.reference, bertscore_model=args.bertscore_model,
                                 bertscore=not args.no_bertscore)
        report = None
        if not args.no_report:
            # This entry point sits above both layers; evaluate/ itself never imports reports/.
            from reports import build_report
            report = build_report(args.run_dir, metrics)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(summary_lines(metrics, report))
    return 0


def summary_lines(metrics: dict, report: Path | None) -> str:
    r = metrics["rubric"]
    c = r["counts"]
    lines = [f"{c['kept']} kept, {c['discarded']} discarded, {c['failed']} failed of {c['attempts']} attempts"]
    bs = metrics.get("bertscore") or {}
    if "hash" in bs:
        lines.append(f"BERTScore hash: {bs['hash']}")
        if bs.get("hash_rescaled"):
            lines.append(f"BERTScore hash (rescaled): {bs['hash_rescaled']}")
        for role in ("salesperson", "customer"):
            g = bs["generated"].get(role) or {}
            if g.get("n"):
                resc = g["rescaled"]["F"] if g.get("rescaled") else None
                lines.append(f"  {role}: F1 {g['raw']['F']:.3f}" + (f" (rescaled {resc:.3f})" if resc is not None
                                                                      else "") + f" over {g['n']} dialogues")
    else:
        lines.append(f"BERTScore skipped: {bs.get('skipped')}")
    d = metrics["diversity"]["generated"]

    def f(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    lines.append(f"distinct-1/2/3 {f(d.get('distinct_1'))}/{f(d.get('distinct_2'))}/{f(d.get('distinct_3'))}"
                 f"{'' if d.get('sample_ok') else ' (kept dialogues hold fewer tokens than the fixed sample)'}, "
                 f"self-BLEU-3 {f(d.get('self_bleu_3'))}")
    lines.append(f"metrics: {Path(metrics['run']['path']) / 'metrics.json'}")
    if report:
        lines.append(f"report: {report}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
