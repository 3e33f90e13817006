"""The sidebar's controls in the real page: every control's text fits its box at the
screen sizes of a lecture hall, and the labels of checkboxes and switches toggle them."""

import pytest

from .test_spiked_page import open_page, wait_visible

pytestmark = pytest.mark.ui

#: what in the controls column does not fit: a select option wider than the select's text
#: room, an element sticking out of the column, a button or label whose text overflows
JS_OVERFLOWS = r"""() => {
  const walk = (root, acc) => {
    for (const el of root.querySelectorAll("*")) {
      acc.push(el);
      if (el.shadowRoot) walk(el.shadowRoot, acc);
    }
    return acc;
  };
  const context = document.createElement("canvas").getContext("2d");
  const out = [];
  const columns = walk(document, []).filter((e) => e.classList && e.classList.contains("controls")
    && e.getClientRects().length > 0);
  for (const column of columns) {
    const box = column.getBoundingClientRect();
    for (const el of walk(column.shadowRoot ?? column, [])) {
      const r = el.getBoundingClientRect();
      // noUiSlider positions its handles' origins by transforms, as wide as the track
      if (r.width === 0 || String(el.className).includes("noUi-origin")) continue;
      const text = (el.textContent || "").trim().slice(0, 40);
      if (el.tagName === "SELECT") {
        const style = getComputedStyle(el);
        context.font = `${style.fontSize} ${style.fontFamily}`;
        const room = el.clientWidth - parseFloat(style.paddingLeft) -
          parseFloat(style.paddingRight);
        for (const option of el.options)
          if (context.measureText(option.text).width > room)
            out.push(`select option "${option.text}" is wider than its select`);
      }
      if (r.right > box.right + 1 || r.left < box.left - 1)
        out.push(`${el.tagName}.${el.className} "${text}" sticks out of the controls`);
      else if (["BUTTON", "LABEL"].includes(el.tagName) && el.scrollWidth > el.clientWidth + 1)
        out.push(`${el.tagName} "${text}" overflows its box`);
    }
  }
  return out;
}"""

TABS = [(0, "spiked-curves"), (1, "glm-curves"), (2, "sgd-eps"), (3, "dm-phase")]
SCREENS = [((1280, 720), False), ((1366, 768), False), ((1280, 720), True)]


@pytest.mark.parametrize(("size", "lecture"), SCREENS)
def test_every_control_fits_the_sidebar(browser, app_url, size, lecture):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        for tab, ready in TABS:
            open_page(page, f"{app_url}?tab={tab}&lecture={str(lecture).lower()}",
                      ready=ready, timeout=60_000)
            page.wait_for_timeout(800)
            assert page.evaluate(JS_OVERFLOWS) == [], (tab, size, lecture)
    finally:
        context.close()


def test_the_overflow_check_sees_a_cut_select(page, app_url):
    open_page(page, app_url)
    # an option as long as the preset names that a select used to cut
    page.locator(".param-prior select").first.evaluate(
        "s => s.add(new Option('First-order transition of sparse PCA (ρ = 0.05) and more'))")
    assert any("wider than its select" in o for o in page.evaluate(JS_OVERFLOWS))


def test_clicking_a_checkbox_label_toggles_it(page, app_url):
    open_page(page, f"{app_url}?tab=1", ready="glm-curves", timeout=60_000)
    box = page.locator(".param-log-scale input").first
    before = box.is_checked()
    page.locator(".param-log-scale .bk-label").first.click()
    page.wait_for_url(f"**glm_log_scale={str(not before).lower()}**", timeout=30_000)
    assert box.is_checked() != before
    page.locator(".lecture-switch .bk-label").first.click()  # a switch's label too
    page.wait_for_url("**lecture=true**", timeout=30_000)
    wait_visible(page, "Classic results")


def test_one_click_on_a_tab_opens_that_tab(page, app_url):
    """A tab's explorer is built when first shown and syncs its link; the tab clicked (not
    the one before it) stays open, and the link says so."""
    open_page(page, f"{app_url}?tab=0", ready="spiked-landscape", timeout=90_000)
    tabs = page.locator(".bk-tab")
    for index, title in ((1, "Teacher-student learning curves"), (3, "Diffusion models"),
                         (0, "Low-rank matrix estimation")):
        tabs.nth(index).click()
        page.wait_for_function(
            f"() => new URLSearchParams(window.location.search).get('tab') === '{index}'",
            timeout=60_000)
        page.wait_for_timeout(1500)  # the explorer built, its link synced
        assert page.locator(".bk-tab.bk-active").all_inner_texts() == [title]
        assert f"tab={index}" in page.url
