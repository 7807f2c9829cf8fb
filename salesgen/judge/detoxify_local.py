"""Detoxify checkpoints loaded from disk only (no hub): the .ckpt file plus the base model's config folder.

Detoxify's own loader first asks the hub for the base model's config, which fails offline. This reads the
same checkpoint format ({"config": {"arch": ..., "dataset": ...}, "state_dict": ...}) and builds the model
from a local folder holding the base model's config.json and tokenizer files.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from salesgen.core.errors import InputError

log = logging.getLogger(__name__)
TRUST_PICKLE_ENV = "SALESGEN_DETOXIFY_TRUST_PICKLE"
_STANDARD_LABELS = {"toxic": "toxicity", "identity_hate": "identity_attack", "severe_toxic": "severe_toxicity"}


class DetoxifyLocal:
    def __init__(self, checkpoint: Path, config_dir: Path, device: str = "cpu"):
        import torch
        import transformers

        # Detoxify checkpoints hold dicts, strings and tensors, which load without running pickled code. Should a
        # checkpoint need more, the user may allow full unpickling of a file they trust.
        trust = os.environ.get(TRUST_PICKLE_ENV) == "1"
        try:
            loaded = torch.load(checkpoint, map_location=device, weights_only=not trust)
        except Exception as e:  # noqa: BLE001 - any failure to read is the user's file
            hint = "" if trust else f"; if you trust the file, set {TRUST_PICKLE_ENV}=1 to load it in full"
            raise InputError(f"Detoxify checkpoint {checkpoint} cannot be read ({type(e).__name__}){hint}.") from None
        try:
            arch = loaded["config"]["arch"]["args"]
            classes = loaded["config"]["dataset"]["args"]["classes"]
            state = loaded["state_dict"]
        except (KeyError, TypeError):
            raise InputError(f"{checkpoint} is not a Detoxify checkpoint (no config/state_dict).") from None
        self.labels = [_STANDARD_LABELS.get(c, c) for c in classes]
        self.arch = str(arch.get("model_type", "?"))
        try:
            config = transformers.AutoConfig.from_pretrained(str(config_dir), local_files_only=True)
            config.num_labels = int(arch["num_classes"])
            model_cls = getattr(transformers, arch["model_name"])
            self.model = model_cls.from_pretrained(None, config=config, state_dict=state, local_files_only=True)
            tok_cls = getattr(transformers, arch["tokenizer_name"])
            self.tokenizer = tok_cls.from_pretrained(str(config_dir), local_files_only=True)
        except (OSError, ValueError, AttributeError) as e:
            raise InputError(f"Detoxify base model files in {config_dir} do not fit the checkpoint ({e}).") from None
        self.model.to(device).eval()
        self._torch = torch
        self._index = self.labels.index("toxicity") if "toxicity" in self.labels else None

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        with self._torch.no_grad():
            enc = self.tokenizer(texts, return_tensors="pt", truncation=True, padding=True)
            probs = self._torch.sigmoid(self.model(**enc)[0]).cpu().numpy()
        return [{lab: float(row[i]) for i, lab in enumerate(self.labels)} for row in probs]

    def toxicity(self, texts: list[str]) -> list[float]:
        """One probability per text: the 'toxicity' label, or the highest label if the model has none."""
        out = []
        for scores in self.predict(list(texts)):
            out.append(scores["toxicity"] if self._index is not None else max(scores.values()))
        return out
