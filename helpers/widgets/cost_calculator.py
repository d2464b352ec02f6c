"""A cost calculator: Lambda + API Gateway against an always-on EC2 instance, driven by sliders."""

from __future__ import annotations

import html
import io
import math
from datetime import datetime

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import cost

_WIDE = {"description_width": "170px"}
# The busiest month the sliders and the chart reach; the REST API's first price tier ends at 333M.
_MAX_REQUESTS = 1e9
# The longest invocation Lambda documents (900 s), in ms.
_MAX_DURATION_MS = 900_000


class CostCalculator(widgets.VBox):
    """The calculator widget; `controls`, `price_fields` and `render()` let Python drive it without a browser."""

    def __init__(self, prices: cost.Prices | None = None, plot: bool = True) -> None:
        super().__init__()
        self._initial = prices or cost.Prices()
        self._quiet = False  # set while many fields change at once, so the output is drawn once
        self.controls = {
            "requests": widgets.FloatLogSlider(
                value=1_000_000, base=10, min=3, max=math.log10(_MAX_REQUESTS), step=0.01,
                description="Requests per month", readout_format=",.0f",
            ),
            "duration_ms": widgets.FloatLogSlider(
                value=100, base=10, min=0, max=math.log10(_MAX_DURATION_MS), step=0.01,
                description="Average duration (ms)", readout_format=",.1f",
            ),
            "memory_mb": widgets.IntSlider(
                value=cost.MIN_MEMORY_MB, min=cost.MIN_MEMORY_MB, max=cost.MAX_MEMORY_MB, step=64,
                description="Memory (MB)",
            ),
            "architecture": widgets.ToggleButtons(
                options=[(f"{arch} (vs {cost.EC2_INSTANCE[arch]})", arch) for arch in cost.ARCHITECTURES],
                description="Architecture",
            ),
            "cold_starts": widgets.IntText(value=0, description="Cold starts per month"),
            "init_ms": widgets.FloatText(value=0, description="Init duration (ms)"),
        }
        for control in self.controls.values():
            control.style = _WIDE
            if isinstance(control, (widgets.FloatLogSlider, widgets.IntSlider)):
                control.layout = widgets.Layout(width="560px")
                control.continuous_update = False  # one bill per release, not one per pixel dragged
        self.price_fields = {
            name: widgets.FloatText(
                value=getattr(self._initial, name), description=cost.price_field_info(name)[0], style=_WIDE
            )
            for name in cost.price_names()
        }
        reset = widgets.Button(description="Reset prices", icon="undo")
        reset.on_click(lambda _: self.reset_prices())
        self.table = widgets.HTML()
        self.chart = widgets.Image(format="png") if plot else None

        for field in (*self.controls.values(), *self.price_fields.values()):
            field.observe(self._changed, names="value")

        c = self.controls
        init_box = widgets.VBox([
            widgets.HTML(
                "<p>Since 1 Aug 2025 Lambda bills the INIT phase (a cold start) like invocation time. "
                "Leave cold starts at 0 for the simple picture.</p>"
            ),
            c["cold_starts"], c["init_ms"],
        ])
        price_box = widgets.VBox([
            widgets.HTML(
                f"<p>{self._initial.region}, on-demand, checked {_month(self._initial.as_of)}. "
                "Prices change: edit any of them.</p>"
            ),
            *(
                widgets.HBox([self.price_fields[name], widgets.Label(cost.price_field_info(name)[1])])
                for name in cost.price_names()
            ),
            reset,
        ])
        more = widgets.Accordion(
            children=[init_box, price_box],
            titles=("INIT billing (cold starts)", f"Prices (checked {_month(self._initial.as_of)})"),
        )
        sliders = [c["requests"], c["duration_ms"], c["memory_mb"], c["architecture"]]
        self.children = [*sliders, more, self.table, *([self.chart] if self.chart else [])]
        self.render()

    def prices(self) -> cost.Prices:
        """The prices in the editable fields (raises ValueError if one is invalid)."""
        values = {name: field.value for name, field in self.price_fields.items()}
        return cost.Prices(**values, as_of=self._initial.as_of, region=self._initial.region)

    def breakdown(self) -> cost.CostBreakdown:
        """The bill for the current control values (raises ValueError on invalid input)."""
        return cost.monthly_cost(**self._inputs(), prices=self.prices())

    def break_even(self) -> int | None:
        """The break-even request count for the current control values."""
        inputs = self._inputs()
        del inputs["requests"]
        return cost.break_even_requests(**inputs, prices=self.prices())

    def render(self) -> str:
        """Recompute the bill (and chart) from the controls; returns the table's HTML."""
        try:
            prices, bill, break_even = self.prices(), self.breakdown(), self.break_even()
        except ValueError as error:
            self.table.value = f'<p style="color:#b00020">Cannot compute: {html.escape(str(error))}</p>'
            return self.table.value
        self.table.value = _table(bill, break_even, prices, edited=prices != self._initial)
        if self.chart is not None:
            self.chart.value = _chart(self._inputs(), prices, break_even)
        return self.table.value

    def reset_prices(self) -> None:
        """Put every price back to the value the calculator started with."""
        self._quiet = True
        try:
            for name, field in self.price_fields.items():
                field.value = getattr(self._initial, name)
        finally:
            self._quiet = False
        self.render()

    def _changed(self, _change) -> None:
        if not self._quiet:
            self.render()

    def _inputs(self) -> dict:
        c = self.controls
        return {
            # The log slider moves in fractions of a request; a bill counts whole ones.
            "requests": round(c["requests"].value),
            "duration_ms": c["duration_ms"].value,
            "memory_mb": c["memory_mb"].value,
            "architecture": c["architecture"].value,
            "cold_starts": c["cold_starts"].value,
            "init_ms": c["init_ms"].value,
        }


def cost_calculator(prices: cost.Prices | None = None, plot: bool = True) -> CostCalculator:
    """A widget comparing Lambda + API Gateway with an always-on EC2 instance; `plot=False` skips the chart."""
    return CostCalculator(prices, plot)


def _month(as_of: str) -> str:
    try:
        return datetime.strptime(as_of, "%Y-%m").strftime("%B %Y")
    except ValueError:
        return as_of  # a date in another form is still worth showing as given


def _money(amount: float) -> str:
    return f"{'−' if amount < 0 else ''}${abs(amount):,.2f}"


def _rate(price: float) -> str:
    # Enough decimals for a per-GB-second price, but no trailing zeros past the cents.
    whole, _, fraction = f"{price:.10f}".rstrip("0").partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _table(bill: cost.CostBreakdown, break_even: int | None, prices: cost.Prices, edited: bool) -> str:
    arch = bill.architecture
    rows = [
        ("Lambda requests", f"{_count(bill.requests)} × {_rate(prices.lambda_per_million_requests)} per 1M",
         bill.lambda_requests),
        ("Lambda compute",
         f"{bill.gb_seconds:,.1f} GB-s × {_rate(prices.gb_second(arch))} ({arch})", bill.lambda_compute),
    ]
    if bill.init_gb_seconds:
        rows.append(("&nbsp;&nbsp;of which INIT", f"{bill.init_gb_seconds:,.1f} GB-s", None))
    rows += [
        ("Free tier (Lambda only)",
         f"{_count(prices.free_tier_requests)} requests + {_count(prices.free_tier_gb_seconds)} GB-s",
         -bill.free_tier_credit),
        ("API Gateway REST API", f"{_count(bill.requests)} × {_rate(prices.rest_api_per_million)} per 1M",
         bill.api_gateway),
    ]
    body = "".join(
        f"<tr><td>{label}</td><td>{detail}</td><td style='text-align:right'>"
        f"{'' if amount is None else _money(amount)}</td></tr>"
        for label, detail, amount in rows
    )
    body += (
        f"<tr style='font-weight:bold'><td>Lambda + API Gateway</td><td></td>"
        f"<td style='text-align:right'>{_money(bill.total)}</td></tr>"
        + "".join(
            f"<tr><td>{label}</td><td>{detail}</td><td style='text-align:right'>{_money(amount)}</td></tr>"
            for label, detail, amount in [
                (f"EC2 {bill.instance_type}", f"{prices.hours_per_month:g} h × {_rate(prices.ec2_per_hour(arch))}", bill.ec2_instance),
                ("&nbsp;&nbsp;its EBS gp3 volume", f"{prices.ebs_volume_gb:g} GB × {_rate(prices.ebs_gp3_per_gb_month)} per GB-month",
                 bill.ec2_storage),
                ("&nbsp;&nbsp;its public IPv4 address", f"{prices.hours_per_month:g} h × {_rate(prices.public_ipv4_per_hour)}",
                 bill.ec2_public_ipv4),
            ]
        )
        + f"<tr style='font-weight:bold'><td>EC2 {bill.instance_type}, always on</td><td></td>"
        f"<td style='text-align:right'>{_money(bill.ec2)}</td></tr>"
    )
    notes = [
        f"Duration is billed per invocation, rounded up to the next ms: "
        f"{bill.billed_duration_ms:,} ms per request.",
        f"With an HTTP API ({_rate(prices.http_api_per_million)} per 1M) instead of a REST API: "
        f"{_money(bill.total_with_http_api)} a month.",
        "The free tier applies to Lambda only; API Gateway is charged from the first request here.",
        f"REST API at its first price tier only (up to {cost.REST_API_FIRST_TIER_REQUESTS // 1_000_000}M "
        "requests a month); cheaper tiers above that are not modelled."
        + (" <b>At this volume the real REST API bill is lower.</b>" if bill.beyond_first_api_tier else ""),
        "EC2: instance hours, its disk (an EBS gp3 volume) and its public IPv4 address (charged since "
        "February 2024); data transfer is not counted, and one small instance can only serve so many requests.",
        f"Prices: {prices.region}, on-demand, checked {_month(prices.as_of)}"
        + (" — <b>edited by you</b>." if edited else "."),
    ]
    return (
        f"<p><b>{_verdict(bill, break_even, prices)}</b></p>"
        f"<table><tr><th style='text-align:left'>Line</th><th style='text-align:left'>How</th>"
        f"<th style='text-align:right'>Per month</th></tr>{body}</table>"
        f"<ul>{''.join(f'<li>{note}</li>' for note in notes)}</ul>"
    )


def _verdict(bill: cost.CostBreakdown, break_even: int | None, prices: cost.Prices) -> str:
    difference = bill.ec2 - bill.total
    if difference > 0:
        now = f"Serverless is cheaper by {_money(difference)} a month."
    elif difference < 0:
        now = f"The {bill.instance_type} is cheaper by {_money(-difference)} a month."
    else:
        now = "Both cost the same."
    if break_even is None:
        return f"{now} At these prices serverless never costs as much as the instance."
    rate = cost.average_requests_per_second(break_even, prices)
    return (
        f"{now} Break-even: {_count(break_even)} requests a month "
        f"(about {rate:,.2f} requests per second on average)."
    )


def _chart(inputs: dict, prices: cost.Prices, break_even: int | None) -> bytes:
    # A month cannot have fewer requests than cold starts, so the curve starts there at the earliest.
    start = max(1_000, inputs["cold_starts"])
    requests = np.geomspace(start, max(_MAX_REQUESTS, start * 10), 200)
    shape = {key: value for key, value in inputs.items() if key != "requests"}
    bills = [cost.monthly_cost(float(r), **shape, prices=prices) for r in requests]
    ec2 = cost.ec2_monthly_cost(inputs["architecture"], prices)

    figure = Figure(figsize=(7, 3.4))
    axes = figure.add_subplot()
    axes.loglog(requests, [bill.total for bill in bills], label="Lambda + REST API")
    axes.loglog(requests, [bill.total_with_http_api for bill in bills], ":", label="Lambda + HTTP API")
    axes.axhline(ec2, color="tab:red", label=f"EC2 {cost.EC2_INSTANCE[inputs['architecture']]}, always on")
    if break_even is not None and start <= break_even <= requests[-1]:
        axes.axvline(break_even, color="grey", linestyle="--", label=f"break-even ≈ {break_even:,.0f}")
    current = cost.monthly_cost(**inputs, prices=prices)
    if current.total > 0 and start <= inputs["requests"]:
        axes.plot([inputs["requests"]], [current.total], "ko", label="you are here")
    axes.set_xlabel("requests per month")
    axes.set_ylabel("$ per month")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize="small")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()
