"""Teaching features in the real page: links round-trip in every explorer, lecture mode and
the theme from the URL and their switches, SVG plot export, keyboard-operable controls."""

import time

import pytest

from bench.browser import JS_WATCH_SOURCE
from dashboards.base import FONTS

from .test_spiked_page import open_page, source, wait_visible

pytestmark = pytest.mark.ui

# tab, slider moved with the keyboard, the source it changes
ROUND_TRIPS = [
    (0, ".snr-slider", "spiked-landscape"),
    (1, ".alpha-slider", "glm-landscape"),
    (2, ".lr-slider", "sgd-eps"),
    (3, ".separation-slider", "dm-phase"),
]


@pytest.mark.parametrize(("tab", "slider", "name"), ROUND_TRIPS)
def test_a_copied_link_shows_the_same_data_in_a_fresh_page(browser, page, app_url, tab,
                                                             slider, name):
    open_page(page, f"{app_url}?tab={tab}", ready=name, timeout=60_000)
    before = source(page, name)
    page.evaluate(JS_WATCH_SOURCE, name)
    handle = page.locator(f"{slider} .noUi-handle").first
    handle.focus()  # keyboard-operable: focus and arrow keys
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => window.__changes['{name}'].length > 0", timeout=60_000)
    page.wait_for_timeout(1500)  # let the URL catch up with the last key press
    changed = source(page, name)
    assert changed != before
    link = page.url
    assert "?" in link

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        open_page(fresh, link, ready=name, timeout=60_000)
        for _ in range(120):  # the restored view may draw the default first
            if source(fresh, name) == changed:
                break
            fresh.wait_for_timeout(500)
        assert source(fresh, name) == changed
    finally:
        fresh.context.close()


def test_lecture_mode_from_the_url_and_its_switch(page, app_url):
    open_page(page, f"{app_url}?lecture=true")
    wait_visible(page, "Current λ")
    assert page.get_by_text("AMP size N").locator("visible=true").count() == 0
    size = page.evaluate("""() => {
        for (const doc of Bokeh.documents) for (const m of doc._all_models.values())
            if (m.type === 'Title' && m.text.startsWith('Free-entropy')) return m.text_font_size;
    }""")
    assert size == FONTS[True]["title"]
    page.locator(".lecture-switch .bk-body").first.click()
    wait_visible(page, "AMP size N")
    assert "lecture=false" in page.url or "lecture" not in page.url


def test_dark_theme_from_the_url_and_the_switch(page, app_url):
    open_page(page, app_url)
    page.locator(".theme-switch button").first.click()
    page.wait_for_url("**theme=dark**", timeout=30_000)
    open_page(page, page.url)
    wait_visible(page, "Light theme")
    background = page.evaluate(
        "() => getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(c) for c in background[background.index("(") + 1:-1].split(",")[:3])
    assert red + green + blue < 200  # a dark page


def test_svg_export_downloads_an_svg(page, app_url):
    open_page(page, app_url)
    with page.expect_download(timeout=30_000) as download:
        page.locator("[title='Save as SVG']").first.click()
    assert download.value.suggested_filename.endswith(".svg")
    with open(download.value.path(), "rb") as f:
        head = f.read(400).decode("utf-8", "replace")
    assert "<svg" in head


def clipboard_when(page, part: str, timeout: float = 30) -> str:
    """The clipboard's text once it holds ``part`` (polled here: ``wait_for_function`` does
    not wait for a promise, so an async predicate passed at once)."""
    deadline = time.monotonic() + timeout
    while True:
        text = page.evaluate("() => navigator.clipboard.readText()")
        if part in text or time.monotonic() > deadline:
            return text
        page.wait_for_timeout(100)


def test_copy_as_python_puts_the_current_script_in_the_clipboard(browser, app_url):
    """The script is built on demand: the click asks the server for it and copies it when it
    arrives; it follows a slider moved just before."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        open_page(page, f"{app_url}?tab=0&rho=0.07", ready="spiked-curves", timeout=60_000)
        page.locator(".copy-python button").first.click()
        text = clipboard_when(page, "SpikedParameters")
        assert "prior='sparse_rademacher'" in text
        assert "rho=0.07," in text  # the page's current value, from its link
        compile(text, "<clipboard>", "exec")  # a whole script, not a fragment
    finally:
        context.close()


def test_the_script_is_shown_as_highlighted_code_and_copying_says_so(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        open_page(page, app_url, ready="spiked-curves", timeout=60_000)
        page.locator(".copy-python button").first.click()
        wait_visible(page, "Copied ✓")  # visible feedback on the button itself
        page.get_by_text("Python script", exact=True).first.click()
        code = page.locator(".python-script pre").first
        code.wait_for(timeout=30_000)
        style = code.evaluate("e => [getComputedStyle(e).fontFamily, e.clientWidth, "
                              "e.scrollWidth, getComputedStyle(e).overflowX]")
        font, width, scroll_width, overflow = style
        assert "mono" in font.lower()
        assert overflow == "auto"  # long lines scroll, they are not wrapped or cut
        assert width <= 300
        assert scroll_width > width
        # highlighted: keywords and strings in colours of their own (inline, nothing fetched)
        colours = code.evaluate("e => [...new Set([...e.querySelectorAll('span')]"
                                ".map((s) => getComputedStyle(s).color))]")
        assert len(colours) >= 3
        assert "SpikedParameters" in code.inner_text()
        assert page.blocked == []  # offline: the highlighting needs no request
    finally:
        context.close()


def test_the_paper_figure_button_offers_a_pdf_of_the_plots(page, app_url):
    """"Make a paper figure (PDF)" draws in a worker process, then a download button appears
    whose file is a PDF."""
    open_page(page, app_url)
    page.get_by_role("button", name="Make a paper figure (PDF)").first.click()
    offer = page.get_by_role("button", name="Download the paper figure").first
    offer.wait_for(state="visible", timeout=90_000)
    with page.expect_download(timeout=30_000) as download:
        offer.click()
    assert download.value.suggested_filename.endswith("-figure.pdf")
    with open(download.value.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"


def test_the_notebook_download_holds_the_view_of_the_link(page, app_url):
    """"Download as a notebook" gives a valid notebook of the page's current view (what it
    computes and that it runs: tests/dashboards/test_notebook.py)."""
    import nbformat

    open_page(page, f"{app_url}?tab=0&rho=0.07", ready="spiked-curves", timeout=60_000)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download as a notebook").first.click()
    assert download.value.suggested_filename == "spiked-view.ipynb"
    notebook = nbformat.read(download.value.path(), as_version=4)
    nbformat.validate(notebook)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "rho=0.07," in code
    assert "to_holoviews" in code
    assert notebook.metadata["learning_phases"]["link"] == "?rho=0.07"


JS_ANSWERS = """() => {
    const seen = {bayes: null, thresholds: null};
    for (const doc of Bokeh.documents) for (const m of doc._all_models.values()) {
        if (m.type !== 'LegendItem') continue;
        if (m.label && m.label.value === 'Bayes-optimal') seen.bayes = m.visible;
        if (m.label && m.label.field === 'threshold') seen.thresholds = m.visible;
    }
    return seen;
}"""


def test_predict_then_reveal_hides_the_answers_until_the_r_key(page, app_url):
    """A ``?predict=true`` link opens with the thresholds, the Bayes-optimal curve and the
    summary hidden; the R key reveals them and hides them again."""
    open_page(page, f"{app_url}?tab=0&predict=true", ready="spiked-curves", timeout=60_000)
    summary = page.get_by_text("λ_IT = ").first
    page.wait_for_function(f"() => ({JS_ANSWERS})().bayes === false", timeout=30_000)
    assert page.evaluate(JS_ANSWERS) == {"bayes": False, "thresholds": False}
    assert not summary.is_visible()

    page.locator("body").click(position={"x": 5, "y": 300})  # no field has the focus
    page.keyboard.press("r")
    page.wait_for_function(f"() => ({JS_ANSWERS})().bayes === true", timeout=30_000)
    assert page.evaluate(JS_ANSWERS) == {"bayes": True, "thresholds": True}
    summary.wait_for(state="visible", timeout=30_000)

    page.keyboard.press("r")  # and hidden again, for the next question
    page.wait_for_function(f"() => ({JS_ANSWERS})().bayes === false", timeout=30_000)
    assert page.locator(".reveal-toggle").first.is_visible()
    page.locator(".predict-switch .bk-body").first.click()  # off: everything shown
    page.wait_for_function(f"() => ({JS_ANSWERS})().bayes === true", timeout=30_000)
    page.locator(".reveal-toggle").first.wait_for(state="hidden", timeout=30_000)


JS_HEADER_CONTROLS = """() => { const out = {};
  function walk(root) { for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) walk(el.shadowRoot);
    for (const name of ['lecture-switch', 'predict-switch', 'reveal-toggle', 'present-button',
                        'theme-switch'])
      if (el.classList.contains(name)) { const r = el.getBoundingClientRect();
        out[name] = [r.left, r.right, r.width, el.scrollWidth <= el.clientWidth + 1]; } } }
  walk(document); return out; }"""


@pytest.mark.parametrize("lecture", [False, True])
def test_the_header_controls_fit_a_projector_screen(browser, app_url, lecture):
    """At 1280x720 every header control (lecture, predict, reveal, present, theme) is whole
    and on screen, in lecture mode's larger type too."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_page(page, f"{app_url}?tab=0&predict=true&lecture={str(lecture).lower()}",
                  ready="spiked-curves", timeout=60_000)
        page.locator(".reveal-toggle").first.wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(500)
        controls = page.evaluate(JS_HEADER_CONTROLS)
        assert set(controls) == {"lecture-switch", "predict-switch", "reveal-toggle",
                                 "present-button", "theme-switch"}
        for name, (left, right, width, whole) in controls.items():
            assert width > 0, name
            assert left >= 0, name
            assert right <= 1280, name
            assert whole, name
    finally:
        context.close()


def test_a_sweep_animation_plays_the_parameter_and_the_link_follows(page, app_url):
    """"Animate a parameter": Play steps λ across its range (the landscape redraws at every
    frame), Pause stops it, and the link holds the frame's λ."""
    open_page(page, f"{app_url}?tab=0", ready="spiked-landscape", timeout=60_000)
    page.evaluate(JS_WATCH_SOURCE, "spiked-landscape")
    page.locator(".sweep-player button.play").first.click()
    page.wait_for_function("() => window.__changes['spiked-landscape'].length >= 4",
                           timeout=60_000)
    page.locator(".sweep-player button.pause").first.click()
    page.wait_for_timeout(1500)
    snr = float(dict(p.split("=") for p in page.url.split("?", 1)[1].split("&"))["snr"])
    assert snr != 0.9  # moved from the default
    assert 0.2 <= snr <= 1.6  # inside the λ range shown


# the pinned entries of the legends drawn now (a removed item may linger in the document's
# model index until BokehJS recomputes it)
JS_PIN_LABELS = """() => {
    const out = [];
    for (const doc of Bokeh.documents) for (const m of doc._all_models.values())
        if (m.type === 'Legend') for (const item of m.items)
            if (item.label && typeof item.label.value === 'string'
                && item.label.value.startsWith('pinned')) out.push(item.label.value);
    return out.sort();
}"""


def test_pins_come_from_a_link_and_the_pin_button_adds_one_to_it(page, app_url):
    """A link's pins are recomputed and drawn, labelled with what differs; "Pin these
    curves" adds the current view to them and to the link."""
    from urllib.parse import parse_qs, quote, urlsplit

    pins = quote('[{"rho":0.2}]')
    open_page(page, f"{app_url}?tab=0&pins={pins}", ready="spiked-curves", timeout=60_000)
    page.wait_for_function(f"() => ({JS_PIN_LABELS})().length === 1", timeout=60_000)
    assert page.evaluate(JS_PIN_LABELS) == ["pinned: ρ = 0.2"]
    page.get_by_role("button", name="Pin these curves").first.click()
    page.wait_for_function(f"() => ({JS_PIN_LABELS})().length === 2", timeout=60_000)
    assert page.evaluate(JS_PIN_LABELS) == ["pinned: same parameters", "pinned: ρ = 0.2"]
    page.wait_for_timeout(1000)
    assert parse_qs(urlsplit(page.url).query)["pins"] == ['[{"rho": 0.2}, {}]']
    page.get_by_role("button", name="✕ ρ = 0.2").first.click()  # removed
    page.wait_for_function(f"() => ({JS_PIN_LABELS})().length === 1", timeout=30_000)


def test_a_sweep_plays_in_a_tab_opened_after_the_page(page, app_url):
    """A player built after the page loaded (its tab opened later) sends its frames too."""
    open_page(page, f"{app_url}?tab=0", ready="spiked-landscape", timeout=60_000)
    page.locator(".bk-tab").nth(1).click()
    page.wait_for_function("() => Bokeh.documents.some((d) => [...d._all_models.values()]"
                           ".some((m) => m.name === 'glm-landscape'))", timeout=60_000)
    page.evaluate(JS_WATCH_SOURCE, "glm-landscape")
    page.locator(".sweep-player button.play").locator("visible=true").first.click()
    page.wait_for_function("() => window.__changes['glm-landscape'].length >= 3",
                           timeout=60_000)
    page.locator(".sweep-player button.pause").locator("visible=true").first.click()


JS_CALLOUTS = """() => {
    for (const doc of Bokeh.documents) for (const m of doc._all_models.values())
        if (m.type === 'LabelSet' && m.name === 'present-callouts')
            return m.visible ? Array.from(m.source.data.text) : [];
    return null;
}"""
#: the animated parameter's value the presentation bar shows
JS_READOUT = """() => {
  function walk(root) { for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const found = walk(el.shadowRoot); if (found !== null) return found; }
    if (el.classList.contains('present-readout')) {
      const text = el.shadowRoot.querySelector('p').textContent;
      return Number(text.split('=')[1]); } }
    return null; }
  return walk(document); }"""
JS_PRESENTING = "() => document.documentElement.classList.contains('present-mode')"
JS_PLOT_BOX = """() => {
  function walk(root) { for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const found = walk(el.shadowRoot); if (found) return found; }
    if (el.tagName === 'CANVAS' && el.getBoundingClientRect().height > 200) {
      const r = el.getBoundingClientRect(); return [r.top, r.bottom, r.width]; } }
    return null; }
  return walk(document); }"""


def query_of(page) -> dict:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(page.url).query))


def test_a_presentation_key_pressed_as_the_page_loads_is_kept(browser, app_url):
    """The keys are installed by the page's own scripts, before its plots are drawn: a key
    pressed as soon as the page's HTML is there waits for the page and then moves λ."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{app_url}?tab=0&present=true&step=3", wait_until="domcontentloaded")
        assert page.evaluate("() => window.__lp_present_keys_from") == "page"
        assert page.evaluate(JS_PRESENTING)  # the header hidden from the start
        page.keyboard.press("ArrowRight")  # before the plots (and the server's input) exist
        page.wait_for_function(f"() => ({JS_READOUT})() > 0.85", timeout=60_000)
    finally:
        context.close()


def test_the_presentation_view_keys_move_the_parameter_and_pick_the_steps(browser, app_url):
    """A ``?present=true&step=3`` link opens one plot on a 1280x720 screen with the step's
    caption and labels; ← → move λ, a number key picks a step, Space plays the sweep, Esc
    gives the page back."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_page(page, f"{app_url}?tab=0&present=true&step=3", ready="spiked-curves",
                  timeout=60_000)
        caption = page.locator(".present-caption p").first
        caption.wait_for(state="visible", timeout=30_000)
        assert "hard phase" in caption.inner_text()
        assert page.evaluate(JS_PRESENTING)
        assert not page.locator("#header").is_visible()
        assert not page.locator(".controls").first.is_visible()
        page.wait_for_function(f"() => ({JS_CALLOUTS})().length === 3", timeout=30_000)
        assert page.evaluate(JS_CALLOUTS) == ["λ_IT", "hard phase", "λ_alg: AMP jumps"]
        top, bottom, width = page.evaluate(JS_PLOT_BOX)
        assert bottom <= 720  # the whole plot on the screen
        assert width > 1000  # and as wide as it
        assert top >= page.locator(".present-bar").first.bounding_box()["height"]

        # the step's preset where the link gives no value (its λ: the default is 0.9)
        readout = page.locator(".present-readout p").first
        page.wait_for_function(f"() => ({JS_READOUT})() === 0.85", timeout=30_000)
        # the keys are installed (by the page's scripts; ``document_ready`` is the fallback)
        page.wait_for_function("() => window.__lp_present_keys === true", timeout=30_000)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => ({JS_READOUT})() > 0.85", timeout=30_000)
        moved = page.evaluate(JS_READOUT)
        page.wait_for_function(
            f"() => Number(new URLSearchParams(location.search).get('snr')) === {moved}",
            timeout=30_000)  # in the link
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(f"() => ({JS_READOUT})() < {moved}", timeout=30_000)
        assert "λ" in readout.inner_text()

        page.keyboard.press("1")  # the first step: the BBP transition of a Gaussian spike
        page.wait_for_function("() => new URLSearchParams(location.search).get('step') === '1'",
                               timeout=30_000)
        page.wait_for_function(f"() => ({JS_CALLOUTS})()[0] === 'BBP transition'",
                               timeout=30_000)
        assert "Gaussian spike" in caption.inner_text()
        assert query_of(page)["prior"] == "gaussian"

        page.evaluate(JS_WATCH_SOURCE, "spiked-landscape")
        page.keyboard.press(" ")  # plays the sweep of λ
        page.wait_for_function("() => window.__changes['spiked-landscape'].length >= 3",
                               timeout=60_000)
        page.keyboard.press(" ")
        page.keyboard.press("Escape")
        page.wait_for_function(f"() => !({JS_PRESENTING})()", timeout=30_000)
        page.locator(".controls").first.wait_for(state="visible", timeout=30_000)
        assert page.locator("#header").is_visible()
        assert query_of(page).get("present", "false").lower() == "false"
        assert page.evaluate(JS_CALLOUTS) == []
    finally:
        context.close()


def test_the_present_button_opens_the_presentation_of_the_tab_shown(page, app_url):
    open_page(page, f"{app_url}?tab=1", ready="glm-curves", timeout=60_000)
    page.locator(".present-button .bk-btn").first.click()
    page.wait_for_function(JS_PRESENTING, timeout=30_000)
    page.locator(".present-bar").first.wait_for(state="visible", timeout=30_000)
    assert "Teacher-student" in page.locator(".present-heading p").first.inner_text()
    page.locator(".present-bar .bk-btn-primary").first.click()  # Next: the first step
    page.wait_for_function("() => new URLSearchParams(location.search).get('step') === '1'",
                           timeout=30_000)
    page.wait_for_function(f"() => ({JS_CALLOUTS})().includes('hard phase')", timeout=60_000)
