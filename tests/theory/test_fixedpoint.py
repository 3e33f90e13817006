"""The shared fixed-point machinery against closed forms."""

import numpy as np

from theory import Status
from theory._fixedpoint import anderson_iteration

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
