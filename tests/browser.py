"""A real headless Chromium for tests, driven over the DevTools protocol.

Debian's `chromium` package and the `websockets` client the service already depends on are all it
takes: no Selenium, no chromedriver, no browser download. A missing browser skips the test on a
laptop and fails it in CI (`CI=true`), as Docker does (tests/docker_support.py); `.ci/setup-browser.sh`
installs it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.conftest import stop_process

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))

# As root Chromium needs --no-sandbox; /dev/shm is small in containers and CI; the rest keep it from
# reaching out to Google's services (refused on a closed network, noisily) and from leaving state behind.
_FLAGS = ("--headless", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-default-apps", "--hide-scrollbars", "--remote-debugging-port=0")


def require_browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "headless Chromium not installed (run .ci/setup-browser.sh)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError  # unreachable


class BrowserError(RuntimeError):
    pass


class Page:
    """One browser tab: DevTools calls, with the events that arrive meanwhile kept in `events`."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        self._ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=60))
            if message.get("id") == self._next:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression!r} threw: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def wait_for(self, expression: str, timeout_s: float) -> Any:
        """Poll `expression` until it is truthy; its value. TimeoutError names the last value."""
        deadline = time.monotonic() + timeout_s
        value = None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"{expression!r} still {value!r} after {timeout_s:g} s")

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", 30)

    def screenshot(self, name: str) -> Path:
        """The whole page as ARTIFACTS/name (a PNG kept after the test for a person to look at)."""
        height = self.evaluate("Math.ceil(document.documentElement.scrollHeight)")
        width = self.evaluate("window.innerWidth")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        self.call("Emulation.clearDeviceMetricsOverride")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        path.write_bytes(base64.b64decode(data))
        return path

    def requests(self) -> list[dict[str, Any]]:
        """Every request the page sent so far (url, headers, ...)."""
        self.call("Runtime.evaluate", expression="0")  # collects the events that arrived meanwhile
        return [e["params"]["request"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def errors(self) -> list[str]:
        """Uncaught script exceptions so far."""
        self.call("Runtime.evaluate", expression="0")
        thrown = [e for e in self.events if e.get("method") == "Runtime.exceptionThrown"]
        return [str(e["params"]["exceptionDetails"]) for e in thrown]


@contextlib.contextmanager
def chromium(width: int = 1400, height: int = 900) -> Iterator[Page]:
    """A fresh headless Chromium with an empty profile; yields its one tab, closes it afterwards."""
    binary = require_browser()
    profile = tempfile.mkdtemp(prefix="chromium-")
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([binary, *_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                             "about:blank"], stdout=log, stderr=subprocess.STDOUT)
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 120  # a loaded two-core machine can take that long
        while not port_file.exists() or not port_file.read_text().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                state = f"exited with {proc.returncode}" if proc.poll() is not None else "still starting after 120 s"
                raise BrowserError(f"chromium {state}:\n{log.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        tabs = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        target = next(t for t in tabs if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=64 * 2**20) as ws:
            page = Page(ws)
            for domain in ("Page", "Runtime", "Network"):
                page.call(f"{domain}.enable")
            yield page
    finally:
        stop_process(proc, 10)
        log.close()
        shutil.rmtree(profile, ignore_errors=True)
