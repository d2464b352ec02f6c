"""What the browser tests share: JupyterLab started and stopped like `make lab`, Chromium's flags, screenshots."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
# Screenshots and the Run All timings of the last browser run (gitignored).
RUN_DIR = ROOT / "browser-run"
# Flags that let Debian's Chromium start headless on a machine with no network and no display.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SERVER_START_S = 90


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class LabServer:
    """A running JupyterLab: where it listens and its token."""

    port: int
    token: str
    process: subprocess.Popen
    runtime_dir: Path

    def url(self, path: str) -> str:
        """An absolute URL on this server (the token is in the browser's cookie after the first page)."""
        separator = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}{path}{separator}token={self.token}"

    def api(self, method: str, path: str) -> object:
        """Call the server's REST API; returns the decoded JSON (or None)."""
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None


def start_lab(command: list[str], settings_dir: Path, env: dict[str, str] | None = None) -> LabServer:
    """Start JupyterLab with `command` (which takes the server flags at its end) and wait until it answers."""
    port, token = free_port(), secrets.token_hex(16)
    runtime_dir = settings_dir / "runtime"
    flags = [
        "--no-browser", f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={settings_dir / 'settings'}", f"--LabApp.workspaces_dir={settings_dir / 'workspaces'}",
        # The test reads each notebook's outputs from the page's model; a learner's view is unchanged.
        "--LabApp.expose_app_in_browser=True",
    ]
    # The chapters run in the browser but are never written back: the committed outputs stay as they are.
    docmanager = settings_dir / "settings" / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True, exist_ok=True)
    (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    log = open(settings_dir / "jupyterlab.log", "w")
    process = subprocess.Popen(
        command(flags), cwd=ROOT, env={**os.environ, **(env or {}), "JUPYTER_RUNTIME_DIR": str(runtime_dir)},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    log.close()
    server = LabServer(port, token, process, runtime_dir)
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            server.api("GET", "/api/status")
            return server
        except OSError:
            time.sleep(0.3)
    stop_lab(server)
    raise RuntimeError(f"JupyterLab did not answer:\n{(settings_dir / 'jupyterlab.log').read_text()[-3000:]}")


def stop_lab(server: LabServer) -> None:
    """Stop JupyterLab and its kernels, and check that no kernel outlives it."""
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
    # Kernels run in sessions of their own; their command line names a connection file in our runtime folder.
    deadline = time.monotonic() + 20
    while kernels_of(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = kernels_of(server)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"kernels outlived JupyterLab: {left}"


def kernels_of(server: LabServer) -> list[int]:
    """Processes whose command line names a file in the server's runtime folder (its kernels)."""
    marker = str(server.runtime_dir).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if marker in f.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def make_lab(flags: list[str]) -> list[str]:
    """`make lab` in the environment running the tests, with the server flags in LAB_ARGS."""
    # SKIP_SETUP: the environment running this test is already set up; never reinstall from a test.
    return ["make", "--no-print-directory", "lab", f"VENV_PY={sys.executable}", "SKIP_SETUP=1", f"LAB_ARGS={' '.join(flags)}"]


def screenshot_on_failure(request, page, run_dir: Path) -> None:
    """Save what the page showed when the test failed."""
    report = getattr(request.node, "call_report", None)
    if report is not None and report.failed and not page.is_closed():
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
        page.screenshot(path=str(run_dir / f"failed-{name}.png"), full_page=True)
