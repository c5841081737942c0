"""Synthetic embeddings for the scale benchmarks, and how hard they are to search.

We have a few thousand real passage embeddings, not a million, so the benchmarks grow
real ones into more. Two ways, which differ in how hard approximate search over them is:

- `noisy`: each row a real embedding plus Gaussian noise (sigma 0.05 per dimension),
  renormalised. The noise is as long as the vector itself, so the rows are spread in
  all 384 directions: their local intrinsic dimensionality (`lid`) is about 85, where
  the real ViQA and MLQA embeddings measure 19. Neighbours in such data are
  nearly equidistant, the worst case for a graph index such as HNSW; a stress test.
- `on_manifold`: each row a random convex mix (Dirichlet weights) of a real embedding
  and its ten nearest real neighbours, plus a little noise (sigma 0.004), renormalised.
  The rows stay among real embeddings, and at 1M their local intrinsic dimensionality
  is about 21, close to the real 19, by the choice of sigma (measured with `lid`
  at 1M: 0.003 gives 16, 0.004 gives 21, 0.005 gives 27; 0.004 is the nearest to the
  real value, and on its hard side). Row i is grown from real passage i mod len(base), so a row's
  vector and its replicated text (eval/pgbench.py) are about the same thing.

`lid` is the maximum-likelihood estimate of local intrinsic dimensionality (Levina and
Bickel, 2004) over each point's 20 nearest neighbours, the measure ANN benchmarks use
to rank how hard a dataset is (Aumüller and Ceccarello, 2019).
"""

from __future__ import annotations

import numpy as np

MANIFOLD_NEIGHBOURS = 10
MANIFOLD_SIGMA = 0.004
_STEP = 100_000


def noisy(base: np.ndarray, n: int, seed: int = 0, sigma: float = 0.05) -> np.ndarray:
    """`n` unit vectors: random rows of `base` with Gaussian noise, renormalised."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for at in range(0, n, 2 * _STEP):
        m = min(2 * _STEP, n - at)
        rows = base[rng.integers(0, len(base), m)] + rng.normal(0, sigma, (m, base.shape[1])).astype(
            np.float32
        )
        out[at : at + m] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def on_manifold(
    base: np.ndarray,
    n: int,
    seed: int = 0,
    neighbours: int = MANIFOLD_NEIGHBOURS,
    sigma: float = MANIFOLD_SIGMA,
) -> np.ndarray:
    """`n` unit vectors, row i a convex mix of base[i % len(base)] and its nearest neighbours.

    >>> base = np.eye(4, dtype=np.float32)
    >>> rows = on_manifold(base, 8, neighbours=1, sigma=0.0)
    >>> rows.shape, bool(np.allclose(np.linalg.norm(rows, axis=1), 1))
    ((8, 4), True)
    """
    base = np.asarray(base, np.float32)
    rng = np.random.default_rng(seed)
    near = np.argsort(-(base @ base.T), axis=1, kind="stable")[:, : neighbours + 1]
    near[:, 0] = np.arange(len(base))  # the anchor itself, whatever ties say
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for at in range(0, n, _STEP):
        m = min(_STEP, n - at)
        anchors = np.arange(at, at + m) % len(base)
        weights = rng.dirichlet(np.ones(neighbours + 1), m).astype(np.float32)
        rows = np.einsum("mk,mkd->md", weights, base[near[anchors]])
        rows += rng.normal(0, sigma, rows.shape).astype(np.float32)
        out[at : at + m] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def lid(vectors: np.ndarray, sample: int = 200, k: int = 20, seed: int = 1) -> float:
    """Median local intrinsic dimensionality of `sample` rows of unit `vectors` (MLE, k neighbours).

    >>> rng = np.random.default_rng(0)
    >>> flat = np.zeros((4000, 64), np.float32); flat[:, :2] = rng.normal(size=(4000, 2))
    >>> flat[:, 2] = 10; flat /= np.linalg.norm(flat, axis=1, keepdims=True)
    >>> round(lid(flat)) <= 3
    True
    """
    vectors = np.asarray(vectors, np.float32)
    rng = np.random.default_rng(seed)
    points = vectors[rng.choice(len(vectors), min(sample, len(vectors)), replace=False)]
    nearest = np.full((len(points), k + 1), -np.inf, np.float32)  # the point itself comes first
    for at in range(0, len(vectors), _STEP):
        sims = np.concatenate([nearest, points @ vectors[at : at + _STEP].T], axis=1)
        nearest = -np.sort(-np.partition(sims, sims.shape[1] - k - 1, axis=1)[:, -k - 1 :], axis=1)
    dist = np.sqrt(np.maximum(2 - 2 * nearest[:, 1:], 1e-12))
    estimates = -1 / np.mean(np.log(dist[:, :-1] / dist[:, -1:]), axis=1)
    return round(float(np.median(estimates)), 1)
