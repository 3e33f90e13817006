"""Every explorer a test builds is closed when the test ends, as a server closes a page's
session: its background requests still queued in the shared short-solve workers are then
stale and dropped, instead of delaying the next tests' requests."""

import pytest

from dashboards.base import Explorer


@pytest.fixture(autouse=True)
def close_explorers_after_each_test(monkeypatch):
    built = []
    original = Explorer.__init__

    def recording_init(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Explorer, "__init__", recording_init)
    yield
    for explorer in built:
        explorer.close()
