"""Every explorer a test builds is closed when the test ends, as a server closes a page's
session: its background requests still queued in the shared short-solve workers are then
stale and dropped, instead of delaying the next tests' requests."""

import weakref

import pytest

from dashboards.base import Explorer


@pytest.fixture(autouse=True)
def close_explorers_after_each_test(monkeypatch):
    built = []  # weakly: a test may check that a closed page is freed
    original = Explorer.__init__

    def recording_init(self, *args, **kwargs):
        built.append(weakref.ref(self))
        original(self, *args, **kwargs)

    monkeypatch.setattr(Explorer, "__init__", recording_init)
    yield
    for ref in built:
        explorer = ref()
        if explorer is not None:
            explorer.close()
