"""'Copy as Python': the script of each explorer runs on its own and rebuilds the plotted data."""

import concurrent.futures

import numpy as np
import panel as pn
import pytest

from dashboards import (
    CapacityExplorer,
    DiffusionExplorer,
    GlmExplorer,
    MultiIndexExplorer,
    OnlineExplorer,
    ScalingExplorer,
    SpikedExplorer,
)

CASES = [
    (SpikedExplorer, {}),
    (SpikedExplorer, {"prior": "gauss_bernoulli", "rho": 0.2, "snr_range": (0.5, 3.0),
                      "quantity": "overlap"}),
    (GlmExplorer, {}),
    (GlmExplorer, {"task": "Phase retrieval"}),
    (GlmExplorer, {"task": "Compressed sensing", "log_scale": True}),
    (OnlineExplorer, {}),
    (OnlineExplorer, {"K": 3, "M": 2, "lr": 0.8, "noise": 0.01}),
    (DiffusionExplorer, {}),
    (DiffusionExplorer, {"source": "digits", "n": 500, "seed": 3}),
    (CapacityExplorer, {}),
    (CapacityExplorer, {"kappa": 0.75, "n": 25, "alpha": 2.5}),
    (ScalingExplorer, {}),
    (MultiIndexExplorer, {}),
    (MultiIndexExplorer, {"target": "z1^2+z2^2", "alpha_max": 2.5}),
    (ScalingExplorer, {"capacity": 3.0, "source": 1.2, "optimal": False, "reg_exponent": 2.0}),
]


def run_script(text):
    namespace = {"__name__": "__script__"}
    exec(compile(text, "<copied script>", "exec"), namespace)  # our own script, checked
    return namespace["data"]


@pytest.mark.parametrize(("cls", "values"), CASES)
def test_script_reproduces_the_plotted_data(cls, values, capsys):
    explorer = cls()
    explorer.param.update(**values)
    script = explorer.python_script()
    assert explorer.script_area.value == ""  # built only when asked for, never stale
    explorer.script_card.collapsed = False
    assert explorer.script_area.value == script  # the page shows the current script
    data = run_script(script)
    assert data
    # curves solved in the background (the perceptron's logistic regression) are in the
    # script too: compare once the page has them
    from tests.waiting import wait_until

    concurrent.futures.wait(list(explorer.background.values()), timeout=120)

    def plotted():
        return {s.name: s.data for s in explorer.sources.values() if s.name}

    wait_until(lambda: all(len(np.asarray(v)) == len(plotted()[name][c])
                           for name, columns in data.items() for c, v in columns.items()))
    sources = plotted()
    for name, columns in data.items():
        plotted = sources[name]
        assert set(columns) == set(plotted), name
        for column, values_ in columns.items():
            if len(values_) and isinstance(values_[0], str):  # labels, colours: the same text
                assert list(values_) == list(plotted[column]), (name, column)
                continue
            assert np.allclose(np.asarray(values_, float), np.asarray(plotted[column], float),
                               rtol=1e-10, atol=1e-12, equal_nan=True), (name, column)
    assert capsys.readouterr().out  # it reports what it computed


def test_script_is_built_when_asked_for_and_never_shown_stale():
    explorer = SpikedExplorer()
    explorer.script_card.collapsed = False
    assert "0.05" in explorer.script_area.value
    explorer.rho = 0.2  # the card is open: the script follows
    assert explorer.script_area.value == explorer.python_script()
    explorer.script_card.collapsed = True
    explorer.rho = 0.3  # closed: emptied, not left stale
    assert explorer.script_area.value == ""
    copy = next(b for b in explorer.controls.select(pn.widgets.Button)
                if b.name == "Copy as Python")
    copy.clicks += 1  # the copy button fills it (the browser copies it on arrival)
    assert explorer.script_area.value == explorer.python_script()
    assert "0.3" in explorer.script_area.value


def test_script_includes_the_training_window_once_computed():
    explorer = DiffusionExplorer()
    explorer.param.update(train_features=512)
    explorer.run_training_window().result(timeout=120)
    data = run_script(explorer.python_script())
    plotted = explorer.sources["window"].data
    assert np.allclose(data["dm-window"]["memorization"], plotted["memorization"])
    assert np.allclose(data["dm-window"]["generalization"], plotted["generalization"])
