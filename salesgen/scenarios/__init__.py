"""Scenarios: one folder per domain (its world data, policies, voice prompts); the entry point picks one by name."""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from salesgen.core.errors import InputError

# name -> factory(setup-like object with catalog, persona config, world) -> generate.moves.Scenario
_REGISTRY: dict[str, Callable[..., Any]] = {}


def register(name: str):
    def add(factory: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY[name] = factory
        return factory
    return add


def load_all() -> None:
    """Import every scenario folder: each registers itself, and its judges join the panel's registry."""
    for mod in pkgutil.iter_modules(__path__):
        if mod.ispkg:
            importlib.import_module(f"{__name__}.{mod.name}")


def scenario(name: str, **kwargs: Any) -> Any:
    load_all()
    if name not in _REGISTRY:
        raise InputError(f"Unknown scenario {name!r} (known: {', '.join(sorted(_REGISTRY))}).")
    return _REGISTRY[name](**kwargs)
