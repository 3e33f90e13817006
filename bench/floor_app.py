"""The latency floor: the same interaction in plain Bokeh server code (no Panel, no theory).

A slider's throttled value replaces a line's data source, as the explorer's landscape does.
"""

import numpy as np
from bokeh.io import curdoc
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, Slider
from bokeh.plotting import figure

m = np.linspace(0.0, 1.0, 201)
source = ColumnDataSource({"m": m, "phi": np.sin(3 * m)}, name="floor-source")
slider = Slider(start=0.0, end=2.0, value=0.9, step=0.005, title="λ")
fig = figure(height=300, sizing_mode="stretch_width")
fig.line("m", "phi", source=source)


def update(attr, old, new):
    source.data = {"m": m, "phi": np.sin(3 * m * new)}


slider.on_change("value_throttled", update)
curdoc().add_root(column(slider, fig, sizing_mode="stretch_width"))
