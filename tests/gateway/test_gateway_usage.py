"""API keys, usage plans, throttling (token buckets) and quotas, on a fake clock."""

import calendar

import pytest

from tests.support import send

from helpers.gateway.throttling import method_settings, period_start

KEY = "a" * 24


@pytest.fixture
def keyed(api, backend):
    """GET /hello requiring an API key; returns a function that adds the key and a plan."""
    api.lambda_method("/hello", "GET", apiKeyRequired=True)
    api.deploy()

    def add(enabled=True, stages=(("abc123", "dev"),), **plan):
        backend.api_keys[KEY] = {"id": "key1", "value": KEY, "enabled": enabled}
        backend.usage_plans.append({"id": "plan1", "keyIds": ["key1"],
                                    "apiStages": [{"apiId": a, "stage": s} for a, s in stages], **plan})

    return add


def with_key(app, key=KEY):
    return send(app, "GET", "/hello", headers=[("x-api-key", key)])


def test_valid_key_in_plan(keyed, app, last_event):
    keyed()
    assert with_key(app).status == 200
    identity = last_event()["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == (KEY, "key1")


@pytest.mark.parametrize("setup, key", [
    ({}, "unknown-key-value-000000"),
    ({"enabled": False}, KEY),
    ({"stages": [("abc123", "prod")]}, KEY),
    ({"stages": [("otherapi", "dev")]}, KEY),
    ({"stages": []}, KEY),
])
def test_key_refused(keyed, app, setup, key):
    keyed(**setup)
    reply = with_key(app, key)
    assert (reply.status, reply.body) == (403, b'{"message":"Forbidden"}')


def test_key_not_needed_when_not_required(api, app, last_event):
    api.lambda_method("/open", "GET")
    api.deploy()
    assert send(app, "GET", "/open", headers=[("x-api-key", "whatever")]).status == 200
    assert "apiKey" not in last_event()["requestContext"]["identity"]


def statuses(app, n, path="/hello", **kwargs):
    return [send(app, "GET", path, **kwargs).status for _ in range(n)]


def test_stage_throttle_burst_then_refill(api, app, clock):
    api.lambda_method("/hello", "GET")
    api.deploy(methodSettings={"*/*": {"throttlingRateLimit": 2.0, "throttlingBurstLimit": 3}})
    assert statuses(app, 4) == [200, 200, 200, 429]
    clock.advance(0.5)  # one token back at 2/s
    assert statuses(app, 2) == [200, 429]
    clock.advance(10)  # never more than the burst
    assert statuses(app, 4) == [200, 200, 200, 429]


def test_stage_default_applies_to_each_method_separately(api, app):
    api.lambda_method("/hello", "GET")
    api.lambda_method("/other", "GET", name="other")
    api.deploy(methodSettings={"*/*": {"throttlingRateLimit": 1.0, "throttlingBurstLimit": 1}})
    assert statuses(app, 2) == [200, 429]
    assert statuses(app, 1, path="/other") == [200]


@pytest.mark.parametrize("key", ["hello/GET", "~1hello/GET"])
def test_method_throttle_overrides_stage(api, app, key):
    api.lambda_method("/hello", "GET")
    api.lambda_method("/other", "GET", name="other")
    api.deploy(methodSettings={"*/*": {"throttlingRateLimit": 100.0, "throttlingBurstLimit": 100},
                               key: {"throttlingRateLimit": 0.0, "throttlingBurstLimit": 1}})
    assert statuses(app, 2) == [200, 429]
    assert statuses(app, 3, path="/other") == [200, 200, 200]


def test_nested_resource_method_settings_key():
    stage = {"methodSettings": {"~1a~1{id}/POST": {"throttlingBurstLimit": 7}, "*/*": {"throttlingBurstLimit": 1}}}
    assert method_settings(stage, "/a/{id}", "POST")["throttlingBurstLimit"] == 7
    assert method_settings(stage, "/a/{id}", "GET")["throttlingBurstLimit"] == 1


def test_burst_zero_blocks_everything(api, app):
    api.lambda_method("/hello", "GET")
    api.deploy(methodSettings={"*/*": {"throttlingRateLimit": 10.0, "throttlingBurstLimit": 0}})
    assert statuses(app, 1) == [429]


def test_usage_plan_throttle_per_key(keyed, app, clock):
    keyed(throttle={"rateLimit": 1.0, "burstLimit": 2})
    assert [with_key(app).status for _ in range(3)] == [200, 200, 429]
    clock.advance(1)
    assert with_key(app).status == 200


def test_usage_plan_method_throttle(keyed, app, backend):
    keyed()
    backend.usage_plans[0]["apiStages"][0]["throttle"] = {"/hello/GET": {"rateLimit": 0.0, "burstLimit": 1}}
    assert [with_key(app).status for _ in range(2)] == [200, 429]


def test_quota_resets_next_period(keyed, app, clock):
    keyed(quota={"limit": 2, "period": "DAY", "offset": 0})
    replies = [with_key(app) for _ in range(3)]
    assert [r.status for r in replies] == [200, 200, 429]
    assert replies[-1].body == b'{"message":"Limit Exceeded"}'
    clock.advance(24 * 3600)
    assert with_key(app).status == 200


def _utc(*parts):
    return calendar.timegm((*parts, 0, 0, 0, 0, 0, 0)[:9])


@pytest.mark.parametrize("now, period, offset, start", [
    (_utc(2026, 11, 24, 21), "DAY", 0, _utc(2026, 11, 24)),
    (_utc(2026, 11, 24, 21), "WEEK", 0, _utc(2026, 11, 22)),  # Tuesday -> Sunday
    (_utc(2026, 11, 24, 21), "WEEK", 1, _utc(2026, 11, 23)),  # -> Monday
    (_utc(2026, 11, 22, 1), "WEEK", 1, _utc(2026, 11, 16)),  # Sunday -> previous Monday
    (_utc(2026, 11, 24, 21), "MONTH", 0, _utc(2026, 11, 1)),
    (_utc(2026, 11, 24, 21), "MONTH", 24, _utc(2026, 11, 25) - 31 * 86400),  # before the 25th -> Oct 25
    (_utc(2026, 1, 3), "MONTH", 4, _utc(2025, 12, 5)),
])
def test_quota_period_start(now, period, offset, start):
    assert period_start(now, period, offset) == start
