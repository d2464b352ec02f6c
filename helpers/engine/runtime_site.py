"""The third-party packages a Lambda Python runtime provides, and nothing else.

A handler on AWS can import boto3 without packaging it, but not requests, moto or pytest. Workers
get a directory of links to just these packages (and their metadata) from the interpreter's own
site-packages, instead of the whole environment the notebook runs in.
"""

import functools
import glob
import json
import os
import subprocess
import sys

RUNTIME_MODULES = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil", "six")
RUNTIME_DISTRIBUTIONS = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3", "python_dateutil", "six")

# Runs in the worker's interpreter, which may not be this one: where would it import each module from?
_LOCATE = """
import importlib.util, json, sys
found = {}
for name in sys.argv[1:]:
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin:
        found[name] = spec.submodule_search_locations[0] if spec.submodule_search_locations else spec.origin
print(json.dumps(found))
"""


def build_runtime_site(python: str, directory: str) -> bool:
    """Fill `directory` with links to the runtime's packages as installed for `python`, else for this process's interpreter.

    boto3 and what it needs are pure Python, so an interpreter that has none of them (a python3.13
    next to a 3.11 kernel) borrows the kernel's whole set; never a mix of two installs. Returns
    False when `python` can neither find its bytecode next to those packages nor write it there
    (borrowed from a read-only install): each worker would compile botocore again, seconds per cold start.
    """
    locations = _locate(python)
    borrowed = len(locations) < len(RUNTIME_MODULES) and python != sys.executable
    if borrowed:
        locations = _locate(sys.executable)
    _link(locations, directory)
    return not borrowed or all(map(_bytecode_writable, locations.values()))


def _bytecode_writable(location: str) -> bool:
    # A package keeps its __pycache__ inside itself, a single-file module next to it.
    return os.access(location if os.path.isdir(location) else os.path.dirname(location), os.W_OK)


def _link(locations: dict[str, str], directory: str) -> None:
    metadata = {path
                for location in locations.values()
                for dist in RUNTIME_DISTRIBUTIONS
                for path in glob.glob(os.path.join(os.path.dirname(location), f"{dist}-*.dist-info"))}
    for path in [*locations.values(), *metadata]:
        os.symlink(path, os.path.join(directory, os.path.basename(path)))


@functools.lru_cache(maxsize=None)
def _locate(python: str) -> dict[str, str]:
    located = subprocess.run([python, "-I", "-c", _LOCATE, *RUNTIME_MODULES],
                             capture_output=True, text=True, check=True, env={})
    return json.loads(located.stdout)
