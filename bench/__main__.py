"""`make bench`: prints one JSON object per line with what was measured.

Solver timings (theory, in-process); in headless Chromium against a served app, the time from
a key press on every plot-changing slider of every explorer to the new plotted data, next to
a plain-Bokeh "floor" app measured in the same run (``bench.sliders``); and a class of 12
opening the page at once while a student already in moves a slider (``bench.wave``).
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np

from theory import channels, diffusion, erm, glm, online, priors, spiked

from . import sliders, wave

PRIORS = {
    "gaussian": priors.Gaussian(),
    "rademacher": priors.Rademacher(),
    "sparse_rademacher(0.05)": priors.SparseRademacher(rho=0.05),
    "gauss_bernoulli(0.05)": priors.GaussBernoulli(rho=0.05),
}


def emit(**record):
    print(json.dumps(record), flush=True)


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def clear_caches():
    spiked._g_table.cache_clear()
    spiked.thresholds.cache_clear()


def bench_solvers():
    snr = np.linspace(0.05, 3.0, 200)
    for name, prior in PRIORS.items():
        def cold(prior=prior):
            clear_caches()
            spiked.curve(prior=prior, snr=snr)

        cold_times = timed(cold, 5)
        spiked.curve(prior=prior, snr=snr)
        warm_times = timed(lambda prior=prior: spiked.curve(prior=prior, snr=snr + 1e-9), 10)
        emit(bench="curve_200_points", prior=name, cold_ms=1e3 * statistics.median(cold_times),
             warm_ms=1e3 * statistics.median(warm_times), target_ms=30,
             note="cold: with the g-table built; warm: table cached, new snr values")

        def thresholds(prior=prior):
            clear_caches()
            spiked.thresholds(prior=prior)

        times = timed(thresholds, 5)
        emit(bench="thresholds", prior=name, median_ms=1e3 * statistics.median(times),
             max_ms=1e3 * max(times), target_ms=200)
    clear_caches()
    t0 = time.perf_counter()
    spiked.phase_diagram(family="sparse_rademacher", rho=np.geomspace(0.01, 1, 40) * (1 - 1e-9))
    emit(bench="phase_diagram_40_rho", family="sparse_rademacher",
         seconds=time.perf_counter() - t0)
    times = timed(lambda: spiked.simulate_amp(prior=priors.Rademacher(), snr=1.5, n=2000,
                                               iterations=60, seed=1), 3)
    emit(bench="amp_run", n=2000, iterations=60, median_s=statistics.median(times))
    bench_glm()
    bench_online()
    bench_diffusion()


GLM_TASKS = {
    "binary_perceptron": (priors.Rademacher(), channels.Sign()),
    "gaussian_perceptron": (priors.Gaussian(), channels.Sign()),
    "phase_retrieval": (priors.Gaussian(), channels.Abs()),
    "compressed_sensing(0.3)": (priors.GaussBernoulli(rho=0.3), channels.Linear()),
    "ridge_teacher(0.25)": (priors.Gaussian(), channels.Linear(noise=0.25)),
}


def bench_glm():
    t0 = time.perf_counter()
    channels._abs_tables()
    emit(bench="phase_retrieval_tables", seconds=time.perf_counter() - t0,
         note="one-off per process (2-d quadrature of F(s), D(s)); prefetched at start-up")
    alpha = np.linspace(0.05, 3.0, 200)
    for name, (prior, channel) in GLM_TASKS.items():
        def cold(prior=prior, channel=channel):
            glm._table.cache_clear()
            glm.curve(prior=prior, channel=channel, alpha=alpha)

        cold_times = timed(cold, 3)
        warm_times = timed(lambda p=prior, c=channel: glm.curve(prior=p, channel=c,
                                                                 alpha=alpha + 1e-9), 5)

        def thresholds(prior=prior, channel=channel):
            glm._table.cache_clear()
            glm.thresholds.cache_clear()
            glm.thresholds(prior=prior, channel=channel)

        thr = timed(thresholds, 3)
        emit(bench="glm_bayes_curve_200_points", task=name,
             cold_ms=1e3 * statistics.median(cold_times),
             warm_ms=1e3 * statistics.median(warm_times), target_ms=50,
             thresholds_ms=1e3 * statistics.median(thr), thresholds_target_ms=300)
    times = timed(lambda: erm.ridge_curve(alpha=alpha, lam=0.01, noise=0.25), 20)
    emit(bench="erm_curve_200_points", estimator="ridge", median_ms=1e3 * statistics.median(times),
         target_ms=50)
    times = timed(lambda: erm.random_features_curve(alpha=alpha, psi=2.0, lam=1e-3, noise=0.1),
                  5)
    emit(bench="erm_curve_200_points", estimator="random features (psi=2)",
         median_ms=1e3 * statistics.median(times), target_ms=50)
    for lam in (1.0, 0.1, 0.01):
        times = timed(lambda lam=lam: erm.logistic_curve(alpha=alpha, lam=lam), 3)
        emit(bench="erm_curve_200_points", estimator=f"logistic (lam={lam:g})",
             median_ms=1e3 * statistics.median(times), target_ms=50,
             note="the view computes its 120 points off the event loop")
    times = timed(lambda: glm.simulate_gamp(prior=priors.Rademacher(), channel=channels.Sign(),
                                             alpha=1.0, n=1000, seed=1, iterations=300), 3)
    emit(bench="gamp_run", task="binary_perceptron", n=1000, alpha=1.0,
         median_s=statistics.median(times))


def bench_online():
    Q0, R0, T = online.random_init(K=4, M=4, N=1000, init_scale=1e-3, seed=1)
    alphas = np.concatenate([[0.0], np.geomspace(0.01, 1000.0, 299)])

    def ode():
        return online.integrate(Q0=Q0, R0=R0, T=T, lr=1.0, alphas=alphas)

    cold = timed(ode, 1)  # includes loading the compiled kernels in this process
    warm = timed(ode, 5)
    traj = ode()
    emit(bench="online_ode", K=4, M=4, alpha_max=1000, points=alphas.size,
         first_call_ms=1e3 * cold[0], median_ms=1e3 * statistics.median(warm), target_ms=100,
         specialisation_alpha=online.specialization_time(traj), converged=traj.converged)
    Q0, R0, T = online.random_init(K=2, M=2, N=1000, init_scale=1e-3, seed=0)
    lrs = np.linspace(5 / 36, 5, 36)
    sweep = timed(lambda: online.lr_sweep(Q0=Q0, R0=R0, T=T, lrs=lrs, alpha=500.0), 3)
    emit(bench="online_lr_sweep", K=2, M=2, rates=lrs.size, alpha_max=500,
         median_ms=1e3 * statistics.median(sweep), note="computed off the event loop")
    for n in (100, 1000, 5000):
        steps_alpha = 20.0 if n < 5000 else 5.0
        sim = timed(lambda n=n, a=steps_alpha: online.simulate_sgd(
            K=2, M=2, N=n, lr=1.0, alphas=np.array([a]), seed=0), 2)
        steps = steps_alpha * n
        emit(bench="sgd_throughput", K=2, M=2, N=n, steps=int(steps),
             steps_per_second=steps / statistics.median(sim))


def bench_diffusion():
    rng = np.random.default_rng(0)
    cov = np.cov(rng.standard_normal((2000, 64)).T)
    log_n_over_d = np.linspace(0.01, 1.0, 200)

    def formulas():
        diffusion.speciation_time(covariance=cov)
        diffusion.collapse_time(n=np.exp(64 * log_n_over_d), d=64, variance=1.0)

    times = timed(formulas, 20)
    emit(bench="diffusion_formulas", what="t_S of a 64x64 covariance + t_C on 200 points",
         median_ms=1e3 * statistics.median(times), target_ms=20)
    m = diffusion.gaussian_mixture(d=64, n=2000, separation=3.0, seed=0)
    times = timed(lambda: diffusion.simulate_backward(data=m.points, labels=m.labels,
                                                      n_samples=500, steps=200, t_max=5.0), 2)
    emit(bench="diffusion_backward", n=2000, d=64, samples=500, steps=200, score="empirical",
         median_s=statistics.median(times), target_s=2.0)
    for features in (1024, 2048):
        window = None

        def train(features=features):
            nonlocal window
            window = diffusion.training_window(n_values=[32, 64, 128, 256, 512],
                                               features=features)

        times = timed(train, 1)
        emit(bench="diffusion_training_window", features=features, n=[32, 64, 128, 256, 512],
             d=16, seconds=times[0], exponent_tau_mem=round(window.exponent, 3),
             tau_gen_range=[round(float(x), 4) for x in (window.generalization_time.min(),
                                                         window.generalization_time.max())])


def main():
    bench_solvers()
    if "--no-browser" not in sys.argv:
        sliders.run()  # every plot-changing slider against the plain-Bokeh floor
        # a class arriving at once, with a student already in the page: as `make run` serves
        # (page pool of 12), then with every page built on request
        wave.run()
        wave.run(pool=0)


if __name__ == "__main__":
    main()
