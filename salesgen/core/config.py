"""Run configuration: one record of every option, validated once, stored in the manifest, compared on resume."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from salesgen.core.errors import InputError
from salesgen.core.exports import DEFAULT_FORMATS, EXPORTS

DEFAULT_MODEL = "qwen2.5-1.5b"
POLICIES = ("planned", "free")


@dataclass
class RunConfig:
    num_dialogues: int = 100  # kept dialogues wanted
    max_attempts: int | None = None  # None: 2 x num_dialogues
    min_score: float = 0.7
    seed: int = 0
    # model
    backend: str | None = None  # "embedded/qwen2.5-1.5b", "llamacpp/URL", "openai/MODEL", "vllm/MODEL" (llm/backends/)
    base_url: str | None = None
    model: str | None = None  # None: the embedded default, or required with base_url
    model_path: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.7
    top_p: float = 0.9
    request_timeout: float = 120.0
    max_request_retries: int | None = None  # retries of a failed model request; None: llm.retry's default (5)
    concurrency: int | None = None  # dialogues in flight; None: 4 embedded, 32 remote
    threads: int | None = None  # embedded server threads; None: all cores
    # dialogue shape
    policy: str = "planned"  # planned: rules decide each move, the model writes it; free: the model decides too
    scenario: str = "sales"
    max_exchanges: int = 5
    min_words: int = 50
    max_words: int = 75
    max_retries: int | None = None  # None: 1 planned (the voice's one retry), 2 free
    line_check: bool = True  # the judges' per-line rules (repetition, catalog contradictions) at generation
    line_grammar: bool = True  # llama.cpp servers: decode lines under generate.text.line_grammar
    # world and prompts
    prompts: list[str] = field(default_factory=list)  # one variant per file; empty: prompts/default.toml
    catalog: str | None = None
    personas: str | None = None
    few_shot: int = 3
    hub: str | None = None
    # judge
    # None: on with a remote model or judge server, off on the embedded 1.5B model, whose judge told clean
    # dialogues from flawed ones no better than chance (0.815 vs 0.806 mean on a labelled set; issue 18).
    llm_judge: bool | None = None
    llm_judge_all: bool = False  # also on dialogues the rules already discard
    judge_base_url: str | None = None
    judge_model: str | None = None
    toxicity: str = "profanity-check"
    judge_weights: str | None = None  # None: data/judge/weights.toml
    # evaluation
    reference: str | None = None
    bertscore_model: str | None = None
    report: bool = True
    formats: list[str] = field(default_factory=lambda: list(DEFAULT_FORMATS))  # core/exports.py

    @property
    def attempts(self) -> int:
        return self.max_attempts if self.max_attempts is not None else 2 * self.num_dialogues

    @property
    def embedded(self) -> bool:
        """The model is served in-process (no --base-url, no other --backend)."""
        return not self.base_url and (self.backend or "embedded/").startswith("embedded/")

    @property
    def in_flight(self) -> int:
        return self.concurrency or (4 if self.embedded else 32)

    def validate(self) -> RunConfig:
        if self.max_retries is None:
            self.max_retries = 1 if self.policy == "planned" else 2
        if self.llm_judge is None:
            self.llm_judge = not self.embedded or bool(self.judge_base_url)
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise InputError(msg)

        need(self.num_dialogues >= 1, f"--num-dialogues must be at least 1 (got {self.num_dialogues}).")
        need(self.max_attempts is None or self.max_attempts >= 1,
             f"--max-attempts must be at least 1 (got {self.max_attempts}).")
        need(math.isfinite(self.min_score) and 0.0 <= self.min_score <= 1.0,
             f"--min-score must be between 0 and 1 (got {self.min_score}).")
        need(self.seed >= 0, f"--seed must be 0 or more (got {self.seed}).")
        need(0.0 <= self.temperature <= 2.0, f"--temperature must be between 0 and 2 (got {self.temperature}).")
        need(0.0 < self.top_p <= 1.0, f"--top-p must be above 0 and at most 1 (got {self.top_p}).")
        need(self.request_timeout > 0, f"--request-timeout must be positive (got {self.request_timeout}).")
        need(self.max_request_retries is None or 0 <= self.max_request_retries <= 20,
             f"--max-request-retries must be between 0 and 20 (got {self.max_request_retries}).")
        need(self.concurrency is None or 1 <= self.concurrency <= 1024,
             f"--concurrency must be between 1 and 1024 (got {self.concurrency}).")
        need(self.threads is None or self.threads >= 1, f"--threads must be at least 1 (got {self.threads}).")
        need(1 <= self.max_exchanges <= 50, f"--max-exchanges must be between 1 and 50 (got {self.max_exchanges}).")
        need(self.min_words >= 1, f"--min-words must be at least 1 (got {self.min_words}).")
        need(self.max_words >= self.min_words,
             f"--max-words ({self.max_words}) must not be below --min-words ({self.min_words}).")
        need(self.max_words <= 1000, f"--max-words must be at most 1000 (got {self.max_words}).")
        need(0 <= self.max_retries <= 10, f"--max-retries must be between 0 and 10 (got {self.max_retries}).")
        need(0 <= self.few_shot <= 10, f"--few-shot must be between 0 and 10 (got {self.few_shot}).")
        need(self.policy in POLICIES, f"--policy must be one of {', '.join(POLICIES)} (got {self.policy}).")
        need(self.toxicity in ("profanity-check", "detoxify"),
             f"--toxicity must be profanity-check or detoxify (got {self.toxicity}).")
        need(bool(self.formats) and all(f in EXPORTS for f in self.formats),
             f"--format must name some of {', '.join(EXPORTS)} (got {','.join(self.formats)}).")
        need(not (self.base_url and self.model_path), "--model-path is for the embedded model, not --base-url.")
        need(not self.base_url or bool(self.model or self.backend),
             "--base-url needs --model (the model name the server serves).")
        need(not (self.backend and self.model and not self.backend.startswith("llamacpp/")),
             "--backend names the model after its slash; drop --model.")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# Options that may change between a run and its resumption: they do not change what is generated.
RESUMABLE = {"concurrency", "threads", "request_timeout", "max_request_retries", "report", "reference",
             "bertscore_model", "max_attempts", "formats"}


def resume_conflicts(saved: RunConfig, asked: dict[str, Any]) -> list[str]:
    """Options given on the command line that contradict the run being resumed."""
    old = saved.to_dict()
    return sorted(k for k, v in asked.items() if k in old and k not in RESUMABLE and old[k] != v)
