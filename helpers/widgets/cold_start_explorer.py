"""The cold-start explorer: pick a scenario and a number of concurrent requests, run it, see each request's Init and Duration."""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..cold_start_scenarios import MAX_CONCURRENCY, SCENARIOS, STEPS, ScenarioResult, ScenarioRunner


class ColdStartExplorer(widgets.VBox):
    """The explorer widget; `controls`, `run()` and `last` let Python drive it without a browser."""

    def __init__(self, runner: ScenarioRunner, plot: bool = True) -> None:
        super().__init__()
        self.runner = runner
        self.runner.on_step = self._step
        self.last: ScenarioResult | None = None
        self.controls = {
            "scenario": widgets.ToggleButtons(options=SCENARIOS, value="cold", description="Scenario"),
            "concurrency": widgets.IntSlider(value=2, min=1, max=MAX_CONCURRENCY, description="Requests at once",
                                             style={"description_width": "120px"}),
        }
        self.button = widgets.Button(description="Run", icon="play", button_style="primary")
        self.button.on_click(lambda _: self.run())
        # Shown while a scenario runs (its steps take a second or more), hidden when it is done.
        self.progress = widgets.IntProgress(value=0, max=len(STEPS), layout=widgets.Layout(display="none"))
        self.summary = widgets.HTML("<p>Choose a scenario and press Run.</p>")
        self.chart = widgets.Image(format="png") if plot else None
        self.children = [*self.controls.values(), self.button, self.progress, self.summary, *([self.chart] if self.chart else [])]

    def run(self) -> ScenarioResult | None:
        """Run the chosen scenario, show its summary and chart; returns the result (None if it failed)."""
        scenario, concurrency = self.controls["scenario"].value, self.controls["concurrency"].value
        self.button.disabled = True
        self.summary.value = f"<p>Running {html.escape(scenario)} with {concurrency} request(s) at once…</p>"
        self.progress.value, self.progress.layout.display = 0, None
        try:
            result = self.runner.run(scenario, concurrency)
        except Exception as error:  # noqa: BLE001 - shown in the widget: a click must never fail silently
            self.summary.value = f'<p style="color:#b00020">{html.escape(type(error).__name__)}: {html.escape(str(error))}</p>'
            return None
        finally:
            self.button.disabled = False
            self.progress.layout.display = "none"
        self.last = result
        self.summary.value = f"<p><b>{html.escape(result.summary())}</b></p>"
        if self.chart is not None:
            self.chart.value = draw(result)
        return result

    def _step(self, step: str) -> None:
        self.progress.description = step
        self.progress.value = STEPS.index(step)


def draw(result: ScenarioResult) -> bytes:
    """A PNG: one bar per request, its Init Duration (if any) then its Duration, and how long the caller waited."""
    environments = {stream: letter for letter, stream in
                    zip("ABCDEFGHIJKLMNOP", dict.fromkeys(r.environment for r in result.requests))}
    figure = Figure(figsize=(7, 0.45 * len(result.requests) + 1.3))
    axes = figure.add_subplot()
    rows = range(len(result.requests))
    inits = [r.init_ms or 0 for r in result.requests]
    axes.barh(rows, inits, color="tab:orange", label="Init Duration (cold start)")
    axes.barh(rows, [r.duration_ms for r in result.requests], left=inits, color="tab:blue", label="Duration")
    axes.plot([r.client_ms for r in result.requests], list(rows), "k|", markersize=16, label="the caller's wait")
    axes.set_yticks(list(rows), [f"request {i + 1} · env {environments[r.environment]}"
                                 for i, r in enumerate(result.requests)])
    axes.invert_yaxis()
    axes.set_xlabel("ms (bars from the REPORT line)")
    axes.set_title(result.summary().split(";")[0], fontsize="medium")
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def cold_start_explorer(role_arn: str, plot: bool = True) -> ColdStartExplorer:
    """The explorer, with its own two functions (deployed on first use) run as `role_arn`."""
    return ColdStartExplorer(ScenarioRunner(role_arn), plot)
