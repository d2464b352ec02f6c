"""A function runs on the Python its runtime names when the machine has it, else on the kernel's, and says which."""

import json
import os
import stat
import sys

import pytest

from tests.support import invoke_json, make_spec
from helpers.engine import interpreters, runtime_site
from helpers.engine.runtime_site import RUNTIME_MODULES

REPORTS_ITSELF = """
import importlib.util, os, sys, boto3, botocore

def handler(event, context):
    return {"version": list(sys.version_info[:3]), "executable": sys.executable, "boto3": boto3.__version__,
            "sts": botocore.session.get_session().get_service_model("sts").service_id,
            "pycache_prefix": sys.pycache_prefix,
            "botocore_compiled": os.path.exists(importlib.util.cache_from_source(botocore.__file__))}
"""


def installed_other_python():
    """A runtime name whose interpreter is installed here and is not the kernel's, or None."""
    for minor in (13, 12, 14):
        runtime = f"python3.{minor}"
        if minor != sys.version_info.minor and interpreters.for_runtime(runtime, sys.executable).version[:2] == (3, minor):
            return runtime
    return None


def init_start_versions(recorder, function_name):
    return [m.split("\t")[0].removeprefix("INIT_START Runtime Version: ")
            for m in recorder.messages(f"/aws/lambda/{function_name}") if m.startswith("INIT_START")]


@pytest.mark.skipif(installed_other_python() is None, reason="no second Python 3.12+ installed on this machine")
def test_a_function_runs_on_the_python_its_runtime_names_and_can_import_boto3(engine, recorder):
    runtime = installed_other_python()
    minor = int(runtime.removeprefix("python3."))
    result, body = invoke_json(engine, make_spec(REPORTS_ITSELF, name="matching", runtime=runtime))
    assert result.function_error is None, body
    assert body["version"][:2] == [3, minor]
    assert body["sts"] == "STS"  # botocore's models load on the other interpreter
    micro = body["version"][2]
    assert init_start_versions(recorder, "matching") == [f"python:3.{minor}.v{micro}"]
    # The kernel's packages are writable here: their bytecode for this interpreter sits next to them.
    assert body["pycache_prefix"] is None and body["botocore_compiled"]


@pytest.mark.skipif(installed_other_python() is None, reason="no second Python 3.12+ installed on this machine")
def test_borrowed_packages_that_are_read_only_get_their_bytecode_cached_by_the_engine(engine, monkeypatch):
    # A shared, read-only install: without a cache of its own, every cold start would compile botocore again.
    monkeypatch.setattr(runtime_site, "_bytecode_writable", lambda location: False)
    result, body = invoke_json(engine, make_spec(REPORTS_ITSELF, name="read-only", runtime=installed_other_python()))
    assert result.function_error is None, body
    assert body["pycache_prefix"] is not None and body["botocore_compiled"]


def test_without_a_matching_python_the_kernels_runs_and_init_start_says_so(engine, recorder):
    # No machine has Python 3.99: the kernel's interpreter runs it, and INIT_START names that one.
    result, body = invoke_json(engine, make_spec(REPORTS_ITSELF, name="fallback", runtime="python3.99"))
    assert result.function_error is None, body
    assert body["version"] == list(sys.version_info[:3])
    major, minor, micro = sys.version_info[:3]
    assert init_start_versions(recorder, "fallback") == [f"python:{major}.{minor}.v{micro}"]


def fake_python(folder, version):
    """An executable that answers the probe like an interpreter of `version` would."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"python{version[0]}.{version[1]}"
    answer = json.dumps([str(path), list(version), f"{'.'.join(map(str, version))} (fake)"])
    path.write_text(f"#!/bin/sh\necho '{answer}'\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def fresh_lookup(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    interpreters.for_runtime.cache_clear()
    yield tmp_path
    interpreters.for_runtime.cache_clear()


def test_the_conda_environment_comes_before_path_and_pyenv(fresh_lookup, monkeypatch):
    conda = fake_python(fresh_lookup / "conda" / "bin", (3, 97, 1))
    fake_python(fresh_lookup / "path", (3, 97, 2))
    fake_python(fresh_lookup / "pyenv" / "versions" / "3.97.3" / "bin", (3, 97, 3))
    monkeypatch.setenv("CONDA_PREFIX", str(fresh_lookup / "conda"))
    assert interpreters.for_runtime("python3.97", sys.executable).path == str(conda)


def test_path_comes_before_pyenv(fresh_lookup):
    on_path = fake_python(fresh_lookup / "path", (3, 96, 2))
    fake_python(fresh_lookup / "pyenv" / "versions" / "3.96.3" / "bin", (3, 96, 3))
    assert interpreters.for_runtime("python3.96", sys.executable).path == str(on_path)


def test_a_pyenv_shim_that_does_not_run_the_version_is_skipped(fresh_lookup):
    shim = fake_python(fresh_lookup / "path", (3, 93, 2))
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.93: command not found' >&2; exit 127\n")
    fake_python(fresh_lookup / "pyenv" / "versions" / "3.93.3" / "bin", (3, 93, 3))
    assert interpreters.for_runtime("python3.93", sys.executable).version == (3, 93, 3)


def test_an_interpreter_of_another_minor_version_is_not_taken(fresh_lookup):
    fake_python(fresh_lookup / "path", (3, 95, 0)).rename(fresh_lookup / "path" / "python3.94")
    assert interpreters.for_runtime("python3.94", sys.executable).version == tuple(sys.version_info[:3])


def test_the_runtime_site_borrows_the_kernels_boto3_for_an_interpreter_without_it(tmp_path):
    runtime = installed_other_python()
    if runtime is None:
        pytest.skip("no second Python 3.12+ installed on this machine")
    from helpers.engine.runtime_site import build_runtime_site

    # True: the kernel's packages are writable here, so the other interpreter caches its bytecode next to them.
    assert build_runtime_site(interpreters.for_runtime(runtime, sys.executable).path, str(tmp_path)) is True
    linked = {entry: os.path.realpath(tmp_path / entry) for entry in os.listdir(tmp_path)}
    import boto3
    assert set(RUNTIME_MODULES) <= {name.removesuffix(".py") for name in linked}
    assert linked["boto3"] == os.path.dirname(os.path.realpath(boto3.__file__))
