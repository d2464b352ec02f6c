"""Run code in a kernel of a Jupyter server, over its REST API and kernel websocket, as JupyterLab does."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import websocket
from jupyter_server.services.kernels.connection.base import deserialize_binary_message

# A chapter's cells that fail on purpose carry this tag (nbval's and nbclient's convention).
RAISES = "raises-exception"


class CellError(RuntimeError):
    """A cell raised in the remote kernel; the message holds the traceback's last line."""


class RemoteKernel:
    """A notebook session on a Jupyter server (a kernel started for `path`), driven over HTTP and a websocket."""

    def __init__(self, server_url: str, token: str, path: str, *, timeout: float = 60.0) -> None:
        self.server_url = server_url.rstrip("/")
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"token {token}"
        self.timeout = timeout
        answer = self._http.post(
            f"{self.server_url}/api/sessions",
            json={"path": path, "type": "notebook", "name": Path(path).name, "kernel": {"name": "python3"}},
            timeout=timeout,
        )
        answer.raise_for_status()
        session = answer.json()
        self.session_id = session["id"]
        self.kernel_id = session["kernel"]["id"]
        self._client_session = uuid.uuid4().hex
        scheme, netloc, base, _, _ = urlsplit(self.server_url)
        channels = f"{base}/api/kernels/{self.kernel_id}/channels"
        ws_url = urlunsplit(("wss" if scheme == "https" else "ws", netloc, channels, f"session_id={self._client_session}", ""))
        self._ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=timeout)

    def execute(self, code: str, *, may_raise: bool = False) -> list[dict[str, Any]]:
        """Run `code` and return its outputs (nbformat's shape); raise CellError if it fails unexpectedly."""
        msg_id = uuid.uuid4().hex
        self._ws.send(json.dumps(self._message(msg_id, code)))
        outputs: list[dict[str, Any]] = []
        idle = replied = False
        deadline = time.monotonic() + self.timeout
        while not (idle and replied):
            self._ws.settimeout(max(0.1, deadline - time.monotonic()))
            frame = self._ws.recv()
            # Messages that carry binary buffers (widgets, some plots) come as binary frames.
            message = deserialize_binary_message(frame) if isinstance(frame, bytes) else json.loads(frame)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "status":
                idle = content["execution_state"] == "idle"
            elif kind == "execute_reply":
                replied = True
            elif kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append({"output_type": kind, **content})
        errors = [o for o in outputs if o["output_type"] == "error"]
        if errors and not may_raise:
            raise CellError(f"{errors[0]['ename']}: {errors[0]['evalue']}\n--- in cell:\n{code}")
        return outputs

    def stdout(self, code: str) -> str:
        """Run `code` and return what it printed."""
        return "".join(o["text"] for o in self.execute(code) if o["output_type"] == "stream" and o["name"] == "stdout")

    def run_cells(self, cells: list[dict[str, Any]]) -> None:
        """Run a notebook's code cells in order, as Run All does; tagged cells may raise."""
        for cell in cells:
            self.execute("".join(cell["source"]), may_raise=RAISES in cell.get("metadata", {}).get("tags", []))

    def pid(self) -> int:
        """The kernel's process id, asked of the kernel itself."""
        return int(self.stdout("import os; print(os.getpid())"))

    def close(self) -> None:
        """Close the websocket and shut the kernel down (the session is deleted)."""
        self._ws.close()
        self._http.delete(f"{self.server_url}/api/sessions/{self.session_id}", timeout=self.timeout).raise_for_status()
        self._http.close()

    def _message(self, msg_id: str, code: str) -> dict[str, Any]:
        header = {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "learner",
            "session": self._client_session,
            "date": datetime.now(timezone.utc).isoformat(),
            "version": "5.3",
        }
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        return {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}


def code_cells(notebook: Path) -> list[dict[str, Any]]:
    """A notebook's code cells, in order."""
    return [cell for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code"]
