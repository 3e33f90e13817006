"""Property-based: random and hostile query strings never raise, never hang, and always leave
every control within its bounds (the same Location.sync path as a page opened from a link)."""

import math
import os
import urllib.parse
from datetime import timedelta

import param
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from panel.io.location import Location

from dashboards import DiffusionExplorer, GlmExplorer, OnlineExplorer, SpikedExplorer

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-320", "0", "-1", "³",
                     "٣", "[" * 300, "[1, 1]", "[2, 2.0]",
                     "[1, 2]", "[3, 1]", "[]", "{}", "null", "true", "<script>alert(1)</script>",
                     "%00", "\u202e", "9" * 400, "[1e999, 2]", '"quoted"', "1,2", "0x10"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.lists(st.floats(allow_nan=True), max_size=3).map(repr),
)


def query_strategy(explorer):
    names = [explorer.url_prefix + n for n in explorer.url_parameters]
    keys = st.one_of(st.sampled_from(names), st.text(max_size=10))
    return st.dictionaries(keys, HOSTILE, max_size=6).map(urllib.parse.urlencode)


def within_bounds(explorer):
    for name in explorer.url_parameters:
        p, value = explorer.param[name], getattr(explorer, name)
        if isinstance(p, param.Selector):
            options = p.objects.values() if isinstance(p.objects, dict) else p.objects
            assert value in list(options), name
        elif isinstance(p, param.Range):
            lo, hi = value
            assert math.isfinite(lo), name
            assert math.isfinite(hi), name
            assert p.bounds[0] <= lo < hi <= p.bounds[1], name
        elif isinstance(p, param.Number):
            assert math.isfinite(value), name
            assert p.bounds[0] <= value <= p.bounds[1], name


@pytest.mark.parametrize("cls", [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer])
def test_hostile_links_are_clamped_or_refused(cls):
    explorer = cls()
    mapping = {n: explorer.url_prefix + n for n in explorer.url_parameters}
    # the path is live: a valid value from a link is applied
    name = next(n for n in explorer.url_parameters
                if isinstance(explorer.param[n], param.Integer | param.Number)
                and not isinstance(explorer.param[n], param.Boolean))
    lo, hi = explorer.param[name].bounds
    target = lo + (hi - lo) / 2 if not isinstance(explorer.param[name], param.Integer) \
        else (lo + hi) // 2
    location = Location(search="?" + urllib.parse.urlencode({mapping[name]: target}))
    explorer.sync_url(location)
    assert getattr(explorer, name) == pytest.approx(target)
    location.unsync(explorer)

    examples = int(os.environ.get("FUZZ_EXAMPLES", "25"))

    @settings(max_examples=examples, deadline=timedelta(seconds=20),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(query=query_strategy(explorer))
    def opens(query):
        location = Location(search="?" + query)
        explorer.sync_url(location)  # the page's path: must not raise
        within_bounds(explorer)
        location.unsync(explorer)

    opens()
