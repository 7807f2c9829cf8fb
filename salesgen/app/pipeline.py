"""Wires the stages for one run: personas → simulator → judge panel → run directory, dialogues in flight at once."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesgen.app.progress import Progress
from salesgen.core.catalog import DEFAULT_CATALOG, Catalog
from salesgen.core.config import RunConfig
from salesgen.core.dialogue import FAILED, KEPT, Dialogue, Product
from salesgen.core.errors import InputError
from salesgen.core.files import read_toml
from salesgen.core.rundir import DIALOGUES, RunDir, utc_now, write_atomic
from salesgen.core.rundir import DISCARDED as DISCARDED_FILE
from salesgen.generate.hub import HUB_FILE, Hub, render_exemplars
from salesgen.generate.moves import SimulationError
from salesgen.generate.planned import PlannedSimulator
from salesgen.generate.voice import VoiceOptions
from salesgen.judge.panel import Panel, PanelOptions, load_weights
from salesgen.llm.backends import check_backend, open_chat_model
from salesgen.llm.base import PINNED_SLOTS, ChatModel, LLMError
from salesgen.llm.openai_chat import is_loopback_url
from salesgen.llm.pinned import PinnedSlot
from salesgen.llm.retry import RetryPolicy
from salesgen.scenarios import load_all, scenario
from salesgen.scenarios.sales.free import SimOptions, Simulator, World
from salesgen.scenarios.sales.personas import load_persona_config, sample_pair
from salesgen.scenarios.sales.prompts import DEFAULT_PROMPTS, PromptSet, load_prompts

log = logging.getLogger(__name__)
WORLD_FILE = Path(__file__).resolve().parent.parent / "data" / "world.toml"
ALTERNATIVES = 2  # other products of the category the salesperson may offer


@dataclass
class Setup:
    """Everything loaded from files before any model starts, so bad input fails fast."""

    catalog: Catalog
    variants: list[PromptSet]
    persona_cfg: Any
    world: World


def load_setup(cfg: RunConfig) -> Setup:
    catalog = Catalog.load(cfg.catalog or DEFAULT_CATALOG)
    variants = [load_prompts(p) for p in (cfg.prompts or [str(DEFAULT_PROMPTS)])]
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise InputError(f"Prompt variants need distinct names (got {', '.join(names)}).")
    persona_cfg = load_persona_config(cfg.personas) if cfg.personas else load_persona_config()
    w = read_toml(WORLD_FILE)
    world = World(seller_names=w["seller_names"], stores=w["stores"],
                  behaviours={**persona_cfg.personalities, **persona_cfg.temperaments})
    preflight(cfg)
    return Setup(catalog, variants, persona_cfg, world)


def preflight(cfg: RunConfig) -> None:
    """Check what a run would otherwise find wrong only after creating its directory (or after generating)."""
    load_all()  # the scenarios' judges join the panel's registry before the weights name them
    load_weights(cfg.judge_weights)
    if cfg.report and cfg.reference:
        from salesgen.evaluate.references import load_reference

        load_reference(cfg.reference)
    for url in (cfg.base_url, cfg.judge_base_url if cfg.llm_judge else None):
        # A remote server without a key fails here, before any network access (llm.backend checks it again).
        if url and not is_loopback_url(url) and not os.environ.get(cfg.api_key_env):
            raise InputError(f"No API key: set the environment variable {cfg.api_key_env} for {url}.")
    # An unknown backend; the embedded model's unknown name, missing or non-GGUF file (hashes are cached).
    check_backend(cfg.backend, cfg.base_url, cfg.model, cfg.model_path)


def alternatives(product: Product, catalog: Catalog) -> list[Product]:
    """The closest-priced other products of the same category: what a real salesperson would also show."""
    others = [p for p in catalog.in_category(product.category) if p.id != product.id]
    return sorted(others, key=lambda p: (abs(p.price - product.price), p.id))[:ALTERNATIVES]


@dataclass
class VariantState:
    kept: int = 0
    done: set[int] = field(default_factory=set)


class Runner:
    def __init__(self, cfg: RunConfig, setup: Setup, run: RunDir, progress: Progress):
        self.cfg, self.setup, self.run, self.progress = cfg, setup, run, progress
        self.hubs: dict[str, list[dict]] = {}
        self.opts = SimOptions(max_exchanges=cfg.max_exchanges, min_words=cfg.min_words, max_words=cfg.max_words,
                               max_retries=cfg.max_retries, temperature=cfg.temperature, top_p=cfg.top_p,
                               line_grammar=cfg.line_grammar)

    async def _one(self, sim: Simulator, panel: Panel, hub: Hub, variant: str, index: int,
                   slots: tuple[int, int] | None) -> Dialogue:
        cfg, catalog = self.cfg, self.setup.catalog
        persona, product = sample_pair(cfg.seed, index, catalog.products, self.setup.persona_cfg)
        d = Dialogue(id=f"{variant}-{cfg.seed}-{index:05d}", index=index, persona=persona, product=product,
                     variant=variant, model=sim.model.name, seed=cfg.seed)
        # Planned lines are written from their move's facts: exemplars would only cost prompt tokens.
        free = cfg.policy == "free"
        shown = hub.pick(persona.category, persona.personality, cfg.few_shot) if cfg.few_shot and free else []
        examples = render_exemplars(shown)
        # Lineage: which kept dialogues this one was shown, so a flaw the hub copies on can be traced to its source.
        d.extra["exemplars"] = [ex.id for ex in shown]
        try:
            await sim.run(d, alternatives(product, catalog), examples, slots)
        except (LLMError, SimulationError) as e:
            d.status, d.reasons, d.finished = FAILED, [f"generation: {e}"], utc_now()
            return d
        t0 = time.perf_counter()
        try:
            await panel.judge(d, cfg.min_score)
        except LLMError as e:
            d.status, d.reasons = FAILED, [f"judge: {e}"]
        d.timing["judge"] = round(time.perf_counter() - t0, 3)
        return d

    def simulator(self, model: ChatModel, panel: Panel, prompts: PromptSet) -> Simulator | PlannedSimulator:
        cfg, setup = self.cfg, self.setup
        if cfg.policy == "planned":
            world = scenario(cfg.scenario, catalog=setup.catalog, seller_names=setup.world.seller_names,
                             stores=setup.world.stores, behaviours=setup.world.behaviours,
                             stretch=setup.persona_cfg.over_budget_stretch, system=prompts.sections.get("planned"),
                             car=setup.persona_cfg.car)
            voice = VoiceOptions(min_words=cfg.min_words, max_words=cfg.max_words, retries=cfg.max_retries,
                                 temperature=cfg.temperature, top_p=cfg.top_p, grammar=cfg.line_grammar)
            return PlannedSimulator(model, world, voice, cfg.max_exchanges, on_line=self.progress.line,
                                    line_check=panel.line_flaws if cfg.line_check else None)
        # The judges' per-line rules, asked while generating: a flawed line costs a regeneration, not a dialogue.
        return Simulator(model, prompts, setup.world, self.opts,
                         line_check=panel.line_flaws if cfg.line_check else None)

    async def variant(self, model: ChatModel, panel: Panel, prompts: PromptSet, state: VariantState) -> None:
        cfg = self.cfg
        sim = self.simulator(model, panel, prompts)
        hub = Hub(prompts.name, path=Path(cfg.hub) / HUB_FILE if cfg.hub else None)
        hub.seed(Dialogue.from_dict(rec) for _, rec in self.run.scan()  # streamed: the hub keeps a bounded few
                 if rec.get("variant") == prompts.name and rec.get("status") == KEPT)
        width = cfg.in_flight
        free_slots = [(2 * p, 2 * p + 1) if PINNED_SLOTS in model.abilities else None
                      for p in reversed(range(width))]
        # A slot pair goes back to the pool when its task's result is taken below, not in a done callback: a task
        # can be done() (and out of `pending`) before its callbacks have run, which emptied the pool at speed.
        slots_of: dict[asyncio.Task[Dialogue], tuple[int, int] | None] = {}
        pending: set[asyncio.Task[Dialogue]] = set()
        index = 0
        with self.run.writer(DIALOGUES) as out, self.run.writer(DISCARDED_FILE) as disc:
            while True:
                while (state.kept < cfg.num_dialogues and index < cfg.attempts and len(pending) < width):
                    if index not in state.done:
                        slots = free_slots.pop()
                        task = asyncio.create_task(self._one(sim, panel, hub, prompts.name, index, slots))
                        slots_of[task] = slots
                        pending.add(task)
                    index += 1
                if not pending:
                    break
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    free_slots.append(slots_of.pop(task))
                    d = task.result()
                    out.write(d.to_dict())
                    if d.status != KEPT:
                        disc.write({"id": d.id, "index": d.index, "variant": d.variant, "status": d.status,
                                    "score": d.score, "reasons": d.reasons})
                    else:
                        state.kept += 1
                        hub.add(d)
                    state.done.add(d.index)
                    self.progress.done(d.status)
        hub.close()
        self.hubs[prompts.name] = hub.snapshot()


async def generate(cfg: RunConfig, setup: Setup, run: RunDir, progress: Progress,
                   manifest: dict[str, Any]) -> None:
    """Generate and judge every variant; dialogues already in the run directory are skipped (resume)."""
    states = {v.name: VariantState() for v in setup.variants}
    finished: dict[str, tuple[str, int, str]] = {}  # id -> (variant, index, status); the last record wins
    for _, rec in run.scan():
        finished[rec["id"]] = (rec.get("variant", ""), int(rec.get("index", -1)), rec.get("status", ""))
    for variant, index, status in finished.values():
        if variant in states and status != FAILED:  # a resumed run tries its failed dialogues again
            states[variant].done.add(index)
            states[variant].kept += status == KEPT
            progress.done(status)
    async with AsyncExitStack() as stack:
        judge_slots = 1 if cfg.llm_judge and not cfg.judge_base_url else 0
        retry = RetryPolicy(max_attempts=cfg.max_request_retries + 1) if cfg.max_request_retries is not None else None
        model = await stack.enter_async_context(open_chat_model(
            cfg.backend, base_url=cfg.base_url, model=cfg.model, model_path=cfg.model_path, api_key_env=cfg.api_key_env,
            n_parallel=2 * cfg.in_flight + judge_slots, threads=cfg.threads, temperature=cfg.temperature,
            top_p=cfg.top_p, timeout=cfg.request_timeout, max_concurrency=cfg.in_flight + judge_slots, retry=retry))
        # The judge shares the embedded server on the extra slot after the agents' pairs.
        judge_model = PinnedSlot(model, 2 * cfg.in_flight) if judge_slots else model
        if cfg.llm_judge and cfg.judge_base_url:
            judge_model = await stack.enter_async_context(open_chat_model(
                base_url=cfg.judge_base_url, model=cfg.judge_model, api_key_env=cfg.api_key_env,
                timeout=cfg.request_timeout, temperature=0.0, top_p=1.0, retry=retry))
            manifest["judge_model"] = judge_model.info.to_manifest()
        panel = Panel.build(setup.catalog, PanelOptions(
            min_words=cfg.min_words, max_words=cfg.max_words, max_exchanges=cfg.max_exchanges,
            llm=judge_model if cfg.llm_judge else None, use_llm_judge=cfg.llm_judge, toxicity=cfg.toxicity,
            weights_path=cfg.judge_weights, cascade=not cfg.llm_judge_all))
        manifest["model"] = model.info.to_manifest()
        manifest["judge"] = panel.describe()
        run.write_manifest(manifest)
        runner = Runner(cfg, setup, run, progress)
        progress.start()
        for prompts in setup.variants:
            await runner.variant(model, panel, prompts, states[prompts.name])
        write_atomic(run.file("hub.json"), json.dumps(runner.hubs, indent=1, ensure_ascii=False))
