"""The shared log-axis ticks and labels (``plotstyle.log_ticker``), run by Chromium's own
JavaScript engine: never crowded, never float noise, at any range."""

import itertools
import math

import pytest

from dashboards import plotstyle

pytestmark = pytest.mark.ui

RANGES = [(0.05, 0.9), (0.2, 0.95), (0.9, 0.2), (0.01, 1.0), (1e-4, 0.5), (0.3, 40.0),
          (1.0, 3000.0), (1e-12, 1e3), (0.55, 0.6), (3e-6, 4e-6), (0.9, 2.5), (95.0, 130.0),
          (10.0, 1e6)]

JS = """([major, minor, label, ranges, maxTicks]) => {
  const ticker = new Function("cb_data", "max_ticks", major);
  const minorTicker = new Function("cb_data", minor);
  const format = new Function("tick", "index", "ticks", label);
  return ranges.map(([start, end]) => {
    const ticks = ticker({start, end}, maxTicks);
    return {ticks, labels: ticks.map((tick, index) => format(tick, index, ticks)),
            minor: minorTicker({start, end})};
  });
}"""


def test_log_ticks_are_few_spread_and_clean(page):
    results = page.evaluate(JS, [plotstyle.LOG_TICKS_JS, plotstyle.LOG_MINOR_TICKS_JS,
                                 plotstyle.LOG_LABEL_JS, RANGES, plotstyle.LOG_MAX_TICKS])
    for (start, end), result in zip(RANGES, results, strict=True):
        ticks, labels = result["ticks"], result["labels"]
        lo, hi = sorted((start, end))
        span = math.log10(hi / lo)
        assert all(lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9) for t in ticks), (start, end, ticks)
        assert len(ticks) <= plotstyle.LOG_MAX_TICKS, (start, end, ticks)
        assert len(ticks) >= 2, (start, end, ticks)  # a scale to read, at any zoom
        gaps = [math.log10(b / a) for a, b in itertools.pairwise(ticks)]
        # Bokeh's LogTicker put 0.5 ... 0.9 at 7 % of the axis from each other
        assert all(g >= 0.1 * span for g in gaps), (start, end, ticks)
        assert len(set(labels)) == len(labels), labels
        assert all(lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9) for t in result["minor"])
        for label in labels:
            assert len(label) <= 8, label  # "0.05", "3000", "10⁻¹²", "3·10⁻⁶": no noise
        # one style per axis: all plain numbers or all powers of ten (not 100, 10000, 10⁶)
        powers = ["10" in label and any(c in label for c in "⁻⁰¹²³⁴⁵⁶⁷⁸⁹") for label in labels]
        assert all(powers) or not any(powers), labels
        # the labels say the tick's value
        for tick, label in zip(ticks, labels, strict=True):
            if "10" in label and ("⁻" in label or any(c in label for c in "⁰¹²³⁴⁵⁶⁷⁸⁹")):
                continue
            assert float(label) == pytest.approx(tick, rel=1e-9), (tick, label)
