"""pyproject.toml and environment.yml name the same packages with the same version ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent

# What a pip extra pulls in, spelled as the conda packages that provide it.
EXTRAS_AS_CONDA = {
    ("moto", "server"): {"flask", "flask-cors"},
    ("aws-lambda-powertools", "parser"): {"pydantic"},
}
# conda-only tooling that has no pip requirement of its own.
CONDA_ONLY = {"python", "pip"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {_norm(r.name): r for r in map(Requirement, lines)}


def environment_requirements() -> tuple[dict[str, str], dict[str, Requirement]]:
    """The conda dependencies (name → version spec) and the pip section (name → requirement)."""
    conda: dict[str, str] = {}
    pip: dict[str, Requirement] = {}
    section = None
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line.startswith(" "):
            section = line.rstrip(":")
            continue
        item = line.strip()
        if section != "dependencies" or not item.startswith("- "):
            continue
        item = item[2:].strip()
        if item == "pip:":
            continue
        if raw.startswith("      - "):  # the pip: sub-list
            if not item.startswith("-e"):
                pip[_norm(Requirement(item).name)] = Requirement(item)
            continue
        name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", item).groups()
        conda[_norm(name)] = spec.replace(" ", "")
    return conda, pip


def test_both_files_name_the_same_packages():
    wanted = pyproject_requirements()
    conda, pip = environment_requirements()
    expected = set(wanted)
    for (name, extra), provided in EXTRAS_AS_CONDA.items():
        if name in wanted and extra in wanted[name].extras:
            expected |= provided
    have = (set(conda) - CONDA_ONLY) | set(pip)
    assert have == expected, f"only in environment.yml: {have - expected}; only in pyproject.toml: {expected - have}"


def test_both_files_pin_the_same_versions():
    wanted = pyproject_requirements()
    conda, pip = environment_requirements()
    for name, requirement in wanted.items():
        if name in pip:
            assert pip[name].specifier == requirement.specifier, name
        else:
            assert conda[name] == str(requirement.specifier) or set(conda[name].split(",")) == set(
                str(requirement.specifier).split(",")
            ), f"{name}: environment.yml says {conda[name]!r}, pyproject.toml {requirement.specifier}"


def test_the_editable_install_is_in_the_conda_environment():
    assert "- -e ." in (ROOT / "environment.yml").read_text()


def test_moto_is_pinned_to_a_minor_range():
    spec = pyproject_requirements()["moto"].specifier
    upper = [s for s in spec if s.operator == "<"]
    assert upper, "moto needs an upper bound: the sandbox joins its internals"
    assert "server" in pyproject_requirements()["moto"].extras
