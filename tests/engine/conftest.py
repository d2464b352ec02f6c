"""Fixtures for the engine tests: an engine whose log and metric sinks record everything."""

import pytest

from tests.support import Recorder
from helpers.engine import Engine


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def engine(recorder):
    engine = Engine(log_sink=recorder.log_sink, metric_sink=recorder.metric_sink,
                    worker_env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    yield engine
    engine.stop()
