"""Build a Lambda deployment package (.zip) from a folder, with the installed libraries it needs."""

from __future__ import annotations

import io
import re
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Iterable

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# A fixed timestamp makes the same code give the same zip, so CodeSha256 only
# changes when the code does (and a redeploy of unchanged code changes nothing).
_EPOCH = (2020, 1, 1, 0, 0, 0)
_SKIP = re.compile(r"(^|/)(__pycache__|\.pytest_cache|\.ipynb_checkpoints)(/|$)|\.pyc$")


def build_deployment_package(source: str | Path, *, requirements: Iterable[str] = ()) -> bytes:
    """Zip `source` (a folder) plus `requirements` copied from this Python's installed packages, like `pip install -t`."""
    files: dict[str, bytes] = {}
    root = Path(source)
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_file() and not _SKIP.search(name):
            files[name] = path.read_bytes()
    for dist in _with_dependencies(requirements):
        for file in dist.files or ():
            name = file.as_posix()
            if name.startswith("..") or _SKIP.search(name):
                continue  # scripts installed outside site-packages, caches
            located = Path(file.locate())
            if located.is_file():
                files.setdefault(name, located.read_bytes())
    return zip_files(files)


def zip_files(files: dict[str, bytes | str]) -> bytes:
    """A deterministic zip of name → content (text or bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            content = files[name]
            archive.writestr(info, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def _with_dependencies(requirements: Iterable[str]) -> list[metadata.Distribution]:
    """The installed distributions for `requirements` and everything they require, extras included."""
    found: dict[str, metadata.Distribution] = {}
    expanded: set[tuple[str, frozenset[str]]] = set()
    pending = [Requirement(r) for r in requirements]
    while pending:
        requirement = pending.pop()
        key = canonicalize_name(requirement.name)
        extras = frozenset(requirement.extras)
        if (key, extras) in expanded:
            continue
        expanded.add((key, extras))
        if key not in found:
            try:
                found[key] = metadata.distribution(requirement.name)
            except metadata.PackageNotFoundError:
                raise ValueError(f"{requirement.name!r} is not installed here, so it can't be packaged") from None
        # A dependency guarded by `extra == "parser"` is needed when the requirement asked for [parser].
        environments = [{**default_environment(), "extra": extra} for extra in ("", *sorted(extras))]
        for text in found[key].requires or ():
            dependency = Requirement(text)
            if dependency.marker is None or any(dependency.marker.evaluate(env) for env in environments):
                pending.append(dependency)
    return list(found.values())
