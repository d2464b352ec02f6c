"""Deployment packages unpacked on disk, where workers find their code (LAMBDA_TASK_ROOT)."""

import io
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass

from .errors import InvalidZipFileException
from .spec import FunctionSpec


@dataclass
class _TaskRoot:
    path: str
    users: int = 0
    retired: bool = False


class TaskRoots:
    """One unpacked directory per function version's code, shared by its environments.

    A directory lives while its code is current or an environment still runs in it.
    """

    def __init__(self, base_dir: str):
        self._base_dir = base_dir
        self._lock = threading.Lock()
        self._roots: dict[tuple[str, str, str], _TaskRoot] = {}

    @staticmethod
    def _key(spec: FunctionSpec) -> tuple[str, str, str]:
        return spec.function_arn, spec.version, spec.code_sha256

    def acquire(self, spec: FunctionSpec) -> str:
        """The directory holding this spec's code, unpacked on first use."""
        with self._lock:
            root = self._roots.get(self._key(spec))
            if root is None:
                root = self._roots[self._key(spec)] = _TaskRoot(self._unpack(spec.code_zip))
            root.users += 1
            return root.path

    def release(self, spec: FunctionSpec) -> None:
        """An environment using this code has ended."""
        with self._lock:
            root = self._roots[self._key(spec)]
            root.users -= 1
            self._remove_if_unused(self._key(spec), root)

    def retire(self, spec: FunctionSpec) -> None:
        """This code has been replaced: remove it once its last environment has ended."""
        with self._lock:
            root = self._roots.get(self._key(spec))
            if root is not None:
                root.retired = True
                self._remove_if_unused(self._key(spec), root)

    def _remove_if_unused(self, key: tuple[str, str, str], root: _TaskRoot) -> None:
        if root.retired and root.users == 0:
            del self._roots[key]
            shutil.rmtree(root.path, ignore_errors=True)

    def _unpack(self, code_zip: bytes) -> str:
        path = tempfile.mkdtemp(prefix="task-", dir=self._base_dir)
        try:
            with zipfile.ZipFile(io.BytesIO(code_zip)) as archive:
                archive.extractall(path)  # extractall drops absolute and ../ member paths
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            shutil.rmtree(path, ignore_errors=True)
            raise InvalidZipFileException(
                "Could not unzip uploaded file. Please check your file, then try to upload again.") from e
        return path
