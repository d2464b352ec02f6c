"""`make lab` serves JupyterLab on the first notebook, on loopback."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


def test_make_lab_serves_jupyterlab_on_the_first_notebook(tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    lab_args = (
        f"--no-browser --ServerApp.port={port} --ServerApp.port_retries=0 "
        f"--IdentityProvider.token={token} --LabApp.user_settings_dir={tmp_path}"
    )
    # SKIP_SETUP: the environment running this test is already set up; never reinstall from a test.
    command = ["make", "--no-print-directory", "lab", f"VENV_PY={sys.executable}", "SKIP_SETUP=1", f"LAB_ARGS={lab_args}"]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    lab = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        page = None
        deadline = time.monotonic() + 60
        while page is None and time.monotonic() < deadline and lab.poll() is None:
            page = _get(f"http://127.0.0.1:{port}/lab/tree/notebooks/00_start_here.ipynb?token={token}")
            time.sleep(0.3)
        assert page is not None, lab.stdout.read().decode() if lab.poll() is not None else "JupyterLab did not answer"
        assert "JupyterLab" in page
        contents = _get(f"http://127.0.0.1:{port}/api/contents/notebooks/00_start_here.ipynb?token={token}&content=0")
        assert contents is not None and '"type": "notebook"' in contents.replace('":"', '": "')
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()
        lab.stdout.close()
