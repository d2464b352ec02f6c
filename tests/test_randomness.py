"""Request and trace ids come from a generator seeded once, reseeded in a forked child."""

import os
import uuid

import pytest

from helpers.gateway.context import new_request_ids
from helpers.randomness import random_bytes, uuid4_text


def test_uuid4_text_is_a_version_4_uuid():
    for _ in range(200):
        text = uuid4_text(random_bytes(16).hex())
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)


def test_gateway_request_ids():
    ids = [new_request_ids(1764000000.5) for _ in range(1000)]
    assert len({request_id for request_id, _, _ in ids}) == 1000
    request_id, extended, trace = ids[0]
    assert uuid.UUID(request_id).version == 4
    assert len(extended) == 16 and extended.endswith("=")
    assert trace.startswith("Root=1-69248100-") and len(trace.split("-")[2]) == 24


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_does_not_repeat_its_parents_ids():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next bytes, to the parent
        os.write(write, random_bytes(16))
        os._exit(0)
    os.close(write)
    child = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 16 and child != random_bytes(16)
