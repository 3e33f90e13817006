"""The diffusion tab in headless Chromium: renders offline, sliders update the timeline."""

import pytest

from bench.browser import JS_SOURCE_DATA as JS_SOURCE
from bench.browser import JS_WATCH_SOURCE

from .test_online_page import no_errors
from .test_spiked_page import open_page, source, wait_visible

pytestmark = pytest.mark.ui


def test_diffusion_tab_renders_and_reacts(page, app_url):
    open_page(page, f"{app_url}?tab=3&dm_n=500", ready="dm-times", timeout=60_000)
    wait_visible(page, "Speciation t_S")
    before = source(page, "dm-times")["x"]
    page.evaluate(JS_WATCH_SOURCE, "dm-times")
    page.locator(".separation-slider .noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.__changes['dm-times'].length > 0", timeout=30_000)
    page.wait_for_timeout(300)
    assert source(page, "dm-times")["x"][0] > before[0]  # wider separation: later t_S
    no_errors(page)


def test_backward_simulation_runs_from_the_page(page, app_url):
    open_page(page, f"{app_url}?tab=3&dm_n=200&dm_d=16&dm_n_samples=60", ready="dm-times",
              timeout=60_000)
    page.get_by_role("button", name="Run backward diffusion").click()
    page.wait_for_function(
        "() => { const d = (" + JS_SOURCE + ")('dm-curves'); return d && d.t.length > 0; }",
        timeout=60_000)
    wait_visible(page, "end on a training point")
    no_errors(page)


def test_the_training_points_slider_shows_its_value_and_moves_n(page, app_url):
    """n takes values from a list (10 ... 20000): its slider says the value it stands for,
    in its own title, and a key press moves n to the next value of the list."""
    open_page(page, f"{app_url}?tab=3&dm_n=500", ready="dm-times", timeout=60_000)
    title = page.locator(".n-slider .bk-slider-title")
    title.filter(has_text="Training points n: 500").wait_for(timeout=30_000)
    page.locator(".n-slider .noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.location.search.includes('dm_n=1000')",
                           timeout=30_000)
    title.filter(has_text="Training points n: 1000").wait_for(timeout=30_000)
    assert title.count() == 1  # one title: Panel's text above the slider is gone
    no_errors(page)
