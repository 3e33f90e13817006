"""Values a client sends for a control (dashboards/guards.py), at the seam a websocket message
reaches: a widget's ``_process_events`` with the properties of a Bokeh PATCH-DOC. Served
through the real protocol: tests/ui/test_hostile_websocket.py."""

import contextlib
import logging
import math

import panel as pn
import param
import pytest
from bokeh.document import Document
from hypothesis import given, settings
from hypothesis import strategies as st

import dashboards.base  # noqa: F401 (installs the guard)
from dashboards import guards


class Model(param.Parameterized):
    rate = param.Number(default=0.5, bounds=(0.01, 2.0))
    size = param.Integer(default=100, bounds=(10, 5000))
    window = param.Range(default=(0.2, 1.6), bounds=(0.0, 20.0))
    prior = param.Selector(default="gaussian", objects=["gaussian", "rademacher"])


def _served(widget):
    """The widget with a Bokeh model in a document, as in a served page."""
    return widget, widget.get_root(Document())


def _send(widget, root, **properties):
    """A client's changes, as Panel processes them once Bokeh has applied a patch (the
    served test checks what the client then receives)."""
    widget._process_events(dict(properties))


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    @property
    def written(self):
        """What a server at its default level writes: warnings and errors."""
        return [r for r in self.records if r.levelno >= logging.WARNING]


@contextlib.contextmanager
def logged():
    """The log records written inside the block (hypothesis runs many inputs per test, so
    pytest's caplog, reset per test, does not fit)."""
    handler, root = _Records(), logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


HOSTILE_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0]),
)


@settings(max_examples=150, deadline=None)
@given(value=HOSTILE_NUMBERS)
def test_a_float_slider_uses_the_clamped_value_logs_one_line_and_shows_it(value):
    model = Model()
    widget, root = _served(pn.widgets.FloatSlider.from_param(model.param.rate))
    with logged() as log:
        _send(widget, root, value=float(value), value_throttled=float(value))
    if math.isfinite(value):
        assert model.rate == min(max(value, 0.01), 2.0)
    else:
        assert model.rate == 0.5  # refused: the value stays
    assert root.value == model.rate  # the page is told the value used
    records = log.written
    inside = math.isfinite(value) and 0.01 <= value <= 2.0
    assert len(records) == (0 if inside else 1), [r.getMessage() for r in records]
    assert all(r.exc_info is None for r in records)


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(HOSTILE_NUMBERS, st.booleans(), st.text(max_size=20), st.none()))
def test_an_integer_slider_takes_only_whole_numbers_in_its_range(value):
    model = Model()
    widget, root = _served(pn.widgets.IntSlider.from_param(model.param.size))
    with logged() as log:
        widget._process_events({"value": value, "value_throttled": value})
    finite = (isinstance(value, (int, float)) and not isinstance(value, bool)
              and math.isfinite(value))
    if finite:
        assert model.size == min(max(round(value), 10), 5000)
    else:
        assert model.size == 100
    assert isinstance(model.size, int)
    assert root.value == model.size
    records = log.written
    assert len(records) <= 1
    assert all(r.exc_info is None for r in records)


@settings(max_examples=100, deadline=None)
@given(ends=st.lists(HOSTILE_NUMBERS, min_size=0, max_size=3))
def test_a_range_slider_gets_an_ordered_range_inside_its_bounds(ends):
    model = Model()
    widget, _ = _served(pn.widgets.RangeSlider.from_param(model.param.window))
    with logged() as log:
        widget._process_events({"value": tuple(ends), "value_throttled": tuple(ends)})
    low, high = model.window
    assert 0.0 <= low <= high <= 20.0
    if len(ends) == 2 and all(math.isfinite(e) for e in ends):
        assert (low, high) == tuple(sorted(min(max(e, 0.0), 20.0) for e in ends))
    else:
        assert (low, high) == (0.2, 1.6)
    assert len(log.written) <= 1


@pytest.mark.parametrize("label", ["nope", "", "Gaussian " * 1000, "0"])
def test_a_select_refuses_a_label_it_does_not_offer(label):
    model = Model()
    widget, root = _served(pn.widgets.Select.from_param(model.param.prior))
    with logged() as log:
        _send(widget, root, value=label)
    assert model.prior in ("gaussian", "rademacher")
    records = log.written
    assert len(records) <= 1
    assert all(len(r.getMessage()) < 300 for r in records)  # the long label is cut short


def test_a_refused_value_is_reported_to_the_page_and_a_bug_keeps_its_traceback():
    model = Model()
    widget, root = _served(pn.widgets.Select.from_param(model.param.prior))
    reasons = []
    guards.on_refusal(widget, reasons.append)
    _send(widget, root, value="nope")
    assert len(reasons) == 1
    assert "nope" in reasons[0]

    def broken(event):
        raise ZeroDivisionError("this project's bug")

    model.param.watch(broken, ["prior"])
    with logged() as log, pytest.raises(ZeroDivisionError):
        _send(widget, root, value="rademacher")
    assert any(r.exc_info for r in log.records)  # not hidden as a "refused" value


@settings(max_examples=300, deadline=None)
@given(token=st.one_of(st.text(max_size=300), st.binary(max_size=300).map(
    lambda b: __import__("base64").urlsafe_b64encode(b).decode().rstrip("="))))
def test_any_websocket_token_is_judged_without_an_exception(token):
    reason = guards.token_refusal(token)
    assert reason is None or isinstance(reason, str)


def test_the_tokens_bokeh_makes_pass_and_malformed_ones_are_refused():
    from bokeh.util.token import generate_jwt_token, generate_session_id

    good = generate_jwt_token(generate_session_id(), expiration=300)
    assert guards.token_refusal(good) is None
    for bad in ("garbage", "A" * 20_000, "a.b.c", good[:40], good.replace("e", "f", 3)):
        assert guards.token_refusal(bad) is not None, bad


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(["bokeh-session-id", "bokeh-absolute-url"]),
       raw=st.binary(max_size=100))
def test_any_bokeh_query_argument_is_judged_without_an_exception(name, raw):
    reason = guards.query_refusal({name: [raw]})
    if reason is None:  # what is let through is what Bokeh can read
        text = raw.decode("utf-8")
        assert text.startswith("http") or guards.SESSION_ID.fullmatch(text)


def test_the_bokeh_query_arguments_a_page_sends_pass():
    assert guards.query_refusal({"bokeh-absolute-url": [b"http://localhost:5006/app"]}) is None
    assert guards.query_refusal({"bokeh-session-id": [b"Zx4n1QDs0kYwz3g4s9Qv0eYh8sGg7q0d"]}) is None
    assert guards.query_refusal({"bokeh-absolute-url": [b"\xff"]}) is not None
    assert guards.query_refusal({"bokeh-session-id": [b""]}) is not None
