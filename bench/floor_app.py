"""The latency floor: the same interaction in plain Bokeh server code (no Panel, no theory).

A slider's throttled value replaces a line's data source, as the explorer's landscape does.
With ``FLOOR_NODELAY=1`` the websocket is opened with TCP_NODELAY, as the app's are
(``dashboards/wire.py``): plain Bokeh keeps Nagle's algorithm on, and about one move in six
then waits for a 40 ms delayed ACK, which makes its p95 a measure of that wait.
"""

import os

import numpy as np
from bokeh.io import curdoc
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, Slider
from bokeh.plotting import figure
from bokeh.server.views.ws import WSHandler

if os.environ.get("FLOOR_NODELAY") and not hasattr(WSHandler.open, "floor_nodelay"):
    open_websocket = WSHandler.open

    def open_without_nagle(self, *args, **kwargs):
        result = open_websocket(self, *args, **kwargs)
        self.set_nodelay(True)
        return result

    open_without_nagle.floor_nodelay = True
    WSHandler.open = open_without_nagle

m = np.linspace(0.0, 1.0, 201)
source = ColumnDataSource({"m": m, "phi": np.sin(3 * m)}, name="floor-source")
slider = Slider(start=0.0, end=2.0, value=0.9, step=0.005, title="λ")
fig = figure(height=300, sizing_mode="stretch_width")
fig.line("m", "phi", source=source)


def update(attr, old, new):
    source.data = {"m": m, "phi": np.sin(3 * m * new)}


slider.on_change("value_throttled", update)
curdoc().add_root(column(slider, fig, sizing_mode="stretch_width"))
