"""Finite-N AMP runs against state evolution (simulation vs theory)."""

import numpy as np
import pytest

from theory import priors, spiked


def test_pca_overlap_by_simulation():
    """The top eigenvector of a sampled instance obeys BBP: overlap^2 ~= 1 - 1/snr."""
    snr, n = 3.0, 2000
    x, Y = spiked.sample_instance(prior=priors.Rademacher(), snr=snr, n=n, seed=3)
    _, vecs = np.linalg.eigh(Y)
    top = vecs[:, -1]
    assert (top @ x) ** 2 / n == pytest.approx(1 - 1 / snr, abs=0.05)


@pytest.mark.parametrize(
    ("prior", "snr", "init"),
    [
        (priors.Rademacher(), 2.0, "uninformed"),
        (priors.GaussBernoulli(rho=0.3), 2.5, "uninformed"),
        (priors.SparseRademacher(rho=0.05), 0.9, "informed"),  # the metastable high branch
        (priors.SparseRademacher(rho=0.05), 0.9, "uninformed"),  # the hard phase: stuck at 0
    ],
    ids=["rademacher", "gauss-bernoulli", "sparse-informed", "sparse-hard"],
)
def test_amp_agrees_with_state_evolution(prior, snr, init):
    n, runs = 2000, 6
    ens = spiked.amp_ensemble(prior=prior, snr=[snr], n=n, runs=runs, iterations=300, seed=11,
                              init=init)
    c = spiked.curve(prior=prior, snr=[snr])
    branch = c.informed if init == "informed" else c.uninformed
    expected = branch.overlap[0]
    # statistical error of the mean plus the O(1/sqrt(N)) finite-size overlap by chance
    tolerance = 4 * ens.overlap_sem[0] + 1.5 / np.sqrt(n)
    assert abs(ens.overlap_mean[0] - expected) < tolerance
    assert abs(ens.mmse_mean[0] - (1 - expected**2)) < 2 * tolerance + 0.02


def test_amp_trajectory_follows_state_evolution():
    run = spiked.simulate_amp(prior=priors.Rademacher(), snr=1.8, n=3000, iterations=300, seed=5)
    assert run.converged
    # after the first steps both have reached the same fixed point region
    assert abs(run.overlap[-1] - run.state_evolution[-1]) < 0.05
    assert run.overlap.shape == run.state_evolution.shape


def test_amp_refuses_huge_sizes():
    with pytest.raises(ValueError, match="n must"):
        spiked.simulate_amp(prior=priors.Rademacher(), snr=2.0, n=10**6)
