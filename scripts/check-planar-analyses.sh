#!/usr/bin/env bash
# End-to-end check of `scinti analyze lvef` through the CLI: simulate gated blood-pool studies (EF 30/45/65 %) with
# `scinti simulate gated`, analyse the DICOM, compare with truth.json (volume LVEF within 3 points, count-based within 5: docs/lvef.md);
# the phase and amplitude images of the JSON against numpy's FFT of the frames read with pydicom.
# Usage: scripts/check-planar-analyses.sh [path/to/scinti]   (default .build/debug/scinti)
set -euo pipefail
S=${1:-.build/debug/scinti}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
status=0
for ef in 30 45 65; do
  "$S" simulate gated --matrix 64 --pixel 4.8 --voxel 7 --no-ct --edv 130 --lvef "$ef" --seed "$ef" --out "$T/g$ef" > /dev/null
  "$S" analyze lvef "$T/g$ef/NM_GATED.dcm" --json --png "$T/g$ef.png" 2> /dev/null > "$T/r$ef.json"
  python3 - "$T/r$ef.json" "$T/g$ef/truth.json" "$T/g$ef.png" <<'PY' || status=1
import json, sys
r = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))["gated"]
assert open(sys.argv[3], "rb").read(4) == b"\x89PNG", "no figure"
d1, d2 = r["lvef"] - t["countLVEFPercent"], r["lvef"] - t["framedLVEFPercent"]
ok = abs(d1) <= 5 and abs(d2) <= 3 and r["edFrame"] in (t["edSlot"], (t["edSlot"] - 1) % t["timeSlots"], (t["edSlot"] + 1) % t["timeSlots"])
print(f"LVEF {r['lvef']:.1f} % vs count truth {t['countLVEFPercent']:.1f}, volume truth {t['framedLVEFPercent']:.1f}: {'ok' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
  python3 - "$T/r$ef.json" "$T/g$ef/NM_GATED.dcm" <<'PY' || status=1
# First Fourier harmonic per pixel by numpy's FFT (independent of the Swift direct sum): amplitude 2/N·|F1|
# (counts per frame), phase = −arg F1 (time of the harmonic's maximum, degrees 0–360).
import json, sys
import numpy as np, pydicom
r = json.load(open(sys.argv[1])); ds = pydicom.dcmread(sys.argv[2])
px = ds.pixel_array.astype(float) * float(getattr(ds, "RescaleSlope", 1) or 1)
win, slot = np.array(ds.EnergyWindowVector), np.array(ds.TimeSlotVector)
sel = np.where(win == 1)[0]
frames = px[sel[np.argsort(slot[sel])]]
n = frames.shape[0]
f1 = np.fft.fft(frames, axis=0)[1]
amp = 2 / n * np.abs(f1)
phase = np.degrees(-np.angle(f1)) % 360
a = np.array(r["amplitudeImage"]).reshape(amp.shape); p = np.array(r["phaseImageDeg"]).reshape(amp.shape)
big = amp > 0.05 * amp.max()
da = np.abs(a - amp).max() / amp.max()
dp = np.abs((p - phase + 180) % 360 - 180)[big].max()
ok = da < 1e-4 and dp < 0.05
print(f"phase/amplitude vs numpy FFT: amplitude {da:.1e} of max, phase {dp:.3f}° ({big.sum()} pixels): {'ok' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
done
exit $status
