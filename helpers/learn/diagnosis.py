"""What an API Gateway answer tells a learner about the mistake behind it."""

from __future__ import annotations

import requests

from .exercise import Incorrect

_CAUSES = {
    403: "API Gateway has no route for it — check the stage name, the resource path (case-sensitive) and that the change was deployed",
    500: "API Gateway may not invoke the function — the lambda.add_permission statement is missing or its SourceArn doesn't cover this method and path",
    502: "the function failed or returned a malformed proxy response — read its logs in CloudWatch",
    504: "the integration took longer than API Gateway's timeout (29 s by default; a Regional REST API can be granted more since June 2024)",
}


def explain(answer: requests.Response) -> str:
    """One sentence: the status, the body, and the usual cause of that answer."""
    cause = _CAUSES.get(answer.status_code, "")
    return f"API Gateway answered {answer.status_code} {answer.text}" + (f": {cause}." if cause else ".")


def call(url: str, params: dict[str, str] | None = None) -> requests.Response:
    """GET a URL the learner gave or built; a URL that cannot be called is the learner's Incorrect, not a checker failure."""
    try:
        return requests.get(url, params=params, timeout=30)
    except requests.RequestException as error:
        raise Incorrect(f"{url} cannot be called ({type(error).__name__}); build it with invoke_url(api_id, stage, path), "
                        "and check that this notebook's sandbox is running.") from None
