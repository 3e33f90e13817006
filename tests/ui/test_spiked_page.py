"""The real page in headless Chromium: renders, reacts, stays offline, restores from a link."""

import json
import urllib.parse

import pytest

from bench.browser import JS_SOURCE_DATA, JS_WATCH_SOURCE, is_local
from dashboards import spiked as spiked_view

pytestmark = pytest.mark.ui


def open_page(page, url, timeout=30_000, ready="spiked-curves"):
    # offline proof: any request to another host is aborted and recorded
    blocked = []

    def route(r):
        if is_local(r.request.url):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.blocked = blocked
    page.goto(url)
    page.wait_for_function(
        f"() => {{ const d = ({JS_SOURCE_DATA})('{ready}');"
        " return d && Object.values(d)[0].length > 0; }",
        timeout=timeout,
    )
    return page


def wait_visible(page, text, timeout=30_000):
    """Wait until some visible element shows ``text`` (fails after ``timeout`` ms)."""
    page.get_by_text(text).locator("visible=true").first.wait_for(timeout=timeout)


def source(page, name):
    return page.evaluate(JS_SOURCE_DATA, name)


def test_page_renders_without_errors_and_makes_no_outside_request(page, app_url):
    open_page(page, app_url)
    page.wait_for_timeout(1000)
    errors = [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")]
    assert page.blocked == []
    assert all(is_local(u) for u in page.requests_seen)
    assert errors == [], [u for u in page.requests_seen if "/static/" not in u][:20]
    assert len(source(page, "spiked-curves")["snr"]) == spiked_view.CURVE_POINTS
    wait_visible(page, "First-order transition")


def test_moving_the_snr_slider_changes_the_plot(page, app_url):
    open_page(page, app_url)
    before = source(page, "spiked-landscape")["phi"]
    page.evaluate(JS_WATCH_SOURCE, "spiked-landscape")
    handle = page.locator(".snr-slider .noUi-handle").first
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.__changes['spiked-landscape'].length > 0")
    page.wait_for_timeout(300)
    after = source(page, "spiked-landscape")["phi"]
    assert after != before
    assert source(page, "spiked-point")["snr"][0] > 0.9


def test_a_shared_link_restores_the_view(page, app_url):
    query = urllib.parse.urlencode(
        {"prior": "rademacher", "snr": "1.3", "snr_range": json.dumps([0.5, 2.0]),
         "quantity": "overlap"})
    open_page(page, f"{app_url}?{query}")
    page.wait_for_function(
        f"() => {{ const d = ({JS_SOURCE_DATA})('spiked-curves');"
        " return d && Math.abs(d.snr[0] - 0.5) < 1e-9; }")
    curves = source(page, "spiked-curves")
    assert curves["snr"][0] == pytest.approx(0.5)
    assert curves["snr"][-1] == pytest.approx(2.0)
    # overlap of the Rademacher prior: 0 below lambda = 1, positive above
    assert curves["bayes"][0] == 0.0
    assert curves["bayes"][-1] > 0.5
    wait_visible(page, "Continuous transition")
    assert source(page, "spiked-point") == {"rho": [1.0], "snr": [1.3]}


def test_a_hostile_link_gives_a_message_not_a_crash(page, app_url):
    open_page(page, f"{app_url}?rho=abc&snr=1e308&prior=%3Cscript%3E")
    page.wait_for_timeout(1000)
    wait_visible(page, "Some link parameters were adjusted")
    errors = [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")]
    assert errors == []
    assert len(source(page, "spiked-curves")["snr"]) == spiked_view.CURVE_POINTS


def test_a_running_simulation_does_not_block_another_user(browser, app_url):
    busy_context = browser.new_context()
    other_context = browser.new_context()
    try:
        busy = open_page(busy_context.new_page(), f"{app_url}?amp_n=5000&amp_runs=20")
        busy.get_by_role("button", name="Run AMP").click()
        busy.wait_for_timeout(500)
        other = open_page(other_context.new_page(), app_url)
        other.evaluate(JS_WATCH_SOURCE, "spiked-landscape")
        other.locator(".snr-slider .noUi-handle").first.focus()
        start = other.evaluate("() => performance.now()")
        other.keyboard.press("ArrowRight")
        other.wait_for_function("() => window.__changes['spiked-landscape'].length > 0",
                                timeout=5_000)
        waited = other.evaluate("() => window.__changes['spiked-landscape'][0]") - start
        print(f"slider update while another user simulates: {waited:.0f} ms")
        assert waited < 2_000
        # the simulation is still running, and can be cancelled
        assert busy.get_by_role("button", name="Cancel").is_enabled()
        busy.get_by_role("button", name="Cancel").click()
        busy.get_by_text("Simulation cancelled").wait_for(timeout=30_000)
    finally:
        busy_context.close()
        other_context.close()
