"""learning-phases: the page. `panel serve app.py` serves it; importing builds it, nothing else."""

import panel as pn

from dashboards import SpikedExplorer
from dashboards.about import about_panel

pn.extension("katex", throttled=True, notifications=False)

TITLE = "learning-phases · phase transitions in learning"


def build_page() -> pn.template.BootstrapTemplate:
    spiked = SpikedExplorer()
    spiked.sync_url()
    tabs = pn.Tabs(
        ("Low-rank matrix estimation", spiked),
        ("About", about_panel()),
        dynamic=True,
        sizing_mode="stretch_width",
    )
    template = pn.template.BootstrapTemplate(
        title=TITLE,
        favicon="assets/favicon.svg",
        header_background="#1f3b5a",
        main_max_width="1600px",
    )
    template.main.append(tabs)
    return template


build_page().servable(title=TITLE)
