"""build_deployment_package: the folder, the libraries it needs, nothing else, the same bytes every time."""

from __future__ import annotations

import io
import zipfile

import pytest

from helpers.deployment_package import build_deployment_package, zip_files


def names(package: bytes) -> set[str]:
    return set(zipfile.ZipFile(io.BytesIO(package)).namelist())


def test_the_folder_is_packaged_without_caches(tmp_path):
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "util.py").write_text("y = 2\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert names(build_deployment_package(tmp_path)) == {"app.py", "lib/util.py"}


def test_requirements_bring_their_dependencies(tmp_path):
    (tmp_path / "app.py").write_text("import requests\n")
    packaged = names(build_deployment_package(tmp_path, requirements=["requests"]))
    for top in ("requests/__init__.py", "urllib3/__init__.py", "idna/__init__.py", "certifi/__init__.py"):
        assert top in packaged


def test_an_uninstalled_requirement_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="not installed"):
        build_deployment_package(tmp_path, requirements=["no-such-package-anywhere"])


def test_zips_are_reproducible():
    assert zip_files({"b.py": "2", "a.py": b"1"}) == zip_files({"a.py": b"1", "b.py": "2"})


def test_a_requirements_extras_bring_their_dependencies(tmp_path):
    plain = names(build_deployment_package(tmp_path, requirements=["aws-lambda-powertools"]))
    with_parser = names(build_deployment_package(tmp_path, requirements=["aws-lambda-powertools[parser]"]))
    assert "pydantic/__init__.py" not in plain
    assert "pydantic/__init__.py" in with_parser


def test_an_extra_asked_for_later_is_still_expanded(tmp_path):
    packaged = names(build_deployment_package(tmp_path, requirements=["aws-lambda-powertools", "aws-lambda-powertools[parser]"]))
    assert "pydantic/__init__.py" in packaged
