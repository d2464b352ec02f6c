"""Says which execution environment answered: its log stream, and whether it started on demand or provisioned."""

import os
import time


def lambda_handler(event, context):
    """Wait `sleep_s` seconds (so requests sent together need an environment each), then say where it ran."""
    time.sleep(event.get("sleep_s", 0))
    return {
        "log_stream": context.log_stream_name,
        "initialization_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
    }
