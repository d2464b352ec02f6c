"""helpers.make: the two commands' set-up and command lines on each OS, and real runs of them here."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import make

ROOT = Path(__file__).resolve().parent.parent
LINUX = make.Host(windows=False, environ={}, superuser=False, python="/usr/bin/python3.12", version=(3, 12, 1),
                  which=lambda name: None)
WINDOWS = make.Host(windows=True, environ={}, superuser=False, python=r"C:\Python312\python.exe",
                    version=(3, 12, 1), which=lambda name: None)
PROJECT = Path("/project")


def host(base: make.Host, **changes) -> make.Host:
    return make.Host(**{**base.__dict__, **changes})


# --- where the project is installed -------------------------------------------------------------

def test_without_an_active_environment_the_project_gets_its_own_venv():
    posix = make.environment(LINUX, PROJECT)
    windows = make.environment(WINDOWS, PROJECT)
    assert (posix.home, posix.python, posix.ours) == (PROJECT / ".venv", str(PROJECT / ".venv/bin/python"), True)
    assert (windows.home, windows.python) == (PROJECT / ".venv", str(PROJECT / ".venv" / "Scripts" / "python.exe"))
    assert posix.stamp == PROJECT / ".venv" / ".serverless-api-lab-installed"


@pytest.mark.parametrize("base", [LINUX, WINDOWS], ids=["posix", "windows"])
@pytest.mark.parametrize("variable", ["VIRTUAL_ENV", "CONDA_PREFIX"])
def test_an_active_virtual_or_conda_environment_is_installed_into(base, variable):
    python = r"C:\envs\lab\python.exe" if base.windows else "/envs/lab/bin/python"
    active = host(base, environ={variable: "/envs/lab"}, which={"python": python}.get)
    env = make.environment(active, PROJECT)
    assert (env.home, env.python, env.ours) == (Path("/envs/lab"), python, False)
    assert env.stamp == Path("/envs/lab/.serverless-api-lab-installed")


def test_a_virtual_environment_wins_over_the_conda_base_it_was_made_from():
    both = host(LINUX, environ={"VIRTUAL_ENV": "/venv", "CONDA_PREFIX": "/conda"}, which=lambda name: "/venv/bin/python")
    assert make.environment(both, PROJECT).home == Path("/venv")


def test_an_interpreter_given_on_the_command_line_runs_the_commands():
    assert make.environment(LINUX, PROJECT, python="/other/python").python == "/other/python"


# --- set-up ------------------------------------------------------------------------------------

def test_python_older_than_3_11_is_refused_with_the_command_to_run_instead():
    assert make.too_old(host(LINUX, version=(3, 11, 0))) is None
    assert make.too_old(host(LINUX, version=(3, 10, 12))) == (
        "Python 3.11 or newer is needed; found 3.10.12. Run: make PYTHON=python3.12 lab")
    assert make.too_old(host(WINDOWS, version=(3, 9, 13))) == (
        "Python 3.11 or newer is needed; found 3.9.13. Run: py -3.12 -m helpers.make lab")


def test_an_old_python_stops_before_making_the_venv(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    old = host(LINUX, version=(3, 10, 12))
    with pytest.raises(SystemExit, match="3.11 or newer is needed; found 3.10.12"):
        make.set_up(make.environment(old, tmp_path), old, tmp_path)
    assert not (tmp_path / ".venv").exists()


@pytest.mark.parametrize("base", [LINUX, WINDOWS], ids=["posix", "windows"])
def test_setup_makes_the_venv_then_installs_the_project_with_its_test_extra(tmp_path, base):
    (tmp_path / "pyproject.toml").write_text("")
    env = make.environment(base, tmp_path)
    assert make.setup_commands(env, base, tmp_path) == [
        [base.python, "-m", "venv", str(tmp_path / ".venv")],
        [env.python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [env.python, "-m", "pip", "install", "--quiet", "-e", ".[test]"],
    ]


def test_setup_is_redone_only_when_pyproject_is_newer_than_the_stamp(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("")
    env = make.environment(LINUX, tmp_path)
    Path(env.python).parent.mkdir(parents=True)
    Path(env.python).touch()
    assert [c[3:] for c in make.setup_commands(env, LINUX, tmp_path)] == [
        ["install", "--quiet", "--upgrade", "pip"], ["install", "--quiet", "-e", ".[test]"]]
    env.stamp.touch()
    os.utime(pyproject, (1_000_000, 1_000_000))
    assert make.setup_commands(env, LINUX, tmp_path) == []
    os.utime(pyproject, (env.stamp.stat().st_mtime + 10,) * 2)
    assert len(make.setup_commands(env, LINUX, tmp_path)) == 2


def test_an_active_environment_is_never_replaced_by_a_new_venv(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    active = host(WINDOWS, environ={"CONDA_PREFIX": str(tmp_path / "env")}, which=lambda name: "python.exe")
    commands = make.setup_commands(make.environment(active, tmp_path), active, tmp_path)
    assert [c[0] for c in commands] == ["python.exe", "python.exe"]


# --- the lab and the tests -----------------------------------------------------------------------

def test_the_lab_listens_on_loopback_and_opens_chapter_00_on_posix():
    env = make.environment(LINUX, PROJECT)
    command, environ = make.lab_command(env, host(LINUX, environ={"JUPYTER_CONFIG_PATH": "/mine"}),
                                        ["--port", "8890"], PROJECT)
    assert command == [env.python, "-m", "jupyter", "lab", "--ServerApp.ip=127.0.0.1", "--ServerApp.root_dir=.",
                       "--port", "8890", "notebooks/00_start_here.ipynb"]
    assert environ["JUPYTER_CONFIG_PATH"] == str(PROJECT / "jupyter") + ":/mine"


def test_root_gets_allow_root_as_containers_need():
    command, _ = make.lab_command(make.environment(LINUX, PROJECT), host(LINUX, superuser=True), [], PROJECT)
    assert command[4:7] == ["--ServerApp.ip=127.0.0.1", "--ServerApp.root_dir=.", "--allow-root"]


def test_the_lab_on_windows_separates_config_paths_with_semicolons():
    env = make.environment(WINDOWS, PROJECT)
    command, environ = make.lab_command(env, host(WINDOWS, environ={"JUPYTER_CONFIG_PATH": r"C:\mine"}), [], PROJECT)
    assert command[0] == str(PROJECT / ".venv" / "Scripts" / "python.exe")
    assert "--allow-root" not in command
    assert environ["JUPYTER_CONFIG_PATH"] == str(PROJECT / "jupyter") + r";C:\mine"


def test_without_config_of_their_own_only_the_projects_settings_are_read():
    _, environ = make.lab_command(make.environment(LINUX, PROJECT), LINUX, [], PROJECT)
    assert environ["JUPYTER_CONFIG_PATH"] == str(PROJECT / "jupyter")


@pytest.mark.parametrize("base", [LINUX, WINDOWS], ids=["posix", "windows"])
def test_the_tests_run_every_notebook_strictly_on_every_core(base):
    env = make.environment(base, PROJECT)
    assert make.test_command(env, ["-k", "sandbox"]) == [
        env.python, "-m", "pytest", "-n", "auto", "--dist", "loadscope", "--nbval", "--nbval-current-env",
        "--nbval-sanitize-with", "tests/sanitize.cfg", "-k", "sandbox"]


def test_arguments_after_the_command_are_passed_on_untouched():
    options, rest = make._parse(["--skip-setup", "--python", "/p", "test", "-k", "lab", "--python", "x", "-h"])
    assert (options.skip_setup, options.python, options.command) == (True, "/p", "test")
    assert rest == ["-k", "lab", "--python", "x", "-h"]
    with pytest.raises(SystemExit):
        make._parse(["serve"])


def test_on_windows_the_command_runs_as_a_child_and_its_status_is_returned(capsys):
    windows_here = host(WINDOWS, environ=dict(os.environ))
    with pytest.raises(SystemExit) as exit:
        make.hand_over([sys.executable, "-c", "import os, sys; sys.exit(3 if os.path.isdir('helpers') else 1)"],
                       windows_here.environ, windows_here, ROOT)
    assert exit.value.code == 3
    assert "sys.exit(3" in capsys.readouterr().out  # the command is shown before it runs, as make does


def test_the_python_command_prints_the_environments_interpreter(capsys):
    make.main(["python"], host(LINUX, environ={"VIRTUAL_ENV": "/v"}, which=lambda name: "/v/bin/python"))
    assert capsys.readouterr().out == "/v/bin/python\n"


def test_the_module_parses_on_python_3_8_so_an_old_python_can_say_it_is_too_old():
    for module in ("make.py", "__init__.py"):
        ast.parse((ROOT / "helpers" / module).read_text(), feature_version=(3, 8))


def test_the_makefile_runs_the_same_module_with_its_variables():
    if shutil.which("make") is None:
        pytest.skip("no make on this machine: the module is run directly")
    dry = subprocess.run(["make", "-n", "--no-print-directory", "test", "lab", "PYTHON=python3", "SKIP_SETUP=1", "VENV_PY=/v/python",
                          "PYTEST_ARGS=-k sandbox", "LAB_ARGS=--port 8890"], cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == ["python3 -m helpers.make --skip-setup --python /v/python test -k sandbox",
                                       "python3 -m helpers.make --skip-setup --python /v/python lab --port 8890"]


# --- real runs here, in a temporary copy of the project -------------------------------------------

# A build backend with no requirements, so pip installs the copy without reaching a package index.
OFFLINE_BACKEND = '''
import pathlib, zipfile

def get_requires_for_build_editable(config_settings=None):
    return []

def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    name = "tiny_lab-0-py3-none-any.whl"
    files = {"tiny_lab-0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: tiny-lab\\nVersion: 0\\n",
             "tiny_lab-0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
             "tiny_lab.pth": str(pathlib.Path.cwd()) + "\\n"}
    files["tiny_lab-0.dist-info/RECORD"] = "".join(f"{path},,\\n" for path in [*files, "tiny_lab-0.dist-info/RECORD"])
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / name, "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return name
'''


def _copy_of_the_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "helpers").mkdir(parents=True)
    for module in ("__init__.py", "make.py"):
        shutil.copy(ROOT / "helpers" / module, project / "helpers" / module)
    (project / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "sanitize.cfg", project / "tests" / "sanitize.cfg")
    shutil.copy(ROOT / "Makefile", project / "Makefile")
    (project / "offline_backend.py").write_text(OFFLINE_BACKEND)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "offline_backend"\nbackend-path = ["."]\n')
    return project


def _clean_environ() -> dict:
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH")}
    return {**environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def test_setup_makes_a_venv_installs_once_and_again_after_pyproject_changes(tmp_path):
    project = _copy_of_the_project(tmp_path)

    def setup() -> str:
        done = subprocess.run([sys.executable, "-m", "helpers.make", "setup"], cwd=project, env=_clean_environ(),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    first = setup()
    assert " -m venv " in first and "pip install --quiet -e" in first
    python = subprocess.run([sys.executable, "-m", "helpers.make", "python"], cwd=project, env=_clean_environ(),
                            capture_output=True, text=True, check=True).stdout.strip()
    assert Path(python).is_file() and Path(python).is_relative_to(project / ".venv")
    installed = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('tiny-lab'))"],
                               capture_output=True, text=True)
    assert installed.stdout.strip() == "0", installed.stderr
    assert (project / ".venv" / ".serverless-api-lab-installed").is_file()

    assert setup() == ""  # up to date: nothing to do

    stamp = (project / ".venv" / ".serverless-api-lab-installed").stat().st_mtime
    os.utime(project / "pyproject.toml", (stamp + 10, stamp + 10))
    again = setup()
    assert " -m venv " not in again and "pip install --quiet -e" in again


def test_the_test_command_runs_pytest_with_nbval_and_xdist(tmp_path):
    project = _copy_of_the_project(tmp_path)
    (project / "tests" / "test_one.py").write_text("def test_one():\n    assert True\n")
    # make runs the module; where there is no make (Windows), the module is run directly.
    if shutil.which("make"):
        command = ["make", "--no-print-directory", "test", f"PYTHON={sys.executable}", f"VENV_PY={sys.executable}",
                   "SKIP_SETUP=1", "PYTEST_ARGS=-p no:cacheprovider tests"]
    else:
        command = [sys.executable, "-m", "helpers.make", "--skip-setup", "--python", sys.executable, "test",
                   "-p", "no:cacheprovider", "tests"]
    done = subprocess.run(command, cwd=project, env=_clean_environ(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert " -m pytest -n auto --dist loadscope --nbval " in done.stdout  # the command, shown before it runs
