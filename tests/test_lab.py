"""`make lab` (and `py -m helpers.make lab` without make) serves JupyterLab on the first notebook, on loopback."""

from __future__ import annotations

import http.client
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
from pathlib import Path

import pytest

from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
# The plugin that covers the first view with "Would you like to get notified about official Jupyter news?".
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


def _page_config(page: str) -> dict:
    config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert config, "no page config in JupyterLab's page"
    return json.loads(config[1])


def _stop(lab: subprocess.Popen) -> None:
    """End the command and JupyterLab under it."""
    if os.name == "nt":
        subprocess.run(["taskkill", "/T", "/F", "/PID", str(lab.pid)], capture_output=True)
        lab.wait()
        return
    os.killpg(lab.pid, signal.SIGTERM)
    try:
        lab.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(lab.pid, signal.SIGKILL)
        lab.wait()


@pytest.mark.parametrize("how", ["make lab", "py -m helpers.make lab"])
def test_the_lab_command_serves_jupyterlab_on_the_first_notebook(tmp_path, how):
    port, token = free_port(), secrets.token_hex(16)
    lab_args = [
        "--no-browser", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--LabApp.user_settings_dir={tmp_path}",
    ]
    # Set-up skipped: the environment running this test is already set up; never reinstall from a test.
    if how == "make lab":
        if shutil.which("make") is None:
            pytest.skip("no make on this machine (Windows): the module is what runs there")
        command = ["make", "--no-print-directory", "lab", f"VENV_PY={sys.executable}", "SKIP_SETUP=1",
                   f"LAB_ARGS={' '.join(lab_args)}"]
    else:
        command = [sys.executable, "-m", "helpers.make", "--skip-setup", "--python", sys.executable, "lab", *lab_args]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    group = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt" else {"start_new_session": True}
    lab = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **group)
    try:
        page = None
        deadline = time.monotonic() + 60
        while page is None and time.monotonic() < deadline and lab.poll() is None:
            page = _get(f"http://127.0.0.1:{port}/lab/tree/notebooks/00_start_here.ipynb?token={token}")
            time.sleep(0.3)
        assert page is not None, lab.stdout.read().decode() if lab.poll() is not None else "JupyterLab did not answer"
        assert "JupyterLab" in page
        # The page config JupyterLab built from every config path: the news question's plugin is off.
        assert ANNOUNCEMENTS in _page_config(page)["disabledExtensions"]
        # Opened without a path (Binder without ?labpath=), the server goes to chapter 00.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", f"/?token={token}")
            location = connection.getresponse().getheader("Location", "")
        finally:
            connection.close()
        assert location.split("?")[0] == "/lab/tree/notebooks/00_start_here.ipynb"
        contents = _get(f"http://127.0.0.1:{port}/api/contents/notebooks/00_start_here.ipynb?token={token}&content=0")
        assert contents is not None and '"type": "notebook"' in contents.replace('":"', '": "')
    finally:
        _stop(lab)
        lab.stdout.close()


@pytest.mark.skipif(os.name != "posix", reason="Binder's start script is a bash script, run on Linux")
def test_binders_start_script_gives_jupyterlab_the_same_settings():
    # Binder runs `start <command>`; JupyterLab's page config and server config then come from jupyter/ too.
    code = ("import json; from jupyterlab_server.config import get_static_page_config; "
            "from jupyter_core.paths import jupyter_config_path; "
            "print(json.dumps([get_static_page_config(), jupyter_config_path()]))")
    done = subprocess.run([str(ROOT / "start"), sys.executable, "-c", code], capture_output=True, text=True, check=True)
    page_config, config_path = json.loads(done.stdout)
    assert page_config["disabledExtensions"][ANNOUNCEMENTS] is True
    assert str(ROOT / "jupyter") in config_path
