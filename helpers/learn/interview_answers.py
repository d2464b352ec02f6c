"""Chapter 09's interview flashcards and scenario questions, each with its model answer and where it was taught."""

from __future__ import annotations

from pathlib import Path

from ..cost import break_even_requests, monthly_cost
from .course_map import NOTEBOOKS, revisit
from .flashcards import Card, Deck


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
