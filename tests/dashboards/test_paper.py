"""Paper figures through HoloViews: every explorer's page as an ``hv.Layout`` holding the
page's data, written as PDF, SVG, PNG (300 dpi) and PGF; the page's button draws the PDF in a
worker process."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from dashboards import MultiIndexExplorer, ScalingExplorer, SpikedExplorer
from tests.dashboards.test_lecture_layout import EXPLORERS
from tests.dashboards.test_presets import settle
from tests.waiting import wait_until

hv = pytest.importorskip("holoviews")
pytest.importorskip("matplotlib")

def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("cls", EXPLORERS)
def test_every_explorer_writes_a_pdf_of_what_its_page_shows(cls, tmp_path):
    explorer = cls()
    settle(explorer)
    layout = explorer.to_holoviews()
    assert isinstance(layout, hv.Layout)
    assert len(layout) >= 2
    path = explorer.save_figure(tmp_path / "figure.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert len(data) > 10_000


def test_the_layout_holds_the_pages_data_and_labels(tmp_path):
    """The spiked explorer's error curve: the Bayes-optimal line of the HoloViews overlay is
    the page's source, with the page's title, axis label and legend label."""
    explorer = SpikedExplorer()
    settle(explorer)
    layout = explorer.to_holoviews()
    overlay = layout[0]
    assert overlay.opts.get(backend="matplotlib").kwargs["title"] == explorer.fig_curve.title.text
    curves = [e for e in overlay if isinstance(e, hv.Curve) and e.label == "Bayes-optimal"]
    assert len(curves) == 1
    source = explorer.sources["curves"].data
    np.testing.assert_allclose(curves[0].dimension_values(0), np.asarray(source["snr"]))
    np.testing.assert_allclose(curves[0].dimension_values(1), np.asarray(source["bayes"]),
                               equal_nan=True)


@pytest.mark.parametrize("width", ["single", "double"])
def test_formats_by_extension_and_column_widths(tmp_path, width):
    explorer = ScalingExplorer()
    settle(explorer)
    svg = explorer.save_figure(tmp_path / "f.svg", width).read_bytes()
    assert b"<svg" in svg[:500]
    png = explorer.save_figure(tmp_path / "f.png", width).read_bytes()
    w, _ = png_size(png)
    # 300 dpi: about the column width in inches x 300 (the tight box trims the margins)
    inches = {"single": 3.4, "double": 7.0}[width]
    assert 0.75 * inches * 300 <= w <= 1.1 * inches * 300
    from dashboards import paper

    if paper.latex() is not None:
        pgf = explorer.save_figure(tmp_path / "f.pgf", width).read_text()
        assert "\\begin{pgfpicture}" in pgf
    else:  # matplotlib typesets .pgf text with LaTeX: a clear refusal without it
        with pytest.raises(RuntimeError, match="LaTeX"):
            explorer.save_figure(tmp_path / "f.pgf", width)
    with pytest.raises(ValueError, match="format"):
        explorer.save_figure(tmp_path / "f.jpg")


def test_the_paper_button_draws_the_pdf_in_a_worker_and_offers_it():
    explorer = MultiIndexExplorer()
    settle(explorer)
    assert not explorer.paper_download.visible
    future = explorer.make_paper_figure()
    assert explorer.paper_button.disabled  # one at a time
    future.result(timeout=180)
    wait_until(lambda: explorer.paper_download.visible, timeout=30)
    pdf = explorer.paper_download.file
    data = pdf.getvalue() if isinstance(pdf, io.BytesIO) else pdf.read()
    assert data.startswith(b"%PDF-")
    assert "kB" in explorer.paper_download.label
    assert not explorer.paper_button.disabled
