"""Serve the app on a free local port and drive it in Debian's headless Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def chromium_path() -> str:
    """Debian's chromium (Playwright cannot download its own browsers here)."""
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium",
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(
        "Chromium not found: install Debian's package (apt-get install -y chromium) or set "
        "CHROMIUM to its path"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# closed pages are discarded within 20 s; a page's token must connect within 5 minutes
SESSION_FLAGS = ["--check-unused-sessions", "5000", "--unused-session-lifetime", "15000",
                 "--session-token-expiration", "300"]


def default_procs() -> int:
    """`make run`'s default number of server processes (its PROCS)."""
    import re

    text = (ROOT / "Makefile").read_text()
    found = re.search(r"^PROCS\s*\?=\s*(\S+)", text, re.M)
    value = found.group(1) if found else "1"
    return int(value) if value.isdigit() else max(1, os.cpu_count() or 1)


def serve_command(port: int, app: str = "app.py", procs: int = 1) -> list[str]:
    """The same command line as `make run` (and the Dockerfile), on ``port``."""
    panel = str(Path(sys.executable).with_name("panel"))
    return [
        panel, "serve", app, "--address", "127.0.0.1", "--port", str(port),
        "--allow-websocket-origin", f"127.0.0.1:{port}", "--allow-websocket-origin",
        f"localhost:{port}", "--static-dirs", "assets=assets", "--global-loading-spinner",
        "--warm", "--liveness", "--num-procs", str(procs), *SESSION_FLAGS,
    ]


def stop_process_group(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM to the server and every process it started; SIGKILL to what is left after
    ``timeout`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break  # the whole group is gone
        proc.poll()  # reap the parent, so that it does not linger as a zombie
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@contextlib.contextmanager
def served(command: list[str], port: int, *, ready_path: str = "/liveness", timeout: float = 90,
           env: dict | None = None):
    """Run a server command until the context exits; wait for ``ready_path`` to answer.
    ``env``: the server's environment (this process's by default)."""
    log = open(ROOT / f".server-{port}.log", "w")  # noqa: SIM115
    # the worker processes the server spawns import this checkout too, not whichever one
    # the virtual environment's editable install points at (`panel serve` puts the app's
    # folder on the path only while it runs the app; a worker started later lacked it)
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # a session of its own: `--num-procs` forks workers that outlive a parent stopped alone
    proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early; see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    message = f"server not ready after {timeout} s; see {log.name}"
                    raise RuntimeError(message) from None
                time.sleep(0.25)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process_group(proc)
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


@contextlib.contextmanager
def serve_app(app: str = "app.py"):
    port = free_port()
    with served(serve_command(port, app), port) as url:
        yield url


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def is_local(url: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return any(host == h or host.startswith(h + ":") for h in LOCAL_HOSTS)


# JavaScript run in the page -------------------------------------------------------------
JS_SOURCE_DATA = """(name) => {
  const doc = window.Bokeh && Bokeh.documents && Bokeh.documents[0];
  const model = doc && doc.get_model_by_name(name);
  if (!model) return null;
  const out = {};
  for (const [k, v] of (model.data instanceof Map ? model.data : Object.entries(model.data)))
    out[k] = Array.from(v);
  return out;
}"""

JS_WATCH_SOURCE = """(name) => {
  const model = Bokeh.documents[0].get_model_by_name(name);
  window.__changes = window.__changes || {};
  window.__changes[name] = [];
  model.change.connect(() => window.__changes[name].push(performance.now()));
}"""


def wait_until_idle(threshold: float = 30.0, timeout: float = 120.0) -> float:
    """Wait until the machine's CPU use (all cores, over one second) drops below
    ``threshold`` percent, e.g. once a fresh server has filled its atlases; returns the
    seconds waited."""
    import psutil

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if psutil.cpu_percent(interval=1.0) < threshold:
            break
    return time.monotonic() - start
