"""Shared by the dashboard tests: background results land just after their future resolves."""

import time


def wait_until(condition, timeout=60.0):
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.01)
