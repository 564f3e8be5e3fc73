#!/usr/bin/env python3
"""Where a gated blood-pool LVEF error comes from, measured against the simulator's truth (issue 18, docs/lvef.md).

Usage: [LVEF_OPTS="--background inferolateral"] scripts/lvef_background.py SCINTI PATIENT_DIR...
       (folders of `scinti simulate trial --mode gated`; LVEF_OPTS: options added to both analyses)

For each patient: `scinti analyze lvef --fixed-roi --json` gives the raw counts R_t of the end-diastolic LV region on
every slot; `truth.json` gives the LV's own counts L_t (`gated.lvCountsExpected`: the LV blood pool alone, projected
noise-free with attenuation and scatter). A least-squares fit R_t = a·L_t + B over the slots gives B, the counts of
everything that is not LV under the region (the RV and atria, which beat, leave a small residual), so B/N is the true
background per pixel under the LV, to compare with the crescent's background b. Printed: the LVEF as analysed
(variable region), the crescent's b and the true B/N, and the LVEF that the fixed and the variable region would give
with the true background; with the coldest-sector rule also every sector of the ring (`backgroundRing`): its ES level,
its ratio to the true B/N and the LVEF the variable region would give with it. Information only (tuning seeds; on validation seeds it explains, it does not tune)."""
import json, os, subprocess, sys
import numpy as np

OPTS = []   # extra options for both analyses (LVEF_OPTS, e.g. "--background inferolateral")

def analyse(scinti, d, *opts):
    p = subprocess.run([scinti, "analyze", "lvef", d + "/NM_GATED.dcm", "--json", *OPTS, *opts], capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"{d}: {p.stderr.strip()[-300:]}")
    return json.loads(p.stdout)

def ef(c):
    return 100 * (max(c) - min(c)) / max(c)

def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    scinti = sys.argv[1]
    OPTS.extend(os.environ.get("LVEF_OPTS", "").split())
    print("seed  truth  measured  err   b(region)  B/N(true)  b/(B/N)  fixed+b  fixed+B/N  variable+B/N  region")
    for d in sys.argv[2:]:
        t = json.load(open(d + "/truth.json"))
        g = t["gated"]
        fixed, var = analyse(scinti, d, "--fixed-roi"), analyse(scinti, d)
        L = np.array(g["lvCountsExpected"], float)
        R = np.array(fixed["lvCounts"], float)
        n = fixed["lvPixels"][0]
        (a, B), *_ = np.linalg.lstsq(np.vstack([L, np.ones_like(L)]).T, R, rcond=None)
        bt, b = B / n, var["backgroundCountsPerPixel"]
        Rv, Nv = np.array(var["lvCounts"], float), np.array(var["lvPixels"], float)
        m, tv = var.get("lvef"), g["lvefPercent"]
        shown = "withheld" if m is None else f"{m:5.1f}  {m - tv:+5.1f}"
        print(f"{t['patient']['patientSeed']}  {tv:5.1f}  {shown}  {b:8.1f}  {bt:9.1f}  {b / bt:7.2f}  "
              f"{fixed['lvef']:7.1f}  {ef(R - bt * n):8.1f}  {ef(Rv - bt * Nv):8.1f}  "
              f"{var.get('backgroundRule', 'inferolateral')} {var.get('backgroundSector', '')}", flush=True)
        # Every sector of the ring (coldest-sector rule, `backgroundRing`): its ES level ÷ the true B/N, and the LVEF the
        # variable region would give with it as the background — the data to judge any rule built from the sectors.
        for sec in var.get("backgroundRing") or []:
            v = sec["endSystoleCountsPerPixel"]
            print(f"      {sec['sector']:>16s} {sec['pixels']:3d} px  mean {sec['meanCountsPerPixel']:7.1f}  ES {v:7.1f}  "
                  f"÷ B/N {v / bt:5.2f}  LVEF {ef(Rv - v * Nv):6.1f}{'  (chosen)' if sec['chosen'] else ''}", flush=True)

if __name__ == "__main__":
    main()
