"""Property-based: random and hostile query strings never raise, never hang, and always leave
every control within its bounds (the same Location.sync path as a page opened from a link),
with the explorer's Bokeh models built, so that a value param takes and Bokeh refuses (True
for a number) fails here as it would in a page."""

import math
import os
import urllib.parse
from datetime import timedelta

import panel as pn
import param
import pytest
from bokeh.document import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from panel.io.location import Location

from dashboards import DiffusionExplorer, GlmExplorer, OnlineExplorer, SpikedExplorer

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-320", "0", "-1", "³",
                     "٣", "[" * 300, "[1, 1]", "[2, 2.0]",
                     "[1, 2]", "[3, 1]", "[]", "{}", "null", "true", "<script>alert(1)</script>",
                     "%00", "\u202e", "9" * 400, "[1e999, 2]", '"quoted"', "1,2", "0x10",
                     # non-ASCII digits (int() takes some, not all), Python's integer-string
                     # limit (4,300 digits), booleans where numbers are expected
                     "\u0661\u0662", "\uff15", "\u00b2\u00b3", "\u0967", "9" * 5000,
                     "1" * 4301, "true", "false", "True", "FALSE", "[true, 2]", "[1, false]"]),
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
    pn.panel(explorer).get_root(Document())  # Bokeh models: they validate what they are given
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


@pytest.mark.parametrize("value", ["\u0661\u0662", "\uff15", "\u00b3", "9" * 5000, "true",
                                   "false"])
@pytest.mark.parametrize("cls", [SpikedExplorer, GlmExplorer, OnlineExplorer, DiffusionExplorer])
def test_each_class_of_bad_value_under_every_key_is_refused_with_a_message(cls, value):
    """Every URL key of the explorer, and an unknown one, given the value: no exception,
    nothing changed, and the message names the key."""
    explorer = cls()
    pn.panel(explorer).get_root(Document())
    before = {name: getattr(explorer, name) for name in explorer.url_parameters}
    keys = [explorer.url_prefix + n for n in explorer.url_parameters if
            not (value in ("true", "false") and isinstance(explorer.param[n], param.Boolean))]
    unknown = [] if value in ("true", "false") else ["not_a_setting"]  # 'true' is harmless there
    for key in [*keys, *unknown]:
        location = Location(search="?" + urllib.parse.urlencode({key: value}))
        explorer.clear_message()
        explorer.sync_url(location)
        assert explorer.message.visible, key
        assert f"`{key}" in explorer.message.object
        location.unsync(explorer)
    if value not in ("true", "false"):  # True for a Boolean is fine; text is refused
        assert before == {name: getattr(explorer, name) for name in explorer.url_parameters}
