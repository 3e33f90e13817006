"""What a lecturer shows first, in headless Chromium: the explanation cards typeset (no raw
TeX), Play on a freshly opened online tab, and lecture mode at 1280x720 with nothing cut:
every plot's title, subtitle, axis labels and legend measured against its frame, every
control inside its column, larger controls than in normal mode, no width cap at 1920."""

import pytest

from bench.browser import JS_SOURCE_DATA, JS_WATCH_SOURCE, is_local

from .test_spiked_page import open_page, source

pytestmark = pytest.mark.ui

TABS = [(0, "spiked-curves"), (1, "glm-curves"), (2, "sgd-eps"), (3, "dm-phase"),
        (4, "capacity-overlap"), (5, "scaling-curve"), (6, "multiindex-spectrum")]

# the explanation card's shadow root (``root``), searched through every shadow root
JS_FIND_CARD = """
  function find(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList.contains('explanation') && el.shadowRoot) return el.shadowRoot;
      if (el.shadowRoot) { const found = find(el.shadowRoot); if (found) return found; }
    }
    return null;
  }
  const root = find(document);
"""

# the rendered text of the explanation card (formulas left out: MathJax draws them as SVG),
# its formulas, and MathJax's error nodes and undefined macros
JS_CARD = """() => {""" + JS_FIND_CARD + """
  if (root == null) return null;
  const holder = document.createElement('div');
  for (const child of root.children) holder.appendChild(child.cloneNode(true));
  const formulas = holder.querySelectorAll('mjx-container').length;
  // an error node, or an undefined macro (MathJax draws its name in red: \\quadg)
  const errors = holder.querySelectorAll(
    '[data-mjx-error], [data-mml-node=merror], [data-mml-node=mtext][fill=red]').length;
  holder.querySelectorAll('mjx-container, style, link').forEach((e) => e.remove());
  return {text: holder.textContent, formulas, errors};
}"""


def no_errors(page):
    errors = [m for m in page.console_messages_seen if m[0] in ("error", "pageerror")]
    assert errors == []
    assert page.blocked == []
    assert all(is_local(u) for u in page.requests_seen)


@pytest.mark.parametrize(("tab", "ready"), TABS)
def test_the_explanation_card_shows_typeset_formulas_and_no_raw_tex(page, app_url, tab, ready):
    open_page(page, f"{app_url}?tab={tab}", ready=ready, timeout=60_000)
    page.get_by_text("What this shows").locator("visible=true").first.click()
    page.wait_for_function(f"() => {{ const c = ({JS_CARD})(); return c && c.formulas > 5; }}",
                           timeout=30_000)
    card = page.evaluate(JS_CARD)
    assert card["errors"] == 0
    text = card["text"]
    assert "References." in text
    for raw in ("$", "\\", "</", "<em>", "*"):
        assert raw not in text, (raw, text[max(0, text.find(raw) - 80):text.find(raw) + 80])
    if tab in (0, 1, 2, 5, 6):
        assert "Zdeborová" in text
    if tab in (1, 3, 4):
        assert "Mézard" in text
    no_errors(page)


JS_WIDE_FORMULAS = """() => {""" + JS_FIND_CARD + """
  return [...root.querySelectorAll('.math-display')]
    .filter((el) => el.scrollWidth > el.clientWidth + 1)
    .map((el) => [el.scrollWidth, el.clientWidth]);
}"""


@pytest.mark.parametrize(("tab", "ready"), [(5, "scaling-curve"), (6, "multiindex-spectrum"),
                                            (1, "glm-curves")])
def test_lecture_mode_formulas_fit_the_card_at_1280x720(browser, app_url, tab, ready):
    """A display formula wider than the card shrinks to its width: nothing runs past the
    edge (nor needs scrolling) in lecture mode on a 1280x720 projector."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_page(page, f"{app_url}?tab={tab}&lecture=true", ready=ready, timeout=60_000)
        page.get_by_text("What this shows").locator("visible=true").first.click()
        page.wait_for_function(f"() => {{ const c = ({JS_CARD})(); return c && c.formulas > 5; }}",
                               timeout=30_000)
        page.wait_for_timeout(500)
        assert page.evaluate(JS_WIDE_FORMULAS) == []
    finally:
        context.close()


JS_PLAYER = """() => {
  function find(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList.contains('time-player') && el.shadowRoot)
        return el.shadowRoot.querySelector('input[type=range]');
      if (el.shadowRoot) { const found = find(el.shadowRoot); if (found) return found; }
    }
    return null;
  }
  const input = find(document);
  return input && {value: +input.value, max: +input.max};
}"""


def test_play_animates_a_freshly_opened_online_tab(page, app_url):
    """A plain link, no time cursor in it: the slider is drawn where the cursor is (the last
    frame), and Play starts again from the first frame and moves on."""
    open_page(page, f"{app_url}?tab=2", ready="sgd-eps", timeout=60_000)
    page.wait_for_function(f"() => ({JS_SOURCE_DATA})('sgd-heat').value.length === 4")
    player = page.evaluate(JS_PLAYER)
    assert player["value"] == player["max"] > 0
    page.evaluate(JS_WATCH_SOURCE, "sgd-heat")
    page.locator(".time-player button.play").first.click()
    page.wait_for_function("() => window.__changes['sgd-heat'].length >= 5", timeout=30_000)
    page.locator(".time-player button.pause").first.click()
    player = page.evaluate(JS_PLAYER)
    assert 0 < player["value"] < player["max"]
    assert "sgd_frame=" in page.url
    no_errors(page)


# every figure: its frame, and the widths of the text drawn on its canvas as Chromium
# measures them in the figure's fonts, and where its legends end
JS_FIGURES = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  function width(text, style, size, font) {
    ctx.font = `${style} ${size} ${font}`;
    return ctx.measureText(text).width;
  }
  const out = [];
  for (const m of Bokeh.documents[0]._all_models.values()) {
    if (m.type !== 'Figure') continue;
    const view = Bokeh.index.find_one(m);
    if (view == null || view.el.getBoundingClientRect().width === 0) continue;  // not shown
    const frame = view.frame.bbox;
    const canvas = view.el.getBoundingClientRect();
    const texts = [];
    for (const t of m.above.filter((a) => a.type === 'Title').concat([m.title]))
      texts.push(['title', t.text, width(t.text, t.text_font_style, t.text_font_size,
                                         t.text_font), frame.width]);
    const label = (a) => width(a.axis_label || '', a.axis_label_text_font_style,
                               a.axis_label_text_font_size, a.axis_label_text_font);
    for (const a of m.below.filter((a) => a.type.endsWith('Axis')))
      texts.push(['x label', a.axis_label || '', label(a), frame.width]);
    for (const a of m.left.filter((a) => a.type.endsWith('Axis')))
      texts.push(['y label', a.axis_label || '', label(a), frame.height]);
    const legends = m.below.filter((l) => l.type === 'Legend').map((l) => {
      const r = view.renderer_views.get(l).el.getBoundingClientRect();
      return [r.left - canvas.left, r.right - canvas.left, r.bottom - canvas.top];
    });
    const inside = m.center.filter((l) => l.type === 'Legend').length;
    out.push({title: m.title.text, frame: [frame.width, frame.height], canvas: canvas.width,
              height: canvas.height, texts, legends, inside,
              title_size: m.title.text_font_size});
  }
  return out;
}"""

JS_FONT_SIZES = """() => {
  const sizes = {};
  function walk(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      const key = el.tagName === 'SELECT' ? 'select' : el.classList.contains('bk-btn') ? 'button'
        : el.classList.contains('bk-tab') ? 'tab' : el.matches('#header .title') ? 'header'
        : el.classList.contains('bk-slider-title') ? 'slider' : null;
      if (key && !(key in sizes) && el.getBoundingClientRect().width > 0)
        sizes[key] = parseFloat(getComputedStyle(el).fontSize);
    }
  }
  walk(document);
  return sizes;
}"""

JS_OUTSIDE_CONTROLS = """() => {
  const hosts = [];
  function find(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList.contains('controls')) hosts.push(el);
      if (el.shadowRoot) find(el.shadowRoot);
    }
  }
  find(document);
  const host = hosts.find((h) => h.getBoundingClientRect().width > 0);
  const box = host.getBoundingClientRect();
  const out = [];
  function walk(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
      const what = `${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}"`;
      if (r.right > box.right + 1 || r.left < box.left - 1)
        out.push(`${what} sticks out`);
      else if (el.childElementCount === 0 && el.scrollWidth > el.clientWidth + 1
               && style.overflowX !== 'visible')
        out.push(`${what} is cut`);
    }
  }
  walk(host.shadowRoot || host);
  return out;
}"""


JS_TABS_OUT_OF_VIEW = """() => {
  const out = [];
  function walk(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (!el.classList.contains('bk-tab')) continue;
      const r = el.getBoundingClientRect();
      const header = el.parentElement.getBoundingClientRect();
      if (r.right > Math.min(window.innerWidth, header.right) + 1 || r.width === 0)
        out.push(el.textContent.trim());
    }
  }
  walk(document);
  return out;
}"""


# options of the visible selects whose text is wider than the select's text box (its width
# less padding and the arrow), measured in the select's font
JS_CUT_OPTIONS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const out = [];
  function walk(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (el.tagName !== 'SELECT' || el.getBoundingClientRect().width === 0) continue;
      const style = getComputedStyle(el);
      ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      for (const option of el.options) {
        const width = ctx.measureText(option.text).width;
        if (width > room) out.push(`${option.text}: ${width.toFixed(0)} > ${room.toFixed(0)}`);
      }
    }
  }
  walk(document);
  return out;
}"""


def lecture_page(browser, width, height):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.console_messages_seen = []
    page.requests_seen = []
    page.on("console", lambda m: page.console_messages_seen.append((m.type, m.text)))
    page.on("pageerror", lambda e: page.console_messages_seen.append(("pageerror", str(e))))
    page.on("request", lambda r: page.requests_seen.append(r.url))
    return page


def check_figures(figures, lecture=True):
    assert len(figures) >= 2
    for fig in figures:
        if lecture:
            assert fig["title_size"] == "20pt", fig["title"]  # the lecture fonts
        assert fig["inside"] == 0, fig["title"]  # no legend on the data
        for kind, text, measured, room in fig["texts"]:
            assert measured <= room, f"{fig['title']}: {kind} {text!r} {measured:.0f}"
        for left, right, bottom in fig["legends"]:
            assert left >= 0, fig["title"]
            assert right <= fig["canvas"] + 0.5, fig["title"]
            assert bottom <= fig["height"] + 0.5, fig["title"]
        assert fig["frame"][1] >= 200, fig["title"]  # the data keep room


def settled_figures(page, timeout_ms=15_000):
    """The figures once every late result has been drawn: a background result that arrives
    after the wait (a slow machine) changes a legend, and the plot is laid out again a frame
    later; what the lecturer sees is the settled page, so it is measured until it holds."""
    waited = 0
    while True:
        figures = page.evaluate(JS_FIGURES)
        try:
            check_figures(figures)
            return figures
        except AssertionError:
            if waited >= timeout_ms:
                raise
        page.wait_for_timeout(500)
        waited += 500


@pytest.mark.parametrize(("tab", "ready"), TABS)
def test_lecture_mode_at_1280x720_cuts_nothing(browser, app_url, tab, ready):
    page = lecture_page(browser, 1280, 720)
    try:
        open_page(page, f"{app_url}?tab={tab}&lecture=true", ready=ready, timeout=60_000)
        page.wait_for_timeout(1500)  # the background results (thresholds, sweeps) drawn
        settled_figures(page)
        assert page.evaluate(JS_OUTSIDE_CONTROLS) == []
        assert page.evaluate(JS_TABS_OUT_OF_VIEW) == []  # every tab can be seen and clicked
        assert page.evaluate(JS_CUT_OPTIONS) == []  # every choice of every select reads whole
        no_errors(page)
    finally:
        page.context.close()


JS_HEADER_ROWS = """() => {
  const header = document.querySelector('#header');
  const boxes = [...header.querySelectorAll('.title')].map((el) => el.getBoundingClientRect());
  const names = ['lecture-switch', 'predict-switch', 'present-button', 'theme-switch'];
  function walk(root) {
    for (const el of root.querySelectorAll('*')) {
      if (names.some((n) => el.classList.contains(n))) boxes.push(el.getBoundingClientRect());
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  }
  walk(header);
  const shown = boxes.filter((r) => r.width > 0 && r.height > 0);
  return {height: header.getBoundingClientRect().height,
          centres: shown.map((r) => (r.top + r.bottom) / 2),
          right: Math.max(...shown.map((r) => r.right))};
}"""


def test_lecture_mode_keeps_the_header_on_one_row_at_1280x720(browser, app_url):
    """On a 1280x720 projector the header's name and its controls share one row (the
    tagline steps aside), leaving the rows below to the plots; the window keeps the full
    title, and the normal header shows the tagline."""
    page = lecture_page(browser, 1280, 720)
    try:
        open_page(page, f"{app_url}?tab=0&lecture=true", timeout=60_000)
        page.wait_for_function("() => document.documentElement.classList.contains("
                               "'lecture-mode')")
        page.wait_for_timeout(500)
        rows = page.evaluate(JS_HEADER_ROWS)
        assert len(rows["centres"]) >= 5  # the name, two switches, two buttons
        assert max(rows["centres"]) - min(rows["centres"]) < 30, rows
        assert rows["height"] < 110, rows
        assert rows["right"] <= 1280
        assert "learning-phases" in page.locator("#header").inner_text()
        assert "phase transitions in learning" not in page.locator("#header").inner_text()
        assert page.title() == "learning-phases · phase transitions in learning"
        page.locator(".lecture-switch .bk-body").first.click()  # back to normal
        page.wait_for_function("() => !document.documentElement.classList.contains("
                               "'lecture-mode')")
        assert "phase transitions in learning" in page.locator("#header").inner_text()
    finally:
        page.context.close()


def test_lecture_mode_enlarges_the_controls_and_lifts_the_width_cap(browser, app_url):
    page = lecture_page(browser, 1920, 1080)
    try:
        open_page(page, app_url, timeout=60_000)
        normal = page.evaluate(JS_FONT_SIZES)
        width = "() => document.querySelector('#main > div').getBoundingClientRect().width"
        assert page.evaluate(width) <= 1600
        page.locator(".lecture-switch .bk-body").first.click()
        page.wait_for_function("() => document.documentElement.classList.contains('lecture-mode')")
        page.wait_for_timeout(1000)
        lecture = page.evaluate(JS_FONT_SIZES)
        assert set(normal) == {"select", "button", "tab", "header", "slider"}
        for key, size in normal.items():
            assert lecture[key] >= 1.3 * size, (key, size, lecture[key])
        assert page.evaluate(width) > 1600
        # the link keeps the mode, and a fresh page opens in it
        page.wait_for_url("**lecture=true**", timeout=10_000)
        fresh = lecture_page(browser, 1920, 1080)
        try:
            open_page(fresh, page.url, timeout=60_000)
            fresh.wait_for_function(
                "() => document.documentElement.classList.contains('lecture-mode')")
            assert fresh.evaluate(JS_FONT_SIZES) == lecture
        finally:
            fresh.context.close()
        no_errors(page)
    finally:
        page.context.close()


def test_the_order_parameters_legend_groups_many_lines(page, app_url):
    """K = 3, M = 2: twelve lines (K = 5, M = 4 on the models, tests/dashboards; its
    learning-rate sweep would keep the server busy for minutes)."""
    open_page(page, f"{app_url}?tab=2&sgd_K=3&sgd_M=2", ready="sgd-eps", timeout=60_000)
    page.wait_for_function(f"() => ({JS_SOURCE_DATA})('sgd-order').xs.length === 12")
    order = source(page, "sgd-order")
    assert len(set(order["family"])) == 3
    figures = {f["title"]: f for f in page.evaluate(JS_FIGURES)}
    _, right, bottom = figures["Order parameters"]["legends"][0]
    assert right <= figures["Order parameters"]["canvas"]
    assert bottom <= figures["Order parameters"]["height"]
    no_errors(page)


def test_a_legend_that_gains_an_entry_stays_inside_its_plot(browser, app_url):
    """The AMP runs' entry appears when they arrive: the plot makes room for the longer
    legend (BokehJS measures a legend again only when its model changes)."""
    page = lecture_page(browser, 1280, 720)
    try:
        open_page(page, f"{app_url}?lecture=true&amp_n=200&amp_runs=1", timeout=60_000)
        page.get_by_role("button", name="Run AMP").click()
        page.wait_for_function(f"() => ({JS_SOURCE_DATA})('spiked-amp').snr.length > 0",
                               timeout=60_000)
        page.wait_for_timeout(1000)
        figures = page.evaluate(JS_FIGURES)
        main = next(f for f in figures if f["title"] == "Error vs signal-to-noise ratio")
        assert main["legends"][0][2] <= main["height"] + 0.5
        check_figures(figures)
        no_errors(page)
    finally:
        page.context.close()
