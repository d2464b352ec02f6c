"""The cost model against hand-computed bills, and the cost calculator widget driven from Python."""

from __future__ import annotations

import dataclasses
import math

import ipywidgets as widgets
import pytest

from helpers import cost
from helpers.cost import Prices, billed_ms, break_even_requests, ec2_monthly_cost, monthly_cost
from helpers.widgets import cost_calculator

approx = pytest.approx
# Free tier off, to check the raw charges by themselves.
NO_FREE_TIER = Prices(free_tier_requests=0, free_tier_gb_seconds=0)


# --- prices ---------------------------------------------------------------------------------------


def test_default_prices_are_the_november_2026_us_east_1_ones():
    prices = Prices()
    assert (prices.as_of, prices.region) == ("2026-12", "us-east-1")
    assert prices.lambda_per_million_requests == 0.20
    assert prices.gb_second("x86_64") == 0.0000166667
    assert prices.gb_second("arm64") == 0.0000133334
    assert (prices.free_tier_requests, prices.free_tier_gb_seconds) == (1_000_000, 400_000)
    assert (prices.rest_api_per_million, prices.http_api_per_million) == (3.50, 1.00)
    assert (prices.ec2_per_hour("x86_64"), prices.ec2_per_hour("arm64")) == (0.0104, 0.0084)
    assert prices.hours_per_month == 730
    assert (prices.ebs_volume_gb, prices.ebs_gp3_per_gb_month, prices.public_ipv4_per_hour) == (8, 0.08, 0.005)


def test_every_price_is_listed_with_a_label_and_unit():
    names = cost.price_names()
    assert len(names) == 13 and "as_of" not in names and "region" not in names
    for name in names:
        label, unit = cost.price_field_info(name)
        assert label and unit


def test_ec2_month_is_730_hours_of_instance_disk_and_public_ipv4():
    # Instance: 730 × 0.0104 = 7.592 and 730 × 0.0084 = 6.132: the "≈ $7.59 and $6.13" of the design notes.
    # Disk: 8 GB gp3 × $0.08 = $0.64. Public IPv4 (charged since February 2024): 730 × $0.005 = $3.65.
    assert cost.ec2_monthly_lines("x86_64") == approx((7.592, 0.64, 3.65))
    assert ec2_monthly_cost("x86_64") == approx(11.882)
    assert ec2_monthly_cost("arm64") == approx(6.132 + 0.64 + 3.65)
    edited = Prices(ec2_t3_micro_per_hour=0.02, hours_per_month=720, ebs_volume_gb=20, public_ipv4_per_hour=0)
    assert ec2_monthly_cost("x86_64", edited) == approx(14.4 + 1.6)


@pytest.mark.parametrize(
    "change",
    [
        {"rest_api_per_million": -1},
        {"hours_per_month": 0},
        {"lambda_gb_second_arm64": math.nan},
        {"free_tier_requests": "1M"},
    ],
)
def test_invalid_prices_are_refused(change):
    with pytest.raises(ValueError, match=next(iter(change))):
        Prices(**change)


def test_prices_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Prices().rest_api_per_million = 1.0


# --- the monthly bill ---------------------------------------------------------------------------


def test_one_million_short_requests_cost_only_the_rest_api():
    # 1M requests = the free requests; 1M × 0.1 s × 0.125 GB = 12,500 GB-s, well inside 400,000.
    bill = monthly_cost(1_000_000, 100, 128, "x86_64")
    assert bill.gb_seconds == approx(12_500)
    assert bill.lambda_requests == approx(0.20)
    assert bill.lambda_compute == approx(12_500 * 0.0000166667)
    assert bill.lambda_total == approx(0, abs=1e-12)
    assert bill.api_gateway == approx(3.50)
    assert bill.total == approx(3.50)
    assert bill.http_api == approx(1.00) and bill.total_with_http_api == approx(1.00)
    assert bill.ec2 == approx(11.882) and bill.instance_type == "t3.micro"
    assert (bill.ec2_instance, bill.ec2_storage, bill.ec2_public_ipv4) == approx((7.592, 0.64, 3.65))


def test_ten_million_requests_of_120_ms_at_128_mb():
    # Requests: (10M - 1M free) × $0.20/1M = $1.80.
    # Compute: 10M × 0.120 s × 0.125 GB = 150,000 GB-s, inside the 400,000 free: $0.
    # REST API: 10 × $3.50 = $35.00. Total $36.80.
    bill = monthly_cost(10_000_000, 120, 128, "x86_64")
    assert bill.gb_seconds == approx(150_000)
    assert bill.lambda_total == approx(1.80)
    assert bill.api_gateway == approx(35.00)
    assert bill.total == approx(36.80)


def test_ten_million_requests_of_120_ms_at_1024_mb_x86_and_arm():
    # Compute: 10M × 0.120 s × 1 GB = 1,200,000 GB-s; 800,000 beyond the free tier.
    # x86_64: 800,000 × 0.0000166667 = $13.33336 → 1.80 + 13.33336 + 35 = $50.13336.
    # arm64:  800,000 × 0.0000133334 = $10.66672 → 1.80 + 10.66672 + 35 = $47.46672.
    x86 = monthly_cost(10_000_000, 120, 1024, "x86_64")
    arm = monthly_cost(10_000_000, 120, 1024, "arm64")
    assert x86.gb_seconds == arm.gb_seconds == approx(1_200_000)
    assert x86.total == approx(50.13336)
    assert arm.total == approx(47.46672)
    assert arm.instance_type == "t4g.micro" and arm.ec2 == approx(10.422)


def test_zero_requests_cost_nothing():
    bill = monthly_cost(0, 100, 128)
    assert (bill.lambda_total, bill.api_gateway, bill.total) == (0, 0, 0)


@pytest.mark.parametrize(
    ("requests", "lambda_requests"),
    [(999_999, 0.0), (1_000_000, 0.0), (1_000_001, 0.0000002), (2_000_000, 0.20)],
)
def test_free_requests_edge(requests, lambda_requests):
    # 1 ms at 128 MB keeps compute far inside its free tier, so only the request line is left.
    bill = monthly_cost(requests, 1, 128)
    assert bill.lambda_total == approx(lambda_requests, abs=1e-12)


@pytest.mark.parametrize(
    ("requests", "net_compute"),
    [
        (4_000_000, 0.0),  # 4M × 0.1 s × 1 GB = 400,000 GB-s: exactly the free tier
        (4_000_010, 0.0000166667),  # 10 more requests = 1 GB-s over
        (5_000_000, 100_000 * 0.0000166667),
    ],
)
def test_free_compute_edge(requests, net_compute):
    bill = monthly_cost(requests, 100, 1024, prices=Prices(lambda_per_million_requests=0))
    assert bill.lambda_total == approx(net_compute, abs=1e-12)


def test_free_tier_is_lambda_only_and_never_more_than_the_lambda_charges():
    bill = monthly_cost(500_000, 50, 256)
    assert bill.free_tier_credit == approx(bill.lambda_requests + bill.lambda_compute)
    assert bill.api_gateway == approx(0.5 * 3.50)  # API Gateway gets no free tier


@pytest.mark.parametrize(
    ("duration_ms", "billed"),
    [(100, 100), (100.0, 100), (100.2, 101), (0.5, 1), (1, 1), (120.00000000000001, 120), (10**2.0, 100)],
)
def test_duration_rounds_up_to_the_next_ms(duration_ms, billed):
    assert billed_ms(duration_ms) == billed


def test_rounding_shows_in_the_bill():
    # 1M × 0.101 s × 1 GB = 101,000 GB-s × 0.0000166667 = $1.683336... (free tier off).
    bill = monthly_cost(1_000_000, 100.2, 1024, prices=NO_FREE_TIER)
    assert bill.billed_duration_ms == 101
    assert bill.lambda_compute == approx(101_000 * 0.0000166667)


def test_arm64_compute_is_cheaper_by_its_rate():
    x86 = monthly_cost(3_000_000, 200, 512, "x86_64", NO_FREE_TIER)
    arm = monthly_cost(3_000_000, 200, 512, "arm64", NO_FREE_TIER)
    assert arm.lambda_compute / x86.lambda_compute == approx(0.0000133334 / 0.0000166667)
    assert arm.lambda_requests == x86.lambda_requests and arm.api_gateway == x86.api_gateway


def test_init_is_off_by_default_and_billed_when_asked():
    # 1,000 cold starts × 251 ms (250.4 rounded up) × 1 GB = 251 GB-s on top of 1M × 0.1 s × 1 GB = 100,000.
    plain = monthly_cost(1_000_000, 100, 1024, prices=NO_FREE_TIER)
    with_init = monthly_cost(1_000_000, 100, 1024, prices=NO_FREE_TIER, cold_starts=1_000, init_ms=250.4)
    assert plain.init_gb_seconds == 0
    assert with_init.init_gb_seconds == approx(251)
    assert with_init.gb_seconds == approx(100_251)
    assert with_init.lambda_compute - plain.lambda_compute == approx(251 * 0.0000166667)
    assert with_init.lambda_requests == plain.lambda_requests  # a cold start is not an extra request


def test_init_draws_on_the_free_tier_too():
    bill = monthly_cost(1_000_000, 100, 1024, cold_starts=1_000, init_ms=250)
    assert bill.lambda_total == approx(0, abs=1e-12)  # 100,250 GB-s, still inside 400,000


def test_rest_api_beyond_its_first_tier_is_flagged():
    assert not monthly_cost(333_000_000, 1, 128).beyond_first_api_tier
    bill = monthly_cost(333_000_001, 1, 128)
    assert bill.beyond_first_api_tier
    assert bill.api_gateway == approx(333_000_001 * 3.50 / 1e6)  # first-tier price throughout


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"memory_mb": 127}, "memory_mb"),
        ({"memory_mb": 10_241}, "memory_mb"),
        ({"memory_mb": 256.5}, "memory_mb"),
        ({"duration_ms": 0}, "duration_ms"),
        ({"duration_ms": -5}, "duration_ms"),
        ({"duration_ms": math.inf}, "duration_ms"),
        ({"requests": -1}, "requests"),
        ({"requests": math.nan}, "requests"),
        ({"requests": True}, "requests"),
        ({"architecture": "arm"}, "architecture"),
        ({"cold_starts": -1}, "cold_starts"),
        ({"cold_starts": 2_000_000}, "cannot exceed"),
        ({"init_ms": -1}, "init_ms"),
    ],
)
def test_invalid_inputs_are_refused(kwargs, message):
    args = {"requests": 1_000_000, "duration_ms": 100, "memory_mb": 128, "architecture": "x86_64", **kwargs}
    with pytest.raises(ValueError, match=message):
        monthly_cost(**args)


def test_memory_limits_themselves_are_allowed():
    assert monthly_cost(1, 1, 128).total >= 0
    assert monthly_cost(1, 1, 10_240).total >= 0


# --- break-even ----------------------------------------------------------------------------------


def test_break_even_hand_computed_x86():
    # 100 ms at 128 MB stays in the compute free tier up to 32M requests, so past 1M requests
    # the bill is 3.50·r/1M + 0.20·(r − 1M)/1M = 3.70·r/1M − 0.20.
    # The server: 7.592 (instance) + 0.64 (8 GB gp3) + 3.65 (public IPv4) = 11.882 a month.
    # 3.70·r/1M − 0.20 = 11.882 → r = 12.082/3.70 M = 3,265,405.4… → 3,265,406.
    assert break_even_requests(100, 128, "x86_64") == 3_265_406


def test_break_even_hand_computed_arm64():
    # Same shape against the t4g.micro: 3.70·r/1M − 0.20 = 6.132 + 0.64 + 3.65 → r = 2,870,810.8… → 2,870,811.
    assert break_even_requests(100, 128, "arm64") == 2_870_811


@pytest.mark.parametrize(
    ("duration_ms", "memory_mb", "architecture"), [(100, 128, "x86_64"), (900, 2048, "arm64"), (3, 10_240, "x86_64")]
)
def test_break_even_is_where_the_bills_cross(duration_ms, memory_mb, architecture):
    r = break_even_requests(duration_ms, memory_mb, architecture)
    at = monthly_cost(r, duration_ms, memory_mb, architecture)
    before = monthly_cost(r - 1, duration_ms, memory_mb, architecture)
    assert before.total < at.ec2 <= at.total


def test_break_even_with_cold_starts():
    # 1 s at 1 GB uses up the free compute by 400,000 requests, so the INIT GB-s are paid for.
    r = break_even_requests(1000, 1024, cold_starts=100_000, init_ms=500)
    assert r < break_even_requests(1000, 1024)
    assert monthly_cost(r - 1, 1000, 1024, cold_starts=100_000, init_ms=500).total < ec2_monthly_cost("x86_64")


def test_break_even_edges():
    free_serverless = Prices(lambda_per_million_requests=0, lambda_gb_second_x86_64=0, rest_api_per_million=0)
    assert break_even_requests(100, 128, prices=free_serverless) is None
    assert break_even_requests(100, 128, prices=Prices(ec2_t3_micro_per_hour=0, ebs_volume_gb=0, public_ipv4_per_hour=0)) == 0
    with pytest.raises(ValueError, match="memory_mb"):
        break_even_requests(100, 64)


def test_average_requests_per_second():
    assert cost.average_requests_per_second(730 * 3600) == approx(1.0)


# --- the widget, driven from Python ---------------------------------------------------------------


def _set(calc, **values):
    for name, value in values.items():
        calc.controls[name].value = value


def test_widget_is_an_ipywidget_with_all_controls():
    calc = cost_calculator(plot=False)
    assert isinstance(calc, widgets.Widget)
    assert set(calc.controls) == {"requests", "duration_ms", "memory_mb", "architecture", "cold_starts", "init_ms"}
    assert set(calc.price_fields) == set(cost.price_names())
    assert all(isinstance(field, widgets.FloatText) for field in calc.price_fields.values())


def test_widget_default_view_shows_the_simple_picture_and_the_price_date():
    calc = cost_calculator(plot=False)
    html = calc.table.value
    assert "$3.50" in html and "$7.59" in html and "t3.micro" in html
    assert "EBS gp3 volume" in html and "$0.64" in html and "public IPv4 address" in html and "$3.65" in html
    assert "$11.88" in html and "February 2024" in html
    assert "December 2026" in html and "us-east-1" in html
    assert "3,265,406" in html  # the break-even
    assert "Lambda only" in html and "first price tier" in html


def test_widget_follows_the_sliders():
    calc = cost_calculator(plot=False)
    _set(calc, requests=10_000_000, duration_ms=120, memory_mb=1024)
    assert calc.breakdown().total == approx(50.13336)
    assert "$50.13" in calc.render()
    calc.controls["architecture"].value = "arm64"
    html = calc.table.value
    assert "$47.47" in html and "t4g.micro" in html and "$6.13" in html and "$10.42" in html


def test_widget_recomputes_when_a_price_changes():
    calc = cost_calculator(plot=False)
    calc.price_fields["rest_api_per_million"].value = 1.0
    assert "$1.00" in calc.table.value and "edited by you" in calc.table.value
    calc.price_fields["ec2_t3_micro_per_hour"].value = 0.02  # 730 × 0.02 = $14.60
    assert "$14.60" in calc.table.value
    calc.price_fields["public_ipv4_per_hour"].value = 0  # no public address: 14.60 + 0.64
    assert "$15.24" in calc.table.value
    calc.reset_prices()
    assert calc.prices() == Prices() and "$3.50" in calc.table.value and "edited" not in calc.table.value


def test_widget_shows_init_and_tier_notes_when_they_apply():
    calc = cost_calculator(plot=False)
    _set(calc, requests=500_000_000, memory_mb=1024)
    _set(calc, cold_starts=1_000, init_ms=250)
    html = calc.table.value
    assert "of which INIT" in html and "250.0 GB-s" in html  # 1,000 × 0.25 s × 1 GB
    assert "real REST API bill is lower" in html


def test_widget_reports_invalid_input_instead_of_failing():
    calc = cost_calculator(plot=False)
    calc.price_fields["hours_per_month"].value = -1
    assert "Cannot compute" in calc.table.value and "hours_per_month" in calc.table.value
    calc.price_fields["hours_per_month"].value = 730
    calc.controls["cold_starts"].value = 5_000_000  # more cold starts than requests
    assert "cannot exceed" in calc.table.value


def test_widget_uses_given_prices_and_draws_a_chart():
    calc = cost_calculator(Prices(rest_api_per_million=2.0, as_of="2027-03"))
    assert "March 2027" in calc.table.value and "$2.00" in calc.table.value
    assert calc.chart in calc.children
    assert bytes(calc.chart.value).startswith(b"\x89PNG")
