"""A Lambda authorizer, TOKEN or REQUEST: who is calling, and may they call this method?"""

import os

# The callers this toy authorizer knows: token -> (effect, user). A real one verifies a signed token (a JWT).
CALLERS = {"allow-alice": ("Allow", "alice"), "allow-bob": ("Allow", "bob"), "allow-carol": ("Allow", "carol"),
           "deny-mallory": ("Deny", "mallory")}


def lambda_handler(event, context):
    """Return an IAM policy for the method ARN (or the whole stage when POLICY_SCOPE=stage) and a context."""
    if event["type"] == "TOKEN":
        token = event["authorizationToken"].removeprefix("Bearer ")
    else:
        token = (event.get("headers") or {}).get("X-User-Token", "")
    if token not in CALLERS:
        raise Exception("Unauthorized")  # API Gateway answers 401 for exactly this message
    effect, user = CALLERS[token]
    resource = event["methodArn"]
    if os.environ.get("POLICY_SCOPE") == "stage":
        # arn:aws:execute-api:region:account:api/stage/METHOD/path -> every method and path of the stage
        resource = "/".join(resource.split("/")[:2]) + "/*"
    return {
        "principalId": user,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": {"user": user, "plan": "gold" if user == "alice" else "free"},
    }
