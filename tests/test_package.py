"""The project as a package: a wheel builds, installs into a fresh virtualenv beside the pinned requirements, and
its `salesgen` command and the README's API example run there, away from the checkout (nothing imported from it)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--model", "tiny", "--num-dialogues", "2", "--max-attempts", "2", "--max-exchanges", "2", "--min-score",
        "0", "--no-report", "--quiet"]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("package")
    src = tmp / "src"  # a copy, so the build's own folders never land in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "salesgen", src / "salesgen", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(src), "-w",
                    str(tmp / "dist")], check=True, capture_output=True, timeout=600)
    wheel = next((tmp / "dist").glob("salesgen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"salesgen", wheel.name.split("-py3")[0] + ".dist-info"}, \
        "only the salesgen package: no top-level core/, app/ to shadow other projects"
    assert {"salesgen/data/catalog.json", "salesgen/scenarios/sales/voice.toml", "salesgen/prompts/default.toml",
            "salesgen/reports/template.html"} <= set(names)
    env = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    # "With the requirements": this interpreter's site-packages hold them (make test installed them).
    site = Path(next(p for p in (env / "lib").glob("python3*/site-packages")))
    (site / "requirements.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "--no-deps", "-q",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    return env


def test_the_installed_command_runs_a_tiny_model(venv, tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([str(venv / "bin" / "salesgen"), "run", *TINY, "--out", str(out)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert (out / "dialogues.jsonl").read_text().count("\n") == 2 and (out / "sales_conversations.csv").is_file()
    bad = subprocess.run([str(venv / "bin" / "salesgen"), "nonsense"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 2 and "salesgen run" in bad.stderr


def test_the_readme_api_example_runs_from_the_installed_package(venv, tmp_path):
    example = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    code = "import salesgen, sys\nassert 'site-packages' in salesgen.__file__, salesgen.__file__\n" + example
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp_path / "runs" / "api-demo"
    assert (run / "dialogues.parquet").is_file() and (run / "metrics.json").is_file()
    assert "'kept'" in proc.stdout
    assert (run / "dialogues.judged" / "judgements.jsonl").is_file()
