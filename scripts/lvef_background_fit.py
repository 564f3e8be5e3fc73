#!/usr/bin/env python3
"""A model-based estimate of the background under the LV of a gated blood-pool study, measured against the simulator's
truth (issue 18, docs/lvef.md "Session 13"). A research tool: the analysis (`scinti analyze lvef`) does not use it.

Usage: scripts/lvef_background_fit.py SCINTI [--order 1|2] [--shell none|free|FRACTION] [--scatter none|tew] PATIENT_DIR...
       (folders of `scinti simulate trial --mode gated`; needs numpy, scipy, pydicom)

Model, fitted by least squares to the end-diastolic (ED) and end-systolic (ES) photopeak frames together (ED/ES frames
from `scinti analyze lvef --json`), over a window around the LV (the ED − ES difference image's LV component + 6 px),
leaving out the other beating structures (RV, atria: |ED − ES| ≥ 15 % of its maximum outside the LV):
    counts_t(x, y) = S(x, y) + K * [A_t · chord(x, y; ellipse_t)]                      t = ED, ES
where chord = sqrt(1 − r²) over an ellipse (the parallel projection of a uniform ellipsoid: the simulator's LV cavity
and, roughly, a patient's), each frame with its own ellipse (centre, semi-axes, angle) and amplitude; K a Gaussian
blur (σ fitted, shared) — with `--scatter tew` plus the two scatter kernels of the simulator (σ 12 and 45 mm, half
each) at the study's scatter fraction (triple-energy-window estimate over the whole image ÷ photopeak counts); S the
static background: a plane (`--order 1`) or a quadratic surface (`--order 2`, default), with `--shell` the LV's
myocardium as the projected ellipsoid 10 mm outside the ED cavity (`free`: its amplitude fitted; a number: the wall's
concentration as that fraction of the blood's).
The background per pixel is S (with the shell) averaged over the LV region (here the difference image's LV component
dilated by 2 px; the analysis' own region is not in its JSON). Printed per patient: the true background under the LV
(least-squares R_t = a·L_t + B over the fixed ED region, as `scripts/lvef_background.py`), the analysis' coldest-sector
background and the fit's, each ÷ the truth, and the LVEF errors the variable and the fixed region give with the
fit's background; the fitted LV's own LVEF (1 − Σ ES model ÷ Σ ED model) for information.
Tuning seeds only: on validation seeds it explains, it does not tune."""
import json, os, subprocess, sys
import numpy as np
import pydicom
from scipy import ndimage, optimize

SS = 3        # supersampling of the chord profile per pixel
EDGE = 24     # pixels rendered outside the fit window (so that the blur and scatter tails come in from outside)
WALL_MM = 10  # LV wall thickness at end diastole (the simulator's; 8–11 mm in adults)


def photopeak(path):
    """The photopeak time slots (energy window 1) and the whole-image TEW scatter fraction."""
    ds = pydicom.dcmread(path)
    a = ds.pixel_array.astype(float)
    win = np.array(ds.EnergyWindowVector)
    peak = a[win == 1]
    sf = 0.0
    if (win == 2).any() and (win == 3).any():
        width = [float(w.EnergyWindowRangeSequence[0].EnergyWindowUpperLimit) - float(w.EnergyWindowRangeSequence[0].EnergyWindowLowerLimit)
                 for w in ds.EnergyWindowInformationSequence]
        sf = (a[win == 2].sum() / width[1] + a[win == 3].sum() / width[2]) / 2 * width[0] / peak.sum()
    return peak, float(ds.PixelSpacing[0]), sf


def lv_component(F, ed, es):
    """The LV on the ED − ES difference image: the right-most (LAO: patient's left) component above 30 % of its maximum."""
    D = ndimage.uniform_filter(F[ed] - F[es], 3)
    lab, n = ndimage.label(D > 0.3 * D.max())
    best = None
    for k in range(1, n + 1):
        m = lab == k
        if m.sum() >= 10 and (best is None or np.nonzero(m)[1].mean() > best[0]):
            best = (np.nonzero(m)[1].mean(), m)
    return best[1], D


def chord(p, shape, y0, x0):
    """A · sqrt(1 − r²) over the ellipse p = (cx, cy, a, b, angle, A), pixel-averaged, on a window at (y0, x0)."""
    cx, cy, a, b, th, A = p
    H, W = shape
    yy, xx = np.mgrid[0:H * SS, 0:W * SS] / SS + (0.5 / SS - 0.5)
    xx = xx + x0 - cx
    yy = yy + y0 - cy
    c, s = np.cos(th), np.sin(th)
    u, v = (c * xx + s * yy) / a, (-s * xx + c * yy) / b
    return A * np.sqrt(np.clip(1 - u * u - v * v, 0, None)).reshape(H, SS, W, SS).mean(axis=(1, 3))


def fit(F, ed, es, mask, D, pixel_mm, order, shell, scatter_fraction, pad=6):
    ys, xs = np.nonzero(mask)
    y0, y1 = max(0, ys.min() - pad), min(F.shape[1] - 1, ys.max() + pad) + 1
    x0, x1 = max(0, xs.min() - pad), min(F.shape[2] - 1, xs.max() + pad) + 1
    ED, ES = F[ed, y0:y1, x0:x1], F[es, y0:y1, x0:x1]
    other = (np.abs(D) > 0.15 * D.max()) & ~ndimage.binary_dilation(mask, iterations=3)
    w = (~ndimage.binary_dilation(other, iterations=2)[y0:y1, x0:x1]).astype(float)
    H, W = ED.shape
    gy, gx = np.mgrid[0:H, 0:W]
    gy, gx = (gy - H / 2) / H, (gx - W / 2) / W
    terms = [np.ones_like(gx), gx, gy] + ([gx * gx, gy * gy, gx * gy] if order == 2 else [])
    wall = WALL_MM / pixel_mm
    s12, s45 = 12 / pixel_mm, 45 / pixel_mm

    def blur(img, sig):
        out = (1 - scatter_fraction) * ndimage.gaussian_filter(img, sig, mode="constant")
        if scatter_fraction > 0:
            out += scatter_fraction / 2 * (ndimage.gaussian_filter(img, np.hypot(sig, s12), mode="constant")
                                           + ndimage.gaussian_filter(img, np.hypot(sig, s45), mode="constant"))
        return out[EDGE:EDGE + H, EDGE:EDGE + W]

    def render(p):
        return chord(p, (H + 2 * EDGE, W + 2 * EDGE), y0 - EDGE, x0 - EDGE)

    def model(q):
        sig, pe, ps, bc = q[0], q[1:7], q[7:13], q[13:13 + len(terms)]
        S = sum(c * t for c, t in zip(bc, terms))
        if shell is not None:
            kappa = q[-1] if shell == "free" else pe[5] * shell / (1 - shell) * (np.sqrt(pe[2] * pe[3]) + wall) / np.sqrt(pe[2] * pe[3])
            S = S + blur(render([pe[0], pe[1], pe[2] + wall, pe[3] + wall, pe[4], kappa]), sig)
        return S, blur(render(pe), sig), blur(render(ps), sig)

    def residual(q):
        S, me, ms = model(q)
        return np.concatenate([((S + me - ED) * w).ravel(), ((S + ms - ES) * w).ravel()]) / np.sqrt(ED.mean())

    cx, cy, r = xs.mean(), ys.mean(), np.sqrt(mask.sum() / np.pi)
    b0 = np.percentile(ED[w > 0], 20)
    A0 = ED.max() - b0
    free = [A0 * 0.2] if shell == "free" else []
    q0 = [1.5, cx, cy, r * 1.1, r * 0.9, 0.0, A0, cx, cy, r * 0.9, r * 0.75, 0.0, A0 * 0.8, b0] + [0.0] * (len(terms) - 1) + free
    lo = [0.3] + [x0, y0, 1, 1, -np.pi, 0] * 2 + [-np.inf] * len(terms) + [0] * len(free)
    hi = [5] + [x1, y1, 40, 40, np.pi, np.inf] * 2 + [np.inf] * len(terms) + [np.inf] * len(free)
    sol = optimize.least_squares(residual, q0, bounds=(lo, hi), x_scale="jac")
    S, me, ms = model(sol.x)
    full = np.zeros(F.shape[1:])
    full[y0:y1, x0:x1] = S
    return full, sol.x[0], 100 * (1 - ms.sum() / me.sum())


def analyse(scinti, d, var_options=()):
    """`scinti analyze lvef --json` on the study with the variable region (plus `var_options`) and the fixed one, the
    truth.json, and the true background per pixel under the LV: the fixed region's counts regressed on the truth's
    expected LV counts over the frames (intercept ÷ the region's pixels)."""
    out = {}
    for name, opts in (("var", list(var_options)), ("fix", ["--fixed-roi"])):
        p = subprocess.run([scinti, "analyze", "lvef", d + "/NM_GATED.dcm", "--json", *opts], capture_output=True, text=True)
        if p.returncode:
            raise SystemExit(f"{d}: {p.stderr.strip()[-300:]}")
        out[name] = json.loads(p.stdout)
    t = json.load(open(d + "/truth.json"))
    L, R = np.array(t["gated"]["lvCountsExpected"], float), np.array(out["fix"]["lvCounts"], float)
    (_, B), *_ = np.linalg.lstsq(np.vstack([L, np.ones_like(L)]).T, R, rcond=None)
    return out, t, B / out["fix"]["lvPixels"][0]


def ef(R, N, b):
    c = R - b * N
    return 100 * (c.max() - c.min()) / c.max()


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    scinti, order, shell, scatter, dirs = args[0], 2, None, "none", []
    i = 1
    while i < len(args):
        if args[i] == "--order": order = int(args[i + 1]); i += 2
        elif args[i] == "--shell": shell = None if args[i + 1] == "none" else ("free" if args[i + 1] == "free" else float(args[i + 1])); i += 2
        elif args[i] == "--scatter": scatter = args[i + 1]; i += 2
        else: dirs.append(args[i]); i += 1
    print("seed  truth  B/N(true)  ring÷B/N  fit÷B/N  σ(px)  LVEF error with the fit: variable  fixed   (fitted LV's own LVEF − truth)")
    for d in dirs:
        out, t, bt = analyse(scinti, d)
        g = t["gated"]
        R = np.array(out["fix"]["lvCounts"], float)
        F, pixel_mm, sf = photopeak(d + "/NM_GATED.dcm")
        v = out["var"]
        mask, D = lv_component(F, v["edFrame"], v["esFrame"])
        S, sigma, own = fit(F, v["edFrame"], v["esFrame"], mask, D, pixel_mm, order, shell, sf if scatter == "tew" else 0.0)
        b = S[ndimage.binary_dilation(mask, iterations=2)].mean()
        Rv, Nv = np.array(v["lvCounts"], float), np.array(v["lvPixels"], float)
        Nf = np.array(out["fix"]["lvPixels"], float)
        tv = g["lvefPercent"]
        print(f"{t['patient']['patientSeed']}  {tv:5.1f}  {bt:8.1f}  {v['backgroundCountsPerPixel'] / bt:7.2f}  {b / bt:7.2f}  {sigma:5.2f}"
              f"  {ef(Rv, Nv, b) - tv:+6.1f}  {ef(R, Nf, b) - tv:+6.1f}   ({own - tv:+.1f})", flush=True)


if __name__ == "__main__":
    main()
