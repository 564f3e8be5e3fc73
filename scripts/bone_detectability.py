#!/usr/bin/env python3
"""How detectable are the bone-scan trial's metastases at all? (issue 18, docs/bone-scan.md)

For each patient seed the trial's delayed whole-body scan is simulated twice without noise (`scinti simulate
whole-body --no-noise`): with the trial's lesions and without them (same patient seed: same body, same normal
uptake). Their difference is each lesion's own contribution ΔI (camera blur, scatter and attenuation included); the
scan without lesions is the normal background I0. Per lesion and view (a window of the lesion radius + 4 px around
its truth pixel):

- ideal observer (signal and background known exactly, Poisson noise; Barrett & Myers, Foundations of Image
  Science, 2004, ch. 13): SNR² = Σ ΔI² / I0; the two views are independent, SNR² = SNR_ANT² + SNR_POST²;
- matched 15 mm disc with the background known (what a disc detector can reach): ΣΔI / √ΣI0 over the best disc;
- image contrast: disc mean with ÷ without the lesion (15 mm disc).

Upper bound of any detector's sensitivity at a false-positive budget F per patient: the ideal statistic is a unit
Gaussian under "no lesion"; a search over N independent places (bone pixels of the anterior view — above 1.3× the
body median — ÷ the pixels of a 15 mm disc) needs the threshold t with N·Q(t) = F, and a lesion of SNR s is found
with probability Φ(s − t). Real detectors do not know the normal background: they do worse.

Usage: scripts/bone_detectability.py SCINTI OUT [--seeds 1001-1040] [--fp 0.3]
Writes OUT/detectability.json and prints a table (the figures of docs/bone-scan.md).
"""
import argparse, glob, json, math, os, subprocess, sys

import numpy as np
import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clinical_trials as ct  # noqa: E402  (the trial's lesion design: one definition)


def simulate(scinti, d, seed, lesions):
    if os.path.exists(os.path.join(d, "truth.json")):
        return
    sex = "icrp-am" if seed % 2 else "icrp-af"
    cmd = [scinti, "simulate", "whole-body", "--phantom", sex, "--tracer", "tc99m-mdp", "--phase", "delayed",
           "--patient-seed", str(seed), "--seed", str(seed), "--no-ct", "--no-noise", "--out", d]
    for reg, dia, con in lesions:
        cmd += ["--lesion", f"{reg}:{dia:.0f}:{con:.2f}"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"seed {seed}: simulate failed: {p.stderr.strip()[-300:]}")


def frames(d):
    f = sorted(glob.glob(os.path.join(d, "NM*.dcm")))[0]
    return pydicom.dcmread(f).pixel_array.astype(float)


def disc_offsets(radius):
    h = int(math.floor(radius))
    return [(dr, dc) for dr in range(-h, h + 1) for dc in range(-h, h + 1) if dr * dr + dc * dc <= radius * radius + 1e-9]


def phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def threshold_for(n_places, fp):
    lo, hi = 0.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if n_places * (1 - phi(mid)) > fp:
            lo = mid
        else:
            hi = mid
    return hi


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scinti"); ap.add_argument("out")
    ap.add_argument("--seeds", default="1001-1040")
    ap.add_argument("--fp", type=float, default=0.3)
    ap.add_argument("--pixel-mm", type=float, default=4.8)
    a = ap.parse_args()
    lo, hi = (int(x) for x in a.seeds.split("-"))
    os.makedirs(a.out, exist_ok=True)
    disc = disc_offsets(15 / 2 / a.pixel_mm)
    rows_out, per_patient = [], []
    for seed in range(lo, hi + 1):
        lesions = ct.bone_lesions(seed)
        if not lesions:
            continue
        dl, d0 = os.path.join(a.out, f"nn-{seed}-lesions"), os.path.join(a.out, f"nn-{seed}-none")
        simulate(a.scinti, dl, seed, lesions)
        simulate(a.scinti, d0, seed, [])
        L, N = frames(dl), frames(d0)
        truth = json.load(open(os.path.join(dl, "truth.json")))
        names = list(truth["patient"]["lesions"][0]["pixel"].keys()) if truth["patient"]["lesions"] else []
        body = N[0] > 0.05 * np.percentile(N[0], 99)
        bone = N[0] > 1.3 * np.median(N[0][body])
        places = bone.sum() / len(disc)
        t = threshold_for(places, a.fp)
        per_patient.append({"seed": seed, "countsPerView": [float(N[k].sum()) for k in range(N.shape[0])],
                            "bonePixels": int(bone.sum()), "places": places, "threshold": t})
        for k, les in enumerate(truth["patient"]["lesions"]):
            reg, dia, con = lesions[k]
            r_px = les["diameterMM"] / 2 / a.pixel_mm
            snr2, disc_snr, contrast = 0.0, [], []
            for v, name in enumerate(names):
                c, r = les["pixel"][name]
                w = int(math.ceil(r_px + 4))
                r0, r1, c0, c1 = max(0, r - w), min(L.shape[1], r + w + 1), max(0, c - w), min(L.shape[2], c + w + 1)
                dI = L[v, r0:r1, c0:c1] - N[v, r0:r1, c0:c1]
                I0 = np.maximum(N[v, r0:r1, c0:c1], 1.0)
                snr2 += float((dI * dI / I0).sum())
                best, bestc = 0.0, 1.0
                for rr in range(r - 2, r + 3):
                    for cc in range(c - 2, c + 3):
                        sd = s0 = 0.0
                        for dr, dc in disc:
                            y, x = rr + dr, cc + dc
                            if 0 <= y < L.shape[1] and 0 <= x < L.shape[2]:
                                sd += L[v, y, x] - N[v, y, x]; s0 += N[v, y, x]
                        if s0 > 0 and sd / math.sqrt(s0) > best:
                            best, bestc = sd / math.sqrt(s0), (s0 + sd) / s0
                disc_snr.append(best); contrast.append(bestc)
            snr = math.sqrt(snr2)
            rows_out.append({"seed": seed, "region": reg, "diameterMM": les["diameterMM"], "contrast": les["contrast"],
                             "host": les.get("hostOrgan"), "ideal": snr, "discPerView": disc_snr,
                             "discCombined": math.sqrt(sum(x * x for x in disc_snr)), "imageContrast": contrast,
                             "threshold": t, "pFound": phi(snr - t),
                             "eligible": les["diameterMM"] >= 15 and les["contrast"] >= 2})
        print(f"seed {seed}: {len(lesions)} lesions, {per_patient[-1]['countsPerView'][0]/1e6:.2f} M counts (ANT), "
              f"{places:.0f} places, threshold {t:.2f} σ", flush=True)
    el = [r for r in rows_out if r["eligible"]]
    json.dump({"patients": per_patient, "lesions": rows_out, "fpPerPatient": a.fp}, open(os.path.join(a.out, "detectability.json"), "w"), indent=1)
    print(f"\n{'seed':>5} {'region':15} {'mm':>4} {'C':>5} {'ideal σ':>8} {'disc σ A/P':>12} {'img contrast A/P':>17} {'P(found)':>8}")
    for r in el:
        print(f"{r['seed']:>5} {r['region']:15} {r['diameterMM']:4.0f} {r['contrast']:5.2f} {r['ideal']:8.1f} "
              f"{r['discPerView'][0]:5.1f}/{r['discPerView'][-1]:5.1f} {r['imageContrast'][0]:8.2f}/{r['imageContrast'][-1]:5.2f} {r['pFound']:8.2f}")
    if el:
        sens = sum(r["pFound"] for r in el) / len(el)
        ts = [p["threshold"] for p in per_patient]
        counts = [p["countsPerView"][0] for p in per_patient]
        print(f"\n{len(el)} lesions ≥ 15 mm at ≥ 2× in {len(per_patient)} patients with lesions; counts per view "
              f"{min(counts)/1e6:.2f}–{max(counts)/1e6:.2f} M; threshold for {a.fp} FP/patient {min(ts):.2f}–{max(ts):.2f} σ")
        print(f"ideal-observer SNR median {np.median([r['ideal'] for r in el]):.1f} (range {min(r['ideal'] for r in el):.1f}–{max(r['ideal'] for r in el):.1f}); "
              f"disc SNR (both views) median {np.median([r['discCombined'] for r in el]):.1f}")
        print(f"best achievable sensitivity at {a.fp} FP/patient (background known exactly): {100 * sens:.1f} %")


if __name__ == "__main__":
    main()
