"""learning-phases: the page. `panel serve app.py` serves it; importing builds it, nothing else."""

import panel as pn
import param
from bokeh.models import CustomJS

from dashboards import (
    CapacityExplorer,
    DiffusionExplorer,
    GlmExplorer,
    MultiIndexExplorer,
    OnlineExplorer,
    ScalingExplorer,
    SpikedExplorer,
    links,
    pool,
)
from dashboards.about import about_panel
from dashboards.base import (
    CLICKABLE_LABELS_JS,
    TOGGLE_LABEL_CSS,
    restore_query,
    sanitize_query,
)
from dashboards.guards import check_upload_sizes
from dashboards.present import (
    PRESENT_KEYS_JS,
    PRESENT_PAGE_CSS,
    PRESENT_TABS_CSS,
    Presentation,
    keys_script_url,
)
from dashboards.quiet import collect_when_quiet
from dashboards.warm import lighten_session_cleanup, start_background_work, warm_caches
from dashboards.wire import throttled_sliders_only, visuals_without_css

# the presentation keys work from the first instant (before the plots are drawn)
pn.extension("katex", throttled=True, notifications=False,
             js_files={"present_keys": keys_script_url()})
warm_caches()  # slow only once per process: during `panel serve --warm`, before any visitor
if pn.state.curdoc is not None:
    pool.install()  # served: later pages of a link come from a pool built ahead (idempotent)
    lighten_session_cleanup()  # no full garbage collection of every live page per closed one
    collect_when_quiet()  # Python's full collections too wait for a pause (once per process)

TITLE = "learning-phases · phase transitions in learning"
#: the header's two parts: the name, and the line after it (dropped in lecture mode, where
#: the header would otherwise take two rows of a 1280 px projector)
SITE, TAGLINE = TITLE.split(" · ")

# tab title -> explorer class; each is built when its tab is first opened
EXPLORERS = {
    "Low-rank matrix estimation": SpikedExplorer,
    "Teacher-student learning curves": GlmExplorer,
    "Online SGD dynamics": OnlineExplorer,
    "Diffusion models": DiffusionExplorer,
    "Storage capacity": CapacityExplorer,
    "Scaling laws": ScalingExplorer,
    "Multi-index models": MultiIndexExplorer,
}


class PageSettings(param.Parameterized):
    """Page-wide settings mirrored in the URL: ``?lecture=true``, ``?predict=true``,
    ``?present=true&step=2`` (the theme, ``?theme=dark``, is read by Panel itself)."""

    lecture = param.Boolean(default=False, label="Lecture mode")
    predict = param.Boolean(default=False, label="Predict, then reveal")
    # not in the link: a predict link always opens with the answers hidden
    revealed = param.Boolean(default=False, label="Reveal (R)")
    present = param.Boolean(default=False, label="Present")
    # the guided step of the presentation (0: none); a link's is clamped to the steps there are
    step = param.Integer(default=0)

    @property
    def answers_hidden(self) -> bool:
        return self.predict and not self.revealed


#: what each key of a link must look like (the explorers' and the page's own)
QUERY_SCHEMA = links.schema_of(EXPLORERS.values(), {"tab": "integer", "lecture": "boolean",
                                                    "predict": "boolean",
                                                    "present": "boolean",
                                                    "step": "integer"})


#: tab titles wrap onto a second row when the page is narrower than all of them (lecture
#: mode's larger type at 1280 px cut the strip after "Storage ca")
TABS_CSS = ".bk-headers-wrapper { flex-wrap: wrap; }"


class LazyTabs:
    """Tabs whose explorers are built on first view, so a page opens with one explorer's
    work; the active tab is mirrored in the URL (``?tab=1``)."""

    def __init__(self, settings: PageSettings):
        self.settings = settings
        settings.param.watch(self._on_lecture, ["lecture"])
        settings.param.watch(self._on_predict, ["predict", "revealed"])
        self.slots = {title: pn.Column(sizing_mode="stretch_width") for title in EXPLORERS}
        self.built: dict[str, pn.viewable.Viewer] = {}
        self.tabs = pn.Tabs(*self.slots.items(), ("About", about_panel()), dynamic=True,
                            sizing_mode="stretch_width",
                            stylesheets=[TABS_CSS, PRESENT_TABS_CSS])
        if pn.state.location is not None:
            restore_query(pn.state.location, pn.state.session_args)  # see its docstring
            sanitize_query(pn.state.location, QUERY_SCHEMA)  # already clean when served
            pn.state.location.sync(self.tabs, {"active": "tab"})
            pn.state.location.sync(settings, {"lecture": "lecture", "predict": "predict",
                                              "present": "present", "step": "step"})
        # after the link's own watcher: a tab clicked is in the query before its explorer is
        # built, whose ``sync_url`` re-applies the whole query (the old ``tab`` sent the page
        # back to the previous tab: every click showed the tab clicked before)
        self.tabs.param.watch(self._on_active, ["active"])
        self._on_active()

    def _on_lecture(self, *_):
        for explorer in self.built.values():
            explorer.set_lecture_mode(self.settings.lecture)

    def _on_predict(self, *events):
        if any(e.name == "predict" for e in events) and self.settings.revealed:
            self.settings.revealed = False  # switched on or off: hidden again next time
            return
        for explorer in self.built.values():
            explorer.set_answers_hidden(self.settings.answers_hidden)

    def _on_active(self, *_):
        titles = list(EXPLORERS)
        if not 0 <= self.tabs.active < len(self.tabs):  # e.g. a hand-edited link
            self.tabs.active = 0
            return
        if self.tabs.active < len(titles):
            self.build(titles[self.tabs.active])

    def build(self, title: str) -> pn.viewable.Viewer:
        start_background_work()  # served pages only; once per server process
        if title not in self.built:
            explorer = EXPLORERS[title]()
            explorer.sync_url()
            if self.settings.lecture:
                explorer.set_lecture_mode(True)
            if self.settings.answers_hidden:
                explorer.set_answers_hidden(True)
            self.built[title] = explorer
            self.slots[title].objects = [explorer]
        return self.built[title]


#: lecture mode for the whole page: the header (its switches on a row of their own when the
#: larger title leaves them no room; it scrolls away rather than hold 150 px of a
#: projector's 720), tabs, buttons, selects and inputs larger
#: (Bootstrap sizes them in rem, Bokeh and the explorers' inputs through custom properties,
#: which inherit into every shadow root), and no cap on the page's width. The rules hang
#: on a class of the root element that the switch sets and a link restores
#: (``LECTURE_CLASS_JS``); plots and controls are restyled by the explorers themselves.
LECTURE_PAGE_CSS = """
#header { flex-wrap: wrap; }
html.lecture-mode { font-size: 150%; --bokeh-font-size: 19px; --lp-control-font-size: 19px;
                    --lp-switch-zoom: 1.5; --lp-player-zoom: 1.15; }
html.lecture-mode #main > div { max-width: none !important; }
html.lecture-mode #header .title { font-size: 34px; }
#header span.title { display: none; }
#header a.title + span.title + a.title::before { content: "· "; }
html.lecture-mode #header a.title + span.title + a.title { display: none; }
html.lecture-mode #header { position: relative; }
"""


#: the header controls' widths (normal, lecture mode): the larger type needs more room
HEADER_WIDTHS = {"lecture-switch": (130, 230), "predict-switch": (165, 290),
                 "reveal-toggle": (95, 140), "present-button": (96, 150),
                 "theme-switch": (110, 160)}
LECTURE_CLASS_JS = "document.documentElement.classList.toggle('lecture-mode', on)"


def lecture_switch(settings: PageSettings) -> pn.widgets.Switch:
    """The lecture-mode switch; it (and, on load, the link's ``lecture=true``) sets the
    page's lecture class at once in the browser."""
    switch = pn.widgets.Switch.from_param(
        settings.param.lecture, width=170, css_classes=["lecture-switch"], align="center",
        stylesheets=[":host { color: white; }", ".bk-switch { zoom: var(--lp-switch-zoom, 1); }",
                     TOGGLE_LABEL_CSS])
    switch.jscallback(value="const on = cb_obj.value; " + LECTURE_CLASS_JS)
    if pn.state.curdoc is not None:
        pn.state.curdoc.js_on_event("document_ready", CustomJS(code=(
            "const on = new URLSearchParams(window.location.search).get('lecture') "
            "?.toLowerCase() === 'true'; " + LECTURE_CLASS_JS)))
    return switch


#: the R key reveals (or hides again) the answers while "Predict, then reveal" is on (not
#: while typing in a field); it presses the page's reveal toggle, whose server side does it
REVEAL_KEY_JS = """
if (!window.__lp_reveal_key) {
  window.__lp_reveal_key = true;
  document.addEventListener('keydown', (event) => {
    if ((event.key !== 'r' && event.key !== 'R') || event.ctrlKey || event.metaKey ||
        event.altKey) return;
    const target = event.composedPath()[0];
    if (target && (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) ||
                   target.isContentEditable)) return;
    for (const doc of Bokeh.documents) for (const model of doc._all_models.values())
      if (model.css_classes && model.css_classes.includes('reveal-toggle') && model.visible
          && !model.disabled) { model.active = !model.active; return; }
  });
}
"""


def predict_controls(settings: PageSettings) -> pn.Row:
    """The "Predict, then reveal" switch (and ``?predict=true``): thresholds, Bayes-optimal
    curves and summaries hidden until the lecturer reveals them with the toggle beside it
    or the R key."""
    switch = pn.widgets.Switch.from_param(
        settings.param.predict, width=200, css_classes=["predict-switch"],
        stylesheets=[":host { color: white; }", ".bk-switch { zoom: var(--lp-switch-zoom, 1); }",
                     TOGGLE_LABEL_CSS])
    reveal = pn.widgets.Toggle.from_param(
        settings.param.revealed, width=100, css_classes=["reveal-toggle"], color="light",
        visible=settings.param.predict)
    if pn.state.curdoc is not None:
        pn.state.curdoc.js_on_event("document_ready", CustomJS(code=REVEAL_KEY_JS))
    return pn.Row(switch, reveal, align="center")


def theme_switch() -> pn.widgets.Button:
    """Reloads the page in the other theme (Panel reads ``?theme=`` when it builds a page)."""
    other = "default" if pn.config.theme == "dark" else "dark"
    button = pn.widgets.Button(label="Light theme" if other == "default" else "Dark theme",
                               color="light", width=110, css_classes=["theme-switch"])
    button.js_on_click(args={"theme": other}, code=(
        "const url = new URL(window.location.href);"
        "url.searchParams.set('theme', theme); window.location.href = url.toString();"))
    return button


def link_notice(notes: list[str]) -> pn.pane.Alert:
    """What the page dropped from its link, above the explorers."""
    return pn.pane.Alert(links.notes_text(notes), alert_type="warning",
                         sizing_mode="stretch_width", margin=(5, 10), css_classes=["link-notice"])


def build_page() -> pn.template.BootstrapTemplate:
    # first of all: Panel parses the link when anything touches pn.state.location or the theme
    notes = links.clean_session_query(QUERY_SCHEMA)
    template = pn.template.BootstrapTemplate(
        site=SITE,
        title=TAGLINE,
        favicon="assets/favicon.svg",
        header_background="#1f3b5a",
        main_max_width="1600px",
        # Panel drives every session's header spinner from one process-wide busy flag: each
        # event of any page would update the spinners of all pages (quadratic in the number
        # of users, and spinning for other people's work). Slow work shows its own progress.
        busy_indicator=None,
    )
    settings = PageSettings()
    tabs = LazyTabs(settings)
    template.config.raw_css.extend([LECTURE_PAGE_CSS, PRESENT_PAGE_CSS])
    lecture = lecture_switch(settings)
    presentation = Presentation(settings, tabs)
    header = pn.Row(lecture, predict_controls(settings), presentation.button, theme_switch(),
                    presentation.keys, align="center")
    template.header.append(header)

    def fit_header(*_):
        for widget in header.select(pn.widgets.Widget):
            name = next((c for c in widget.css_classes if c in HEADER_WIDTHS), None)
            if name is not None:
                widget.width = HEADER_WIDTHS[name][settings.lecture]

    settings.param.watch(fit_header, ["lecture"])
    fit_header()
    if notes:
        template.main.append(link_notice(notes))
    template.main.append(tabs.tabs)
    if pn.state.curdoc is not None:
        check_upload_sizes(pn.state.curdoc)  # a file too large is refused in the page
        throttled_sliders_only(pn.state.curdoc)  # a slider move is one message, not two
        visuals_without_css(pn.state.curdoc)  # painting reads no computed style per visual
        # labels of checkboxes and switches toggle them
        pn.state.curdoc.js_on_event("document_ready", CustomJS(code=CLICKABLE_LABELS_JS))
        # the presentation keys' fallback (the page's scripts install them first); the
        # script also sets a presentation link's class
        pn.state.curdoc.js_on_event("document_ready", CustomJS(code=PRESENT_KEYS_JS))
    return template


page = build_page()
if pn.state.curdoc is not None:
    # one recomputation of the document's model graph instead of one per added root
    with pn.state.curdoc.models.freeze():
        page.servable(title=TITLE)
    pn.state.curdoc.title = TITLE  # the template's header title (its tagline) would be it
else:
    page.servable(title=TITLE)
