"""Every explorer exports exactly the data it plots, one CSV per plotted source."""

import csv
import io
import zipfile

import numpy as np
import pytest

from dashboards import DiffusionExplorer, GlmExplorer, OnlineExplorer, SpikedExplorer
from tests.waiting import wait_until


def read_zip(buffer):
    with zipfile.ZipFile(buffer) as archive:
        return {name[:-4]: list(csv.reader(io.StringIO(archive.read(name).decode())))
                for name in archive.namelist()}


def as_float(cell):
    return np.nan if cell == "" else float(cell)


@pytest.mark.parametrize("cls", [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer])
def test_exported_csv_equals_the_plotted_data(cls):
    explorer = cls()
    if isinstance(explorer, DiffusionExplorer):  # its t_C estimate is drawn from the background
        wait_until(lambda: "excess-entropy estimate" in explorer.summary.object)
    files = read_zip(explorer.export_zip())
    named = explorer.exported_sources()
    assert files, "nothing exported"
    assert set(files) <= set(named)
    for name, rows in files.items():
        data = named[name].data
        header, body = rows[0], rows[1:]
        if "xs" in data:  # long form: line index, scalars, x, y
            lines = [int(r[0]) for r in body]
            xs = np.array([as_float(r[-2]) for r in body])
            ys = np.array([as_float(r[-1]) for r in body])
            expected_x = np.concatenate([np.asarray(v, float) for v in data["xs"]])
            expected_y = np.concatenate([np.asarray(v, float) for v in data["ys"]])
            np.testing.assert_array_equal(xs, np.where(np.isfinite(expected_x), expected_x,
                                                       np.nan))
            np.testing.assert_array_equal(ys, np.where(np.isfinite(expected_y), expected_y,
                                                       np.nan))
            assert lines[-1] == len(data["xs"]) - 1
            continue
        for j, column in enumerate(header):
            values = [r[j] for r in body]
            expected = list(data[column])
            if isinstance(expected[0], str):
                assert values == expected
            else:
                expected = np.asarray(expected, dtype=float)
                got = np.array([as_float(v) for v in values])
                np.testing.assert_array_equal(got, np.where(np.isfinite(expected), expected,
                                                            np.nan))


def test_the_csv_has_the_threshold_values():
    explorer = SpikedExplorer()
    files = read_zip(explorer.export_zip())
    header, *rows = files["spiked-thresholds"]
    th = explorer.sources["thresholds"].data
    assert header[:1] == ["x"]
    assert "threshold" in header
    np.testing.assert_allclose(sorted(float(r[0]) for r in rows), sorted(th["x"]))
    assert any("λ_IT = 0.7473" in r[header.index("threshold")] for r in rows)
