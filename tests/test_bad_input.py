"""Bad input (issue 5): every case is one sentence on stderr, exit code 2, and nothing partial left behind."""
from __future__ import annotations

import json
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from faults_support import fake_run_args, rules_weights, run_cli, snapshot


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, exactly one line on stderr, naming the problem (every needle, case-insensitive)."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-1000:], proc.stderr[-2000:])
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in line, line
    for needle in needles:
        assert needle.lower() in line.lower(), (needle, line)
    assert proc.stdout == "", proc.stdout
    return line


@pytest.fixture
def new_out(tmp_path: Path) -> Path:
    """An --out two levels below a directory that does not exist yet: a failed run must not create either."""
    return tmp_path / "fresh" / "run"


def assert_nothing_made(new_out: Path) -> None:
    assert not new_out.parent.exists(), sorted(p.name for p in new_out.parent.rglob("*"))


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small finished run (against the loopback fault server) for the cases about existing runs."""
    from tools.fault_server import FaultConfig, FaultServer

    tmp = tmp_path_factory.mktemp("existing")
    with FaultServer(FaultConfig()) as url:
        proc = run_cli(fake_run_args(url, tmp / "run", rules_weights(tmp), num_dialogues=2, max_attempts=2))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return tmp / "run"


# ---------------------------------------------------------------- flags out of range


@pytest.mark.parametrize("value, needle", [("1.5", "between 0 and 1"), ("-1", "between 0 and 1"),
                                           ("abc", "'abc'")])
def test_min_score_out_of_range_or_not_a_number(value, needle, new_out):
    proc = run_cli(["--min-score", value, "--out", str(new_out)])
    assert_one_line_error(proc, "--min-score", needle)
    assert_nothing_made(new_out)


@pytest.mark.parametrize("flag", ["--num-dialogues", "--max-attempts", "--concurrency", "--max-exchanges",
                                  "--max-request-retries"])
def test_negative_counts(flag, new_out):
    proc = run_cli([flag, "-3", "--out", str(new_out)])
    assert_one_line_error(proc, flag, "-3")
    assert_nothing_made(new_out)


def test_max_words_below_min_words(new_out):
    proc = run_cli(["--min-words", "60", "--max-words", "40", "--out", str(new_out)])
    assert_one_line_error(proc, "--max-words", "--min-words")
    assert_nothing_made(new_out)


# ---------------------------------------------------------------- models


def test_unknown_model_name(new_out):
    proc = run_cli(["--model", "gpt-9-ultra", "--out", str(new_out)])
    assert_one_line_error(proc, "unknown model", "gpt-9-ultra")
    assert_nothing_made(new_out)


@pytest.mark.parametrize("args, needles", [
    (["--backend", "ollama/qwen2.5"], ["unknown backend", "ollama/qwen2.5", "llamacpp"]),
    (["--backend", "embedded/llama-99b"], ["unknown model", "llama-99b"]),
    (["--backend", "openai/gpt-4o-mini", "--model", "gpt-4o"], ["--backend", "--model"]),
    (["--backend", "llamacpp/"], ["llama.cpp-server backend needs a server URL"]),
    (["--backend", "llamacpp/ftp://127.0.0.1/v1"], ["not an http"]),
    (["--backend", "vllm/Qwen/Qwen2.5-7B-Instruct"], ["vllm backend needs a server URL"]),
    (["--format", "xlsx"], ["--format", "parquet"]),
])
def test_unknown_backend_or_format(args, needles, new_out):
    proc = run_cli([*args, "--out", str(new_out)])
    assert_one_line_error(proc, *needles)
    assert_nothing_made(new_out)


def test_model_path_missing(tmp_path, new_out):
    missing = tmp_path / "nowhere.gguf"
    proc = run_cli(["--model-path", str(missing), "--out", str(new_out)])
    assert_one_line_error(proc, str(missing), "does not exist")
    assert_nothing_made(new_out)


def test_model_path_not_gguf(tmp_path, new_out):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 this is a zip, not a model")
    proc = run_cli(["--model-path", str(fake), "--out", str(new_out)])
    assert_one_line_error(proc, str(fake), "not a GGUF")
    assert_nothing_made(new_out)


def test_model_path_unreadable(tmp_path, new_out):
    # A directory stands in for an unreadable file (tests may run as root, where chmod 000 does not stop reads).
    folder = tmp_path / "model-dir.gguf"
    folder.mkdir()
    proc = run_cli(["--model-path", str(folder), "--out", str(new_out)])
    assert_one_line_error(proc, str(folder), "not a file")
    assert_nothing_made(new_out)


# ---------------------------------------------------------------- malformed files (file and line named)


def test_malformed_prompt_toml(tmp_path, new_out):
    bad = tmp_path / "variant.toml"
    bad.write_text('name = "broken"\n[salesperson]\nsystem = "unterminated\n', encoding="utf-8")
    proc = run_cli(["--prompts", str(bad), "--out", str(new_out)])
    assert_one_line_error(proc, str(bad), "line 3")
    assert_nothing_made(new_out)


def test_malformed_catalog_json(tmp_path, new_out):
    bad = tmp_path / "catalog.json"
    bad.write_text('{"products": [\n  {"id": "a", "name": "A",}\n]}\n', encoding="utf-8")
    proc = run_cli(["--catalog", str(bad), "--out", str(new_out)])
    assert_one_line_error(proc, str(bad), "line 2")
    assert_nothing_made(new_out)


def test_malformed_judge_weights(tmp_path, new_out):
    bad = tmp_path / "weights.toml"
    bad.write_text("[judges.word_count]\nweight = 1.0\n[judges.decision\nweight = 1\n", encoding="utf-8")
    proc = run_cli(["--judge-weights", str(bad), "--out", str(new_out)])
    assert_one_line_error(proc, str(bad), "line 3")
    assert_nothing_made(new_out)


def test_judge_weights_naming_an_unknown_judge(tmp_path, new_out):
    bad = tmp_path / "weights.toml"
    bad.write_text("[judges.vibes]\nweight = 1.0\n", encoding="utf-8")
    proc = run_cli(["--judge-weights", str(bad), "--out", str(new_out)])
    assert_one_line_error(proc, str(bad), "vibes")
    assert_nothing_made(new_out)


def test_malformed_reference_for_a_new_run(tmp_path, new_out):
    # Checked before generating: a bad --reference must not cost a whole run and then fail at the report.
    bad = tmp_path / "reference.json"
    bad.write_text('{"polite": [\n  {"lines": [}\n]}\n', encoding="utf-8")
    proc = run_cli(["--reference", str(bad), "--out", str(new_out)])
    assert_one_line_error(proc, str(bad), "line 2")
    assert_nothing_made(new_out)


def test_malformed_reference_for_report_leaves_the_run_untouched(tmp_path, finished_run):
    bad = tmp_path / "reference.json"
    bad.write_text('{"polite": [\n  {"lines": [}\n]}\n', encoding="utf-8")
    before = snapshot(finished_run)
    proc = run_cli(["report", str(finished_run), "--reference", str(bad)])
    assert_one_line_error(proc, str(bad), "line 2")
    assert snapshot(finished_run) == before


# ---------------------------------------------------------------- the output directory


def test_out_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    out = blocker / "run"
    proc = run_cli(["--out", str(out)])
    assert_one_line_error(proc, str(out), "cannot be written")
    assert blocker.read_text() == "not a directory\n"


def test_out_that_is_a_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("mine\n")
    proc = run_cli(["--out", str(target)])
    assert_one_line_error(proc, str(target), "not a directory")
    assert target.read_text() == "mine\n"


def test_out_that_holds_another_run(finished_run):
    before = snapshot(finished_run)
    proc = run_cli(["--out", str(finished_run)])
    assert_one_line_error(proc, str(finished_run), "another run", "--resume")
    assert snapshot(finished_run) == before


# ---------------------------------------------------------------- servers


class _Listener:
    """A loopback TCP port that counts connections: shows whether a command touched the network."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.mark.parametrize("with_key", [False, True], ids=["no-key", "control-with-key"])
def test_remote_base_url_without_api_key_fails_before_any_network_access(with_key, new_out):
    # Every request to the (unresolvable) remote host goes through a counting proxy on loopback, so any network
    # access shows. The control run has a key and must reach the proxy: that proves the detector works.
    proxy = _Listener()
    try:
        env = {k: f"http://127.0.0.1:{proxy.port}" for k in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",
                                                            "https_proxy", "http_proxy", "all_proxy")}
        env["NO_PROXY"] = env["no_proxy"] = ""
        if with_key:
            env["SALESGEN_TEST_KEY"] = "sk-not-a-real-key"
        proc = run_cli(["--base-url", "https://api.example.invalid/v1", "--model", "gpt-4o-mini",
                        "--api-key-env", "SALESGEN_TEST_KEY", "--out", str(new_out)],
                       env=env, drop_env=("SALESGEN_TEST_KEY",), timeout=60)
    finally:
        proxy.close()
    if with_key:
        assert proxy.connections > 0, "the control run never reached the proxy: the detector would miss access"
        assert proc.returncode == 2
    else:
        assert_one_line_error(proc, "SALESGEN_TEST_KEY", "api key")
        assert proxy.connections == 0
    assert_nothing_made(new_out)


def test_server_that_is_down(new_out):
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_cli(["--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m", "--out", str(new_out)])
    assert_one_line_error(proc, f"127.0.0.1:{port}", "not reachable")
    assert_nothing_made(new_out)


def test_server_that_is_down_leaves_an_existing_empty_out_in_place(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_cli(["--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m", "--out", str(out)])
    assert_one_line_error(proc, "not reachable")
    assert out.is_dir() and not any(out.iterdir())


# ---------------------------------------------------------------- resume


def test_resume_with_different_options_is_refused(finished_run):
    before = snapshot(finished_run)
    saved = json.loads((finished_run / "manifest.json").read_text())["config"]
    proc = run_cli(["--resume", str(finished_run), "--seed", str(saved["seed"] + 1), "--min-score", "0.2"])
    assert_one_line_error(proc, "cannot resume", "min_score", "seed")
    assert snapshot(finished_run) == before


def test_resume_of_a_directory_that_is_not_a_run(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    before = snapshot(tmp_path)
    proc = run_cli(["--resume", str(tmp_path)])
    assert_one_line_error(proc, str(tmp_path), "not a run directory")
    assert snapshot(tmp_path) == before
