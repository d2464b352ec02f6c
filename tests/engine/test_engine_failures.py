"""Every way a function can fail, with AWS's payloads, and the engine serving the next call afterwards."""

import dataclasses
import re
import resource
import sys

import pytest

from tests.support import invoke_json, make_spec

from helpers.engine import InvalidRuntimeException, InvalidZipFileException, RequestEntityTooLargeException, interpreters
from helpers.engine.environment import ExecutionEnvironment
from helpers.sandbox import invoke_api

OK = "def handler(event, context):\n    return 'ok'\n"
NBSP = "\u00a0"

RAISES = '''
def handler(event, context):
    check(event)

def check(event):
    raise ValueError("bad value")
'''


def test_handler_exception(engine, recorder):
    spec = make_spec(RAISES)
    result, body = invoke_json(engine, spec)
    assert result.function_error == "Unhandled"
    app = "/var/task/app.py"  # as AWS names it, though the code runs from the sandbox's own directory
    assert body == {
        "errorMessage": "bad value", "errorType": "ValueError", "requestId": result.request_id,
        "stackTrace": [f'  File "{app}", line 3, in handler\n    check(event)\n',
                       f'  File "{app}", line 6, in check\n    raise ValueError("bad value")\n'],
    }
    error_events = [m for m in recorder.messages() if m.startswith("[ERROR]")]
    assert error_events == ["\n".join([
        "[ERROR] ValueError: bad value", "Traceback (most recent call last):",
        f'{NBSP * 2}File "{app}", line 3, in handler', f"{NBSP * 4}check(event)",
        f'{NBSP * 2}File "{app}", line 6, in check', f'{NBSP * 4}raise ValueError("bad value")'])]


def test_tracebacks_name_the_runtime_and_standard_library_as_aws_does(engine):
    spec = make_spec("import json\n\ndef handler(event, context):\n    return json.loads('{')\n")
    _, body = invoke_json(engine, spec)
    files = [entry.split('"')[1] for entry in body["stackTrace"]]
    # The interpreter that ran the function: the runtime's own where the machine has it, else the kernel's.
    major, minor, _ = interpreters.for_runtime(spec.runtime, sys.executable).version
    version = f"{major}.{minor}"
    assert files[0] == "/var/task/app.py"
    assert files[1:] and all(f.startswith(f"/var/lang/lib/python{version}/json/") for f in files[1:])


# Init failures: (files, handler, errorType, errorMessage pattern, stackTrace check)
INIT_FAILURES = [
    pytest.param({"app.py": OK}, "missing.handler", "Runtime.ImportModuleError",
                 "Unable to import module 'missing': No module named 'missing'", id="module-missing"),
    pytest.param({"app.py": "import requests\n" + OK}, "app.handler", "Runtime.ImportModuleError",
                 "Unable to import module 'app': No module named 'requests'", id="unpackaged-dependency"),
    pytest.param({"app.py": OK}, "app.nope", "Runtime.HandlerNotFound",
                 "Handler 'nope' missing on module 'app'", id="function-missing"),
    pytest.param({"app.py": "def handler(event, context)\n    return 1\n"}, "app.handler",
                 "Runtime.UserCodeSyntaxError", "Syntax error in module 'app': expected ':' (app.py, line 1)",
                 id="syntax-error"),
    pytest.param({"app.py": OK}, "app", "Runtime.MalformedHandlerName",
                 "Bad handler 'app': not enough values to unpack (expected 2, got 1)", id="malformed-name"),
    pytest.param({"app.py": "raise RuntimeError('no config')\n"}, "app.handler", "RuntimeError",
                 "no config", id="module-level-exception"),
]


@pytest.mark.parametrize("files, handler, error_type, message", INIT_FAILURES)
def test_init_errors_reach_the_first_caller_with_an_empty_request_id(engine, recorder, files, handler,
                                                                      error_type, message):
    spec = make_spec(files, handler=handler)
    result, body = invoke_json(engine, spec)
    assert result.function_error == "Unhandled"
    assert (body["errorType"], body["errorMessage"], body["requestId"]) == (error_type, message, "")
    assert isinstance(body["stackTrace"], list)
    assert result.cold_start
    messages = recorder.messages()
    assert any(m.startswith(f"[ERROR] {error_type}: {message}") for m in messages)
    assert any(m.startswith("INIT_REPORT Init Duration: ") and m.endswith(f"Error Type: {error_type}")
               for m in messages)
    assert messages[-1].startswith(f"REPORT RequestId: {result.request_id}\t")
    # The environment is gone; the next call is a fresh cold start that fails the same way.
    again, body = invoke_json(engine, spec)
    assert again.cold_start and body["errorType"] == error_type


def test_syntax_error_trace_points_at_the_line(engine):
    spec = make_spec("def handler(event, context)\n    return 1\n")
    body = invoke_json(engine, spec)[1]
    assert re.fullmatch(r'  File "/var/task/app\.py" Line 1\n    def handler\(event, context\)\n\n?', body["stackTrace"][0])


def test_marshal_error(engine):
    spec = make_spec("def handler(event, context):\n    return {1, 2}\n")
    result, body = invoke_json(engine, spec)
    assert body == {"errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
                    "errorType": "Runtime.MarshalError", "requestId": result.request_id, "stackTrace": []}


def test_timeout_kills_and_resets_the_environment(engine, recorder):
    spec = make_spec("import time\ndef handler(event, context):\n    print('working')\n    time.sleep(30)\n",
                     timeout=1)
    result, body = invoke_json(engine, spec)
    assert result.function_error == "Unhandled"
    assert body == {"errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds"}
    assert result.payload.startswith(b'{"errorType":"Sandbox.Timedout"')
    messages = recorder.messages()
    timed_out = [m for m in messages if m.endswith(f"{result.request_id} Task timed out after 1.00 seconds")]
    assert len(timed_out) == 1 and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", timed_out[0])
    assert "working" in messages
    assert "Status: timeout" in messages[-1]
    assert engine.environments() == []
    assert engine.invoke(spec, b"{}").cold_start  # next call is cold again


def test_infinite_loop_times_out(engine):
    spec = make_spec("def handler(event, context):\n    while True:\n        pass\n", timeout=1)
    assert invoke_json(engine, spec)[1]["errorType"] == "Sandbox.Timedout"


EXITS = [
    pytest.param("import os\ndef handler(event, context):\n    os._exit(3)\n", "exit status 3", id="os._exit"),
    pytest.param("import sys\ndef handler(event, context):\n    sys.exit(2)\n", "exit status 2", id="sys.exit"),
    pytest.param("import os, signal\ndef handler(event, context):\n    os.kill(os.getpid(), signal.SIGSEGV)\n",
                 "signal: segmentation fault", id="crash"),
    pytest.param("def handler(event, context):\n    chunks = []\n    while True:\n"
                 "        chunks.append(b'x' * 10_000_000)\n", "signal: killed", id="out-of-memory"),
]


@pytest.mark.parametrize("source, reason", EXITS)
def test_runtime_exit(engine, recorder, source, reason):
    spec = make_spec(source, timeout=5)
    result, body = invoke_json(engine, spec)
    message = f"RequestId: {result.request_id} Error: Runtime exited with error: {reason}"
    assert (result.function_error, body) == ("Unhandled", {"errorType": "Runtime.ExitError", "errorMessage": message})
    assert f"{message}\nRuntime.ExitError" in recorder.messages()
    assert recorder.messages()[-1].endswith("Status: error\tError Type: Runtime.ExitError\t")
    assert engine.environments() == []  # reset: the next call is a cold start


def test_memory_limit_reports_memory_size_as_used(engine, recorder):
    spec = make_spec(EXITS[-1].values[0], memory_size=128)
    invoke_json(engine, spec)
    assert "\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t" in recorder.messages()[-1]


# Past MemorySize, then gone or shrunk back before the RSS monitor sampled it (under CPU load it can
# fall far behind): AWS's cgroup would have killed it at the limit, whatever the worker did next.
OUTGROWN = [
    pytest.param("import os\ndef handler(event, context):\n    data = b'x' * {size}\n    os._exit(1)\n",
                 id="then-exits"),
    pytest.param("def handler(event, context):\n    data = b'x' * {size}\n    del data\n    return 'ok'\n",
                 id="then-returns"),
    pytest.param("def handler(event, context):\n    data = b'x' * {size}\n    raise MemoryError()\n",
                 id="then-raises"),
]


@pytest.mark.parametrize("source", OUTGROWN)
def test_outgrowing_memory_always_ends_as_a_kill(engine, recorder, monkeypatch, source):
    monkeypatch.setattr(ExecutionEnvironment, "check_memory", lambda env, min_age=0.0: None)  # a monitor that never gets to run
    # A dead worker's peak is known only above this process's own (exec() hands it down), so go past both.
    size = max(200, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 + 64) * 1024 * 1024
    # Filling that many pages can take seconds on a busy machine: the Timeout must not end it first.
    spec = make_spec(source.format(size=size), memory_size=128, timeout=60)
    result, body = invoke_json(engine, spec)
    message = f"RequestId: {result.request_id} Error: Runtime exited with error: signal: killed"
    assert body == {"errorType": "Runtime.ExitError", "errorMessage": message}
    assert "\tMax Memory Used: 128 MB\t" in recorder.messages()[-1]
    assert engine.environments() == []


def test_megabytes_of_output_do_not_deadlock(engine, recorder):
    spec = make_spec("import sys\ndef handler(event, context):\n    for i in range(40000):\n"
                     "        print('line', i, 'x' * 80)\n    sys.stdout.write('no newline at the end')\n"
                     "    return 'done'\n", timeout=20)
    result = engine.invoke(spec, b"{}")
    assert result.payload == b'"done"'
    messages = recorder.messages()
    assert messages.count("line 39999 " + "x" * 80) == 1
    assert messages.index("no newline at the end") < messages.index(f"END RequestId: {result.request_id}")


def test_request_payload_over_6_mb_is_refused_before_running(engine):
    spec = make_spec(OK)
    with pytest.raises(RequestEntityTooLargeException) as error:
        invoke_api.invoke(engine, spec, b'"' + b"x" * 6291456 + b'"')
    assert (error.value.status_code, error.value.error_type, error.value.message) == (
        413, "RequestEntityTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
    assert engine.environments() == []


def test_event_payload_over_1_mb_is_refused_in_the_event_wording(engine):
    payload = b'"' + b"x" * 1048576 + b'"'
    with pytest.raises(RequestEntityTooLargeException) as error:
        invoke_api.invoke(engine, make_spec(OK), payload, invocation_type="Event")
    assert (error.value.status_code, error.value.message) == (
        413, "1048578 byte payload is too large for the Event invocation type (limit 1048576 bytes)")


def test_response_over_6_mb(engine):
    spec = make_spec("def handler(event, context):\n    return 'x' * 6_300_000\n")
    result, body = invoke_json(engine, spec)
    assert body == {"errorType": "Function.ResponseSizeTooLarge",
                    "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes)."}
    assert result.function_error == "Unhandled"


def test_non_python_runtime_is_a_clear_error(engine):
    with pytest.raises(InvalidRuntimeException) as error:
        engine.invoke(make_spec(OK, runtime="nodejs20.x"), b"{}")
    assert error.value.status_code == 502 and "nodejs20.x" in error.value.message


def test_a_package_that_is_not_a_zip_is_refused(engine):
    spec = make_spec(OK)
    broken = dataclasses.replace(spec, code_zip=b"not a zip", code_sha256="0" * 64)
    with pytest.raises(InvalidZipFileException) as error:
        engine.invoke(broken, b"{}")
    assert error.value.status_code == 502
    assert engine.invoke(spec, b"{}").payload == b'"ok"'


def test_any_python3_runtime_and_both_architectures_run(engine):
    for runtime, architecture in [("python3.9", "x86_64"), ("python3.13", "arm64")]:
        result = engine.invoke(make_spec(OK, runtime=runtime, architecture=architecture), b"{}")
        assert result.payload == b'"ok"'


def test_engine_keeps_serving_after_every_failure(engine):
    """One function that fails in every way on request, then answers normally."""
    spec = make_spec('''
import os, time
def handler(event, context):
    how = event.get("fail")
    if how == "raise":
        raise KeyError("k")
    if how == "exit":
        os._exit(1)
    if how == "hang":
        time.sleep(30)
    if how == "marshal":
        return object()
    return "fine"
''', timeout=1)
    for how in ["raise", "exit", "hang", "marshal", None]:
        invoke_json(engine, spec, {"fail": how})
    result, body = invoke_json(engine, spec)
    assert (result.function_error, body) == (None, "fine")


def test_unknown_runtime_api_path_is_404_and_wrong_request_id_is_refused(engine):
    spec = make_spec('''
import json, os, http.client
def handler(event, context):
    conn = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
    conn.request("GET", "/2018-06-01/nothing")
    first = conn.getresponse(); first.read()
    conn.request("POST", "/2018-06-01/runtime/invocation/not-an-id/response", body=b"{}")
    second = conn.getresponse()
    return [first.status, second.status, json.loads(second.read())["errorType"]]
''')
    assert invoke_json(engine, spec)[1] == [404, 400, "InvalidRequestID"]


def test_runtime_api_speaks_plain_http_1_1(engine):
    """Expect: 100-continue (curl's habit for large bodies), pipelining, and a malformed request (like
    the Go server AWS runs, an HTTP/1.1 request must name its Host)."""
    spec = make_spec('''
import os, re, socket
def handler(event, context):
    host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(b"POST /2018-06-01/runtime/invocation/nope/response HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\n"
                     b"Expect: 100-continue\\r\\n\\r\\n")
        continued = conn.recv(1000)
        conn.sendall(b"{}GET /2018-06-01/nothing HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nnot http\\r\\n\\r\\n")
        answers = b""
        while chunk := conn.recv(10000):
            answers += chunk
    return [continued.decode(), [int(status) for status in re.findall(rb"HTTP/1.1 (\\d+)", answers)]]
''')
    assert invoke_json(engine, spec)[1] == ["HTTP/1.1 100 Continue\r\n\r\n", [400, 404, 400]]
