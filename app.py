"""learning-phases: the page. `panel serve app.py` serves it; importing builds it, nothing else."""

import panel as pn

from dashboards import DiffusionExplorer, GlmExplorer, OnlineExplorer, SpikedExplorer
from dashboards.about import about_panel
from dashboards.base import sanitize_query
from dashboards.warm import warm_caches

pn.extension("katex", throttled=True, notifications=False)
warm_caches()  # slow only once per process: during `panel serve --warm`, before any visitor

TITLE = "learning-phases · phase transitions in learning"

# tab title -> explorer class; each is built when its tab is first opened
EXPLORERS = {
    "Low-rank matrix estimation": SpikedExplorer,
    "Teacher-student learning curves": GlmExplorer,
    "Online SGD dynamics": OnlineExplorer,
    "Diffusion models": DiffusionExplorer,
}


class LazyTabs:
    """Tabs whose explorers are built on first view, so a page opens with one explorer's
    work; the active tab is mirrored in the URL (``?tab=1``)."""

    def __init__(self):
        self.slots = {title: pn.Column(sizing_mode="stretch_width") for title in EXPLORERS}
        self.built: dict[str, pn.viewable.Viewer] = {}
        self.tabs = pn.Tabs(*self.slots.items(), ("About", about_panel()), dynamic=True,
                            sizing_mode="stretch_width")
        self.tabs.param.watch(self._on_active, ["active"])
        if pn.state.location is not None:
            sanitize_query(pn.state.location)  # before anything parses a hostile link
            pn.state.location.sync(self.tabs, {"active": "tab"})
        self._on_active()

    def _on_active(self, *_):
        titles = list(EXPLORERS)
        if not 0 <= self.tabs.active < len(self.tabs):  # e.g. a hand-edited link
            self.tabs.active = 0
            return
        if self.tabs.active < len(titles):
            self.build(titles[self.tabs.active])

    def build(self, title: str) -> pn.viewable.Viewer:
        if title not in self.built:
            explorer = EXPLORERS[title]()
            explorer.sync_url()
            self.built[title] = explorer
            self.slots[title].objects = [explorer]
        return self.built[title]


def build_page() -> pn.template.BootstrapTemplate:
    template = pn.template.BootstrapTemplate(
        title=TITLE,
        favicon="assets/favicon.svg",
        header_background="#1f3b5a",
        main_max_width="1600px",
    )
    template.main.append(LazyTabs().tabs)
    return template


build_page().servable(title=TITLE)
