"""'Download as a notebook': each explorer's notebook runs top to bottom in a real kernel
(nbclient, the project's environment) and rebuilds the data the page plots."""

import concurrent.futures
import json
import pickle
from urllib.parse import parse_qsl

import nbformat
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
)
from dashboards import notebook as notebooks
from tests.waiting import wait_until

CASES = [
    (SpikedExplorer, {"prior": "gauss_bernoulli", "rho": 0.2, "quantity": "overlap"}),
    (GlmExplorer, {"task": "Phase retrieval"}),
    (OnlineExplorer, {"K": 3, "M": 2, "lr": 0.8}),
    (DiffusionExplorer, {"n": 500}),
    (CapacityExplorer, {"kappa": 0.75}),
    (ScalingExplorer, {"capacity": 3.0}),
    (MultiIndexExplorer, {"target": "z1^2+z2^2"}),
]

#: appended by the test only: what the notebook computed, to compare with the page
DUMP_CELL = """
import pickle
with open('computed.pkl', 'wb') as f:
    pickle.dump({'data': data, 'plotted': plotted}, f)
"""


def execute(notebook, path):
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path)}}).execute()


def page_data(explorer):
    return {s.name or s.key: s.data for s in explorer.sources.values()
            if (s.name or s.key) in explorer.figure_data()}


def assert_same_columns(computed: dict, shown: dict, name: str):
    assert set(computed) == set(shown), name
    for column, values in computed.items():
        if len(values) and isinstance(next(iter(values)), str):  # labels, colours
            assert list(values) == list(shown[column]), (name, column)
            continue
        ragged = len(values) and np.ndim(values[0]) > 0  # a multi_line's lines
        pairs = zip(values, shown[column], strict=True) if ragged else [(values, shown[column])]
        for a, b in pairs:
            assert np.allclose(np.asarray(a, float), np.asarray(b, float),
                               rtol=1e-10, atol=1e-12, equal_nan=True), (name, column)


@pytest.mark.slow
@pytest.mark.parametrize(("cls", "values"), CASES, ids=[c.__name__ for c, _ in CASES])
def test_the_notebook_runs_and_rebuilds_the_plotted_data(cls, values, tmp_path):
    explorer = cls()
    explorer.param.update(**values)
    estimate = getattr(explorer, "t_c_future", None)
    concurrent.futures.wait([f for f in [*explorer.background.values(), estimate] if f],
                            timeout=180)
    notebook = nbformat.reads(notebooks.to_bytes(explorer.notebook()).decode(), 4)
    nbformat.validate(notebook)
    # the link under which the page holds this view: every changed value, as the page reads it
    link = dict(parse_qsl(notebook.metadata["learning_phases"]["link"].lstrip("?")))
    for name, value in values.items():
        if value == explorer.param[name].default:
            assert explorer.url_prefix + name not in link
            continue
        written = link[explorer.url_prefix + name]
        assert (written if isinstance(value, str) else json.loads(written)) == value

    notebook.cells.append(nbformat.v4.new_code_cell(DUMP_CELL))
    execute(notebook, tmp_path)

    computed = pickle.loads((tmp_path / "computed.pkl").read_bytes())
    assert computed["data"]
    assert set(computed["data"]) <= set(computed["plotted"])
    concurrent.futures.wait(list(explorer.background.values()), timeout=120)
    wait_until(lambda: all(len(np.asarray(v)) == len(explorer.figure_data()[name][c])
                           for name, columns in computed["data"].items()
                           for c, v in columns.items()))
    shown = explorer.figure_data()
    assert set(computed["data"]) <= set(shown)
    for name in set(computed["plotted"]) & set(shown):  # the page's background curves too
        assert_same_columns(computed["plotted"][name], shown[name], name)
    # the HoloViews cell drew the figures (an image in its output) and the last cell wrote
    # the paper figure
    drawn = [o for c in notebook.cells if c.cell_type == "code" and "to_holoviews" in c.source
             for o in c.outputs if o.output_type == "execute_result"]
    assert drawn
    assert "<img" in drawn[0]["data"]["text/html"]
    pdf = tmp_path / f"{explorer.url_prefix.strip('_') or 'spiked'}-figure.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_notebook_is_cut_from_the_tested_script():
    explorer = SpikedExplorer(rho=0.1)
    notebook = explorer.notebook()
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    script = explorer.python_script()
    assert code[0] in script
    assert "rho=0.1" in code[0]
    assert "recipes.phase" in code[1]  # the page's background curves are in `plotted` too
    # the page's explanation, in Markdown with TeX that Jupyter typesets
    assert any("$$" in c.source for c in notebook.cells if c.cell_type == "markdown")
    assert notebook.metadata["learning_phases"]["link"] == "?rho=0.1"


def test_a_script_that_is_not_ours_is_refused():
    with pytest.raises(ValueError, match="not a learning-phases script"):
        notebooks.build("print('hello')\n", (), title="x")
