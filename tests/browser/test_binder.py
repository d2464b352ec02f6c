"""Binder builds this repository from environment.yml alone (repo2docker's own rules), and starts on the course's first view."""

from __future__ import annotations

import os
import sys
import tomllib

import pytest
from packaging.specifiers import SpecifierSet
from repo2docker.app import Repo2Docker
from repo2docker.buildpacks import CondaBuildPack

from lab_support import ROOT, screenshot_on_failure, start_lab, stop_lab


@pytest.fixture
def buildpack(monkeypatch):
    """The build pack repo2docker picks for this repository: the first whose files it finds, in its order."""
    monkeypatch.chdir(ROOT)  # repo2docker looks at the checkout from inside it
    app = Repo2Docker()
    for kind in app.buildpacks:
        picked = kind(base_image=app.base_image)
        if picked.detect():
            picked.platform = "linux/amd64"
            return picked
    pytest.fail("repo2docker finds no environment file")


def test_binder_builds_from_the_top_level_environment_yml(buildpack):
    # A Dockerfile, Project.toml, default.nix or R runtime.txt would win over it; a binder/ folder would hide it.
    assert type(buildpack) is CondaBuildPack
    assert buildpack.binder_dir == ""
    assert buildpack.environment_yaml_path == "environment.yml"
    for other in ("requirements.txt", "Pipfile", "setup.py", "apt.txt", "postBuild", "runtime.txt"):
        assert not (ROOT / other).exists(), f"{other} would change what Binder builds"


def test_binder_installs_a_python_the_project_supports(buildpack):
    requires = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    # Without python=X.Y in environment.yml repo2docker falls back to its default, older than the project needs.
    assert buildpack.python_version != CondaBuildPack.major_pythons["3"]
    assert f"{buildpack.python_version}.0" in requires
    files = buildpack.get_build_script_files()  # raises when repo2docker has no base environment for that Python
    assert f"conda/environment.py-{buildpack.python_version}-linux-64.lock" in files


def test_binder_installs_the_project_itself(buildpack):
    pip = next(dep["pip"] for dep in buildpack.environment_yaml["dependencies"] if isinstance(dep, dict))
    assert "-e ." in pip
    # A local requirement makes repo2docker copy the whole repository before it builds the environment.
    assert buildpack._should_preassemble_env is False


def test_binder_starts_jupyterlab_through_the_start_script(buildpack):
    assert buildpack.get_start_script() == "${REPO_DIR}/start"
    assert os.access(ROOT / "start", os.X_OK)


def binder_lab(flags: list[str]) -> list[str]:
    """JupyterLab as a Binder container starts it: through `start`, as root when the container runs as root."""
    root = ["--allow-root"] if os.geteuid() == 0 else []
    return [str(ROOT / "start"), sys.executable, "-m", "jupyter", "lab", "--ServerApp.ip=127.0.0.1", *root, *flags]


def test_binder_opens_on_chapter_00_with_nothing_covering_it(chromium, tmp_path, run_dir, request):
    server = start_lab(binder_lab, tmp_path)
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server.url("/"))
        page.wait_for_function("() => window.jupyterapp?.shell.currentWidget?.context?.isReady", timeout=90_000)
        assert page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path") == "notebooks/00_start_here.ipynb"
        page.wait_for_timeout(3000)  # the news question comes a moment after JupyterLab starts
        assert page.locator(".jp-Dialog, .Toastify__toast").all_inner_texts() == []
    finally:
        screenshot_on_failure(request, page, run_dir)
        page.evaluate("() => window.jupyterapp?.shell.currentWidget?.sessionContext?.shutdown()")
        page.close()
        stop_lab(server)
