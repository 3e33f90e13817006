"""Spiked Wigner state evolution against closed forms, identities and independent quadrature."""

import numpy as np
import pytest
from scipy import integrate

from theory import priors, spiked

PRIORS = [
    priors.Gaussian(),
    priors.Rademacher(),
    priors.SparseRademacher(rho=0.05),
    priors.SparseRademacher(rho=0.3),
    priors.GaussBernoulli(rho=0.05),
    priors.GaussBernoulli(rho=0.5),
]


def test_gaussian_prior_closed_form():
    snr = np.linspace(0.0, 6.0, 121)
    c = spiked.curve(prior=priors.Gaussian(), snr=snr)
    expected = np.maximum(0.0, 1.0 - 1.0 / np.where(snr > 0, snr, 1.0)) * (snr > 0)
    np.testing.assert_allclose(c.bayes_optimal.overlap, expected, atol=1e-9)
    np.testing.assert_allclose(c.bayes_optimal.mmse, 1 - expected**2, atol=1e-9)
    assert c.converged.all()
    # psi(g) = g/2 - log(1+g)/2 for the Gaussian prior
    g = np.array([0.1, 1.0, 7.0])
    np.testing.assert_allclose(
        spiked.scalar_free_entropy(priors.Gaussian(), g), g / 2 - np.log1p(g) / 2, rtol=1e-12
    )


def _independent_overlap(prior, g):
    """M(g) = E[f(y)^2] with scipy.integrate.quad over y, the prior's law summed by hand."""
    if isinstance(prior, priors.Gaussian):
        comps = [(1.0, 0.0, np.sqrt(1 + g))]
    elif isinstance(prior, priors.GaussBernoulli):
        comps = [(1 - prior.rho, 0.0, 1.0), (prior.rho, 0.0, np.sqrt(1 + g / prior.rho))]
    else:
        comps = [(p, np.sqrt(g) * a, 1.0) for a, p in zip(prior.atoms, prior.probs, strict=True)]
    total = 0.0
    for w, mu, sd in comps:
        def integrand(y, mu=mu, sd=sd):
            f, _ = prior.posterior(np.sqrt(g) * y, g)
            return f**2 * np.exp(-((y - mu) ** 2) / (2 * sd**2)) / np.sqrt(2 * np.pi * sd**2)

        total += w * integrate.quad(integrand, mu - 14 * sd, mu + 14 * sd, limit=400,
                                    epsabs=1e-13, epsrel=1e-11)[0]
    return total


@pytest.mark.parametrize("prior", [*PRIORS, priors.SparseRademacher(rho=0.01)], ids=repr)
@pytest.mark.parametrize("g", [1e-3, 0.05, 0.4, 1.5, 6.0, 16.0])
def test_quadrature_against_scipy_quad(prior, g):
    # the wide slab of a very sparse Gauss-Bernoulli prior at large g/rho is the hardest case
    wide_slab = isinstance(prior, priors.GaussBernoulli) and prior.rho * 100 < g
    tol = 1e-6 if wide_slab else 1e-9
    assert spiked.scalar_overlap(prior, g) == pytest.approx(_independent_overlap(prior, g), abs=tol)


@pytest.mark.parametrize("prior", PRIORS, ids=repr)
def test_psi_derivative_is_half_the_overlap(prior):
    """Denoiser/free-entropy consistency: psi'(g) = M(g)/2 (the scalar I-MMSE relation)."""
    g = np.array([0.05, 0.3, 1.0, 2.5])
    h = 1e-5
    psi = lambda x: spiked.scalar_free_entropy(prior, x)  # noqa: E731
    dpsi = (psi(g + h) - psi(g - h)) / (2 * h)
    np.testing.assert_allclose(dpsi, spiked.scalar_overlap(prior, g) / 2, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("prior", PRIORS, ids=repr)
def test_i_mmse_on_the_bayes_optimal_branch(prior):
    """d phi / d snr = m^2 / 4 along the Bayes-optimal branch (away from the jump)."""
    th = spiked.thresholds(prior=prior)
    snr = np.array([0.5, 1.3, 2.0, 3.0])
    snr = snr[np.abs(snr - np.nan_to_num(th.information_theoretic, nan=-1)) > 0.05]
    h = 1e-5
    plus = spiked.curve(prior=prior, snr=snr + h).bayes_optimal.free_entropy
    minus = spiked.curve(prior=prior, snr=snr - h).bayes_optimal.free_entropy
    m = spiked.curve(prior=prior, snr=snr).bayes_optimal.overlap
    np.testing.assert_allclose((plus - minus) / (2 * h), m**2 / 4, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("prior", PRIORS, ids=repr)
def test_curve_agrees_with_iterated_state_evolution(prior):
    """Fixed points found through snr = g / M(g) equal those reached by iterating SE."""
    snr = np.array([0.3, 0.8, 1.5, 2.5, 4.0])
    c = spiked.curve(prior=prior, snr=snr)
    un = spiked.state_evolution(prior=prior, snr=snr, init="uninformed")
    inf = spiked.state_evolution(prior=prior, snr=snr, init="informed")
    assert un.converged.all()
    assert inf.converged.all()
    np.testing.assert_allclose(c.uninformed.overlap, un.overlap, atol=1e-7)
    np.testing.assert_allclose(c.informed.overlap, inf.overlap, atol=1e-7)
    assert c.converged.all()


@pytest.mark.parametrize("prior", PRIORS[:3], ids=repr)
def test_scalar_and_vectorised_agree(prior):
    snr = np.array([0.6, 1.7, 3.3])
    vec = spiked.state_evolution(prior=prior, snr=snr, init="informed")
    for i, s in enumerate(snr):
        one = spiked.state_evolution(prior=prior, snr=float(s), init="informed")
        assert one.overlap == pytest.approx(vec.overlap[i], abs=1e-12)
        assert one.iterations == vec.iterations[i]
    c = spiked.curve(prior=prior, snr=snr)
    for i, s in enumerate(snr):
        assert spiked.curve(prior=prior, snr=[s]).bayes_optimal.overlap[0] == pytest.approx(
            c.bayes_optimal.overlap[i], abs=1e-10)


def test_critical_slowing_down_is_reported_not_hidden():
    fp = spiked.state_evolution(prior=priors.Rademacher(), snr=1.0, max_iter=200)
    assert not fp.converged
    assert fp.iterations == 200


def test_rademacher_is_continuous():
    th = spiked.thresholds(prior=priors.Rademacher())
    assert not th.first_order
    assert np.isnan(th.dynamic)
    assert th.algorithmic == th.information_theoretic == th.weak_recovery == 1.0
    c = spiked.curve(prior=priors.Rademacher(), snr=np.linspace(0.5, 3, 251))
    assert not c.metastable.any()
    # overlap grows continuously from 0 at snr = 1, slope 1 (M(g) = g - g^2 + ...)
    c = spiked.curve(prior=priors.Rademacher(), snr=np.array([1.001, 1.01]))
    np.testing.assert_allclose(c.bayes_optimal.overlap, [0.001, 0.01], rtol=0.05)


def test_sparse_rademacher_first_order_transition():
    """Small rho: a jump of the overlap, alpha_IT below the spectral threshold 1, a hard phase.

    Published (Lesieur et al. 2015/2017; Krzakala, Xu, Zdeborova 2016; Miolane 2017): for the
    Bernoulli-Rademacher prior the information-theoretic threshold falls below 1 for
    rho < rho* ~= 0.09 (one significant digit), with AMP stuck until snr ~= 1.
    """
    prior = priors.SparseRademacher(rho=0.05)
    th = spiked.thresholds(prior=prior)
    assert th.first_order
    assert th.converged
    assert th.dynamic < th.information_theoretic < 1.0 < th.algorithmic < 1.05
    eps = 1e-4
    c = spiked.curve(prior=prior, snr=np.array([th.information_theoretic - eps,
                                                th.information_theoretic + eps]))
    jump = c.bayes_optimal.overlap[1] - c.bayes_optimal.overlap[0]
    assert jump > 0.5
    mid = 0.5 * (th.information_theoretic + 1.0)
    c = spiked.curve(prior=prior, snr=np.array([mid]))
    assert c.hard[0]
    assert c.uninformed.overlap[0] == 0.0
    assert c.informed.overlap[0] > 0.5

    def it_below_one(rho):
        t = spiked.thresholds(prior=priors.SparseRademacher(rho=rho))
        return t.first_order and t.information_theoretic < 1.0

    assert it_below_one(0.08)
    assert not it_below_one(0.10)


def test_thresholds_against_brute_force_landscape():
    """The IT threshold is where the global maximiser of phi(m) jumps: found on a dense grid."""
    prior = priors.GaussBernoulli(rho=0.05)
    th = spiked.thresholds(prior=prior)
    m = np.linspace(0.0, 1.0, 4001)
    snr = np.linspace(th.dynamic, th.algorithmic, 200)
    argmax = np.array([m[np.argmax(spiked.free_entropy(prior, s, m))] for s in snr])
    jump = np.flatnonzero(np.diff(argmax) > 0.3)
    assert jump.size == 1
    assert snr[jump[0]] <= th.information_theoretic <= snr[jump[0] + 1]
    # the dynamic spinodal: below it phi has a single maximum, above it two
    def n_maxima(s):
        phi = spiked.free_entropy(prior, s, m)
        inner = (phi[1:-1] > phi[:-2]) & (phi[1:-1] > phi[2:])
        return int(inner.sum() + (phi[0] > phi[1]))

    assert n_maxima(th.dynamic * 0.99) == 1
    assert n_maxima(th.dynamic * 1.01) == 2


def test_landscape_maxima_are_local_maxima():
    prior = priors.SparseRademacher(rho=0.05)
    land = spiked.free_entropy_landscape(prior=prior, snr=0.85)
    assert land.maxima.size == 2
    for m0, f0 in zip(land.maxima, land.maxima_free_entropy, strict=True):
        around = spiked.free_entropy(prior, 0.85, np.clip([m0 - 1e-3, m0 + 1e-3], 0, 1))
        assert np.all(around <= f0 + 1e-12)


def test_pca_overlap_is_bbp():
    np.testing.assert_allclose(spiked.pca_overlap([0.5, 1.0, 2.0, 4.0]), [0, 0, 0.5, 0.75])


@pytest.mark.parametrize("bad", [np.nan, -1.0, np.inf, 1e9])
def test_bad_snr_is_refused(bad):
    with pytest.raises(ValueError, match="snr"):
        spiked.curve(prior=priors.Rademacher(), snr=[1.0, bad])
    with pytest.raises(ValueError, match="snr"):
        spiked.state_evolution(prior=priors.Rademacher(), snr=bad)


@pytest.mark.parametrize("family", ["sparse_rademacher", "gauss_bernoulli"])
def test_phase_diagram_is_ordered_and_matches_thresholds(family):
    rho = np.array([0.02, 0.05, 0.1, 0.3, 1.0])
    pd = spiked.phase_diagram(family=family, rho=rho)
    assert pd.converged.all()
    first = pd.first_order
    assert first[0]
    assert not first[-1]
    assert np.all(pd.dynamic[first] < pd.information_theoretic[first])
    assert np.all(pd.information_theoretic[first] < pd.algorithmic[first])
    assert np.all(np.isnan(pd.dynamic[~first]))
    np.testing.assert_allclose(pd.algorithmic[~first], 1.0)
    # the IT threshold grows with rho (denser signals are harder to find below lambda = 1)
    it = pd.information_theoretic[first]
    assert np.all(np.diff(it) > 0)
    cls = spiked.SPARSE_FAMILIES[family]
    single = spiked.thresholds(prior=cls(rho=0.05))
    assert pd.information_theoretic[1] == single.information_theoretic


def test_phase_diagram_refuses_bad_input():
    with pytest.raises(ValueError, match="family"):
        spiked.phase_diagram(family="gaussian")
    with pytest.raises(ValueError, match="rho"):
        spiked.phase_diagram(family="gauss_bernoulli", rho=[0.1, np.nan])
