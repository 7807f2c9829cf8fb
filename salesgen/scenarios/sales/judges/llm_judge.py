"""LLM judge: a G-Eval-style rubric (data/judge/rubric.toml) answered as schema-constrained JSON.

A reply that cannot be parsed is asked for once more; if that fails too the verdict carries the error and no
score (the panel leaves it out of the mean and names it), never a silent 0.
"""
from __future__ import annotations

import json
import logging
import tomllib
from typing import Any

from salesgen.core.dialogue import Dialogue, Usage, Verdict
from salesgen.judge.base import DATA_DIR, Judge, JudgeContext, register, verdict
from salesgen.judge.resources import file_sha256
from salesgen.scenarios.sales.prices import money

log = logging.getLogger(__name__)
RUBRIC = DATA_DIR / "rubric.toml"


class ReplyError(ValueError):
    """The judge model's reply is not the JSON form the rubric asks for."""


def product_facts(d: Dialogue) -> str:
    p = d.product
    if p is None or not p.name:
        return "(no product record: judge the claims against general plausibility and mark them unsupported)"
    lines = [f"- {p.name} ({p.category}): list price {money(p.price)}"
             + (f"; lowest allowed price {money(p.min_price)}" if p.min_price is not None else "")]
    if p.specs:
        lines.append("  Specs: " + "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in p.specs.items()))
    if p.features:
        lines.append("  Features: " + ", ".join(p.features))
    lines += [f"  {k.capitalize()}: {v}" for k, v in p.policies.items()]
    return "\n".join(lines)


def persona_text(d: Dialogue) -> str:
    p = d.persona
    parts = [p.personality or "", f"budget {money(p.budget)}" if p.budget else "", p.needs or ""]
    if p.preferred_features:
        parts.append("wants " + ", ".join(p.preferred_features))
    return "; ".join(x for x in parts if x) or "(unknown)"


class LLMRubric:
    """The rubric file turned into a prompt, a JSON schema and a parser."""

    def __init__(self, path=RUBRIC):
        self.path = path
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        self.raw = raw
        self.criteria: list[dict[str, str]] = raw["criteria"]
        self.keys = [c["key"] for c in self.criteria]
        limit = int(raw.get("max_reason_chars", 200))
        max_claims = int(raw.get("max_claims", 3))
        item = {"type": "object", "additionalProperties": False, "required": ["reason", "score"],
                "properties": {"reason": {"type": "string", "maxLength": limit},
                               "score": {"type": "integer", "minimum": 1, "maximum": 5}}}
        # Placeholders either text may use; the system text is the same for every dialogue, so it stays cached.
        self.fixed = {"criteria": "\n".join(f"- {c['key']} ({c['name']}): {c['steps']}" for c in self.criteria),
                      "max_claims": max_claims}
        self.system = raw["system"].format(**self.fixed)
        self.schema: dict[str, Any] = {
            "type": "object", "additionalProperties": False, "required": [*self.keys, "unsupported_claims"],
            "properties": {**{k: item for k in self.keys},
                           "unsupported_claims": {"type": "array", "maxItems": max_claims,
                                                  "items": {"type": "string", "maxLength": limit}}},
        }

    def messages(self, d: Dialogue) -> list[dict[str, str]]:
        transcript = "\n".join(f"{i + 1}. {t.role.capitalize()}: {t.text}" for i, t in enumerate(d.turns))
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.raw["template"].format(
            facts=product_facts(d), persona=persona_text(d), transcript=transcript, **self.fixed)}]

    def parse(self, text: str) -> tuple[dict[str, tuple[int, str]], list[str]]:
        """{criterion: (score 1-5, reason)} and the extra claims; ReplyError says what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ReplyError(f"not JSON ({e.msg} at char {e.pos})") from None
        if not isinstance(data, dict):
            raise ReplyError("not a JSON object")
        out = {}
        for k in self.keys:
            item = data.get(k)
            if not isinstance(item, dict):
                raise ReplyError(f"criterion {k!r} missing")
            s = item.get("score")
            if isinstance(s, bool) or not isinstance(s, int | float) or s != int(s) or not 1 <= s <= 5:
                raise ReplyError(f"criterion {k!r} has score {s!r}, not an integer 1-5")
            out[k] = (int(s), str(item.get("reason") or "").strip())
        claims = data.get("unsupported_claims") or []
        return out, [str(c) for c in claims if isinstance(c, str | int | float)] if isinstance(claims, list) else []


@register
class LLMJudge(Judge):
    name = "llm_judge"
    is_async = True
    needs_llm = True

    def __init__(self, ctx: JudgeContext):
        super().__init__(ctx)
        # A relative path is relative to data/judge/; tests point it at a smaller rubric for the tiny model.
        self.rubric = LLMRubric((DATA_DIR / self.param("rubric", "rubric.toml")).resolve())

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        raise RuntimeError("the LLM judge is asynchronous: use ajudge")

    async def ajudge(self, dialogue: Dialogue) -> Verdict | None:
        model = self.ctx.options.llm
        if model is None or not dialogue.turns:
            return None
        from salesgen.llm.base import LLMError

        messages = self.rubric.messages(dialogue)
        usage, errors, raw = Usage(), [], ""
        attempts = 1 + int(self.param("parse_retries", 1))
        # G-Eval averages several samples; one greedy sample is the default (the rubric's temperature).
        samples = max(1, int(self.param("samples", 1)))
        temperature = float(self.rubric.raw.get("temperature", 0.0)) if samples == 1 else \
            float(self.param("sample_temperature", 0.7))
        parsed: list[tuple[dict[str, tuple[int, str]], list[str]]] = []
        calls = 0
        for k in range(samples):
            for attempt in range(attempts):
                calls += 1
                try:
                    c = await model.complete(messages, max_tokens=int(self.rubric.raw.get("max_tokens", 500)),
                                             temperature=temperature, json_schema=self.rubric.schema,
                                             seed=k * attempts + attempt)
                except LLMError as e:
                    return Verdict(judge=self.name, score=None, reason="the judge model could not be reached",
                                   error=f"LLMError: {e}", details={"model": model.name, "calls": calls})
                usage.add(c.usage)
                raw = c.text
                try:
                    parsed.append(self.rubric.parse(c.text))
                    break
                except ReplyError as e:
                    errors.append(str(e))
                    log.info("LLM judge reply for %s unparsable (%s), attempt %d", dialogue.id, e, attempt + 1)
        if not parsed:
            return Verdict(judge=self.name, score=None, reason="the judge model's reply could not be parsed",
                           error=f"unparsable reply after {attempts} attempts: {'; '.join(errors)}",
                           details={"model": model.name, "raw": raw[:1000], "attempts": calls,
                                    "usage": usage.__dict__})
        return self._verdict(parsed, model.name, usage, calls, errors)

    def _verdict(self, parsed: list[tuple[dict[str, tuple[int, str]], list[str]]], model: str, usage: Usage,
                 attempts: int, errors: list[str]) -> Verdict:
        names = {c["key"]: c["name"] for c in self.rubric.criteria}
        means = {k: sum(p[0][k][0] for p in parsed) / len(parsed) for k in self.rubric.keys}
        first, claims = parsed[0]
        claims = list(dict.fromkeys(c for _, cl in parsed for c in cl))
        evidence = [f"{names[k]} {means[k]:g}/5: {first[k][1]}" for k in self.rubric.keys]
        evidence += [f"LLM-flagged claim the rules may not parse: \"{c}\"" for c in claims]
        score = sum((m - 1) / 4 for m in means.values()) / len(means)
        low = [f"{names[k]} {m:g}/5" for k, m in means.items() if m <= 2]
        reason = ("low: " + ", ".join(low)) if low else f"rubric mean {1 + 4 * score:.1f}/5"
        return verdict(self.name, score, reason, evidence, scores={k: round(m, 3) for k, m in means.items()},
                       unsupported_claims=claims, model=model, attempts=attempts, samples=len(parsed),
                       parse_errors=errors, usage=usage.__dict__)

    def describe(self) -> dict[str, Any]:
        return {"rubric": str(self.rubric.path), "rubric_sha256": file_sha256(self.rubric.path),
                "rubric_version": self.rubric.raw.get("version"),
                "model": getattr(self.ctx.options.llm, "name", None)}
