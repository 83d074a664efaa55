# sorscher_reference.py computes the reference statistics of the spec §1.1 random walk
# that sim's tests compare the Go generator against. It is our own NumPy implementation
# of the algorithm as the spec writes it (after SOR trajectory_generator.py
# generate_trajectory/avoid_wall), independent of the Go code. Run once, from this
# directory, with Debian's python3-numpy 1.24.2:
#
#	/usr/bin/python3 sorscher_reference.py > sorscher_reference.json
#
# Statistics are taken over the aligned outputs (spec §1.1 step 6) exactly as
# sorscher_test.go takes them: B=20000 trajectories per batch, T=20, 50 batches, seed 1.
import json
import numpy as np

W = H = 2.2
DT = 0.02
SIGMA = 5.76 * 2
B_SCALE = 0.13 * 2 * np.pi
BORDER = 0.03
T = 20
BATCH = 20000
NBATCH = 50
NBINS = 22  # 10 cm occupancy bins over the box

rng = np.random.default_rng(1)


def avoid_wall(pos, hd):
    x, y = pos[:, 0], pos[:, 1]
    dists = np.stack([W / 2 - x, H / 2 - y, W / 2 + x, H / 2 + y])
    d_wall = dists.min(axis=0)
    theta = (np.arange(4) * np.pi / 2)[dists.argmin(axis=0)]
    a = np.mod(np.mod(hd, 2 * np.pi) - theta + np.pi, 2 * np.pi) - np.pi
    near = (d_wall < BORDER) & (np.abs(a) < np.pi / 2)
    turn = np.zeros_like(hd)
    turn[near] = np.sign(a[near]) * (np.pi / 2 - np.abs(a[near]))
    return near, turn


def batch():
    P = np.zeros((BATCH, T + 2, 2))
    Hd = np.zeros((BATCH, T + 2))
    P[:, 0, 0] = rng.uniform(-W / 2, W / 2, BATCH)
    P[:, 0, 1] = rng.uniform(-H / 2, H / 2, BATCH)
    Hd[:, 0] = rng.uniform(0, 2 * np.pi, BATCH)
    ell = np.zeros((BATCH, T + 2))
    w = rng.normal(0, SIGMA, (BATCH, T + 1))
    v_all = rng.rayleigh(B_SCALE, (BATCH, T + 1))
    for t in range(T + 1):
        v = v_all[:, t].copy()
        near, turn = avoid_wall(P[:, t], Hd[:, t])
        v[near] *= 0.25
        turn = turn + DT * w[:, t]
        ell[:, t] = v * DT
        P[:, t + 1] = P[:, t] + ell[:, t, None] * np.stack([np.cos(Hd[:, t]), np.sin(Hd[:, t])], -1)
        Hd[:, t + 1] = Hd[:, t] + turn
    Hd = np.mod(Hd + np.pi, 2 * np.pi) - np.pi
    p0 = P[:, 1]
    u = ell[:, 1:-1, None] * np.stack([np.cos(Hd[:, 1:-1]), np.sin(Hd[:, 1:-1])], -1)
    target = P[:, 2:]
    heading = Hd[:, 1:-1]
    return p0, u, target, heading


def wall_dist(p):
    return np.minimum.reduce([W / 2 - p[..., 0], H / 2 - p[..., 1], W / 2 + p[..., 0], H / 2 + p[..., 1]])


steps = 0
sum_len = 0.0
band = 0
outside = 0
occ = np.zeros((NBINS, NBINS), dtype=np.int64)
turns = []
for _ in range(NBATCH):
    p0, u, target, heading = batch()
    steps += u.shape[0] * u.shape[1]
    sum_len += np.linalg.norm(u, axis=-1).sum()
    d = wall_dist(target)
    band += int((d < BORDER).sum())
    outside += int((d < 0).sum())
    inside = d >= 0
    ix = np.floor((target[..., 0][inside] + W / 2) / W * NBINS).astype(int).clip(0, NBINS - 1)
    iy = np.floor((target[..., 1][inside] + H / 2) / H * NBINS).astype(int).clip(0, NBINS - 1)
    np.add.at(occ, (ix, iy), 1)
    # Turn i (heading i minus heading i-1, i >= 1) used the wall check at P[i]:
    # p0 for i = 1, target i-2 for i >= 2.
    where = np.concatenate([p0[:, None], target[:, :-2]], axis=1)
    dturn = np.mod(heading[:, 1:] - heading[:, :-1] + np.pi, 2 * np.pi) - np.pi
    turns.append(dturn[wall_dist(where) >= BORDER])

turns = np.concatenate(turns)
print(json.dumps({
    "provenance": "sim/testdata/sorscher_reference.py, numpy 1.24.2, default_rng(1), B=20000, T=20, 50 batches",
    "steps": steps,
    "mean_step_length": sum_len / steps,
    "frac_band": band / steps,
    "frac_outside": outside / steps,
    "interior_turn_std": float(turns.std()),
    "interior_turn_count": int(turns.size),
    "occupancy_bins": NBINS,
    "occupancy": occ.tolist(),
}, indent=1))
