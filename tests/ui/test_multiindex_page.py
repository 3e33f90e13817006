"""The multi-index explorer in headless Chromium: a plain link renders offline without errors,
choosing a target updates the weak-recovery spectrum and the summary, GAMP points land."""

import pytest

from bench.browser import JS_WATCH_SOURCE

from .test_spiked_page import open_page, source, wait_visible

pytestmark = pytest.mark.ui


def test_plain_link_renders_and_a_link_picks_the_target(page, app_url):
    open_page(page, f"{app_url}?tab=6", ready="multiindex-spectrum", timeout=90_000)
    page.wait_for_timeout(500)
    errors = [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")]
    assert errors == []
    assert page.blocked == []
    wait_visible(page, "Trivial")
    page.evaluate(JS_WATCH_SOURCE, "multiindex-spectrum")
    page.goto(f"{app_url}?tab=6&mi_target=sign%28z1%2Az2%29")
    wait_visible(page, "2.4674", timeout=90_000)  # pi^2 / 4 in the summary
    spectrum = source(page, "multiindex-spectrum")["eigenvalue"]
    assert max(spectrum) == pytest.approx(4 / 3.141592653589793**2, rel=1e-6)


def test_gamp_points_land_on_the_plot_from_a_link(page, app_url):
    """A link sets GAMP's dimension and instances; Run GAMP draws eight points per
    eigenvalue and says how many runs converged."""
    open_page(page, f"{app_url}?tab=6&mi_gamp_d=200&mi_gamp_seeds=1",
              ready="multiindex-eigenvalues", timeout=90_000)
    page.evaluate(JS_WATCH_SOURCE, "multiindex-gamp-1")
    page.get_by_role("button", name="Run GAMP").click()
    page.wait_for_function("() => window.__changes['multiindex-gamp-1'].length > 0",
                           timeout=120_000)
    points = source(page, "multiindex-gamp-1")
    assert len(points["alpha"]) == 8
    assert all(0.0 <= v <= 1.0 + 1e-9 for v in points["mean"])
    wait_visible(page, "GAMP at d = 200: 1 instance(s) × 8 values of α", timeout=60_000)
