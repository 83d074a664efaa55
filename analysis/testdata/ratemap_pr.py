#!/usr/bin/env python3
"""Writes ratemap_pr.csv and gaussian_filter_n20.npy, the truth TestRateMapParticipationRatioNFL
and TestGaussianFilter compare with (see ratemap_pr_README.md).

NFL's rate-map participation ratio (analyze.py compute_rate_maps_participation_ratio_from_joblib_files_data,
spec §5.7), written from its description, not its code: empty bins (NaN) become 0, each map
is smoothed with scipy.ndimage.gaussian_filter(sigma) (mode 'reflect', truncate 4), the maps
are reshaped to units × bins, and skdim's lPCA 'participation_ratio' is (Σλ)²/Σλ² of the
eigenvalues of sklearn PCA on that matrix: units are the samples, each bin is centred across
units. Here the eigenvalues come from numpy (the squared singular values of the centred
matrix), which is what PCA computes.

Needs numpy and scipy (Debian: python3-numpy python3-scipy). Run from this directory.
"""
import csv

import numpy as np
from scipy import ndimage


def pr(maps, sigma):
    m = np.nan_to_num(maps.astype(np.float64))
    m = np.stack([ndimage.gaussian_filter(x, sigma=sigma) for x in m])
    x = m.reshape(m.shape[0], -1)
    x = x - x.mean(axis=0)
    s = np.linalg.svd(x, compute_uv=False)
    lam = s**2
    return lam.sum() ** 2 / (lam**2).sum()


def main():
    sets = {
        "dmscores_n20": np.load("dmscores_n20.npy"),
        "dmscores_n44": np.load("dmscores_n44.npy"),
        "gridscore_synthetic": np.load("gridscore_synthetic_ratemaps.npy"),
    }
    with open("ratemap_pr.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["maps", "sigma", "pr"])
        for name, maps in sets.items():
            for sigma in (0.0, 1.0, 2.0):
                w.writerow([name, sigma, repr(float(pr(maps, sigma)))])
    a = np.nan_to_num(np.load("dmscores_n20.npy"))
    np.save("gaussian_filter_n20.npy", np.stack([ndimage.gaussian_filter(x, sigma=2.0) for x in a]))


if __name__ == "__main__":
    main()
