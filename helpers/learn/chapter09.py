"""Chapter 09: interview flashcards, scenario questions, "explain this output", the course quiz and two exercises.

TOPICS is the one table that says which chapter taught what; every link in
the chapter is written from it, and only to chapter files that exist.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import boto3
import requests

from ..cost import Prices, break_even_requests, monthly_cost
from ..steps import invoke_url
from .course_quiz import Choice, CourseQuiz, MultiSelect, Numeric, Ordering
from .diagnosis import explain
from .exercise import Exercise, Incorrect
from .flashcards import Card, Deck

NOTEBOOKS = Path(__file__).resolve().parent.parent.parent / "notebooks"

# The course's chapter files, by number. Chapters that are not written yet are
# named "(coming)" instead of linked, until their file lands in notebooks/.
CHAPTER_FILES = {
    "01": "01_concepts.ipynb",
    "02": "02_create_lambda_function.ipynb",
    "03": "03_create_rest_api.ipynb",
    "04": "04_test_the_api.ipynb",
    "05": "05_common_mistakes.ipynb",
    "06": "06_cold_starts.ipynb",
    "07": "07_monitoring_and_debugging.ipynb",
    "08": "08_security_and_limits.ipynb",
    "10": "10_real_world_and_cleanup.ipynb",
}


@dataclass(frozen=True)
class Topic:
    """An interview topic: its title and the chapters where the learner did it."""

    title: str
    chapters: tuple[str, ...]


TOPICS = {
    "benefits": Topic("Benefits of serverless", ("01",)),
    "compute": Topic("Lambda vs EC2, Fargate and Lambda Managed Instances", ("01", "02")),
    "api gateway": Topic("The role of API Gateway", ("03", "04")),
    "rest vs http": Topic("REST API vs HTTP API", ("01", "03")),
    "cold starts": Topic("Cold starts and provisioned concurrency", ("06",)),
    "security": Topic("Security: IAM roles, resource-based policies, authorizers", ("02", "03", "08")),
    "monitoring": Topic("Debugging and monitoring with CloudWatch", ("05", "07")),
    "limits": Topic("Throttling and limits", ("08",)),
    "functions": Topic("Lambda functions: handler, package, configuration", ("02",)),
    "deploying": Topic("Deploying a REST API: resources, methods, stages", ("03",)),
    "testing": Topic("Testing a serverless API", ("04",)),
    "cost": Topic("What it costs", ("01",)),
    "real world": Topic("Real-world patterns, infrastructure as code, cleanup", ("10",)),
}


def chapter_link(number: str, notebooks: Path = NOTEBOOKS) -> str:
    """A Markdown link to chapter `number` if its file exists in `notebooks`, else "chapter NN (coming)"."""
    name = CHAPTER_FILES[number]
    return f"[chapter {number}]({name})" if (notebooks / name).exists() else f"chapter {number} (coming)"


def revisit(topic: str, notebooks: Path = NOTEBOOKS) -> str:
    """Where a topic was taught: its chapters as Markdown links (or "(coming)")."""
    links = [chapter_link(number, notebooks) for number in TOPICS[topic].chapters]
    return " and ".join(filter(None, [", ".join(links[:-1]), links[-1]]))


def topic_table(notebooks: Path = NOTEBOOKS) -> str:
    """The topics and their chapters as a Markdown table."""
    rows = [f"| {t.title} | {revisit(key, notebooks)} |" for key, t in TOPICS.items()]
    return "\n".join(["| topic | where you did it |", "|---|---|", *rows])


# ---------------------------------------------------------------- flashcards

def _break_even_millions() -> str:
    # From chapter 01's cost model, so the card follows its prices when they change.
    return f"{break_even_requests(duration_ms=120, memory_mb=128, architecture='x86_64') / 1e6:.1f} million"


def _flashcard_answers() -> dict[str, tuple[str, str]]:
    return {
        "benefits": (
            "What are the benefits of serverless computing — and when is it not the cheaper choice?",
            "- **Pay per use**: $0.20 per million requests plus $0.0000166667 per GB-second (x86_64, us-east-1, "
            "checked Nov 2026); nothing while idle; the free tier covers 1M requests and 400,000 GB-s a month.\n"
            "- **Automatic scaling, within quotas**: 1,000 concurrent executions per Region by default, and each "
            "function adds up to 1,000 execution environments every 10 seconds.\n"
            "- **Less to operate**: no servers to patch or size; AWS runs the function across Availability Zones.\n"
            "- **Faster delivery**: you deploy a function, not a fleet.\n"
            "Talking point: *\"Serverless allows us to focus on code, not infrastructure.\"*\n"
            "Caveat: steady, busy traffic can be cheaper on an always-on instance — with chapter 01's prices, a "
            f"128 MB, 120 ms function behind a REST API costs as much as a t3.micro at about {_break_even_millions()} "
            "requests a month.",
        ),
        "compute": (
            "How does Lambda differ from EC2 — and from containers on Fargate and Lambda Managed Instances?",
            "- **Lambda (on demand)**: event-driven and ephemeral. An execution environment starts when a request "
            "needs one, serves one request at a time, and is reclaimed when idle; at most 900 s per invocation; "
            "billed per ms of run time. AWS manages the OS and the scaling.\n"
            "- **EC2**: persistent virtual servers. You choose, patch and scale them (Auto Scaling) and pay per "
            "second while they run, busy or not; any software, any run time.\n"
            "- **Fargate (ECS/EKS)**: serverless *containers* — no servers to manage, but a task runs until stopped "
            "and is billed per vCPU and GB while it runs: long-running services and jobs over 15 minutes.\n"
            "- **Lambda Managed Instances** (announced Nov 2025): Lambda functions on EC2 instances that Lambda "
            "launches, patches and scales in your account (a *capacity provider* in your VPC). One environment serves "
            "several requests at once (Python: one process per request, Python 3.13+), scaling follows CPU use "
            "instead of arrivals, so there are no cold starts — but traffic that more than doubles within 5 minutes "
            "can be throttled. Priced like EC2 (Savings Plans apply) plus a management fee: for steady, high volume.",
        ),
        "api gateway": (
            "What does API Gateway do in front of a Lambda function?",
            "It is the front door: it receives HTTPS requests; **routes** them by resource and method (`GET /hello`); "
            "turns each request into an event (the Lambda proxy event, 12 keys) and the function's return value into "
            "the HTTP response; **authenticates and authorizes** (IAM, Cognito, Lambda authorizers; API keys and usage "
            "plans identify and meter clients); **throttles** (10,000 requests/s with bursts of 5,000 per account and "
            "Region by default); validates and transforms requests; and **versions** the API: a deployment is a "
            "snapshot of its configuration, a stage (`dev`, `prod`) serves one deployment.\n"
            "Talking point: *\"API Gateway acts as a secure and scalable front door to our backend services.\"*",
        ),
        "rest vs http": (
            "REST API or HTTP API — which would you choose, and why?",
            "- **HTTP API** (API Gateway v2): $1.00 per million requests (us-east-1, Nov 2026), lower latency, JWT "
            "authorizers and CORS built in; an unknown route answers **404** `{\"message\":\"Not Found\"}`.\n"
            "- **REST API** (v1, what the walkthrough and this course build): $3.50 per million (first 333 million); "
            "API keys and usage plans, per-method throttling, request validation, mapping templates, caching, WAF, "
            "private endpoints, response streaming (Nov 2025); an unknown route answers **403** "
            "`{\"message\":\"Missing Authentication Token\"}`.\n"
            "Choose an HTTP API unless you need a feature only REST APIs have.",
        ),
        "cold starts": (
            "What is a cold start, when does it happen, and how do you reduce it?",
            "When no idle execution environment is free, Lambda creates one: fetches the code, starts the runtime "
            "and runs the init code (everything outside the handler). That INIT phase shows as `Init Duration` on "
            "the environment's first REPORT line, and is billed since 1 Aug 2025. It happens on the first request, "
            "after a deploy, after idle reclaim (minutes), after a crash or a timeout, and whenever concurrency grows. "
            "Hello world on python3.12, zip, 128 MB: about 85 ms of Init Duration on x86_64 (maxday/lambda-perf, "
            "Aug 2026); a warm call takes about 2 ms.\n"
            "Reduce it: a small package and lazy imports; clients created once outside the handler; more memory "
            "(more CPU); **provisioned concurrency** keeps N environments initialised (on a version or alias, never "
            "`$LATEST`; paid while configured); SnapStart for Python 3.12+ (Nov 2024) restores a snapshot.",
        ),
        "security": (
            "How do you secure a Lambda function behind API Gateway?",
            "Three different policies, each answering a different question:\n"
            "1. **The execution role** — what may the *function* do? A role with a trust policy "
            "(`lambda.amazonaws.com` may `sts:AssumeRole`) and permission policies, least privilege: the console's "
            "basic role may only write to the function's own log group.\n"
            "2. **The function's resource-based policy** — who may *invoke* it? `lambda.add_permission` for "
            "`apigateway.amazonaws.com`, narrowed by `SourceArn` to this API, stage, method and path; without it "
            "API Gateway answers 500.\n"
            "3. **Who may call the API?** IAM authorization (SigV4), Cognito user pools, Lambda authorizers (no token: "
            "401 Unauthorized; a Deny: 403), API keys with usage plans (identify and meter clients — not "
            "authentication), WAF and API resource policies.\n"
            "Talking point: *\"We use IAM roles to grant our Lambda functions fine-grained access to other AWS resources.\"*",
        ),
        "monitoring": (
            "How do you debug and monitor a serverless API with CloudWatch?",
            "- **Logs**: `/aws/lambda/<function>`, one stream per execution environment; `START`, `END` and `REPORT` "
            "per invocation, `INIT_START` on a cold start, `[ERROR]` with the traceback when the handler raises. "
            "Query them with Logs Insights (`filter @type = \"REPORT\"`); log JSON to query fields.\n"
            "- **Metrics**: Lambda `Invocations`, `Errors`, `Duration` (watch p99, not the average), `Throttles`, "
            "`ConcurrentExecutions`; API Gateway `Count`, `4XXError`, `5XXError`, `Latency`, `IntegrationLatency`.\n"
            "- **Alarms** on Errors and 5XXError; **X-Ray** traces for where the time goes; API Gateway execution and "
            "access logs (they need the account's CloudWatch role); the console's Test button (`TestInvokeMethod`) "
            "runs one method with its execution log.\n"
            "Talking point: *\"We monitor our Lambda functions using CloudWatch to identify performance bottlenecks.\"*",
        ),
        "limits": (
            "Which limits and throttles matter, and how do you raise them?",
            "- **Lambda**: 1,000 concurrent executions per account and Region by default; each function scales by up to "
            "1,000 environments every 10 s; beyond that, `TooManyRequestsException` (429, \"Rate Exceeded.\"). "
            "Reserved concurrency caps and guarantees one function's share. Timeout 3 s by default, 900 s at most; "
            "memory 128–10,240 MB; payload 6 MB synchronous.\n"
            "- **API Gateway**: 10,000 requests/s, bursts of 5,000, per account and Region; stage and method throttles "
            "and usage-plan quotas answer **429**; the integration timeout is 29 s (raisable for Regional REST APIs "
            "since June 2024); payload 10 MB.\n"
            "- **Raise** soft quotas in Service Quotas (console or `service-quotas request-service-quota-increase`) "
            "before a launch, not during it; for the rest, design around them (queues, caching, retries with backoff).",
        ),
    }


def _scenarios() -> dict[str, tuple[str, str]]:
    at_40_per_minute = monthly_cost(40 * 60 * 730, 120, 128, "x86_64")
    return {
        "benefits": (
            "Your CTO asks whether to move an internal API that gets 40 requests a minute, all day, from a t3.micro "
            "to Lambda. What do you ask, and what do you answer?",
            "Ask about the traffic shape (steady or spiky, nights and weekends), the run time and memory per request, "
            "and who operates the instance today. 40 a minute is about 1.75 million requests a month; at 120 ms and "
            f"128 MB chapter 01's model says ${at_40_per_minute.total:.2f} a month behind a REST API "
            f"(${at_40_per_minute.total_with_http_api:.2f} with an HTTP API) against ${at_40_per_minute.ec2:.2f} for the "
            "always-on instance, which someone must also patch and watch. At this volume cost is "
            "close; the argument is operations and scaling, and the break-even moves with duration and memory, so "
            "measure them first.",
        ),
        "compute": (
            "A team transcodes videos; each file takes about 40 minutes. They want it \"serverless\". What do you recommend?",
            "Not on-demand Lambda: an invocation stops at 900 s (15 minutes). Run the work as a container on "
            "**Fargate** (an ECS task, or AWS Batch on Fargate), started by the S3 upload through EventBridge or a "
            "small Lambda function; or split each file into chunks short enough for Lambda and fan out. Lambda "
            "Managed Instances remove cold starts and add multi-concurrency, but they are for steady request "
            "traffic, not for hour-long jobs.",
        ),
        "api gateway": (
            "A client calls `GET /v2/orders` and gets 403 `{\"message\":\"Missing Authentication Token\"}`, but the "
            "API has no authentication at all. Walk me through it.",
            "On a REST API that body means *no route matched*, not an authentication problem. Check, in order: the "
            "stage in the URL exists; the path matches a resource exactly (case-sensitive, `/v2/orders` vs "
            "`/orders`); the method is defined on it; and the change was **deployed** — a stage serves the "
            "deployment it points to, not the API's current configuration (`get_resources` vs the stage's "
            "deployment). Fix with `create_deployment(restApiId=..., stageName=...)`. An HTTP API would have said "
            "404 Not Found.",
        ),
        "rest vs http": (
            "Your public mobile API must be cheap and accept Cognito JWTs; a partner API needs a key per partner "
            "with a monthly quota. Which API types do you build?",
            "The mobile API as an **HTTP API** with a JWT authorizer pointed at the Cognito user pool: $1.00 per "
            "million requests and lower latency. The partner API as a **REST API** with API keys and usage plans "
            "(throttle and quota per key, 429 when exceeded) — HTTP APIs have no usage plans. Both can call the same "
            "Lambda functions; note the payload formats differ (2.0 vs 1.0).",
        ),
        "cold starts": (
            "Every morning at 9:00 the p99 latency of the checkout API jumps to 2 s while the average stays at 40 ms. "
            "Explain it and fix it.",
            "Overnight the environments were reclaimed; at 9:00 traffic rises and every extra concurrent request "
            "needs a new environment — cold starts. Confirm it: REPORT lines with `Init Duration` at 9:00 (Logs "
            "Insights: `filter @type = \"REPORT\" and ispresent(@initDuration)`). Then shrink INIT (lazy imports, "
            "smaller package, clients outside the handler, more memory) and, if that is not enough, schedule "
            "**provisioned concurrency** on the live alias from 8:45 with Application Auto Scaling, or use SnapStart. "
            "Weigh its hourly price against the latency target.",
        ),
        "security": (
            "A review finds your function's role has `AdministratorAccess` \"because it was quicker\". How do you cut "
            "it down without breaking the function?",
            "Find what it really calls: CloudTrail events for the role, IAM's *last accessed* data, or IAM Access "
            "Analyzer's policy generation. Write a policy with those actions on those resources only (e.g. "
            "`dynamodb:GetItem` on one table's ARN; logs on its own log group), attach it, test on a non-production "
            "stage and watch the logs for `AccessDeniedException` (\"…is not authorized to perform…\"), then detach "
            "the admin policy. Who may *invoke* the function is a separate, resource-based policy with a `SourceArn`.",
        ),
        "monitoring": (
            "Your API returns 502 after a deploy — walk me through it.",
            "A 502 `{\"message\": \"Internal server error\"}` from a Lambda proxy integration means the function ran and "
            "failed, or answered something API Gateway can't read. 1) Roll back first if users are hurt (point the "
            "alias or stage at the previous version). 2) Reproduce with `curl -i`, note `x-amzn-RequestId`. 3) Read "
            "`/aws/lambda/<function>`: an `[ERROR]` traceback (an exception, `Runtime.ImportModuleError` from a "
            "packaging or handler mistake), `Task timed out`, or no error at all — then the response shape is wrong "
            "(a bare string, a body that is not a string, an unknown key); API Gateway's execution log or the Test "
            "button says \"Malformed Lambda proxy response\". 4) Fix, add a unit test for that event, redeploy. "
            "Not a 502: a missing invoke permission is 500, a missing route 403, over 29 s 504.",
        ),
        "limits": (
            "On launch day some users get 429 `{\"message\":\"Too Many Requests\"}` and the dashboards show Lambda "
            "`Throttles`. What is happening and what do you do?",
            "Two limits at once: API Gateway's stage or account throttle (10,000 requests/s, burst 5,000 by default) "
            "answers 429 before Lambda is called; and the function hit the Region's concurrency (1,000 by default) "
            "or its reserved concurrency, so invocations were throttled. Now: raise the stage throttle if the "
            "backend can take it, give critical functions reserved concurrency, and have clients retry with "
            "exponential backoff and jitter. Before the next launch: load-test, request quota increases in Service "
            "Quotas, cache (REST API caching), and move slow work to a queue.",
        ),
    }


def flashcards(notebooks: Path = NOTEBOOKS) -> Deck:
    """One flashcard per interview topic, its answer to reveal and the chapter where the learner did it."""
    return Deck("Interview flashcards", [
        Card(key, prompt, answer, revisit(key, notebooks)) for key, (prompt, answer) in _flashcard_answers().items()
    ])


def scenarios(notebooks: Path = NOTEBOOKS) -> Deck:
    """One scenario question per interview topic, with a model answer to reveal."""
    return Deck("Scenario questions", [
        Card(key, prompt, answer, revisit(key, notebooks)) for key, (prompt, answer) in _scenarios().items()
    ])


# ------------------------------------------------------ explain this output

_REPORT_FIELD = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([\d.]+) (ms|MB)")


def report_fields(report_line: str) -> dict[str, float]:
    """The numbers of a REPORT line: Duration, Billed Duration, Memory Size, Max Memory Used, Init Duration (if any)."""
    fields = {name: float(value) for name, value, _ in _REPORT_FIELD.findall(report_line)}
    missing = {"Duration", "Billed Duration", "Memory Size"} - set(fields)
    if not report_line.startswith("REPORT") or missing:
        raise ValueError(f"not a REPORT line (missing {', '.join(sorted(missing)) or 'REPORT'}): {report_line!r}")
    return fields


def gb_seconds_of(report_line: str) -> float:
    """The GB-seconds a REPORT line bills: Billed Duration in seconds × Memory Size in GB."""
    fields = report_fields(report_line)
    return fields["Billed Duration"] / 1000 * fields["Memory Size"] / 1024


def explain_report(report_line: str, notebooks: Path = NOTEBOOKS) -> Card:
    """An "explain this output" card for a real REPORT line: what is billed?"""
    f = report_fields(report_line)
    init = f.get("Init Duration")
    gb_s = gb_seconds_of(report_line)
    price = Prices().gb_second("x86_64")
    rate = f"{price:.10f}".rstrip("0")
    init_part = (f"Duration {f['Duration']:.2f} ms + Init Duration {init:.2f} ms, rounded up to the next ms — "
                 "INIT has been billed since 1 Aug 2025, and Init Duration only appears on a cold start"
                 if init is not None else
                 f"Duration {f['Duration']:.2f} ms rounded up to the next ms; no Init Duration, so this was a warm call")
    answer = (
        f"**Billed Duration {f['Billed Duration']:.0f} ms** = {init_part}.\n"
        f"Lambda bills memory × time: {f['Memory Size']:.0f} MB = {f['Memory Size'] / 1024:g} GB, so "
        f"{f['Billed Duration']:.0f} ms × {f['Memory Size'] / 1024:g} GB = **{gb_s:.6f} GB-seconds**, "
        f"about ${gb_s * price:.10f} at ${rate} per GB-s (x86_64), plus $0.0000002 for the request — both inside "
        f"the free tier. Max Memory Used ({f.get('Max Memory Used', 0):.0f} MB) is not billed: it tells you how "
        "much of the memory you pay for the function needs."
    )
    return Card("REPORT line", f"What is billed for this invocation?\n{report_line}", answer, revisit("cost", notebooks))


def explain_403(url: str, answer: requests.Response, notebooks: Path = NOTEBOOKS) -> Card:
    """An "explain this output" card for a real 403 from API Gateway: what is wrong?"""
    shown = f"GET {url}\n{answer.status_code} x-amzn-ErrorType: {answer.headers.get('x-amzn-ErrorType')}\n{answer.text}"
    model = (
        "Nothing about authentication. A REST API answers 403 `{\"message\":\"Missing Authentication Token\"}` "
        "(`MissingAuthenticationTokenException`) when **no resource and method match** the request — here the "
        "path: resources are case-sensitive and this API has `/hello`, not `/Hello`. The same body comes back for "
        "a wrong stage, a method that isn't defined, or a resource that was created but never deployed. An HTTP "
        "API would answer 404 Not Found. Check `apigateway.get_resources` and the stage's deployment."
    )
    return Card("403 body", f"What is wrong?\n{shown}", model, revisit("api gateway", notebooks))


def explain_502(answer: requests.Response, log_lines: list[str], notebooks: Path = NOTEBOOKS) -> Card:
    """An "explain this output" card for a real 502 after a bad deploy: what happened?"""
    shown = f"{answer.status_code} x-amzn-ErrorType: {answer.headers.get('x-amzn-ErrorType')}\n{answer.text}\n" + "\n".join(log_lines)
    model = (
        "API Gateway called the function, and the function **raised**: the `[ERROR]` line names the exception and "
        "the line of `app.py`. For a Lambda proxy integration a failed invocation becomes 502 "
        "`{\"message\": \"Internal server error\"}` (`InternalServerErrorException`) — the client never sees the "
        "traceback, only the log group does. Here `queryStringParameters` is `None` (JSON null) for a request "
        "without a query string, so `event[\"queryStringParameters\"][\"name\"]` fails. Fix the handler "
        "(`event.get(\"queryStringParameters\") or {}`), add a unit test for a request without a query string, "
        "redeploy — and roll back first if users are affected."
    )
    return Card("502 after a deploy", f"The API worked until this deploy. What happened?\n{shown}", model,
                revisit("monitoring", notebooks))


# ---------------------------------------------------------------- the quiz

def _course_questions() -> list:
    bill = monthly_cost(2_000_000, 250, 256, "x86_64")
    return [
        Choice("Which of these is *not* a benefit of serverless?",
               ["You pay per request and per ms of run time", "It scales out automatically, within quotas",
                "A request may run as long as it needs", "There are no servers to patch"], 2, "benefits",
               "On-demand Lambda stops an invocation at 900 s (15 minutes)."),
        MultiSelect("Which are true of on-demand Lambda but not of an EC2 instance?",
                    ["It is billed per ms, only while code runs", "You choose and patch its operating system",
                     "One execution environment serves one request at a time", "It can run a process for days"],
                    frozenset({0, 2}), "compute", "EC2 is persistent and yours to manage; Lambda is event-driven and ephemeral."),
        Choice("A service must run a container continuously for hours, with no servers to manage. What fits best?",
               ["On-demand Lambda", "AWS Fargate", "An API Gateway mock integration", "A Lambda layer"], 1, "compute",
               "Fargate runs containers without servers and without Lambda's 15-minute limit."),
        Choice("What do Lambda Managed Instances (Nov 2025) change compared with on-demand Lambda?",
               ["Functions run on EC2 capacity Lambda manages in your account, several requests per environment, no cold starts",
                "Functions no longer need an execution role", "Each function gets its own public IP address",
                "Billing becomes per request only"], 0, "compute",
               "They trade per-request scaling for EC2 pricing and multi-concurrency; scaling follows CPU use."),
        Choice("A REST API has only /hello. What does `GET /dev/goodbye` answer?",
               ["404 Not Found", "403 {\"message\":\"Missing Authentication Token\"}", "502 Bad Gateway", "500 Internal server error"],
               1, "api gateway", "REST APIs answer 403 Missing Authentication Token for an unknown route (HTTP APIs: 404)."),
        Ordering("Put the phases of a request to a REST API with a Lambda proxy integration in order.",
                 ["Match the path and method to a resource", "Run the authorizer and check the API key",
                  "Build the proxy event (integration request)", "Invoke the Lambda function",
                  "Turn the function's return value into the HTTP response"], "api gateway",
                 "Route, authorize, integration request, integration, method response."),
        Ordering("Put the steps that build the walkthrough's API in order.",
                 ["Create the execution role", "Create the Lambda function", "Create the REST API and its /hello resource",
                  "Add GET with a Lambda proxy integration", "Deploy the API to the dev stage"], "deploying",
                 "Each step needs the one before: the function needs the role, the integration the function, the deployment the method."),
        Choice("You changed the function's code (update_function_code). What else must you do for the API to serve it?",
               ["Nothing: the integration calls the function's current code", "Create a new API deployment",
                "Re-create the stage", "Add the invoke permission again"], 0, "deploying",
               "A deployment snapshots the API's configuration, not the function's code."),
        Choice("Which feature do REST APIs have and HTTP APIs do not?",
               ["Lambda integrations", "API keys with usage plans", "Custom domain names", "CORS"], 1, "rest vs http",
               "Usage plans (per-client throttles and quotas) are REST-only."),
        Numeric("At 10 million requests a month, how many dollars a month does an HTTP API save over a REST API "
                "(us-east-1, $3.50 vs $1.00 per million, Nov 2026)?", 25.0, "rest vs http",
                "10 × $3.50 − 10 × $1.00 = $25.", unit="$", abs_tol=0.01),
        Numeric("2 million requests a month, 250 ms each, 256 MB, x86_64, behind a REST API: what is the monthly bill in "
                "dollars after the free tier (1M requests, 400,000 GB-s; $0.20 per 1M requests, $3.50 per 1M API calls)?",
                bill.total, "cost",
                f"125,000 GB-s fit in the free tier; 1M billable requests cost $0.20; the REST API ${bill.api_gateway:.2f}.",
                unit="$", abs_tol=0.05),
        Numeric("A REPORT line says `Duration: 3.42 ms … Memory Size: 128 MB … Init Duration: 180.50 ms`. How many ms are "
                "billed (since 1 Aug 2025)?", 184, "cost",
                "3.42 + 180.50 = 183.92 ms, rounded up to the next ms: INIT is billed like invocation time.", unit="ms"),
        MultiSelect("When does a request meet a cold start?",
                    ["The first request after a deploy", "A request that arrives while every environment is busy",
                     "Every request", "The first request after an idle environment was reclaimed",
                     "The request after one that timed out"], frozenset({0, 1, 3, 4}), "cold starts",
                    "A new environment is needed after a deploy, on scale-out, after idle reclaim, and after a crash or timeout."),
        Choice("Provisioned concurrency can be configured on…", ["$LATEST", "A published version or an alias",
                                                               "The API Gateway stage", "The execution role"], 1,
               "cold starts", "It needs a fixed version: a version number or an alias pointing at one."),
        Choice("Where should a function create its boto3 clients for fast warm calls?",
               ["Inside the handler, on every call", "At module level, outside the handler",
                "In the API Gateway mapping template", "In the execution role"], 1, "cold starts",
               "Init code runs once per environment; warm calls reuse the client."),
        MultiSelect("API Gateway calls your function, which reads a DynamoDB table. Which policies take part?",
                    ["The role's trust policy (lambda.amazonaws.com may assume it)",
                     "The role's permission policy (dynamodb:GetItem on the table)",
                     "The function's resource-based policy (apigateway.amazonaws.com may invoke it)",
                     "An S3 bucket policy"], frozenset({0, 1, 2}), "security",
                    "Trust: who may use the role; permissions: what the function may do; resource policy: who may invoke."),
        Choice("Every request gets 500 `{\"message\": \"Internal server error\"}` and the function's log group shows no "
               "invocation. The likeliest cause?",
               ["The handler raised an exception", "API Gateway lacks lambda:InvokeFunction (or its SourceArn doesn't match)",
                "The stage was not deployed", "The function timed out"], 1, "security",
               "Without the resource-based permission API Gateway can't call the function: 500, and no log lines."),
        Choice("A method has a Lambda TOKEN authorizer. A request arrives without the Authorization header. The answer?",
               ["401 {\"message\":\"Unauthorized\"}", "403 {\"message\":\"Missing Authentication Token\"}",
                "500 {\"message\": null}", "200"], 0, "security",
               "A missing identity source is refused before the authorizer runs: 401."),
        MultiSelect("The API answers 502 right after a deploy. Which could cause it?",
                    ["The handler raises an exception", "The handler returns a bare string",
                     "The function times out (within 29 s)", "The new resource was not deployed to the stage",
                     "API Gateway lacks permission to invoke the function"], frozenset({0, 1, 2}), "monitoring",
                    "502 means the function failed or answered malformed; a missing route is 403, a missing permission 500."),
        Choice("Where do a function's log lines go?",
               ["The log group /aws/lambda/<function>, one stream per execution environment",
                "One log group per request", "Only API-Gateway-Execution-Logs_<api>/<stage>", "An S3 bucket"], 0,
               "monitoring", "Each environment writes its own stream; START, END and REPORT frame each invocation."),
        Choice("Which Lambda metric counts invocations refused because of a concurrency limit?",
               ["Errors", "Throttles", "Duration", "IntegrationLatency"], 1, "monitoring",
               "Throttles; Errors counts invocations that ran and failed."),
        Choice("How many concurrent executions does an account get per Region by default?",
               ["100", "1,000", "10,000", "Unlimited"], 1, "limits",
               "1,000, a soft quota: raise it in Service Quotas."),
        Numeric("How many seconds is API Gateway's default integration timeout?", 29, "limits",
                "29 s; raisable for Regional REST APIs since June 2024.", unit="s"),
        Choice("Past a stage's throttle, API Gateway answers…", ["429 {\"message\":\"Too Many Requests\"}", "503 Service Unavailable",
                                                               "403 Forbidden", "502 Bad Gateway"], 0, "limits",
               "429 TooManyRequestsException; clients should retry with backoff."),
        Choice("The handler setting for `lambda_handler` in `app.py` is…",
               ["app.lambda_handler", "lambda_handler", "app.py:lambda_handler", "hello_world/app.lambda_handler"], 0,
               "functions", "<module>.<function>: the file name without .py, a dot, the function."),
        Choice("What is `queryStringParameters` in the proxy event of a request without a query string?",
               ["{}", "None (JSON null)", "\"\"", "The key is missing"], 1, "testing",
               "null, not {}: test the handler with both shapes."),
        Choice("In a SAM template, what does `Transform: AWS::Serverless-2016-10-31` do?",
               ["CloudFormation expands AWS::Serverless::* resources into plain ones (function, role, API)",
                "It deploys the stack to every Region", "It converts Python to a container image",
                "It turns on provisioned concurrency"], 0, "real world",
               "SAM is a CloudFormation macro: the same template goes to `sam deploy`."),
    ]


def course_quiz(notebooks: Path = NOTEBOOKS) -> CourseQuiz:
    """The scored quiz over the whole course, with a score per topic and the chapter to revisit for each miss."""
    return CourseQuiz("Course quiz", _course_questions(), topics={k: t.title for k, t in TOPICS.items()},
                      revisit=lambda topic: revisit(topic, notebooks))


# ---------------------------------------------------------------- exercises

def _check_gb_seconds(billed_gb_seconds: object, report_line: str) -> str:
    if isinstance(billed_gb_seconds, bool) or not isinstance(billed_gb_seconds, (int, float)):
        raise Incorrect("give the GB-seconds as a number.")
    f = report_fields(report_line)
    billed, memory, duration = f["Billed Duration"], f["Memory Size"], f["Duration"]
    expected = gb_seconds_of(report_line)

    def close(value: float) -> bool:
        return math.isclose(billed_gb_seconds, value, rel_tol=0.005)

    if close(expected):
        return f"{billed:.0f} ms × {memory / 1024:g} GB = {expected:.6f} GB-s, Init Duration included."
    wrong = [
        (billed * memory / 1024, "that is GB-milliseconds: divide the Billed Duration by 1,000 to get seconds."),
        (billed / 1000 * memory, "that is MB-seconds: divide the Memory Size by 1,024 to get GB."),
        (billed / 1000 * memory / 1000, "Lambda counts 1 GB as 1,024 MB, not 1,000."),
        (billed / 1000 * f.get("Max Memory Used", -1) / 1024, "Lambda bills the memory you configured (Memory Size), not Max Memory Used."),
        (duration / 1000 * memory / 1024, "that uses Duration; the bill uses Billed Duration (rounded up, INIT included)."),
        (math.ceil(duration) / 1000 * memory / 1024,
         "that leaves INIT out: since 1 Aug 2025 Billed Duration includes the Init Duration of a cold start."),
    ]
    for value, message in wrong:
        if close(value):
            raise Incorrect(message)
    raise Incorrect(f"{billed_gb_seconds:g} is not it: Billed Duration in seconds × Memory Size in GB.")


def _check_fix(fix: object, api_id: str) -> str:
    apigateway = boto3.client("apigateway")
    if isinstance(fix, dict) and "Statement" in fix:
        raise Incorrect("that added an invoke permission; a missing permission shows as 500 Internal server error, not 403.")
    if isinstance(fix, dict) and ("httpMethod" in fix or "pathPart" in fix):
        raise Incorrect("the resource and its method already exist in the API's configuration (see get_resources): "
                        "the stage just doesn't serve them yet.")
    if not isinstance(fix, dict) or "id" not in fix:
        raise Incorrect("store the response of the boto3 call that fixes it in `fix`, e.g. fix = apigateway.<call>(...).")
    stages = {s["stageName"]: s["deploymentId"] for s in apigateway.get_stages(restApiId=api_id)["item"]}
    on = [name for name, deployment in stages.items() if deployment == fix["id"]]
    if not on:
        raise Incorrect("that deployment is on no stage: pass stageName='dev' so the dev stage serves it.")
    if "dev" not in on:
        raise Incorrect(f"that deployed to stage {on[0]!r}, but the URL calls /dev/: deploy to 'dev'.")
    answer = requests.get(invoke_url(api_id, "dev", "/goodbye"), timeout=10)
    if answer.status_code == 200:
        return f"the dev stage now serves the new deployment: GET /dev/goodbye answers {answer.status_code} {answer.text}."
    raise Incorrect(explain(answer))


q1 = Exercise(
    "q1", ("billed_gb_seconds", "report_line"), _check_gb_seconds,
    "GB-seconds = Billed Duration (ms) / 1,000 × Memory Size (MB) / 1,024; report_fields(report_line) reads the numbers.",
    'fields = report_fields(report_line)\n'
    'billed_gb_seconds = fields["Billed Duration"] / 1000 * fields["Memory Size"] / 1024',
)
q2 = Exercise(
    "q2", ("fix", "api_id"), _check_fix,
    "the resource is in get_resources, yet the stage answers 403: what makes a stage serve the API's current configuration?",
    'fix = apigateway.create_deployment(restApiId=api_id, stageName="dev", description="Add GET /goodbye")',
)
