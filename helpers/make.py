"""The two commands on every OS: `python -m helpers.make lab` and `python -m helpers.make test`.

`make lab` / `make test` run this module too, so macOS, Linux and Windows (`py -m helpers.make lab`)
set up and start the same way. Set-up: inside an active virtual or conda environment the project is
installed there; otherwise a .venv is made with the Python running this module. The install is
redone only when pyproject.toml is newer than a stamp file in that environment.

    python -m helpers.make [--skip-setup] [--python PATH] {setup,lab,test,python} [arguments...]

Arguments after the command go to JupyterLab (lab) or pytest (test) unchanged.
"""

# It runs before anything is installed, under whatever Python started it: standard library only,
# and syntax an older Python still parses, so that one can say it is too old.
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Tuple

PROJECT = Path(__file__).resolve().parent.parent
STAMP = ".serverless-api-lab-installed"
OLDEST_PYTHON = (3, 11)
FIRST_NOTEBOOK = "notebooks/00_start_here.ipynb"
COMMANDS = ("setup", "lab", "test", "python")


@dataclass(frozen=True)
class Host:
    """What the commands depend on in the machine running them (tests pass a made-up one)."""

    windows: bool
    environ: Mapping[str, str]
    superuser: bool
    python: str
    version: Tuple[int, ...]
    which: Callable[[str], Optional[str]] = field(default=shutil.which, compare=False)

    @classmethod
    def current(cls) -> "Host":
        """This machine, as the running interpreter sees it."""
        return cls(windows=os.name == "nt", environ=dict(os.environ),
                   superuser=hasattr(os, "geteuid") and os.geteuid() == 0,
                   python=sys.executable, version=tuple(sys.version_info[:3]))


@dataclass(frozen=True)
class Environment:
    """Where the project is installed, and the interpreter that runs it."""

    home: Path
    python: str
    ours: bool  # the project's own .venv, made here when it is missing

    @property
    def stamp(self) -> Path:
        return self.home / STAMP


def environment(host: Host, project: Path = PROJECT, python: Optional[str] = None) -> Environment:
    """The active virtual or conda environment if there is one, else the project's .venv."""
    active = host.environ.get("VIRTUAL_ENV") or host.environ.get("CONDA_PREFIX")
    if active:
        # Activation puts the environment's own `python` first on PATH, on every OS.
        return Environment(Path(active), python or host.which("python") or host.python, ours=False)
    home = project / ".venv"
    inside = ("Scripts", "python.exe") if host.windows else ("bin", "python")
    return Environment(home, python or str(home.joinpath(*inside)), ours=True)


def too_old(host: Host) -> Optional[str]:
    """Why the running Python cannot make the project's .venv, or None."""
    if host.version[:2] >= OLDEST_PYTHON:
        return None
    hint = "py -3.12 -m helpers.make lab" if host.windows else "make PYTHON=python3.12 lab"
    found = ".".join(map(str, host.version))
    return "Python 3.11 or newer is needed; found " + found + ". Run: " + hint


def setup_commands(env: Environment, host: Host, project: Path = PROJECT) -> List[List[str]]:
    """What brings `env` up to date: nothing while its stamp is newer than pyproject.toml."""
    commands = []
    if env.ours and not Path(env.python).exists():
        commands.append([host.python, "-m", "venv", str(env.home)])
    stamp, pyproject = env.stamp, project / "pyproject.toml"
    if commands or not stamp.exists() or pyproject.stat().st_mtime > stamp.stat().st_mtime:
        commands += [[env.python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                     [env.python, "-m", "pip", "install", "--quiet", "-e", ".[test]"]]
    return commands


def lab_command(env: Environment, host: Host, arguments: List[str],
                project: Path = PROJECT) -> Tuple[List[str], Dict[str, str]]:
    """JupyterLab on loopback, opened on chapter 00, with the project's settings in jupyter/."""
    # Containers (Binder, Docker, CI) often run as root, which Jupyter refuses unless told.
    allow_root = ["--allow-root"] if host.superuser else []
    command = [env.python, "-m", "jupyter", "lab", "--ServerApp.ip=127.0.0.1", "--ServerApp.root_dir=.",
               *allow_root, *arguments, FIRST_NOTEBOOK]
    # The project's settings come first (chapter 00 first, no "official Jupyter news" question);
    # the learner's own still apply. Binder's start script does the same.
    config = [str(project / "jupyter")] + [p for p in [host.environ.get("JUPYTER_CONFIG_PATH")] if p]
    return command, {**host.environ, "JUPYTER_CONFIG_PATH": (";" if host.windows else ":").join(config)}


def test_command(env: Environment, arguments: List[str]) -> List[str]:
    """Every test, notebooks included: nbval strict after the sanitizer, files spread over the cores."""
    return [env.python, "-m", "pytest", "-n", "auto", "--dist", "loadscope", "--nbval", "--nbval-current-env",
            "--nbval-sanitize-with", "tests/sanitize.cfg", *arguments]


def _show(command: List[str], host: Host) -> None:
    print(subprocess.list2cmdline(command) if host.windows else shlex.join(command), flush=True)


def set_up(env: Environment, host: Host, project: Path = PROJECT) -> None:
    """Make the environment if it is ours and missing, and install the project when pyproject.toml changed."""
    if env.ours and not Path(env.python).exists() and too_old(host):
        sys.exit(too_old(host))
    commands = setup_commands(env, host, project)
    for command in commands:
        _show(command, host)
        done = subprocess.run(command, cwd=project)
        if done.returncode:
            sys.exit(done.returncode)
    if commands:
        env.stamp.touch()


def hand_over(command: List[str], environ: Mapping[str, str], host: Host, project: Path = PROJECT) -> None:
    """Run `command` in the project's folder and exit with its status."""
    _show(command, host)
    if not host.windows:
        # Replaced, not wrapped: signals and the exit status go straight to JupyterLab or pytest.
        os.chdir(project)
        os.execvpe(command[0], command, dict(environ))
    child = subprocess.Popen(command, cwd=project, env=dict(environ))
    while True:
        try:
            sys.exit(child.wait())
        except KeyboardInterrupt:
            continue  # Ctrl+C reached the child too; it decides (JupyterLab asks to confirm)


def _parse(argv: List[str]) -> Tuple[argparse.Namespace, List[str]]:
    # Everything after the command belongs to JupyterLab or pytest, options included.
    split = next((i for i, word in enumerate(argv) if word in COMMANDS), len(argv))
    parser = argparse.ArgumentParser(prog="python -m helpers.make", description=__doc__.splitlines()[0])
    parser.add_argument("--skip-setup", action="store_true", help="use an environment that is already set up")
    parser.add_argument("--python", help="the interpreter of that environment")
    parser.add_argument("command", choices=COMMANDS,
                        help="setup; lab: set up and open JupyterLab; test: set up and run every test; "
                             "python: print the environment's interpreter")
    return parser.parse_args(argv[:split + 1]), argv[split + 1:]


def main(argv: Optional[List[str]] = None, host: Optional[Host] = None) -> None:
    options, arguments = _parse(sys.argv[1:] if argv is None else argv)
    host = host or Host.current()
    env = environment(host, python=options.python)
    if options.command == "python":
        print(env.python)
        return
    if not options.skip_setup:
        set_up(env, host)
    if options.command == "lab":
        hand_over(*lab_command(env, host, arguments), host=host)
    elif options.command == "test":
        hand_over(test_command(env, arguments), host.environ, host)


if __name__ == "__main__":
    main()
