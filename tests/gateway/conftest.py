"""Fixtures for the gateway tests: a fake backend, a fake clock, an API builder and the app."""

import pytest

from tests.support import ApiBuilder, FakeBackend, FakeClock

from helpers.gateway import GatewayApp


@pytest.fixture
def backend():
    return FakeBackend()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def api(backend):
    return ApiBuilder(backend)


@pytest.fixture
def app(backend, clock):
    return GatewayApp(backend, clock=clock)


@pytest.fixture
def last_event(backend):
    """The last event a fake function received (the backend has checked it against Powertools' models)."""
    return lambda: backend.invocations[-1][1]
