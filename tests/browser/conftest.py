"""Fixtures of the browser tests: one Chromium and one JupyterLab (started by `make lab`) for the session."""

from __future__ import annotations

import pytest

from lab_support import CHROMIUM_FLAGS, RUN_DIR, chromium_path, make_lab, start_lab, stop_lab


@pytest.fixture(scope="session")
def chromium():
    """Playwright's Chromium API on Debian's browser (no browser download); skips where it is not installed."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("the browser tests need Chromium: install Debian's package (apt-get install chromium); "
                    ".ci/run does so when it runs as root with apt")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() gives the browser a fresh, temporary profile (its own --user-data-dir) and deletes it on close.
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """One JupyterLab for the whole browser run, started by `make lab` on a free loopback port."""
    server = start_lab(make_lab, tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        stop_lab(server)


@pytest.fixture(scope="session")
def run_dir():
    """The folder for screenshots and timings (each run overwrites its files)."""
    RUN_DIR.mkdir(exist_ok=True)
    (RUN_DIR / ".gitignore").write_text("*\n")
    return RUN_DIR


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_report = report
    return report
