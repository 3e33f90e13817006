"""Curves kept point by point (``dashboards.caches.PointwiseCurves``) on ``round_grid``: a
range moved by one end solves only its new points, and the curve is the one the theory
computes on the whole grid."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dashboards.caches import PointwiseCurves, round_grid
from dashboards.recipes import glm as glm_recipes
from theory import channels, glm, priors


def same(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if dataclasses.is_dataclass(x):
            same(x, y)
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


@pytest.mark.parametrize(("lo", "hi"), [(0.05, 3.0), (1e-4, 10.0), (0.1, 0.2), (1.0, 1000.0),
                                        (0.3, 0.30001)])
def test_a_round_grid_spans_the_range_with_at_least_the_points_asked(lo, hi):
    grid = round_grid(lo, hi, 150)
    assert grid[0] == lo
    assert grid[-1] == hi
    assert np.all(np.diff(grid) > 0)
    assert 150 <= len(grid) <= 1.3 * 150 + 2
    inner = grid[1:-1]
    step = inner[1] - inner[0]
    np.testing.assert_allclose(np.diff(inner), step, rtol=1e-6)  # evenly spaced inside
    assert np.diff(grid).max() <= step * (1 + 1e-9)


def test_moving_one_end_by_a_step_keeps_every_inner_point():
    """(unless the width crosses a round step's: here at 149 × 0.02 = 2.98)"""
    before, after = round_grid(0.05, 2.9, 150), round_grid(0.05, 2.95, 150)
    assert np.isin(before[1:-1], after).all()  # the same floats: found again exactly
    assert len(np.setdiff1d(after, before)) <= 6


def test_a_range_moved_by_one_end_solves_only_its_new_points():
    prior, channel = priors.Rademacher(), channels.Sign()
    solved = []

    def solve(model, alpha):
        solved.append(len(alpha))
        return glm.curve(prior=model[0], channel=model[1], alpha=alpha)

    curves = PointwiseCurves(solve)
    first = curves.curve((prior, channel), round_grid(0.05, 2.9, 150))
    grid = round_grid(0.05, 2.95, 150)
    moved = curves.curve((prior, channel), grid)
    assert solved[0] == len(first.control)
    assert solved[1] <= 6
    same(moved, glm.curve(prior=prior, channel=channel, alpha=grid))  # bit for bit
    curves.curve((prior, channel), grid[10:40])  # inside what is known: nothing solved
    assert len(solved) == 2


def test_points_known_from_elsewhere_are_not_solved_again():
    prior, channel = priors.GaussBernoulli(rho=0.3), channels.Linear(noise=0.1)
    solved = []

    def solve(model, alpha):
        solved.append(len(alpha))
        return glm.curve(prior=model[0], channel=model[1], alpha=alpha)

    curves = PointwiseCurves(solve, max_points=400)
    grid = round_grid(0.05, 3.0, 150)
    curves.know((prior, channel), glm.curve(prior=prior, channel=channel, alpha=grid[::-1]))
    same(curves.curve((prior, channel), grid), glm.curve(prior=prior, channel=channel,
                                                         alpha=grid))
    assert solved == []
    # past ``max_points`` a model starts again from the points asked for
    wide = round_grid(3.5, 9.0, 300)
    same(curves.curve((prior, channel), wide), glm.curve(prior=prior, channel=channel,
                                                         alpha=wide))
    assert solved == [len(wide)]


def test_the_page_curve_is_the_theory_on_its_grid_after_a_range_move():
    p = glm_recipes.GlmParameters(alpha_range=(0.05, 2.97))
    p.alpha_range = (0.05, 2.98)
    shown = glm_recipes.curves(p)["curves"]
    grid = round_grid(0.05, 2.98, glm_recipes.CURVE_POINTS)
    np.testing.assert_array_equal(shown["alpha"], grid)
    direct = glm.curve(prior=p.current_prior, channel=p.current_channel, alpha=grid)
    np.testing.assert_array_equal(shown["bayes"], glm_recipes._branch_value(
        p, direct.bayes_optimal))
