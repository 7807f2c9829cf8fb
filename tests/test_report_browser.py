"""Open report.html in headless Chromium (DevTools protocol over --remote-debugging-pipe, no extra packages):
it renders without console errors, an injected <script> in a dialogue stays text, and a screenshot is saved."""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from salesgen.core.dialogue import KEPT
from salesgen.evaluate import run_evaluation
from salesgen.evaluate.synthetic import dialogue, write_run
from salesgen.reports import build_report

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
INJECTED = "<script>window.__pwned=1</script>"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI=true (apt-get install -y chromium)")
        pytest.skip("Chromium is not installed (apt-get install -y chromium); skipping the browser test")
    return path


class Pipe:
    """Chrome DevTools protocol over fds 3/4: JSON messages separated by NUL bytes."""

    def __init__(self, binary: str, profile: Path):
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def wire() -> None:  # in the child: its fd 3 reads our commands, its fd 4 carries replies
            # Move both ends above 3/4 first, so neither dup2 overwrites the other or is a no-op on the same fd.
            hi_r, hi_w = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
                                      "about:blank"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=wire, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._r)
        os.close(self._w)


def _run_with_injection(path: Path) -> Path:
    dialogues = [dialogue(i, v, quality=q) for v, q in (("a", 0.74), ("b", 0.8)) for i in range(8)]
    evil = dialogues[0]
    evil.turns[0].text = f"Hello {INJECTED} and <b>bold</b> & \"quotes\" $5 {{braces}}"
    evil.persona.personality = f"rude {INJECTED}"
    evil.verdicts[0].evidence = [f"turn 1 (salesperson): \"{INJECTED}\""]
    evil.verdicts[1].reason = INJECTED
    evil.status, evil.score = KEPT, 0.99  # the best dialogue: shown open in the browser
    dialogues[1].status, dialogues[1].reasons = "discarded", [f"toxicity veto: {INJECTED}"]
    write_run(path, dialogues, ["a", "b"])
    return path


def test_report_renders_in_chromium_without_running_injected_script(tmp_path: Path) -> None:
    binary = chromium()
    run = _run_with_injection(tmp_path / "run")
    report = build_report(run, run_evaluation(run, bertscore=False))
    html = report.read_text(encoding="utf-8")
    assert INJECTED not in html, "generated text reached the page unescaped"
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert not any(tag in html for tag in ('src="http', "src='http", "<link", "@import", "url(http")), \
        "the report must not load anything from outside"

    pipe = Pipe(binary, tmp_path / "profile")
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            pipe.call(f"{domain}.enable", session=session)
        pipe.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        pipe.call("Page.navigate", {"url": report.as_uri()}, session=session)
        pipe.wait_event("Page.loadEventFired")
        probe = ("JSON.stringify({ready: window.__reportReady === true, pwned: typeof window.__pwned !== 'undefined',"
                 " scripts: document.scripts.length, shown: document.body.innerText.includes("
                 f"{json.dumps(INJECTED)}), images: Array.from(document.images).every(i => i.complete && "
                 "i.naturalWidth > 0), height: document.documentElement.scrollHeight})")
        state = json.loads(pipe.call("Runtime.evaluate", {"expression": probe, "returnByValue": True},
                                     session=session)["result"]["value"])
        shot = pipe.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                    "clip": {"x": 0, "y": 0, "width": 1200,
                                                             "height": min(state["height"], 16000), "scale": 1}},
                         session=session)
    finally:
        pipe.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.png").write_bytes(base64.b64decode(shot["data"]))

    problems = [e for e in pipe.events if e.get("method") == "Runtime.exceptionThrown"
                or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
                or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert not problems, f"console errors: {problems}"
    assert state["ready"], "the report's own script did not run (page failed to load?)"
    assert not state["pwned"], "the injected script ran"
    assert state["scripts"] == 1, "only the report's own script may be in the page"
    assert state["shown"], "the injected text should be visible as text"
    assert state["images"], "every embedded plot should decode"
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
