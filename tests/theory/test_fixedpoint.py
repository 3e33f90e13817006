"""The shared fixed-point machinery against closed forms."""

import numpy as np

from theory import Status
from theory._fixedpoint import anderson_iteration, find_roots

DOTTIE = 0.7390851332151607  # the root of x = cos(x)


def test_anderson_solves_independent_problems_at_once():
    """x = cos(x) (Dottie's number) and a linear map with a known fixed point, together."""
    a = np.array([[0.9, 0.05], [-0.3, 0.8]])  # spectral radius < 1 but slow: plain ~300 steps
    b = np.array([1.0, -2.0])
    linear_fixed_point = np.linalg.solve(np.eye(2) - a, b)

    def update(x, idx):
        out = x @ a.T + b
        cosine = idx % 2 == 1
        out[cosine] = np.cos(x[cosine])
        return out

    start = np.zeros((4, 2))
    x, status, iterations = anderson_iteration(update, start, tol=1e-12)
    converged = status == Status.CONVERGED
    assert converged.all()
    np.testing.assert_allclose(x[0::2], np.tile(linear_fixed_point, (2, 1)), rtol=1e-10)
    np.testing.assert_allclose(x[1::2], DOTTIE, rtol=1e-10)
    assert iterations.max() < 40


def test_anderson_reports_a_map_that_leaves_its_domain():
    def update(x, idx):
        out = np.sqrt(x - 1.0) + 0.5 * x  # not finite for x < 1: the problem cannot converge
        out[idx == 0] = 0.5 * x[idx == 0] + 1.0
        return out

    with np.errstate(invalid="ignore"):
        x, status, _ = anderson_iteration(update, np.zeros((2, 1)), tol=1e-12)
    converged = status == Status.CONVERGED
    assert converged[0]
    assert not converged[1]
    assert status[1] == Status.DIVERGED  # the map stopped being finite
    np.testing.assert_allclose(x[0], 2.0, rtol=1e-12)


def test_anderson_gives_up_after_max_iter():
    """An expanding rotation: five steps do not reach its fixed point, and the result says so."""
    def update(x, idx):
        return 1.01 * x[:, ::-1] * np.array([1.0, -1.0]) + 1e-3

    _, status, iterations = anderson_iteration(update, np.ones((1, 2)), tol=1e-14,
                                               max_iter=5, memory=1)
    converged = status == Status.CONVERGED
    assert not converged[0]
    assert status[0] == Status.NOT_CONVERGED
    assert iterations[0] == 5


def _scipy_roots(func, lo, hi, **tolerances):
    from scipy.optimize.elementwise import find_root

    index = np.arange(np.size(lo))
    return find_root(func, (lo, hi), args=(index,), tolerances=tolerances or None)


def test_find_roots_takes_the_iterates_of_scipys_chandrupatla():
    """The lean Chandrupatla against scipy's ``find_root`` on brackets of four kinds: a
    root inside (x = cos x, a cubic, a steep tanh), no sign change, a NaN end: the same
    roots, statuses and iteration counts, with the default and with loose tolerances."""
    lo = np.array([0.0, 0.0, -3.0, -1.0, 2.0, 0.0, 1e-3])
    hi = np.array([1.0, 3.0, 5.0, 1.0, 3.0, 1.0, 10.0])
    c = np.array([0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0])

    def func(x, idx):
        kind = idx % 7
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.select(
                [kind == 0, kind == 1, kind == 2, kind == 3, kind == 4, kind == 5],
                [np.cos(x) - x, x**3 - 2 * x - c[idx], np.tanh(40 * (x - 0.3)),
                 x**2 + 1.0, x - 1.0, np.where(x > 0.99, np.nan, x - 2.0)],
                np.log(x) - 1.0)

    for tolerances in ({}, {"xtol": 1e-6}, {"ftol": 1e-8}):
        ours = find_roots(func, lo, hi, **tolerances)
        scipy_tol = {}
        if "xtol" in tolerances:
            scipy_tol = {"xatol": 1e-6, "xrtol": 1e-6}
        if "ftol" in tolerances:
            scipy_tol = {"fatol": 1e-8}
        theirs = _scipy_roots(func, lo, hi, **scipy_tol)
        expected = {0: Status.CONVERGED, -1: Status.OUT_OF_RANGE, -2: Status.NOT_CONVERGED,
                    -3: Status.DIVERGED}
        assert [Status(s) for s in ours.status] == [expected[int(s)] for s in theirs.status]
        np.testing.assert_array_equal(ours.x, theirs.x)
        np.testing.assert_array_equal(ours.iterations, theirs.nit)
        np.testing.assert_array_equal(ours.value, theirs.f_x)
    roots = find_roots(func, lo, hi).x
    np.testing.assert_allclose(roots[[0, 2, 6]], [DOTTIE, 0.3, np.e], rtol=1e-14)
    assert abs(roots[1] ** 3 - 2 * roots[1] - 5.0) < 1e-12  # Newton's own cubic
    assert np.isnan(roots[[3, 4, 5]]).all()  # x^2 + 1, x - 1 on [2, 3]: no root; NaN end


def test_find_roots_reports_the_iteration_limit_and_keeps_the_last_iterate():
    """Stopped after 3 iterations: NOT_CONVERGED, the best end so far (finite, inside),
    as scipy's ``maxiter`` does; a bracket solved meanwhile keeps CONVERGED."""
    from scipy.optimize.elementwise import find_root

    def func(x, idx):
        return np.where(idx == 0, np.cos(x) - x, x - 0.5)

    ours = find_roots(func, [0.0, 0.0], [1.0, 1.0], max_iter=3)
    theirs = find_root(func, ([0.0, 0.0], [1.0, 1.0]), args=(np.arange(2),), maxiter=3)
    assert Status(ours.status[0]) == Status.NOT_CONVERGED
    assert Status(ours.status[1]) == Status.CONVERGED
    np.testing.assert_array_equal(ours.x, theirs.x)
    assert 0.0 < ours.x[0] < 1.0
    assert abs(ours.x[0] - DOTTIE) < 0.05


def test_find_roots_of_no_brackets_is_empty():
    roots = find_roots(lambda x, idx: x, np.zeros(0), np.ones(0))
    assert roots.x.shape == roots.status.shape == (0,)
