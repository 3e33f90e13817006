"""Bayes-optimal GLM learning curves: closed forms, identities, published thresholds, GAMP."""

import numpy as np
import pytest

from theory import channels, glm, priors


def test_linear_gaussian_closed_form():
    """Gaussian prior, linear channel: 1 - q = u solves u^2 + u (alpha + Delta - 1) = Delta."""
    alpha = np.linspace(0.05, 3.0, 60)
    for noise in (0.0, 0.1, 1.0):
        b = alpha + noise - 1
        u = (-b + np.sqrt(b * b + 4 * noise)) / 2
        c = glm.curve(prior=priors.Gaussian(), channel=channels.Linear(noise=noise), alpha=alpha)
        # atol: at alpha = 1 exactly (noiseless) the root sits at r -> inf, reached to 1e-8
        np.testing.assert_allclose(c.bayes_optimal.mse, u, atol=5e-8)
        critical = (noise == 0) & (np.abs(alpha - 1) < 1e-9)  # honest: flagged there
        assert c.converged[~critical].all()


def test_curve_agrees_with_iterated_state_evolution():
    cases = [(priors.Rademacher(), channels.Sign(), [0.5, 1.0, 1.3, 2.0]),
             (priors.Gaussian(), channels.Abs(), [0.3, 0.7, 1.05, 1.5]),
             (priors.GaussBernoulli(rho=0.2), channels.Linear(), [0.1, 0.3, 0.5]),
             (priors.Gaussian(), channels.Sign(flip=0.1), [0.5, 2.0, 5.0])]
    for prior, channel, alpha in cases:
        alpha = np.array(alpha)
        c = glm.curve(prior=prior, channel=channel, alpha=alpha)
        for init, branch in (("uninformed", c.uninformed), ("informed", c.informed)):
            se = glm.state_evolution(prior=prior, channel=channel, alpha=alpha, init=init)
            assert se.converged.all(), (prior, channel, init)
            np.testing.assert_allclose(branch.overlap, se.overlap, atol=1e-6)


@pytest.mark.parametrize(
    ("prior", "channel"),
    [(priors.Rademacher(), channels.Sign()), (priors.Gaussian(), channels.Sign(flip=0.05)),
     (priors.Gaussian(), channels.Abs(noise=0.1)),
     (priors.GaussBernoulli(0.3), channels.Linear(0.05))],
    ids=["binary-perceptron", "noisy-perceptron", "noisy-phase-retrieval", "noisy-cs"],
)
def test_free_entropy_envelope_identity(prior, channel):
    """At a fixed point df/dalpha = Psi_out(q): an identity between the two free entropies."""
    alpha = np.array([0.4, 0.9, 2.5])
    th = glm.thresholds(prior=prior, channel=channel)
    alpha = alpha[np.abs(alpha - np.nan_to_num(th.information_theoretic, nan=-9)) > 0.05]
    h = 1e-5
    up = glm.curve(prior=prior, channel=channel, alpha=alpha + h).bayes_optimal.free_entropy
    down = glm.curve(prior=prior, channel=channel, alpha=alpha - h).bayes_optimal.free_entropy
    q = glm.curve(prior=prior, channel=channel, alpha=alpha).bayes_optimal.overlap
    np.testing.assert_allclose((up - down) / (2 * h), channel.free_entropy(q), rtol=1e-5,
                               atol=1e-8)


def test_binary_perceptron_published_thresholds():
    """Gyorgyi 1990 / Sompolinsky et al.: alpha_IT = 1.245 (often quoted 1.249; careful
    quadrature of the same equations gives 1.2447), GAMP's spinodal alpha_AMP = 1.493."""
    th = glm.thresholds(prior=priors.Rademacher(), channel=channels.Sign())
    assert th.converged
    assert th.perfect_recovery
    assert th.information_theoretic == pytest.approx(1.2447, abs=1e-3)
    assert th.algorithmic == pytest.approx(1.493, abs=1e-3)
    c = glm.curve(prior=priors.Rademacher(), channel=channels.Sign(), alpha=[1.3, 1.6])
    assert c.bayes_optimal.generalization_error[0] == 0.0  # perfect generalisation above IT
    assert c.uninformed.generalization_error[0] > 0.05  # but GAMP is still learning
    assert c.uninformed.generalization_error[1] == 0.0


def test_phase_retrieval_published_thresholds():
    """Real phase retrieval, Gaussian prior (Barbier et al. 2019; Mondelli & Montanari 2018):
    weak recovery at alpha = 1/2, perfect recovery at 1 (IT) and ~1.13 (AMP)."""
    th = glm.thresholds(prior=priors.Gaussian(), channel=channels.Abs())
    assert th.weak_recovery == pytest.approx(0.5, abs=1e-12)
    assert th.information_theoretic == pytest.approx(1.0, abs=1e-9)
    assert th.algorithmic == pytest.approx(1.13, abs=5e-3)
    c = glm.curve(prior=priors.Gaussian(), channel=channels.Abs(), alpha=[0.45, 0.55])
    assert c.uninformed.overlap[0] == 0.0
    assert c.uninformed.overlap[1] > 0.0


@pytest.mark.parametrize("rho", [0.1, 0.3, 0.6])
def test_compressed_sensing_thresholds(rho):
    """Noiseless CS: alpha_IT = rho (Wu & Verdu); Bayes-optimal AMP needs more but less than
    1, and its line rises with rho (Krzakala et al. 2012)."""
    th = glm.thresholds(prior=priors.GaussBernoulli(rho=rho), channel=channels.Linear())
    assert th.information_theoretic == pytest.approx(rho, abs=1e-12)
    assert rho < th.algorithmic < 1.0
    more = glm.thresholds(prior=priors.GaussBernoulli(rho=rho + 0.05), channel=channels.Linear())
    assert more.algorithmic > th.algorithmic


@pytest.mark.parametrize("rho", [0.2, 0.4])
def test_compressed_sensing_amp_line_is_the_maximum_of_snr_times_mmse(rho):
    """Noiseless CS state evolution E <- mmse(alpha / E) has a fixed point E > 0 exactly
    when alpha = s mmse(s) for some snr s, so AMP's perfect-recovery line is
    alpha_alg(rho) = max_s s mmse(s) (Krzakala et al. 2012), here with the scalar MMSE of
    the Gauss-Bernoulli prior by scipy quad: an independent route to the same number."""
    from scipy import integrate, optimize
    from scipy.stats import norm

    def mmse(snr):
        def integrand(y):
            on = rho * norm.pdf(y, scale=np.sqrt(1 + snr))
            off = (1 - rho) * norm.pdf(y)
            weight = on / (on + off)
            mean = weight * np.sqrt(snr) * y / (1 + snr)
            second = weight * (1 / (1 + snr) + snr * y * y / (1 + snr) ** 2)
            return (on + off) * (second - mean**2)

        reach = 12 * np.sqrt(1 + snr)
        return integrate.quad(integrand, -reach, reach, epsabs=1e-13, limit=400, points=[0])[0]

    best = optimize.minimize_scalar(lambda t: -np.exp(t) * mmse(np.exp(t)), bounds=(-3, 8),
                                    method="bounded", options={"xatol": 1e-10})
    th = glm.thresholds(prior=priors.GaussBernoulli(rho=rho), channel=channels.Linear())
    assert th.algorithmic == pytest.approx(-best.fun, rel=1e-7)


def test_gaussian_perceptron_asymptotic_error():
    """Bayes-optimal generalisation of the spherical perceptron decays as 0.442 / alpha
    (Opper & Haussler 1991)."""
    alpha = np.array([40.0, 80.0])
    c = glm.curve(prior=priors.Gaussian(), channel=channels.Sign(), alpha=alpha)
    np.testing.assert_allclose(c.bayes_optimal.generalization_error * alpha, 0.442, rtol=0.03)
    th = glm.thresholds(prior=priors.Gaussian(), channel=channels.Sign())
    assert np.isnan(th.algorithmic)
    assert not th.perfect_recovery


@pytest.mark.parametrize(
    ("prior", "channel", "alpha"),
    [
        (priors.Rademacher(), channels.Sign(), 1.0),
        (priors.GaussBernoulli(rho=0.2), channels.Linear(), 0.3),
        (priors.GaussBernoulli(rho=0.2), channels.Linear(), 0.45),
        (priors.GaussBernoulli(rho=0.5), channels.Linear(), 0.62),
        (priors.GaussBernoulli(rho=0.5), channels.Linear(), 0.76),
        (priors.Gaussian(), channels.Linear(noise=0.2), 0.7),
        (priors.Gaussian(), channels.Abs(), 1.4),
    ],
    ids=["perceptron", "cs-below-amp", "cs-above-amp", "cs-half-below-amp",
         "cs-half-above-amp", "ridge-like", "phase-retrieval"],
)
def test_gamp_agrees_with_state_evolution(prior, channel, alpha):
    n, runs = 1500, 4
    finals = np.array([glm.simulate_gamp(prior=prior, channel=channel, alpha=alpha, n=n,
                                         seed=s, iterations=400).overlap[-1]
                       for s in range(runs)])
    expected = glm.curve(prior=prior, channel=channel, alpha=[alpha]).uninformed.overlap[0]
    tolerance = 4 * finals.std(ddof=1) / np.sqrt(runs) + 2.0 / np.sqrt(n)
    assert abs(finals.mean() - expected) < tolerance


@pytest.mark.parametrize("bad", [-1.0, np.nan, 1e6])
def test_bad_alpha_is_refused(bad):
    with pytest.raises(ValueError, match="alpha"):
        glm.curve(prior=priors.Gaussian(), channel=channels.Sign(), alpha=[1.0, bad])
    with pytest.raises(ValueError, match="alpha"):
        glm.state_evolution(prior=priors.Gaussian(), channel=channels.Sign(), alpha=bad)


def test_gamp_refuses_huge_sizes():
    with pytest.raises(ValueError, match="n must"):
        glm.simulate_gamp(prior=priors.Gaussian(), channel=channels.Sign(), alpha=1.0, n=10**6)


def test_landscape_is_stationary_at_the_fixed_points():
    prior, channel, alpha = priors.Rademacher(), channels.Sign(), 1.0
    land = glm.free_entropy_landscape(prior=prior, channel=channel, alpha=alpha)
    assert np.all(np.diff(land.overlaps) > 0)
    q_low = land.maxima[0]
    i = np.argmin(np.abs(land.overlaps - q_low))
    # the grid value next to the fixed point is the largest around it (a local maximum)
    assert land.free_entropy[i] >= land.free_entropy[max(i - 3, 0)]
    assert land.free_entropy[i] >= land.free_entropy[min(i + 3, land.overlaps.size - 1)]
    np.testing.assert_allclose(land.free_entropy[i], land.maxima_free_entropy[0], atol=1e-4)
    # perfect recovery is the other stable state, with f = -log 2 (discrete prior and labels)
    assert land.maxima[-1] == 1.0
    assert land.maxima_free_entropy[-1] == pytest.approx(-np.log(2), abs=1e-6)
