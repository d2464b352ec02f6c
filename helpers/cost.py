"""Monthly cost of Lambda + API Gateway against an always-on EC2 instance: a pure model, no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

ARCHITECTURES = ("x86_64", "arm64")
# The always-on comparison: the smallest burstable instance of each architecture.
EC2_INSTANCE = {"x86_64": "t3.micro", "arm64": "t4g.micro"}
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
# The REST API price falls after this many requests a month; only this first tier is modelled.
REST_API_FIRST_TIER_REQUESTS = 333_000_000
_MILLION = 1_000_000
# Far beyond any real bill: past this, serverless is taken never to reach the instance's cost.
_BREAK_EVEN_CEILING = 10**18


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _check_count(name: str, value) -> None:
    if not _is_number(value) or value < 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")


def _check_positive(name: str, value) -> None:
    if not _is_number(value) or value <= 0:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")


def _check_memory(memory_mb) -> None:
    if not _is_number(memory_mb) or memory_mb != int(memory_mb):
        raise ValueError(f"memory_mb must be a whole number of MB, got {memory_mb!r}")
    if not MIN_MEMORY_MB <= memory_mb <= MAX_MEMORY_MB:
        raise ValueError(f"memory_mb must be between {MIN_MEMORY_MB} and {MAX_MEMORY_MB:,} MB, got {memory_mb}")


def _check_architecture(architecture) -> None:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}, got {architecture!r}")


def _price(default: float, label: str, unit: str):
    # The label and unit travel with the field so a UI can list the prices without repeating them.
    return field(default=default, metadata={"label": label, "unit": unit})


@dataclass(frozen=True)
class Prices:
    """Every price the model uses (us-east-1, on-demand), with the month they were checked."""

    lambda_per_million_requests: float = _price(0.20, "Lambda requests", "$ per 1M requests")
    lambda_gb_second_x86_64: float = _price(0.0000166667, "Lambda compute, x86_64", "$ per GB-second")
    lambda_gb_second_arm64: float = _price(0.0000133334, "Lambda compute, arm64", "$ per GB-second")
    free_tier_requests: float = _price(1_000_000, "Free tier: Lambda requests", "requests per month")
    free_tier_gb_seconds: float = _price(400_000, "Free tier: Lambda compute", "GB-seconds per month")
    rest_api_per_million: float = _price(3.50, "API Gateway REST API", "$ per 1M requests")
    http_api_per_million: float = _price(1.00, "API Gateway HTTP API", "$ per 1M requests")
    ec2_t3_micro_per_hour: float = _price(0.0104, "EC2 t3.micro (x86_64)", "$ per hour")
    ec2_t4g_micro_per_hour: float = _price(0.0084, "EC2 t4g.micro (arm64)", "$ per hour")
    # An instance also needs a disk and, to be reached from the internet, a public IPv4 address.
    ebs_volume_gb: float = _price(8, "EC2 disk: EBS gp3 volume", "GB")
    ebs_gp3_per_gb_month: float = _price(0.08, "EBS gp3 storage", "$ per GB-month")
    public_ipv4_per_hour: float = _price(0.005, "Public IPv4 address (since Feb 2024)", "$ per hour")
    hours_per_month: float = _price(730, "Hours in a month", "hours")
    as_of: str = "2026-12"
    region: str = "us-east-1"

    def __post_init__(self) -> None:
        for name in price_names():
            _check_count(f"price {name}", getattr(self, name))
        if self.hours_per_month <= 0:
            raise ValueError(f"hours_per_month must be positive, got {self.hours_per_month}")

    def gb_second(self, architecture: str) -> float:
        """The Lambda compute price for `architecture`, in $ per GB-second."""
        _check_architecture(architecture)
        return self.lambda_gb_second_x86_64 if architecture == "x86_64" else self.lambda_gb_second_arm64

    def ec2_per_hour(self, architecture: str) -> float:
        """The hourly on-demand price of the comparison instance for `architecture`."""
        _check_architecture(architecture)
        return self.ec2_t3_micro_per_hour if architecture == "x86_64" else self.ec2_t4g_micro_per_hour


def price_names() -> tuple[str, ...]:
    """The names of the numeric (editable) fields of `Prices`, in display order."""
    return tuple(f.name for f in fields(Prices) if "unit" in f.metadata)


def price_field_info(name: str) -> tuple[str, str]:
    """The (label, unit) of the price field `name`."""
    meta = next(f.metadata for f in fields(Prices) if f.name == name)
    return meta["label"], meta["unit"]


@dataclass(frozen=True)
class CostBreakdown:
    """One month's bill, line by line; Lambda lines are before the free tier, which is its own credit."""

    requests: float
    architecture: str
    billed_duration_ms: int
    gb_seconds: float  # invocations plus billed INIT
    init_gb_seconds: float
    lambda_requests: float
    lambda_compute: float
    free_tier_credit: float
    api_gateway: float  # REST API, first tier
    http_api: float  # what an HTTP API would cost instead; not in the total
    ec2_instance: float
    ec2_storage: float
    ec2_public_ipv4: float

    @property
    def ec2(self) -> float:
        """The always-on server: instance hours, its EBS volume and its public IPv4 address."""
        return self.ec2_instance + self.ec2_storage + self.ec2_public_ipv4

    @property
    def lambda_total(self) -> float:
        """Lambda after the free tier."""
        return self.lambda_requests + self.lambda_compute - self.free_tier_credit

    @property
    def total(self) -> float:
        """Lambda after the free tier plus the REST API."""
        return self.lambda_total + self.api_gateway

    @property
    def total_with_http_api(self) -> float:
        """The same bill with an HTTP API in front instead of a REST API."""
        return self.lambda_total + self.http_api

    @property
    def beyond_first_api_tier(self) -> bool:
        """True when the REST API line overstates the bill because cheaper tiers apply."""
        return self.requests > REST_API_FIRST_TIER_REQUESTS

    @property
    def instance_type(self) -> str:
        """The EC2 instance this bill is compared with."""
        return EC2_INSTANCE[self.architecture]


def billed_ms(duration_ms: float) -> int:
    """Lambda bills duration in 1 ms steps, rounding each invocation up."""
    # Round away float noise first (10 ** 2.0 from a log slider is fine, 120.00000000000001 is not)
    # so it cannot cost a whole extra millisecond.
    return math.ceil(round(duration_ms, 9))


def ec2_monthly_lines(architecture: str, prices: Prices = Prices()) -> tuple[float, float, float]:
    """A month of the comparison server: (instance hours, EBS volume, public IPv4 address)."""
    return (
        prices.ec2_per_hour(architecture) * prices.hours_per_month,
        prices.ebs_volume_gb * prices.ebs_gp3_per_gb_month,
        prices.public_ipv4_per_hour * prices.hours_per_month,
    )


def ec2_monthly_cost(architecture: str, prices: Prices = Prices()) -> float:
    """The on-demand cost of the comparison server all month: instance hours, EBS volume and public IPv4 address."""
    return sum(ec2_monthly_lines(architecture, prices))


def monthly_cost(
    requests: float,
    duration_ms: float,
    memory_mb: int,
    architecture: str = "x86_64",
    prices: Prices = Prices(),
    *,
    cold_starts: float = 0,
    init_ms: float = 0,
) -> CostBreakdown:
    """The monthly bill for `requests` invocations behind a REST API; `cold_starts` x `init_ms` adds billed INIT."""
    _check_count("requests", requests)
    _check_positive("duration_ms", duration_ms)
    _check_memory(memory_mb)
    _check_architecture(architecture)
    _check_count("cold_starts", cold_starts)
    if cold_starts > requests:
        raise ValueError(f"cold_starts ({cold_starts}) cannot exceed requests ({requests})")
    _check_count("init_ms", init_ms)

    gb = memory_mb / 1024
    billed = billed_ms(duration_ms)
    # INIT has been billed like invocation time since 1 Aug 2025, so it also draws on the free tier.
    init_gb_seconds = cold_starts * billed_ms(init_ms) / 1000 * gb
    gb_seconds = requests * billed / 1000 * gb + init_gb_seconds
    rate = prices.gb_second(architecture)
    per_request = prices.lambda_per_million_requests / _MILLION
    instance, storage, public_ipv4 = ec2_monthly_lines(architecture, prices)
    credit = min(requests, prices.free_tier_requests) * per_request + min(
        gb_seconds, prices.free_tier_gb_seconds
    ) * rate
    return CostBreakdown(
        requests=requests,
        architecture=architecture,
        billed_duration_ms=billed,
        gb_seconds=gb_seconds,
        init_gb_seconds=init_gb_seconds,
        lambda_requests=requests * per_request,
        lambda_compute=gb_seconds * rate,
        free_tier_credit=credit,
        api_gateway=requests * prices.rest_api_per_million / _MILLION,
        http_api=requests * prices.http_api_per_million / _MILLION,
        ec2_instance=instance,
        ec2_storage=storage,
        ec2_public_ipv4=public_ipv4,
    )


def break_even_requests(
    duration_ms: float,
    memory_mb: int,
    architecture: str = "x86_64",
    prices: Prices = Prices(),
    *,
    cold_starts: float = 0,
    init_ms: float = 0,
) -> int | None:
    """The fewest requests a month at which Lambda + REST API costs at least the instance; None if never."""

    def reaches_instance(requests: int) -> bool:
        bill = monthly_cost(
            requests, duration_ms, memory_mb, architecture, prices, cold_starts=cold_starts, init_ms=init_ms
        )
        return bill.total >= bill.ec2

    # The bill never falls as requests grow, so the crossing can be bracketed by doubling and then bisected.
    low = math.ceil(cold_starts)  # fewer requests than cold starts is not a month that can happen
    if reaches_instance(low):
        return low
    high = max(low, 1)
    while not reaches_instance(high):
        if high > _BREAK_EVEN_CEILING:
            return None  # e.g. every serverless price set to 0
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if reaches_instance(middle) else (middle, high)
    return high


def average_requests_per_second(requests: float, prices: Prices = Prices()) -> float:
    """A monthly request count as an average rate, to make it easier to picture."""
    return requests / (prices.hours_per_month * 3600)
