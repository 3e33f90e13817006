"""The scaling-law explorer in headless Chromium: a plain link renders offline without errors,
the capacity slider moves the learning curve, a link restores the schedule."""

import pytest

from bench.browser import JS_WATCH_SOURCE

from .test_spiked_page import open_page, source, wait_visible

pytestmark = pytest.mark.ui


def test_plain_link_renders_and_the_capacity_slider_moves_the_curve(page, app_url):
    open_page(page, f"{app_url}?tab=5", ready="scaling-curve", timeout=60_000)
    page.wait_for_timeout(500)
    errors = [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")]
    assert errors == []
    assert page.blocked == []
    before = source(page, "scaling-curve")["error"]
    page.evaluate(JS_WATCH_SOURCE, "scaling-curve")
    page.locator(".param-capacity .noUi-handle").first.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.__changes['scaling-curve'].length > 0")
    page.wait_for_timeout(500)
    assert source(page, "scaling-curve")["error"] != before
    wait_visible(page, "Decay exponents")


def test_a_link_restores_a_schedule(page, app_url):
    open_page(page, f"{app_url}?tab=5&kr_optimal=false&kr_reg_exponent=3",
              ready="scaling-curve", timeout=60_000)
    wait_visible(page, "(plateau)")  # with noise, l = 3 > a = 2: the error stops improving
    local = source(page, "scaling-exponent")["local"]
    assert abs(local[-1]) < 0.02
