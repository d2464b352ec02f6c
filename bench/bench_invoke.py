"""Warm Lambda invoke through boto3, against a plain boto3 call to the sandbox that runs no code.

Both go through the same sandbox and client in the same run; the ratio is
what running the function adds. Also: 8 concurrent invocations (cold, then warm).
"""

from __future__ import annotations

import io
import json
import statistics
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from helpers import sandbox

ROUNDS = 300
HELLO = "import json\ndef lambda_handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps('Hello, World! from Lambda!')}\n"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def timed(call, rounds: int = ROUNDS) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def describe(name: str, samples: list[float]) -> float:
    samples = sorted(samples)
    p50, p99 = statistics.median(samples), samples[int(len(samples) * 0.99) - 1]
    print(f"{name:<42} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    return p50


def main() -> None:
    with sandbox.start():
        role = boto3.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("app.py", HELLO)
        client = boto3.client("lambda", config=Config(max_pool_connections=16))
        client.create_function(FunctionName="hello", Runtime="python3.12", Role=role, Handler="app.lambda_handler",
                               Code={"ZipFile": buffer.getvalue()})
        for _ in range(20):  # warm both paths: clients, moto's app, one environment
            client.invoke(FunctionName="hello")
            client.get_function_configuration(FunctionName="hello")
        base = describe("plain call (GetFunctionConfiguration)", timed(lambda: client.get_function_configuration(FunctionName="hello")))
        warm = describe("warm Invoke", timed(lambda: client.invoke(FunctionName="hello")["Payload"].read()))
        print(f"warm invoke / plain call = {warm / base:.2f}x  (goal: within 2x)")

        with ThreadPoolExecutor(8) as pool:
            for label in ("8 concurrent invokes, new environments", "8 concurrent invokes, warm"):
                if "new" in label:
                    # a configuration change retires the warm environments
                    client.update_function_configuration(FunctionName="hello", MemorySize=256)
                start = time.perf_counter()
                list(pool.map(lambda _: client.invoke(FunctionName="hello")["Payload"].read(), range(8)))
                print(f"{label:<42} {(time.perf_counter() - start) * 1000:7.1f} ms for all 8")


if __name__ == "__main__":
    main()
