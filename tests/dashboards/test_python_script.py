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
    # background results that change what is shown (the diffusion explorer's empirical t_C)
    # arrive first: the script says what the page shows when it is asked for
    estimate = getattr(explorer, "t_c_future", None)
    concurrent.futures.wait([f for f in [*explorer.background.values(), estimate] if f],
                            timeout=180)
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
            if len(values_) and isinstance(next(iter(values_)), str):  # labels, colours
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


def html_sources_and_titles(path):
    """The data sources (name -> rows) and figure titles of a Bokeh standalone HTML file."""
    import json
    import re

    text = path.read_text()
    blocks = re.findall(r'<script type="application/json" id="[^"]+">\s*(.*?)\s*</script>',
                        text, re.S)
    sources, titles = {}, []

    def rows(value):
        if isinstance(value, dict) and value.get("type") == "ndarray":
            return value["shape"][0]
        return len(value)

    def walk(node):
        if isinstance(node, dict):
            attributes = node.get("attributes", {})
            if node.get("name") == "ColumnDataSource" and attributes.get("name"):
                entries = attributes["data"]["entries"]
                sources[attributes["name"]] = rows(entries[0][1]) if entries else 0
            if node.get("name") == "Title" and attributes.get("text"):
                titles.append(attributes["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for block in blocks:
        walk(json.loads(block))
    return text, sources, titles


def test_the_exported_script_draws_every_figure_of_the_page(tmp_path):
    """Run as a program, the spiked script saves the page's figures, with every source the
    page plots (the background phase diagram too), in an HTML file that needs no network."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    explorer = SpikedExplorer()
    explorer.param.update(prior="gaussian", snr_range=(0.2, 2.5), snr=1.2, quantity="overlap")
    explorer.latest_future("phase").result(timeout=120)
    script = tmp_path / "view.py"
    script.write_text(explorer.python_script())
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    html = tmp_path / "spiked-view.html"
    assert html.exists(), done.stdout
    text, sources, titles = html_sources_and_titles(html)
    page = {name: len(next(iter(s.data.values())))
            for name, s in explorer.exported_sources().items()}
    for name, rows in page.items():
        if name == "spiked-amp":  # a simulation's overlay: the page has none before a run
            assert rows == 0
        if rows == 0:  # an empty overlay (no AMP run, every point converged) draws nothing
            assert sources.get(name, 0) == 0, name
            continue
        assert sources.get(name) == rows, (name, rows, sources.get(name))
    for spec in explorer.FIGURES:  # every figure, with the page's title and legend labels
        assert getattr(explorer, f"fig_{spec.key}").title.text in titles
    assert "PCA = Bayes-optimal here (same curve)" in text  # the page's relabelled legend
    assert "cdn.bokeh.org" not in text  # BokehJS inline: opens offline


@pytest.mark.parametrize(("cls", "html"), [(GlmExplorer, "glm-view.html"),
                                           (CapacityExplorer, "capacity-view.html"),
                                           (ScalingExplorer, "scaling-view.html"),
                                           (MultiIndexExplorer, "multiindex-view.html"),
                                           (OnlineExplorer, "online-view.html"),
                                           (DiffusionExplorer, "diffusion-view.html")])
def test_the_scripts_draw_the_pages_figures(tmp_path, cls, html):
    """The teacher-student, capacity, scaling, multi-index, online-SGD and diffusion
    scripts, run as programs, save every figure of the page (its titles) with the sources it
    plots, offline."""
    import concurrent.futures
    import os
    import subprocess
    import sys
    from pathlib import Path

    explorer = cls()
    concurrent.futures.wait(list(explorer.background.values()), timeout=180)
    script = tmp_path / "view.py"
    script.write_text(explorer.python_script())
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    text, sources, titles = html_sources_and_titles(tmp_path / html)
    for spec in explorer.FIGURES:
        assert getattr(explorer, f"fig_{spec.key}").title.text in titles
    for name, source in explorer.exported_sources().items():
        rows = len(next(iter(source.data.values())))
        if rows and name in sources:
            assert sources[name] == rows, name
    assert "cdn.bokeh.org" not in text
