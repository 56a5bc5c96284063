"""A small Chrome DevTools Protocol client that drives headless Chromium over a pipe.

Chromium started with ``--remote-debugging-pipe`` reads protocol commands from file
descriptor 3 and writes responses and events to descriptor 4, each message one JSON object
ended by a NUL byte. Nothing listens on a network port, so the test needs no free port and no
extra Python package: only the ``chromium`` binary (Debian: ``apt-get install -y chromium``).

Run it as a script to screenshot a page: ``python tests/browser/cdp_pipe.py PAGE.html OUT.png``.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = ("headless Chromium is not installed; on Debian/Ubuntu run "
                "`apt-get update && apt-get install -y chromium` to run the browser test")


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) binary on PATH, or None."""
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _high_fd(fd: int) -> int:
    """A duplicate of ``fd`` numbered 10 or above (the original is closed)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Browser:
    """One headless Chromium process and one page (tab) attached to it.

    ``events`` collects every protocol event received (dicts with ``method`` and ``params``).
    """

    def __init__(self, binary: str, width: int = 1280, height: int = 900,
                 timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._buffer = b""
        self._profile = tempfile.mkdtemp(prefix="convlens-chromium-")
        self._log = open(os.path.join(self._profile, "chromium.log"), "wb")  # noqa: SIM115
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Keep the child's ends clear of 3 and 4, so that mapping one cannot clobber the other.
        to_browser_r, from_browser_w = (_high_fd(fd) for fd in (to_browser_r, from_browser_w))
        flags = ["--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                 "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--hide-scrollbars", "--mute-audio",
                 f"--user-data-dir={self._profile}", f"--window-size={width},{height}"]
        # bash (dash takes single-digit descriptors only) maps our pipe ends onto the
        # descriptors 3 and 4 that Chromium expects.
        command = (f"exec {shlex.join([binary, *flags])} "
                   f"3<&{to_browser_r} 4>&{from_browser_w}")
        self._process = subprocess.Popen(
            ["bash", "-c", command], pass_fds=(to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL, stderr=self._log)
        os.close(to_browser_r)
        os.close(from_browser_w)
        try:
            self._attach(width, height)
        except BaseException:
            self.close()
            raise

    def _attach(self, width: int, height: int) -> None:
        """Open one tab, attach a session to it, and turn on the events the test reads."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=True)

    # -- the wire ------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_browser, data):]

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe; its log ends:\n"
                                   + self._log_tail())
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _log_tail(self) -> str:
        self._log.flush()
        with open(self._log.name, "rb") as stream:
            return stream.read()[-2000:].decode(errors="replace")

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: bool = False) -> dict[str, Any]:
        """Send one command and wait for its result, keeping the events that come first."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self._send(message)
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Wait for the next event named ``method`` (or return one already received)."""
        deadline = time.monotonic() + self.timeout
        for event in self.events:
            if event["method"] == method:
                return event
        while True:
            reply = self._receive(deadline)
            if "method" in reply:
                self.events.append(reply)
                if reply["method"] == method:
                    return reply

    # -- what the test uses ----------------------------------------------------------------
    def open(self, url: str) -> None:
        """Navigate to ``url`` and wait for its load event (all images fetched and decoded)."""
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression evaluated in the page."""
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True},
                           session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen since :meth:`open`."""
        errors = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                                "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                       for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                errors.append(str(params.get("exceptionDetails", {}).get("text")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append(f"{params['entry'].get('text')} ({params['entry'].get('url')})")
        return errors

    def requested_urls(self) -> list[str]:
        """Every URL the page asked the network stack for since :meth:`open`."""
        return [event["params"]["request"]["url"] for event in self.events
                if event["method"] == "Network.requestWillBeSent"]

    def mouse(self, kind: str, x: float, y: float) -> None:
        """A real mouse event at viewport point (x, y): ``moved``, ``pressed`` or ``released``."""
        params: dict[str, Any] = {"type": f"mouse{kind.capitalize()}", "x": x, "y": y}
        if kind != "moved":
            params.update(button="left", clickCount=1)
        self.call("Input.dispatchMouseEvent", params, session=True)

    def click(self, x: float, y: float) -> None:
        """Press and release the left button at viewport point (x, y)."""
        self.mouse("moved", x, y)
        self.mouse("pressed", x, y)
        self.mouse("released", x, y)

    def screenshot(self, path: str, full_page: bool = False) -> bytes:
        """Save a PNG of the viewport (or the whole page) to ``path`` and return its bytes."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.evaluate("[document.documentElement.scrollWidth, "
                                 "document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        png = base64.b64decode(self.call("Page.captureScreenshot", params,
                                         session=True)["data"])
        with open(path, "wb") as stream:
            stream.write(png)
        return png

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python tests/browser/cdp_pipe.py PAGE.html OUT.png")
    found = find_chromium()
    if found is None:
        sys.exit(INSTALL_HINT)
    with Browser(found) as browser:
        browser.open("file://" + os.path.abspath(sys.argv[1]))
        browser.screenshot(sys.argv[2])
    print(f"wrote {sys.argv[2]}")
