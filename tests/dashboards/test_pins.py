"""Pin and compare: pinned curves keep their data while the sliders move, are labelled with
the parameters that differ, round-trip through the link (recomputed from their parameter
sets to the same numbers) and are in the CSV; a hostile link's pins are checked."""

import concurrent.futures
import csv
import io
import zipfile

import numpy as np
import pytest

from dashboards import (
    CapacityExplorer,
    DiffusionExplorer,
    GlmExplorer,
    MultiIndexExplorer,
    OnlineExplorer,
    ScalingExplorer,
    SpikedExplorer,
    links,
    pins,
)
from tests.waiting import wait_until

#: a parameter change each explorer's pinned curves depend on
CHANGES = [
    (SpikedExplorer, {"rho": 0.2}),
    (GlmExplorer, {"flip": 0.1}),
    (OnlineExplorer, {"lr": 0.8}),
    (DiffusionExplorer, {"n": 5000}),
    (CapacityExplorer, {"n": 25}),
    (ScalingExplorer, {"capacity": 3.0}),
    (MultiIndexExplorer, {"weights": "binary"}),
]


def settle(explorer):
    concurrent.futures.wait([*explorer.background.values(), *explorer.pinned.futures],
                            timeout=180)


def pin_now(explorer):
    """Pin, and wait until the pin is drawn."""
    count = len(explorer.pinned.pins)
    future = explorer.pinned.pin_current()
    if future is not None:
        future.result(timeout=120)
    wait_until(lambda: len(explorer.pinned.pins) == min(count + 1, pins.MAX_PINS))
    wait_until(lambda: len(explorer.pins) == len(explorer.pinned.pins))  # and in the link
    return explorer.pinned.pins[-1]


def pinned_data(explorer, pin):
    return {k: {c: np.asarray(v) for c, v in s.data.items()} for k, s in pin.sources.items()}


def same(a, b):
    assert set(a) == set(b)
    for key in a:
        for column in a[key]:
            x, y = a[key][column], b[key][column]
            if x.dtype.kind in "OUS":
                assert list(x) == list(y)
            else:
                assert np.allclose(x, y, rtol=1e-10, atol=1e-12, equal_nan=True), (key, column)


@pytest.mark.parametrize(("cls", "change"), CHANGES, ids=[c.__name__ for c, _ in CHANGES])
def test_a_pin_keeps_its_curves_and_round_trips_through_the_link(cls, change):
    explorer = cls()
    settle(explorer)
    pin = pin_now(explorer)
    frozen = pinned_data(explorer, pin)
    assert all(r.visible for r in pin.renderers)
    assert all(r.glyph.line_alpha == pins.PIN_ALPHA for r in pin.renderers)

    explorer.param.update(**change)
    settle(explorer)
    same(pinned_data(explorer, pin), frozen)  # the pin did not follow the sliders
    current = {k: {c: np.asarray(v) for c, v in explorer.sources[k].data.items()}
               for k in frozen}
    assert any(not np.array_equal(current[k][c], frozen[k][c])
               for k in frozen for c in frozen[k] if current[k][c].dtype.kind == "f"
               and current[k][c].shape == frozen[k][c].shape) or any(
        current[k][c].shape != frozen[k][c].shape for k in frozen for c in frozen[k])
    name = next(iter(change))
    label = explorer.pinned.label(pin)
    assert pins.written(cls.param[name].default) in label  # names what differs
    assert explorer.pins == [{}]  # the link: a pin at the defaults differs from none

    # a fresh page opened from that link (pins and the changed value) recomputes the pin
    fresh = cls()
    fresh.param.update(**change)
    fresh.pins = [{}]
    settle(fresh)
    wait_until(lambda: len(fresh.pinned.pins) == 1)  # delivered just after its future
    same(pinned_data(fresh, fresh.pinned.pins[0]), frozen)


def test_pins_are_labelled_removed_and_limited():
    explorer = SpikedExplorer()
    first = pin_now(explorer)
    explorer.rho = 0.1
    second = pin_now(explorer)
    assert explorer.pinned.label(first) == "pinned: ρ = 0.05"
    assert explorer.pinned.label(second) == "pinned: same parameters"
    assert explorer.pins == [{}, {"rho": 0.1}]
    legend = explorer.fig_curve.legend[0]
    labels = [i.label.value for i in legend.items if getattr(i.label, "value", None)]
    assert "pinned: ρ = 0.05" in labels

    explorer.pinned.remove(first)
    assert explorer.pins == [{"rho": 0.1}]
    assert not any(r in explorer.fig_curve.renderers for r in first.renderers)
    assert "pinned: ρ = 0.05" not in [getattr(i.label, "value", None) for i in legend.items]
    for _ in range(pins.MAX_PINS + 2):
        pin_now(explorer)
    assert len(explorer.pinned.pins) == pins.MAX_PINS
    assert "At most" in explorer.message.object


def test_pins_are_in_the_csv():
    explorer = SpikedExplorer()
    pin_now(explorer)
    explorer.rho = 0.2
    with zipfile.ZipFile(explorer.export_zip()) as archive:
        names = archive.namelist()
        assert "pin-1-spiked-curves.csv" in names
        table = list(csv.reader(io.StringIO(archive.read("pins.csv").decode())))
    assert table[0][0] == "pin"
    assert table[1][table[0].index("rho")] == "0.05"


def test_a_hostile_links_pins_are_checked():
    explorer = SpikedExplorer()
    explorer.pins = [{"rho": 5.0, "nonsense": 1}, "x", {"snr": "abc"}, {}, {}, {}]
    settle(explorer)
    wait_until(lambda: len(explorer.pinned.pins) == pins.MAX_PINS - 1)  # "x" is refused
    assert explorer.pinned.pins[0].values["rho"] == SpikedExplorer.param["rho"].bounds[1]
    message = explorer.message.object
    assert "nonsense" in message
    assert "not a pin" in message
    with pytest.raises(ValueError, match="List"):
        explorer.pins = "not a list"  # refused by the parameter itself
    assert links.clean_query('?pins={"rho":1}', links.schema_of([SpikedExplorer]))[1]
    assert not links.clean_query('?pins=[{"rho":0.1}]', links.schema_of([SpikedExplorer]))[1]


def test_the_latest_pins_a_link_gives_win():
    """A client may send the link's pins again and again: only the latest set is pinned."""
    explorer = SpikedExplorer()
    for rho in (0.1, 0.15, 0.3):
        explorer.pins = [{"rho": rho}]
    settle(explorer)
    wait_until(lambda: len(explorer.pinned.pins) == 1)
    settle(explorer)
    assert [p.values["rho"] for p in explorer.pinned.pins] == [0.3]
