"""Drive the diffusion explorer through its parameters; check the plotted data."""

import io

import numpy as np
import pytest

from dashboards.diffusion import DiffusionExplorer
from dashboards.recipes import readable
from tests.waiting import wait_until
from theory import data as datasets
from theory import diffusion


@pytest.fixture
def explorer():
    e = DiffusionExplorer()
    e.t_c_future.result(timeout=60)
    return e




def marks(explorer):
    data = explorer.sources["times"].data
    return dict(zip([t.split(" =")[0] + (" emp" if "excess" in t else "") for t in data["time"]],
                    data["x"], strict=True))


def test_default_times_are_the_closed_forms(explorer):
    m = diffusion.gaussian_mixture(d=64, n=1000, separation=3.0, variance=1.0, seed=0)
    wait_until(lambda: "excess-entropy estimate" in explorer.summary.object)
    x = marks(explorer)
    assert x["t_S"] == pytest.approx(0.5 * np.log(1.0 + 9.0))
    v_bar = 1.0 + 9.0 / 64
    assert x["t_C"] == pytest.approx(float(diffusion.collapse_time(n=1000, d=64,
                                                                   variance=v_bar)))
    assert x["t_C emp"] == pytest.approx(
        diffusion.collapse_time_empirical(data=m.points, samples=200, seed=0))
    regimes = explorer.sources["regimes"].data["regime"]
    assert len(regimes) == 3


def test_separation_moves_the_speciation_time(explorer):
    explorer.separation = 6.0
    assert marks(explorer)["t_S"] == pytest.approx(0.5 * np.log(1.0 + 36.0))
    phase = explorer.sources["phase"].data
    np.testing.assert_allclose(phase["speciation"], 0.5 * np.log(37.0))


def test_more_data_collapses_later_in_the_phase_diagram(explorer):
    before = explorer.sources["phase_point"].data["t"][0]
    explorer.n = 20000
    after = explorer.sources["phase_point"].data["t"][0]
    assert after < before
    assert explorer.sources["phase_point"].data["x"][0] == pytest.approx(np.log(20000) / 64)


def test_backward_run_draws_the_curves(explorer):
    explorer.param.update(d=16, n=200, n_samples=100)
    explorer.run_backward().result(timeout=120)
    wait_until(lambda: len(explorer.sources["curves"].data["t"]) > 0)
    curves = explorer.sources["curves"].data
    assert curves["committed"][-1] == 1.0
    assert curves["collapsed"][0] == 0.0
    assert len(explorer.sources["trajectories"].data["xs"]) == 20
    assert "end on a training point" in explorer.sim.status.object
    explorer.separation = 1.0  # results belong to the old data
    assert len(explorer.sources["curves"].data["t"]) == 0


def test_digits_show_images(explorer):
    explorer.param.update(source="digits", n=200, n_samples=40)
    assert explorer.images_box.visible
    assert explorer.d_widget.disabled
    assert explorer.score == "empirical"
    explorer.run_backward().result(timeout=120)
    wait_until(lambda: len(explorer.sources["images"].data["image"]) == 12)
    assert explorer.sources["images"].data["image"][0].shape == (8, 8)


def test_upload_uses_the_file_and_refuses_bad_ones(explorer):
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.save(buffer, rng.standard_normal((300, 5)))
    shown = []
    explorer.upload_progress.param.watch(lambda event: shown.append(event.new), "visible")
    explorer.upload_status.param.watch(lambda event: shown.append(event.new), "object")
    explorer.upload.filename = "mine.npy"
    explorer.upload.value = buffer.getvalue()
    # read in a worker process
    wait_until(lambda: "mine.npy, d = 5" in explorer.summary.object)
    assert explorer.source == "upload"
    assert shown[:2] == ["Reading `mine.npy` (0.0 MiB)…", True]
    assert not explorer.upload_progress.visible
    assert "300 points, d = 5" in explorer.upload_status.object
    explorer.upload.filename = "evil.csv"
    explorer.upload.value = b"1,2\n3,oops\n"
    wait_until(lambda: "Could not use the file" in explorer.message.object)
    assert "mine.npy" in explorer.summary.object  # the previous data stay
    assert not explorer.upload_progress.visible
    assert "mine.npy`: 300 points" in explorer.upload_status.object


def test_the_statistics_of_a_large_upload_come_from_a_worker(explorer, monkeypatch):
    import dashboards.recipes.diffusion as module  # where the recipes decide

    monkeypatch.setattr(module, "DIRECT_SPECTRUM", 100)  # this small file counts as large
    points = np.random.default_rng(2).standard_normal((400, 6)) * np.arange(1, 7)
    buffer = io.BytesIO()
    np.save(buffer, points)
    said = []
    explorer.summary.param.watch(lambda event: said.append(event.new), "object")
    explorer.param.update(n=200, seed=3)
    explorer.upload.filename = "wide.npy"
    explorer.upload.value = buffer.getvalue()
    wait_until(lambda: "wide.npy" in explorer.summary.object
               and "Speciation" in explorer.summary.object)
    assert any("Computing the covariance spectrum" in text for text in said)
    assert not explorer.summary.loading
    used = explorer.current_data()[0]
    assert used.shape == (200, 6)
    top = float(diffusion.covariance_spectrum(used)[0])
    assert f"(Λ = {top:.3g})" in explorer.summary.object
    t_s = diffusion.speciation_time(eigenvalues=[top])
    assert marks(explorer)["t_S"] == pytest.approx(t_s)


def test_upload_source_without_a_file_says_so(explorer):
    explorer.source = "upload"
    assert "upload a .npy or .csv file" in explorer.message.object


def test_exact_score_only_for_the_mixture(explorer):
    explorer.score = "exact"
    explorer.source = "digits"
    assert explorer.score == "empirical"


def test_hostile_link_values(explorer):
    notes = explorer.apply_values({"d": 10**6, "n": 7, "separation": "nan", "source": "x"})
    assert explorer.d == 512
    assert explorer.n == 1000
    assert len(notes) == 4
    assert max(explorer.param.n.objects) <= datasets.MAX_POINTS


def test_training_window_plots_the_theory_and_clears_on_change(explorer):
    explorer.param.update(train_features=512, train_t=0.2)
    explorer.run_training_window().result(timeout=120)
    wait_until(lambda: explorer.window_box.visible)
    expected = diffusion.training_window(n_values=[32, 64, 128, 256, 512], d=16, features=512,
                                         t=0.2, separation=3.0, variance=1.0, seed=0)
    data = explorer.sources["window"].data
    assert list(data["n"]) == [32, 64, 128, 256, 512]
    assert np.allclose(data["generalization"], expected.generalization_time)
    assert np.allclose(data["memorization"], expected.memorization_time)
    assert f"n<sup>{readable(expected.exponent)}</sup>" in explorer.window_sim.status.object
    assert len(explorer.sources["losses"].data["xs"]) == 10  # train and test for each n
    assert "dm-window" in explorer.plotted_tables()
    explorer.train_t = 0.3  # stale curves disappear
    assert not explorer.window_box.visible
    assert len(explorer.sources["window"].data["n"]) == 0


def test_an_upload_that_is_not_base64_is_refused_with_a_message(explorer):
    """Issue 17: a client sent text that is not base64 as the file; Panel's decoding raised
    and the page said nothing."""
    explorer.upload._process_events({"filename": "x.npy", "value": "not base64!"})
    assert "not base64" in explorer.message.object
    assert explorer.message.visible
    assert explorer.source == "mixture"  # nothing changed


def test_an_upload_of_huge_values_is_refused_at_load(explorer):
    """Issue 17: ±1e308 passed the checks, then the view failed ("Could not update the view")."""
    buffer = io.BytesIO()
    np.save(buffer, np.array([[1e308, -1e308], [-1e308, 1e308], [1e308, 1e308]]))
    explorer.upload.filename = "huge.npy"
    explorer.upload.value = buffer.getvalue()
    wait_until(lambda: "Could not use the file" in explorer.message.object)
    assert "too large" in explorer.message.object
    assert explorer.source == "mixture"


def test_an_upload_over_the_limit_is_refused_with_a_message(explorer, monkeypatch):
    from dashboards import guards

    monkeypatch.setattr(guards, "MAX_UPLOAD_BYTES", 1000)
    explorer.upload.filename = "big.csv"
    explorer.upload.value = b"1,2\n" * 1000
    assert "larger than" in explorer.message.object
    assert not explorer.upload_progress.visible


def test_the_training_points_slider_maps_its_position_to_n():
    """The n slider's inner slider is an index into the list of choices; its title shows
    the value (``ChoiceSlider``), and no text is rewritten beside it."""
    from bokeh.document import Document

    from dashboards.base import ChoiceSlider
    from dashboards.recipes.diffusion import N_CHOICES

    explorer = DiffusionExplorer()
    widget = explorer.widgets["n"]
    assert isinstance(widget, ChoiceSlider)
    inner = widget._slider
    assert inner.show_value
    assert inner.name == explorer.param.n.label
    assert inner.format.args["labels"] == [str(v) for v in N_CHOICES]
    assert not widget._text.visible
    widget.get_root(Document())  # rendered: the JS link carries no rewrite of the text
    assert N_CHOICES[inner.value] == explorer.n
    inner.value = N_CHOICES.index(200)
    assert explorer.n == 200
