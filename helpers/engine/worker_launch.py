"""How a worker starts: the interpreter command that runs the runtime, and its whole environment."""

import os
from typing import Mapping

from . import interpreters
from .runtime_site import build_runtime_site
from .spec import FunctionSpec

# Isolated (no site-packages, no PYTHON* variables, no user site directory) and unbuffered, so every
# print() reaches the log before the handler returns.
WORKER_FLAGS = ("-I", "-S", "-u")
BOOTSTRAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")


def worker_command(engine_dir: str, interpreter: interpreters.Interpreter) -> list[str]:
    """One runtime site per interpreter: its own boto3, or the kernel's (runtime_site says which)."""
    site = os.path.join(engine_dir, "runtime-" + ".".join(map(str, interpreter.version)))
    # Bytecode the interpreter may not write next to borrowed packages is cached here, for this engine's workers.
    bytecode = site + "-bytecode"
    if not os.path.isdir(site):
        os.mkdir(site)
        if not build_runtime_site(interpreter.path, site):
            os.mkdir(bytecode)
    flags = [*WORKER_FLAGS, "-X", f"pycache_prefix={bytecode}"] if os.path.isdir(bytecode) else WORKER_FLAGS
    return [interpreter.path, *flags, BOOTSTRAP, site]


def worker_environment(spec: FunctionSpec, task_root: str, interpreter: interpreters.Interpreter, home: str,
                       extra: Mapping[str, str], credentials: Mapping[str, str]) -> dict[str, str]:
    """The worker's whole environment: nothing leaks in from this process (no profile, no credentials)."""
    sandbox = {
        "PATH": os.pathsep.join([os.path.dirname(interpreter.path), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "en_US.UTF-8",
        "HOME": home,  # empty: botocore must never find the notebook user's ~/.aws
        "AWS_EC2_METADATA_DISABLED": "true",  # no credentials must mean an error, not a call off loopback
    }
    runtime = {
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": os.path.dirname(BOOTSTRAP),
        "_HANDLER": spec.handler,
        "TZ": ":UTC",
    }
    if spec.log_format == "JSON":
        # The runtime reads these to write JSON and to set the root logger's level (ApplicationLogLevel).
        runtime.update(AWS_LAMBDA_LOG_FORMAT="JSON", AWS_LAMBDA_LOG_LEVEL=spec.application_log_level or "INFO")
    # The sandbox's endpoint and the role's credentials override the function's variables; the runtime's
    # own variables override everything, as AWS reserves them.
    return {**sandbox, **spec.environment, **extra, **credentials, **runtime}
