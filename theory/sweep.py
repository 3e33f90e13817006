"""Heavy parameter sweeps on Dask, with a versioned on-disk cache the explorers read.

Grids of independent solves (a phase diagram at high resolution: one threshold computation per
sparsity; AMP ensembles over signal-to-noise ratios, sizes and seeds) are mapped over a
``dask.distributed`` cluster: a local one by default, an existing one when
``LEARNING_PHASES_SCHEDULER`` (or ``scheduler=``) gives its address. Each finished sweep is
written to ``LEARNING_PHASES_CACHE`` (default ``~/.cache/learning-phases``) under a
version number that changes whenever a solver's results would, so a result is computed once
and read back instantly afterwards.

    python -m theory.sweep spiked-phase --family gauss_bernoulli --points 200
    python -m theory.sweep amp --prior rademacher --snr 0.8 1.0 1.2 --n 500 1000 --seeds 8

Files are ``.npz`` written atomically and read with ``allow_pickle=False``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import priors, spiked
from ._result import Result, from_flags, statuses

__all__ = ["CACHE_ENV", "CACHE_VERSION", "SCHEDULER_ENV", "AmpSweep", "amp_sweep", "cache_root",
           "finest_cached_phase_diagram", "get_client", "main", "phase_diagram"]

#: bump when a cached solver's output changes: older files are then ignored
CACHE_VERSION = 1
SCHEDULER_ENV = "LEARNING_PHASES_SCHEDULER"
CACHE_ENV = "LEARNING_PHASES_CACHE"
MAX_POINTS = 400  # the phase diagram's own limit
MAX_AMP_JOBS = 20_000


def cache_root(cache: str | os.PathLike | None = None) -> Path:
    """The versioned cache folder (created on first write)."""
    base = cache or os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "learning-phases"
    return Path(base) / f"v{CACHE_VERSION}"


def _path(kind: str, params: dict, cache) -> Path:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:20]
    return cache_root(cache) / f"{kind}-{digest}.npz"


def _save(path: Path, arrays: dict, params: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
    os.close(fd)
    try:
        np.savez(tmp, params=np.array(json.dumps(params, sort_keys=True)), **arrays)
        os.replace(tmp, path)  # readers never see half a file
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _load(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (OSError, ValueError):
        return None  # a damaged file is recomputed, never trusted


def get_client(scheduler: str | None = None):
    """A dask.distributed Client: to ``scheduler`` (or $LEARNING_PHASES_SCHEDULER) when
    given, else to a new local cluster with one single-threaded worker process per core."""
    from dask.distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        return Client(address)
    workers = max(1, min(os.cpu_count() or 1, 8))
    return Client(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None))


def _map(function, *iterables, client=None, scheduler=None):
    """``function`` over the iterables on the cluster (``client``, else one made for
    ``scheduler`` and closed afterwards), results in order."""
    own = client is None
    client = get_client(scheduler) if own else client
    try:
        return client.gather(client.map(function, *iterables, pure=False))
    finally:
        if own:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()


# ---------------------------------------------------------------------------------------
# Spiked Wigner phase diagrams
# ---------------------------------------------------------------------------------------
PHASE_FIELDS = ("weak_recovery", "dynamic", "information_theoretic", "algorithmic",
                "first_order", "converged", "status")


def _thresholds_row(family: str, rho: float) -> tuple:
    t = spiked.thresholds(prior=spiked.SPARSE_FAMILIES[family](rho=rho))
    return tuple(str(t.status) if name == "status" else getattr(t, name)
                 for name in PHASE_FIELDS)


def _diagram(family: str, stored: dict) -> spiked.PhaseDiagram:
    # files written before statuses existed hold only the converged flags
    status = (statuses(stored["status"]) if "status" in stored
              else from_flags(np.asarray(stored["converged"], dtype=bool)))
    lines = ("weak_recovery", "dynamic", "information_theoretic", "algorithmic")
    return spiked.PhaseDiagram(
        family=family, rho=np.asarray(stored["rho"], dtype=float),
        first_order=np.asarray(stored["first_order"], dtype=bool), status=status,
        **{name: np.asarray(stored[name], dtype=float) for name in lines})


def _phase_params(family: str, rho) -> dict:
    return {"family": family, "rho": [float(r) for r in rho]}


def phase_diagram(*, family: str, points: int | None = None, rho=None, client=None,
                  scheduler=None, cache=None) -> spiked.PhaseDiagram:
    """``spiked.phase_diagram`` computed one sparsity per task on the cluster (``points``
    log-spaced values on [0.01, 1], or the given ``rho``), read from the cache when done
    before and written to it otherwise."""
    if family not in spiked.SPARSE_FAMILIES:
        raise ValueError(f"family must be one of {sorted(spiked.SPARSE_FAMILIES)}")
    if (points is None) == (rho is None):
        raise ValueError("give exactly one of points= or rho=")
    if rho is None:
        if int(points) != points or not 2 <= points <= MAX_POINTS:
            raise ValueError(f"points must be an integer in [2, {MAX_POINTS}]")
        rho = np.geomspace(0.01, 1.0, int(points))
    rho = np.asarray(rho, dtype=float)
    if rho.ndim != 1 or not 1 <= rho.size <= MAX_POINTS or not np.all(
            np.isfinite(rho) & (rho > 0) & (rho <= 1)):
        raise ValueError(f"rho must hold 1 to {MAX_POINTS} values in (0, 1]")
    params = _phase_params(family, rho)
    path = _path("spiked-phase", params, cache)
    stored = _load(path)
    if stored is None:
        rows = _map(_thresholds_row, [family] * rho.size, rho.tolist(), client=client,
                    scheduler=scheduler)
        columns = {name: np.array([row[i] for row in rows])
                   for i, name in enumerate(PHASE_FIELDS)}
        _save(path, {"rho": rho, **columns}, params)
        stored = {"rho": rho, **columns}
    return _diagram(family, stored)


def finest_cached_phase_diagram(family: str, cache=None) -> spiked.PhaseDiagram | None:
    """The cached phase diagram of ``family`` with the most points, or None: what the
    explorer shows instead of computing its own coarser one."""
    root = cache_root(cache)
    best = None
    for path in root.glob("spiked-phase-*.npz") if root.is_dir() else ():
        stored = _load(path)
        if stored is None or json.loads(str(stored["params"]))["family"] != family:
            continue
        if best is None or stored["rho"].size > best["rho"].size:
            best = stored
    if best is None:
        return None
    return _diagram(family, best)


# ---------------------------------------------------------------------------------------
# AMP ensembles over signal-to-noise ratios, sizes and seeds
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AmpSweep(Result):
    """Final overlaps of AMP runs: ``overlap[i, j, k]`` at snr[i], size n[j], seed k (the
    seed of one run is ``seed + k``), with ``status`` (and ``converged``) alike."""

    prior: str
    rho: float
    snr: np.ndarray
    n: np.ndarray
    seeds: int
    overlap: np.ndarray
    status: np.ndarray


def _amp_final(prior_key: str, rho: float, snr: float, n: int, seed: int,
               iterations: int) -> tuple[float, str]:
    run = spiked.simulate_amp(prior=priors.make_prior(prior_key, rho), snr=snr, n=n,
                              iterations=iterations, seed=seed)
    return float(run.overlap[-1]), str(run.status)


def amp_sweep(*, prior: str, rho: float = 1.0, snr, n, seeds: int = 4, seed: int = 0,
              iterations: int = 200, client=None, scheduler=None, cache=None) -> AmpSweep:
    """``spiked.simulate_amp`` for every (snr, n, seed) on the cluster, cached."""
    priors.make_prior(prior, rho)  # refuses an unknown prior or a bad rho
    snr = np.atleast_1d(np.asarray(snr, dtype=float))
    sizes = np.atleast_1d(np.asarray(n, dtype=int))
    if int(seeds) != seeds or not 1 <= seeds <= 1000:
        raise ValueError("seeds must be an integer in [1, 1000]")
    if np.any(sizes < 10) or np.any(sizes > spiked.MAX_AMP_N):
        raise ValueError(f"n must lie in [10, {spiked.MAX_AMP_N}]")
    if snr.size * sizes.size * seeds > MAX_AMP_JOBS:
        raise ValueError(f"at most {MAX_AMP_JOBS} runs per sweep")
    params = {"prior": prior, "rho": float(rho), "snr": snr.tolist(), "n": sizes.tolist(),
              "seeds": int(seeds), "seed": int(seed), "iterations": int(iterations)}
    path = _path("amp", params, cache)
    stored = _load(path)
    if stored is None:
        grid = [(float(s), int(m), seed + k) for s in snr for m in sizes for k in range(seeds)]
        results = _map(_amp_final, *zip(*[(prior, float(rho), s, m, k, int(iterations))
                                          for s, m, k in grid], strict=True), client=client,
                       scheduler=scheduler)
        shape = (snr.size, sizes.size, int(seeds))
        status = statuses([r[1] for r in results]).reshape(shape)
        stored = {"overlap": np.array([r[0] for r in results]).reshape(shape),
                  "converged": status == "converged", "status": status}
        _save(path, stored, params)
    # files written before statuses existed hold only the converged flags
    status = (statuses(stored["status"]) if "status" in stored
              else from_flags(np.asarray(stored["converged"], dtype=bool)))
    return AmpSweep(prior=prior, rho=float(rho), snr=snr, n=sizes, seeds=int(seeds),
                    overlap=np.asarray(stored["overlap"], dtype=float), status=status)


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m theory.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scheduler", help=f"Dask scheduler address (default: ${SCHEDULER_ENV}"
                        ", else a local cluster)")
    parser.add_argument("--cache", help=f"cache folder (default: ${CACHE_ENV}, else "
                        "~/.cache/learning-phases)")
    kinds = parser.add_subparsers(dest="kind", required=True)
    phase = kinds.add_parser("spiked-phase", help="spiked Wigner phase diagram over rho")
    phase.add_argument("--family", required=True, choices=sorted(spiked.SPARSE_FAMILIES))
    phase.add_argument("--points", type=int, default=200)
    amp = kinds.add_parser("amp", help="AMP final overlaps over snr x n x seeds")
    amp.add_argument("--prior", required=True, choices=sorted(priors.PRIORS))
    amp.add_argument("--rho", type=float, default=1.0)
    amp.add_argument("--snr", type=float, nargs="+", required=True)
    amp.add_argument("--n", type=int, nargs="+", required=True)
    amp.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args(argv)
    # a cluster starts only when something is not cached yet
    if args.kind == "spiked-phase":
        diagram = phase_diagram(family=args.family, points=args.points,
                                scheduler=args.scheduler, cache=args.cache)
        summary = {"kind": args.kind, "family": args.family, "points": int(diagram.rho.size),
                   "converged": int(diagram.converged.sum()),
                   "first_order": int(diagram.first_order.sum())}
    else:
        result = amp_sweep(prior=args.prior, rho=args.rho, snr=args.snr, n=args.n,
                           seeds=args.seeds, scheduler=args.scheduler, cache=args.cache)
        summary = {"kind": args.kind, "snr": result.snr.tolist(), "n": result.n.tolist(),
                   "mean_overlap": result.overlap.mean(axis=2).round(4).tolist()}
    summary["cache"] = str(cache_root(args.cache))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
