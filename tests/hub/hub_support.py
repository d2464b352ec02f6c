"""A JupyterHub on loopback for a room test: dummy logins, one local server process per learner."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
# Installed by `make test` from package.json beside this file (npm ci).
PROXY = Path(__file__).resolve().parent / "node_modules" / ".bin" / "configurable-http-proxy"
SINGLEUSER = Path(sys.executable).with_name("jupyterhub-singleuser")
# What a learner gets in their home folder: the course, as nbgitpuller would put it there.
COURSE = ("notebooks", "lambda_src")
SERVICE = "room-instructor"

CONFIG = """\
c = get_config()  # noqa: F821
c.JupyterHub.ip = {loopback!r}
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = {loopback!r}
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = {db_url!r}
c.JupyterHub.cookie_secret_file = {cookie_secret!r}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = {proxy_api!r}
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.ConfigurableHTTPProxy.pid_file = {proxy_pid!r}

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {users!r}

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {home!r}
c.Spawner.notebook_dir = {home!r}
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {spawner_args!r}
c.Spawner.ip = {loopback!r}
c.Spawner.environment = {{"TMPDIR": {tmpdir!r}}}
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90

c.JupyterHub.services = [{{"name": {service!r}, "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": [{service!r}]}}]
"""


def missing_tools() -> str | None:
    """Why the hub can't run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed: JupyterHub's proxy (configurable-http-proxy) runs on Node.js"
    if not PROXY.exists():
        return f"configurable-http-proxy is not installed: run `npm ci` in {PROXY.parents[2].relative_to(ROOT)} (make test does)"
    if not SINGLEUSER.exists():
        return "jupyterhub is not installed in this environment (pip install -e '.[test]')"
    return None


class Hub:
    """A running JupyterHub: its REST API with an admin service token, and the proxy's public URL."""

    def __init__(self, workdir: Path, users: list[str]) -> None:
        self.workdir = workdir
        self.users = users
        self.password = secrets.token_urlsafe(12)
        self.tmpdir = workdir / "tmp"
        self.tmpdir.mkdir()
        self.url = f"http://{LOOPBACK}:{free_port()}"
        self._token = secrets.token_hex(32)
        for user in users:
            home = workdir / "home" / user
            for folder in COURSE:
                shutil.copytree(ROOT / folder, home / folder, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        (workdir / "jupyterhub_config.py").write_text(
            CONFIG.format(
                loopback=LOOPBACK,
                port=self.url.rsplit(":", 1)[1],
                hub_port=free_port(),
                db_url=f"sqlite:///{workdir / 'jupyterhub.sqlite'}",
                cookie_secret=str(workdir / "cookie_secret"),
                proxy=str(PROXY),
                proxy_api=f"http://{LOOPBACK}:{free_port()}",
                proxy_token=secrets.token_hex(32),
                proxy_pid=str(workdir / "proxy.pid"),
                password=self.password,
                users=set(users),
                home=str(workdir / "home" / "{username}"),
                singleuser=str(SINGLEUSER),
                # Jupyter refuses to run as root unless told; containers and CI often are root.
                spawner_args=["--allow-root"] if os.geteuid() == 0 else [],
                tmpdir=str(self.tmpdir),
                service=SERVICE,
                service_token=self._token,
            )
        )
        self.log = workdir / "jupyterhub.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", "jupyterhub_config.py"],
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"},
            )
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"token {self._token}"
        self._wait(lambda: self._http.get(f"{self.url}/hub/api/", timeout=5).ok, 60, "the hub to answer through the proxy")

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """Call the hub's REST API (through the proxy) as the instructor's service."""
        return self._http.request(method, f"{self.url}/hub/api{path}", timeout=30, **kwargs)

    def login(self, user: str, password: str) -> int:
        """Log in through the hub's login form; the HTTP status of the form's answer (302 = logged in)."""
        with requests.Session() as browser:
            browser.get(f"{self.url}/hub/login", timeout=30)
            form = {"username": user, "password": password, "_xsrf": browser.cookies.get("_xsrf", "")}
            return browser.post(f"{self.url}/hub/login", data=form, allow_redirects=False, timeout=30).status_code

    def start_servers(self, timeout: float = 120.0) -> None:
        """Start every user's server at once and wait until all are ready."""
        # The hub answers a spawn request only when the server is up or slow (10 s): ask for all at once.
        with ThreadPoolExecutor(len(self.users)) as pool:
            answers = list(pool.map(lambda user: self.api("POST", f"/users/{user}/server").status_code, self.users))
        assert set(answers) <= {201, 202}, f"{answers}\n{self.tail()}"
        def ready() -> bool:
            return all(self.api("GET", f"/users/{u}").json()["servers"].get("", {}).get("ready") for u in self.users)

        self._wait(ready, timeout, "the servers to be ready")

    def user_token(self, user: str) -> str:
        """A new API token of `user`'s own (the scopes a logged-in learner has)."""
        answer = self.api("POST", f"/users/{user}/tokens", json={"note": "room test", "expires_in": 600})
        answer.raise_for_status()
        return answer.json()["token"]

    def server_url(self, user: str) -> str:
        """A user's single-user server, reached through the proxy."""
        return f"{self.url}/user/{user}"

    def processes(self) -> list[psutil.Process]:
        """Every process under the hub now: proxy, servers, kernels, Lambda workers."""
        return psutil.Process(self.process.pid).children(recursive=True)

    def stop_servers(self, timeout: float = 60.0) -> None:
        """Stop every user's server, as an instructor does at the end of the day."""
        with ThreadPoolExecutor(len(self.users)) as pool:
            answers = list(pool.map(lambda user: self.api("DELETE", f"/users/{user}/server").status_code, self.users))
        assert set(answers) <= {202, 204}, f"{answers}\n{self.tail()}"
        def stopped() -> bool:
            return not any(self.api("GET", f"/users/{u}").json()["servers"] for u in self.users)

        self._wait(stopped, timeout, "the servers to stop")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the hub (it stops the proxy it started); kill it if it does not stop in time."""
        self._http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise

    def tail(self, lines: int = 40) -> str:
        """The end of the hub's log, for a failure message."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.process.returncode}) while waiting for {what}:\n{self.tail()}")
            try:
                if ready():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"waited {timeout:.0f} s for {what}:\n{self.tail()}")
