#!/usr/bin/env python3
"""The LV counts of a gated blood-pool study free of the background, from a model fitted to ALL 16 frames (issue 18,
docs/lvef.md "Session 16"). A research tool against the simulator's truth; the analysis (`scinti analyze lvef`) does not
use it.

Usage: scripts/lvef_background_fit16.py SCINTI [--static quad|free] [--scatter tew|none]
       [--shrink uniform|tied|free|freetied|move|movefree] [--attenuation on|off] [--sigma PIXELS] PATIENT_DIR...
       (folders of `scinti simulate trial --mode gated`; numpy, scipy, pydicom, pillow)

Model, least squares over every time slot t = 1…16 of the photopeak window, in a window around the analysis' own ED LV
region (read back from its `--png` figure) + 6 px; the other beating structures (RV, atria: |ED − ES| ≥ 15 % of its
maximum outside the region) left out:
    F_t(x, y) = S(x, y) + K * [A_t · e^(g·x) · 2 sinh(μ h_t)/μ]
h_t = the chord half-length of a uniform ellipsoid over ellipse_t (depth semi-axis √(a·b)); μ = 0.15 /cm
(`--attenuation off`: the plain chord, no gradient g); all ellipses at one angle. `--shrink uniform`: ellipse_t =
s_t × one ellipse about one centre, A_t free (the depth of the cavity is not seen in a projection); `tied`: A_t ∝ s_t
(self-similar, one concentration); `free`: both semi-axes per slot; `freetied`: each axis its own scale, A_t ∝ their
geometric mean; `move`/`movefree`: `uniform`/`free` with the centre per slot. S is the static image: everything that
does not beat — `quad` a quadratic surface, `free` one unknown per pixel (then the fit uses only what changes between
slots: any background whatever its shape cancels, the LV's static part is identified by the shape family alone).
K = the camera's response: a Gaussian (σ fitted, shared by the slots, or `--sigma`: the collimator at the heart's depth) and, with
`--scatter tew`, the scatter kernel of the camera's definition (Sources/Simulation/Camera.swift: σ 12 and 45 mm, equal
weights) at the study's own triple-energy-window scatter fraction.
Two LVEFs come out: the model's own (1 − min_t ΣM_t ÷ max_t ΣM_t, no background at all) and the analysis' own counts
(variable and fixed region, `lvCounts`/`lvPixels` of its JSON) with the background b = S averaged over the analysis'
own ED region.
Printed per patient beside the truth (the true background under the fixed ED region, as scripts/lvef_background.py).
Tuning seeds only."""
import json, os, subprocess, sys, tempfile, time
import numpy as np
import pydicom
from scipy import ndimage, optimize
from scipy.sparse import lil_matrix

# The study reading, the difference-image LV component and the LVEF formula are session 13's (one copy).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lvef_background_fit import analyse, ef, lv_component, photopeak  # noqa: E402

SS = 2
MU_PER_MM = 0.015   # narrow-beam attenuation of 140 keV photons in soft tissue (0.15 /cm)
EDGE = 4


def own_regions(png, rows, cols):
    """The analysis' own ED (red) and ES (blue) LV regions, read back from its figure (`--png`: each region's boundary
    pixels outlined at `scale` × the frame matrix; filled here). Checked: the pixel counts equal its `lvPixels`."""
    from PIL import Image
    a = np.array(Image.open(png).convert("RGB")).astype(int)
    s = max(2, 384 // max(rows, cols))
    w = cols * s
    gap = (a.shape[1] - 3 * w) // 2
    out = []
    for col, x0 in (((220, 30, 30), 0), ((30, 90, 230), w + gap)):
        m = np.all(a == np.array(col), axis=-1)[:rows * s, x0:x0 + w]
        out.append(ndimage.binary_fill_holes(m.reshape(rows, s, cols, s).any(axis=(1, 3))))
    return out


class Model:
    def __init__(self, F, ed, es, mask, D, pixel_mm, static, sf, shrink, atten=True, sigma=None, pad=6):
        self.atten = atten
        ys, xs = np.nonzero(mask)
        self.y0, y1 = max(0, ys.min() - pad), min(F.shape[1] - 1, ys.max() + pad) + 1
        self.x0, x1 = max(0, xs.min() - pad), min(F.shape[2] - 1, xs.max() + pad) + 1
        self.F = F[:, self.y0:y1, self.x0:x1]
        self.T, self.H, self.W = self.F.shape
        other = (np.abs(D) > 0.15 * D.max()) & ~ndimage.binary_dilation(mask, iterations=3)
        self.w = (~ndimage.binary_dilation(other, iterations=2)[self.y0:y1, self.x0:x1]).astype(float)
        self.static, self.sf, self.shrink = static, sf, shrink
        self.s12, self.s45 = 12 / pixel_mm, 45 / pixel_mm
        H, W = self.H, self.W
        gy, gx = np.mgrid[0:H, 0:W]
        gy, gx = (gy - H / 2) / H, (gx - W / 2) / W
        self.terms = [np.ones_like(gx), gx, gy, gx * gx, gy * gy, gx * gy]
        hh, ww = H + 2 * EDGE, W + 2 * EDGE
        yy, xx = np.mgrid[0:hh * SS, 0:ww * SS] / SS + (0.5 / SS - 0.5)
        self.xx, self.yy = xx + self.x0 - EDGE, yy + self.y0 - EDGE
        self.npf = {"uniform": 2, "free": 3, "move": 4, "movefree": 5, "tied": 1, "freetied": 2}[shrink]   # per-slot parameters
        self.nsh = 9                                 # cx, cy, a, b, angle, sigma, gx, gy, A (tied modes)
        self.mu_px = MU_PER_MM * pixel_mm                # attenuation per pixel of depth (the depth semi-axis = √(a·b))
        self.nS = len(self.terms) if static == "quad" else H * W
        # initial values
        cx, cy, r = xs.mean(), ys.mean(), np.sqrt(mask.sum() / np.pi)
        b0 = np.percentile(self.F[ed][self.w > 0], 20)
        A0 = self.F[ed].max() - b0
        q = [cx, cy, r * 1.1, r * 0.9, 0.0, 1.5, 0.0, 0.0, A0]
        edc = self.F.reshape(self.T, -1).sum(1)
        rel = (edc - edc.min()) / max(edc.max() - edc.min(), 1)          # 0 at ES … 1 at ED
        for t in range(self.T):
            s = 0.8 + 0.2 * rel[t]
            q += {"uniform": [s, A0 * s], "free": [r * 1.1 * s, r * 0.9 * s, A0 * s], "move": [0, 0, s, A0 * s],
                  "movefree": [0, 0, r * 1.1 * s, r * 0.9 * s, A0 * s], "tied": [s], "freetied": [s, s]}[shrink]
        if static == "quad":
            q += [b0] + [0.0] * 5
        else:
            q += list(np.full(H * W, b0))
        self.q0 = np.array(q)
        plo = {"uniform": [0.3, 0], "free": [1, 1, 0], "move": [-8, -8, 0.3, 0], "movefree": [-8, -8, 1, 1, 0], "tied": [0.3], "freetied": [0.3, 0.3]}[shrink]
        phi = {"uniform": [1.5, np.inf], "free": [40, 40, np.inf], "move": [8, 8, 1.5, np.inf], "movefree": [8, 8, 40, 40, np.inf], "tied": [1.5], "freetied": [1.5, 1.5]}[shrink]
        lo = [self.x0, self.y0, 1, 1, -np.pi, 0.3, -0.5, -0.5, 0] + plo * self.T + [-np.inf] * self.nS
        hi = [x1, y1, 40, 40, np.pi, 5, 0.5, 0.5, np.inf] + phi * self.T + [np.inf] * self.nS
        self.lo, self.hi = np.array(lo, float), np.array(hi, float)
        if sigma is not None:       # the camera's response fixed (pixels), not fitted
            self.q0[5], self.lo[5], self.hi[5] = sigma, sigma - 1e-6, sigma + 1e-6
        self.q0 = np.clip(self.q0, self.lo + 1e-9, self.hi - 1e-9)

    def blur(self, img, sig):
        out = (1 - self.sf) * ndimage.gaussian_filter(img, sig, mode="constant")
        if self.sf > 0:
            out += self.sf / 2 * (ndimage.gaussian_filter(img, np.hypot(sig, self.s12), mode="constant")
                                  + ndimage.gaussian_filter(img, np.hypot(sig, self.s45), mode="constant"))
        return out[EDGE:EDGE + self.H, EDGE:EDGE + self.W]

    def lv(self, q):
        cx, cy, a, b, th, sig, gx, gy, A = q[:9]
        grad = np.exp(gx * (self.xx - cx) + gy * (self.yy - cy)) if self.atten else 1.0
        c, s = np.cos(th), np.sin(th)
        out = []
        hh, ww = self.H + 2 * EDGE, self.W + 2 * EDGE
        for t in range(self.T):
            p = q[self.nsh + self.npf * t: self.nsh + self.npf * (t + 1)]
            dx = dy = 0.0
            if self.shrink == "uniform":
                at, bt, At = a * p[0], b * p[0], p[1]
            elif self.shrink == "free":
                at, bt, At = p
            elif self.shrink == "move":
                dx, dy, at, bt, At = p[0], p[1], a * p[2], b * p[2], p[3]
            elif self.shrink == "movefree":
                dx, dy, at, bt, At = p
            elif self.shrink == "tied":        # self-similar: the depth shrinks as the projected axes, one concentration
                at, bt, At = a * p[0], b * p[0], A * p[0]
            else:                              # freetied: each projected axis its own scale, the depth as their mean
                at, bt, At = a * p[0], b * p[1], A * np.sqrt(p[0] * p[1])
            X, Y = self.xx - cx - dx, self.yy - cy - dy
            U, V = c * X + s * Y, -s * X + c * Y
            r1 = np.sqrt(np.clip(1 - (U / at) ** 2 - (V / bt) ** 2, 0, None))
            if self.atten:
                # a ray's counts from a uniform cavity of chord 2h: e^(−μ·depth of the chord's middle) · 2 sinh(μh)/μ;
                # the middles of parallel chords of an ellipsoid lie on a plane, so the first factor is e^(g·x) over
                # the LV (g fitted), the second is the chord made sublinear by the attenuation along it.
                mh = self.mu_px * np.sqrt(at * bt) * r1
                ch = At * grad * np.sinh(mh) / max(self.mu_px * np.sqrt(at * bt), 1e-9)
            else:
                ch = At * r1
            out.append(self.blur(ch.reshape(hh, SS, ww, SS).mean(axis=(1, 3)), sig))
        return np.array(out)

    def S(self, q):
        p = q[self.nsh + self.npf * self.T:]
        if self.static == "quad":
            return sum(c * t for c, t in zip(p, self.terms))
        return p.reshape(self.H, self.W)

    def residual(self, q):
        M = self.lv(q)
        return ((self.S(q)[None] + M - self.F) * self.w[None]).ravel() / np.sqrt(self.F.mean())

    def sparsity(self):
        n = self.nsh + self.npf * self.T + self.nS
        P = self.H * self.W
        J = lil_matrix((self.T * P, n), dtype=int)
        J[:, :self.nsh] = 1
        for t in range(self.T):
            J[t * P:(t + 1) * P, self.nsh + self.npf * t: self.nsh + self.npf * (t + 1)] = 1
        base = self.nsh + self.npf * self.T
        if self.static == "quad":
            J[:, base:] = 1
        else:
            for t in range(self.T):
                for i in range(P):
                    J[t * P + i, base + i] = 1
        return J

    def fit(self):
        sol = optimize.least_squares(self.residual, self.q0, bounds=(self.lo, self.hi), jac_sparsity=self.sparsity(),
                                     x_scale="jac", max_nfev=200)
        self.q = sol.x
        return sol


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    scinti, static, scatter, shrink, atten, sigma, dirs = args[0], "quad", "tew", "uniform", True, None, []
    i = 1
    while i < len(args):
        if args[i] == "--static": static = args[i + 1]; i += 2
        elif args[i] == "--scatter": scatter = args[i + 1]; i += 2
        elif args[i] == "--shrink": shrink = args[i + 1]; i += 2
        elif args[i] == "--attenuation": atten = args[i + 1] == "on"; i += 2
        elif args[i] == "--sigma": sigma = float(args[i + 1]); i += 2
        else: dirs.append(args[i]); i += 1
    print(f"# static {static}, scatter {scatter}, shrink {shrink}, attenuation {atten}, sigma {sigma}")
    print("seed  truth  B/N(true)  ring÷B/N  fit÷B/N  σ(px)  err as is  err var+fit  err fixed+fit  err model-own  sec", flush=True)
    for d in dirs:
        t0 = time.time()
        png = os.path.join(tempfile.mkdtemp(), "lvef.png")
        out, t, bt = analyse(scinti, d, ["--png", png])
        g = t["gated"]
        R = np.array(out["fix"]["lvCounts"], float)
        F, pixel_mm, sf = photopeak(d + "/NM_GATED.dcm")
        v = out["var"]
        edR, esR = own_regions(png, F.shape[1], F.shape[2])
        assert edR.sum() == v["lvPixels"][v["edFrame"]] and esR.sum() == v["lvPixels"][v["esFrame"]], "regions not read back"
        _, D = lv_component(F, v["edFrame"], v["esFrame"])
        mask = edR
        m = Model(F, v["edFrame"], v["esFrame"], mask, D, pixel_mm, static, sf if scatter == "tew" else 0.0, shrink, atten, sigma)
        sol = m.fit()
        M = m.lv(m.q)
        Sm = m.S(m.q)
        cnt = M.reshape(m.T, -1).sum(1)
        own = 100 * (cnt.max() - cnt.min()) / cnt.max()
        full = np.full(F.shape[1:], np.nan)
        full[m.y0:m.y0 + m.H, m.x0:m.x0 + m.W] = Sm
        b = np.nanmean(full[edR])          # S over the analysis' own ED region
        Rv, Nv = np.array(v["lvCounts"], float), np.array(v["lvPixels"], float)
        Nf = np.array(out["fix"]["lvPixels"], float)
        tv = g["lvefPercent"]
        asis = v["lvef"] - tv if v.get("lvef") is not None else float("nan")
        print(f"{t['patient']['patientSeed']}  {tv:5.1f}  {bt:8.1f}  {v['backgroundCountsPerPixel'] / bt:7.2f}  {b / bt:7.3f}  {m.q[5]:5.2f}"
              f"  {asis:+6.1f}  {ef(Rv, Nv, b) - tv:+6.1f}  {ef(R, Nf, b) - tv:+6.1f}  {own - tv:+6.1f}  {time.time() - t0:4.0f}  nfev {sol.nfev} st {sol.status} χ²/n {2 * sol.cost / max(1, (m.w > 0).sum() * m.T):.2f}", flush=True)


if __name__ == "__main__":
    main()
