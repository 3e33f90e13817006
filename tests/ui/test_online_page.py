"""The online-SGD tab in headless Chromium: renders offline, sliders and play update it."""

import numpy as np
import pytest

from bench.browser import JS_SOURCE_DATA, JS_WATCH_SOURCE, is_local

from .test_spiked_page import open_page, source, wait_visible

pytestmark = pytest.mark.ui


def no_errors(page):
    errors = [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")]
    assert errors == []
    assert page.blocked == []
    assert all(is_local(u) for u in page.requests_seen)


def test_online_tab_renders_from_a_link(page, app_url):
    open_page(page, f"{app_url}?tab=2&sgd_K=3&sgd_M=2", ready="sgd-eps", timeout=60_000)
    page.wait_for_function(f"() => ({JS_SOURCE_DATA})('sgd-heat').value.length === 6")
    page.wait_for_function(
        f"() => {{ const d = ({JS_SOURCE_DATA})('sgd-sweep'); return d && d.lr.length > 0; }}",
        timeout=60_000)
    page.wait_for_timeout(500)
    wait_visible(page, "specialise")
    no_errors(page)


def test_learning_rate_slider_updates_the_curve(page, app_url):
    open_page(page, f"{app_url}?tab=2", ready="sgd-eps", timeout=60_000)
    before = source(page, "sgd-eps")["eps"]
    page.evaluate(JS_WATCH_SOURCE, "sgd-eps")
    page.locator(".lr-slider .noUi-handle").first.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => window.__changes['sgd-eps'].length > 0", timeout=30_000)
    page.wait_for_timeout(300)
    assert source(page, "sgd-eps")["eps"] != before
    no_errors(page)


def test_play_animates_the_overlaps(page, app_url):
    open_page(page, f"{app_url}?tab=2&sgd_frame=0", ready="sgd-eps", timeout=60_000)
    page.wait_for_function(f"() => ({JS_SOURCE_DATA})('sgd-heat').value.length === 4")
    page.evaluate(JS_WATCH_SOURCE, "sgd-heat")
    page.locator(".time-player button.play").first.click()
    page.wait_for_function("() => window.__changes['sgd-heat'].length >= 5", timeout=30_000)
    page.locator(".time-player button.pause").first.click()
    assert "sgd_frame=" in page.url  # the time cursor is part of the link
    no_errors(page)


# the ticks and labels that BokehJS draws on the y axis of the figure titled ``title``
JS_Y_TICKS = """(title) => {
  for (const m of Bokeh.documents[0].all_models) {
    if (!m.title || m.title.text !== title || !m.left) continue;
    const axis = m.left[0], range = m.y_range;
    const ticks = axis.ticker.get_ticks(range.start, range.end, range, 0).major;
    const labels = axis.formatter.format_graphics(ticks, {loc: 0})
      .map((g) => (g.text !== undefined ? g.text : `${g.base.text}^${g.expo.text}`));
    return {start: range.start, end: range.end, ticks, labels};
  }
  return null;
}"""


def test_a_log_axis_under_two_decades_is_labelled_readably(page, app_url):
    """eta = 2.6: the error stalls at 0.039 and the y axis spans 0.02-0.9. BokehJS's own
    ticks were 0.1, 0.2, ... 0.8 (crowded at the top, nothing below 0.1)."""
    open_page(page, f"{app_url}?tab=2&sgd_lr=2.6", ready="sgd-eps", timeout=60_000)
    page.wait_for_timeout(500)
    axis = page.evaluate(JS_Y_TICKS, "Generalisation error ε_g")
    ticks, labels = np.array(axis["ticks"]), axis["labels"]
    assert axis["start"] < 0.039 < 0.1 < axis["end"]
    assert ticks.min() < 0.1  # the stalled error can be read
    assert [float(label) for label in labels] == pytest.approx(ticks)  # numbers, right ones
    spacing = np.diff(np.log10(ticks)) / np.log10(axis["end"] / axis["start"])
    assert spacing.min() >= 0.09  # no two labels closer than a tenth of the axis
    no_errors(page)
