"""The teacher-student tab in headless Chromium."""

import pytest

from bench.browser import JS_SOURCE_DATA, JS_WATCH_SOURCE

from .test_spiked_page import open_page, source, wait_visible

pytestmark = pytest.mark.ui


def test_link_opens_the_teacher_student_tab_with_its_state(page, app_url):
    open_page(page, f"{app_url}?tab=1&glm_task=Phase+retrieval&glm_alpha=0.8",
              ready="glm-curves", timeout=60_000)
    page.wait_for_function(
        f"() => {{ const d = ({JS_SOURCE_DATA})('glm-curves');"
        " return d && d.uninformed[0] > 0.3; }")  # phase retrieval: error 1 - 2/pi at q = 0
    wait_visible(page, "weak recovery α_WR = 0.5000")
    errors = [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")]
    assert errors == []
    assert page.blocked == []


def test_alpha_slider_updates_the_landscape(page, app_url):
    open_page(page, f"{app_url}?tab=1", ready="glm-curves", timeout=60_000)
    page.wait_for_function(
        f"() => ({JS_SOURCE_DATA})('glm-landscape') !== null")
    before = source(page, "glm-landscape")["f"]
    page.evaluate(JS_WATCH_SOURCE, "glm-landscape")
    page.locator(".alpha-slider .noUi-handle").first.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => window.__changes['glm-landscape'].length > 0")
    page.wait_for_timeout(300)
    assert source(page, "glm-landscape")["f"] != before


def test_switching_task_updates_the_plot(page, app_url):
    open_page(page, f"{app_url}?tab=1", ready="glm-curves", timeout=60_000)
    before = source(page, "glm-curves")["bayes"]
    page.evaluate(JS_WATCH_SOURCE, "glm-curves")
    page.locator("select:has(option[value='Compressed sensing'])").first.select_option(
        "Compressed sensing")
    page.wait_for_function("() => window.__changes['glm-curves'].length > 0", timeout=30_000)
    page.wait_for_timeout(500)
    after = source(page, "glm-curves")["bayes"]
    assert after != before
    wait_visible(page, "Compressed sensing.")
    errors = [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")]
    assert errors == []
    assert page.blocked == []
