"""The storage-capacity explorer in headless Chromium: a plain link renders offline without
errors, the margin slider moves the overlap curve, a link restores N, simulations land."""

import pytest

from bench.browser import JS_WATCH_SOURCE

from .test_spiked_page import open_page, source, wait_visible

pytestmark = pytest.mark.ui


def test_plain_link_renders_and_the_margin_slider_moves_the_overlap(page, app_url):
    open_page(page, f"{app_url}?tab=4", ready="capacity-overlap", timeout=60_000)
    page.wait_for_timeout(500)
    errors = [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")]
    assert errors == []
    assert page.blocked == []
    before = source(page, "capacity-overlap")
    assert before["alpha"][-1] == pytest.approx(2.0)  # alpha_c at kappa = 0
    page.evaluate(JS_WATCH_SOURCE, "capacity-overlap")
    page.locator(".param-kappa .noUi-handle").first.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.__changes['capacity-overlap'].length > 0")
    page.wait_for_timeout(500)
    after = source(page, "capacity-overlap")
    assert after["alpha"][-1] < 2.0  # a positive margin stores fewer patterns
    wait_visible(page, "spherical weights store the patterns")


def test_a_link_sets_the_dimension_and_simulations_land(page, app_url):
    query = "tab=4&cap_n=10&cap_lp_trials=20&cap_svm_n=20&cap_svm_trials=2"
    open_page(page, f"{app_url}?{query}", ready="capacity-cover", timeout=60_000)
    assert len(source(page, "capacity-cover")["alpha"]) == 4 * 10 + 1
    page.evaluate(JS_WATCH_SOURCE, "capacity-lp")
    page.get_by_role("button", name="Run simulations").click()
    page.wait_for_function("() => window.__changes['capacity-lp'].length > 0",
                           timeout=120_000)
    lp = source(page, "capacity-lp")
    assert len(lp["alpha"]) == 13
    assert all(0.0 <= v <= 1.0 for v in lp["mean"])
    wait_visible(page, "linear programs per α at N = 10", timeout=60_000)
