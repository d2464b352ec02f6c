"""The Lambda runtime inside a worker process: load the handler, then loop next → call → post.

The engine starts it as `python -I -S -u bootstrap.py <runtime site-packages>`: isolated, so the
handler sees the standard library, the runtime's boto3 and its own package, as on AWS, and this
file is not importable. It imports only what the loop needs, because every module imported here
is paid for again on every cold start (the socket module alone costs as much as starting Python).
"""

import _socket
import _thread
import importlib
import json
import os
import sys
import time

API = "/2018-06-01/runtime"
NBSP = "\u00a0"  # the runtime indents traceback lines in logs with no-break spaces

_runtime_version = os.environ.get("AWS_EXECUTION_ENV", "").removeprefix("AWS_Lambda_python")
# python3.12 and later marshal responses with non-ASCII characters left as they are.
ENSURE_ASCII = tuple(int(part) for part in _runtime_version.split(".") if part.isdigit()) < (3, 12)

_request_id = ""  # the invocation running now, stamped on log records
# Where AWS keeps what a traceback names, by where it is here: (local prefix, AWS's prefix).
# Filled in by main() once the code's and the runtime's directories are known.
_AWS_PATHS = []


class FaultError(Exception):
    """A failure the runtime reports under its own error type (Runtime.*)."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def make_error(message, error_type, stack_trace, request_id=""):
    """The error payload posted to the Runtime API; init errors carry an empty requestId."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id,
        "stackTrace": stack_trace or [],
    }


def stack_trace(tb):
    """Traceback entries from the user's code down, in the runtime's format."""
    import traceback

    frames = traceback.extract_tb(tb)
    while len(frames) > 1 and frames[0].filename == __file__:
        frames = frames[1:]
    # Plain tuples: the runtime's stackTrace has no column carets (^^^), which 3.11 would add.
    return traceback.format_list([(aws_path(f.filename), f.lineno, f.name, f.line) for f in frames])


def aws_path(filename):
    """The file's path as AWS shows it: the code in /var/task, the runtime's boto3 in /var/runtime."""
    for local, aws in _AWS_PATHS:
        if filename.startswith(local):
            return aws + filename[len(local):]
    return filename


def log_error(error):
    """Write an error as the runtime logs it: one event, its lines joined by \\r (one JSON object with LogFormat JSON)."""
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
        entry = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "log_level": "ERROR", **error}
        sys.stdout.write(json.dumps(entry) + "\n")
        return
    description = "[ERROR]"
    if error["errorType"]:
        description += " " + error["errorType"] + (":" if error["errorMessage"] else "")
    if error["errorMessage"]:
        description += " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for entry in error["stackTrace"]:
        for line in entry.splitlines() or [""]:
            stripped = line.lstrip(" ")
            lines.append(NBSP * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


class RuntimeClient:
    """Keep-alive HTTP/1.1 over one loopback connection to the engine's Runtime API."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._address = address
        self._sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        self._sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        self._sock.connect((host, int(port)))
        self._buffer = bytearray()

    def next(self):
        """Long-poll for the next invocation: (lower-cased headers, event body)."""
        return self._call("GET", API + "/invocation/next")

    def post_response(self, request_id, body, content_type):
        self._call("POST", f"{API}/invocation/{request_id}/response", body, {"Content-Type": content_type})

    def post_error(self, request_id, error):
        self._post_error(f"{API}/invocation/{request_id}/error", error)

    def post_init_error(self, error):
        self._post_error(API + "/init/error", error)

    def _post_error(self, path, error):
        body = json.dumps(error, ensure_ascii=ENSURE_ASCII).encode()
        self._call("POST", path, body, {"Lambda-Runtime-Function-Error-Type": error["errorType"]})

    def _call(self, method, path, body=b"", headers=None):
        head = [f"{method} {path} HTTP/1.1", f"Host: {self._address}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self._sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        return self._read_response()

    def _read_response(self):
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            self._receive()
        lines = self._buffer[:end].decode("latin-1").split("\r\n")
        del self._buffer[:end + 4]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", 0))
        while len(self._buffer) < length:
            self._receive()
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return headers, body

    def _receive(self):
        chunk = self._sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the Runtime API closed the connection")
        self._buffer += chunk


class _Fields:
    """An object whose attributes are named fields of a JSON object (missing ones are None)."""

    __slots__ = ()

    def __init__(self, values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    def __repr__(self):
        fields = ",".join(f"{name}={getattr(self, name)}" for name in self.__slots__)
        return f"{type(self).__name__}([{fields}])"


class CognitoIdentity(_Fields):
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")


class Client(_Fields):
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")


class ClientContext(_Fields):
    __slots__ = ("custom", "env", "client")


def _parse_json_header(headers, name, label):
    try:
        return json.loads(headers[name]) if headers.get(name) else None
    except ValueError as e:
        raise FaultError("Runtime.LambdaContextUnmarshalError", f"Unable to parse {label} JSON: {e}")


class LambdaContext:
    """The handler's `context` argument: who is running, for whom, and how much time is left."""

    # Fixed for the environment's life: read from os.environ once, not on every invocation.
    _environment = {
        "function_name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "function_version": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION"),
        "memory_limit_in_mb": os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
        "log_group_name": os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME"),
        "log_stream_name": os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME"),
    }

    def __init__(self, request_id, headers):
        self.__dict__.update(self._environment)
        self.aws_request_id = request_id
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn")
        self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms", 0))
        client_context = _parse_json_header(headers, "lambda-runtime-client-context", "Client Context")
        self.client_context = None
        if client_context is not None:
            self.client_context = ClientContext(client_context)
            self.client_context.client = Client(client_context["client"]) if client_context.get("client") else None
        cognito = _parse_json_header(headers, "lambda-runtime-cognito-identity", "Cognito Identity") or {}
        self.identity = CognitoIdentity({"cognito_identity_id": cognito.get("cognitoIdentityId"),
                                         "cognito_identity_pool_id": cognito.get("cognitoIdentityPoolId")})

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message):
        sys.stdout.write(str(message))

    def __repr__(self):
        return (f"LambdaContext([aws_request_id={self.aws_request_id},function_name={self.function_name},"
                f"function_version={self.function_version},invoked_function_arn={self.invoked_function_arn}])")


def load_handler(name):
    """Import the handler's module and find the function; failures carry awslambdaric's messages."""
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{name}': {e}")
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError("Runtime.BuiltInModuleConflict",
                         f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise FaultError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}")
    except SyntaxError as e:
        trace = [f'  File "{aws_path(e.filename)}" Line {e.lineno}\n    {e.text}']
        raise FaultError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}", trace)
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")


def _json_default(value):
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        # DynamoDB hands out Decimals; the runtime writes them as JSON numbers.
        return int(value) if value.is_finite() and value.as_tuple().exponent >= 0 else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def marshal(response):
    """The response body and its content type: bytes as they are, anything else as JSON."""
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return json.dumps(response, ensure_ascii=ENSURE_ASCII, default=_json_default).encode(), "application/json"
    except Exception as e:
        raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {e}")


def invoke(client, handler, headers, body):
    """Run one invocation and post its result or error."""
    global _request_id
    _request_id = request_id = headers["lambda-runtime-aws-request-id"]
    if headers.get("lambda-runtime-trace-id"):
        os.environ["_X_AMZN_TRACE_ID"] = headers["lambda-runtime-trace-id"]
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    try:
        context = LambdaContext(request_id, headers)
        try:
            event = json.loads(body)
        except ValueError as e:
            raise FaultError("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}")
        result, content_type = marshal(handler(event, context))
    except FaultError as e:
        error = make_error(e.message, e.error_type, e.trace, request_id)
    except Exception as e:
        error = make_error(str(e), type(e).__name__, stack_trace(e.__traceback__), request_id)
    else:
        client.post_response(request_id, result, content_type)
        return
    log_error(error)
    client.post_error(request_id, error)


def install_log_handler(logging):
    """Give the root logger the runtime's handler and format (AWS_LAMBDA_LOG_FORMAT), and AWS_LAMBDA_LOG_LEVEL if set."""

    class LambdaLogHandler(logging.Handler):
        def emit(self, record):
            try:
                sys.stdout.write(self.format(record))
            except Exception:
                self.handleError(record)

    def stamp_request_id(record):
        record.aws_request_id = _request_id
        return True

    class JsonFormatter(logging.Formatter):
        """LogFormat JSON: one object per record, as the runtime writes it."""

        def format(self, record):
            entry = {"timestamp": f"{self.formatTime(record, self.datefmt)}.{int(record.msecs):03d}Z",
                     "level": record.levelname, "message": record.getMessage(), "logger": record.name}
            error = record.exc_info[1] if record.exc_info else None
            if error is not None:
                entry.update(stackTrace=stack_trace(error.__traceback__), errorType=type(error).__name__,
                             errorMessage=str(error))
            entry["requestId"] = record.aws_request_id
            if error is not None:
                entry["location"] = f"{aws_path(record.pathname)}:{record.funcName}:{record.lineno}"
            # A logging call's extra={...} keys join the object.
            entry.update((k, v) for k, v in vars(record).items() if k not in reserved and k not in entry)
            return json.dumps(entry, default=str) + "\n"

    reserved = {*vars(logging.makeLogRecord({})), "message", "asctime", "aws_request_id"}

    logging.Formatter.converter = time.gmtime
    handler = LambdaLogHandler()
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
        handler.setFormatter(JsonFormatter(datefmt="%Y-%m-%dT%H:%M:%S"))
    else:
        handler.setFormatter(logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(stamp_request_id)
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if isinstance(logging.getLevelName(level), int):
        root.setLevel(level)


class LogSetupOnImport:
    """Sets up the runtime's root log handler the moment anything imports logging.

    Importing logging up front would add as much to every cold start as starting the interpreter,
    and most handlers never log; whoever imports it first still finds the root logger as on AWS.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                self._loader, spec.loader = spec.loader, self
                return spec
        return None

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        # Put the real loader back first: linecache and importlib.resources ask it for files.
        module.__loader__ = module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        install_log_handler(module)


def exit_with_parent():
    """End this worker if the engine's process dies, even while a handler is busy."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    _thread.start_new_thread(watch, ())


def main():
    # The function's code first, as on AWS; the runtime's boto3 last, so a packaged boto3 wins.
    task_root, runtime_site = os.environ["LAMBDA_TASK_ROOT"], sys.argv.pop(1)
    sys.path[:] = [task_root, *sys.path, runtime_site]
    # The code runs from a directory of the sandbox's, but a traceback names it as AWS does.
    stdlib = os.path.dirname(os.__file__)
    _AWS_PATHS[:] = [(os.path.join(task_root, ""), "/var/task/"), (os.path.join(runtime_site, ""), "/var/runtime/"),
                     (os.path.join(stdlib, ""), f"/var/lang/lib/python{sys.version_info[0]}.{sys.version_info[1]}/")]
    exit_with_parent()
    sys.meta_path.insert(0, LogSetupOnImport())
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except FaultError as e:
        error = make_error(e.message, e.error_type, e.trace)
    except Exception as e:
        error = make_error(str(e), type(e).__name__, stack_trace(e.__traceback__))
    else:
        while True:
            headers, body = client.next()
            invoke(client, handler, headers, body)
    log_error(error)
    client.post_init_error(error)
    os._exit(1)


if __name__ == "__main__":
    try:
        main()
    except OSError:
        os._exit(1)  # the engine is gone: there is nothing left to serve
