#!/usr/bin/env python3
"""Writes bntscores_n{3,7,20,32,44}.csv: the opexebo/BNT expanding-annulus grid score of the
golden maps (dmscores_n{3,7,20,44}.npy, gridscore_synthetic_ratemaps.npy), the
truth TestGridScoreBNTGolden compares MethodBNT with. See bntscores_README.md.

Written from opexebo 0.7's description (ecosystem.md §4.2; analysis/autocorrelation.py and
analysis/grid_score.py), not from its code:
  - the autocorrelogram is spec §5.2's (NaN -> 0, Pearson r of the overlap at every lag,
    0/0 -> 0), which is what opexebo's normxcorr2_general computes, cropped to its centre
    square of side round(1.8 n), made odd;
  - the central field is the 4-connected region of positive values around the centre, with
    radius floor(sqrt(area/pi)) (the project's documented stand-in for opexebo's place-field
    detector; everything after it is opexebo's);
  - radii = linspace(max(3, c+1), floor(side/2), floor(side/2) - c).astype(int); annulus =
    {c < rho < r}, rho measured on 1-based indices from ceil(side/2), as opexebo does;
  - skimage.transform.rotate (bilinear, zero fill), scipy.stats.pearsonr per annulus and
    angle; score60 = max of the sliding means of 3 consecutive radii of
    min(r60, r120) - max(r30, r90, r150); score90 the same with r90 - (r45 + r135)/2 (the
    project's extension).

Needs numpy, scipy and scikit-image (Debian: python3-numpy python3-scipy python3-skimage).
Run from this directory: python3 bntscores.py
"""
import csv
import math

import numpy as np
from scipy import ndimage, signal
from scipy.stats import pearsonr
from skimage import transform


def sac(rm):
    """Spec §5.2's spatial autocorrelogram of an n×n map, (2n-1)×(2n-1), or None where a lag
    overflows (rates so small that their squares underflow: the project scores NaN there)."""
    r = np.nan_to_num(rm)
    ones = np.ones_like(r)
    c = lambda a, b: signal.correlate2d(a, b, mode="full")
    n = c(ones, ones)
    s1, s2 = c(ones, r), c(r, ones)
    s11, s22 = c(ones, r * r), c(r * r, ones)
    s12 = c(r, r)
    with np.errstate(invalid="ignore", divide="ignore"):
        std1 = np.sqrt(s11 / n - (s1 / n) ** 2)
        std2 = np.sqrt(s22 / n - (s2 / n) ** 2)
        out = (s12 / n - s1 * s2 / n**2) / (std1 * std2)
    if np.isinf(out).any():
        return None
    return np.nan_to_num(out, nan=0.0)


def crop(ac, n):
    side = round(1.8 * n)
    if side % 2 == 0:
        side -= 1
    off = (ac.shape[0] - side) // 2
    return ac[off:off + side, off:off + side]


def central_radius(a):
    m = a.shape[0]
    c = (m - 1) // 2
    if not a[c, c] > 0:
        return 0
    lab, _ = ndimage.label(a > 0)  # default structure: 4-connected
    return int(math.floor(math.sqrt((lab == lab[c, c]).sum() / math.pi)))


def sliding(g):
    steps = max(len(g) - 3, 1)
    if steps == 1:
        return float(np.mean(g))
    return max(float(np.nanmean(g[i:i + 3])) for i in range(steps))


def bnt(rm, n):
    ac = sac(rm)
    if ac is None:
        return math.nan, math.nan
    ac = crop(ac, n)
    ac = ac / ac.max()
    cf = central_radius(ac)
    outer = ac.shape[0] // 2
    if cf == 0 or outer - cf < 1:
        return math.nan, math.nan
    radii = np.linspace(max(3, cf + 1), outer, outer - cf).astype(int)
    rot = {a: transform.rotate(ac, a, preserve_range=True, clip=False) for a in (30, 45, 60, 90, 120, 135, 150)}
    idx = np.arange(ac.shape[0]) + 1
    rr, cc = np.meshgrid(idx, idx)
    half = math.ceil(ac.shape[0] / 2)
    rho = np.sqrt((rr - half) ** 2 + (cc - half) ** 2)
    g60, g90 = [], []
    for r in radii:
        mask = (rho > cf) & (rho < r)
        p = {a: pearsonr(ac[mask], rot[a][mask])[0] for a in rot}
        g60.append(min(p[60], p[120]) - max(p[30], p[90], p[150]))
        g90.append(p[90] - (p[45] + p[135]) / 2)
    return sliding(np.array(g60)), sliding(np.array(g90))


def main():
    for n, maps in ((3, "dmscores_n3.npy"), (7, "dmscores_n7.npy"), (20, "dmscores_n20.npy"),
                    (32, "gridscore_synthetic_ratemaps.npy"), (44, "dmscores_n44.npy")):
        a = np.load(maps)
        assert a.shape[1:] == (n, n), a.shape
        with open(f"bntscores_n{n}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["index", "score60", "score90"])
            for i, rm in enumerate(a):
                s60, s90 = bnt(rm, n)
                w.writerow([i, repr(s60), repr(s90)])


if __name__ == "__main__":
    main()
