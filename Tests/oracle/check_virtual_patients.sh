#!/usr/bin/env bash
# One study per tracer of the ICRP-110 virtual patients (`scinti simulate … --phantom icrp-am|icrp-af --tracer …`),
# each checked with dciodvfy (no "Error" lines) and read back with pydicom (pixel array = frames × rows × columns,
# Radiopharmaceutical and Energy Window sequences, the photopeak counts equal truth.json's), truth.json's organs and
# lesions (lesion pixel inside the image and on the hottest part of its neighbourhood for a hot bone lesion), and a
# small virtual trial with trial.json. Coarse grids keep it short (~1 min on 2 cores).
# Usage: Tests/oracle/check_virtual_patients.sh [path/to/scinti]   (needs ../shared/phantoms/icrp110 or $SCINTI_ICRP110)
set -euo pipefail
source "$(dirname "$0")/dciodvfy.sh"
SCINTI=${1:-.build/debug/scinti}
OUT=$(mktemp -d /tmp/scinti-vpcheck.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
command -v dciodvfy >/dev/null || { echo "dciodvfy not found (apt-get install dicom3tools)"; exit 2; }
c=(--matrix 64 --pixel 9.6 --voxel 9.6 --subsamples 1 --ct-matrix 64 --ct-pixel 9.6 --ct-slice 9.6)
"$SCINTI" simulate whole-body --phantom icrp-am --tracer tc99m-mdp --phase delayed --lesion thoracic-spine:20:8 --lesion pelvis:25:5 --patient-seed 4 --speed 20 "${c[@]}" --no-ct --out "$OUT/mdp" >/dev/null
"$SCINTI" simulate planar --phantom icrp-af --tracer tc99m-mdp --phase early --extravasation "${c[@]}" --no-ct --out "$OUT/mdp-early" >/dev/null
"$SCINTI" simulate gated --phantom icrp-am --tracer tc99m-rbc --slots 8 --lvef 55 --rvef 40 --duration 120 "${c[@]}" --no-ct --out "$OUT/rbc" >/dev/null
"$SCINTI" simulate planar --phantom icrp-af --tracer tc99m-sestamibi --phase delayed --lesion parathyroid-left:12:4 "${c[@]}" --no-ct --out "$OUT/mibi" >/dev/null
"$SCINTI" simulate planar --phantom icrp-af --tracer tc99m-pertechnetate --views anterior "${c[@]}" --no-ct --out "$OUT/pertech" >/dev/null
"$SCINTI" simulate planar --phantom icrp-af --tracer tc99m-nanocolloid --views anterior,llat --duration 60 "${c[@]}" --no-ct --out "$OUT/colloid" >/dev/null
"$SCINTI" simulate planar --phantom icrp-am --tracer i123-iodide --views anterior "${c[@]}" --no-ct --out "$OUT/i123" >/dev/null
"$SCINTI" simulate whole-body --phantom icrp-am --tracer i131-iodide --collimator HE --lesion lumbar-spine:20:50 --speed 20 "${c[@]}" --no-ct --out "$OUT/i131" >/dev/null
"$SCINTI" simulate whole-body --phantom icrp-am --tracer in111-octreotide --phase 24h --collimator MEGP --lesion liver:30:6 --speed 20 "${c[@]}" --no-ct --out "$OUT/octreo" >/dev/null
"$SCINTI" simulate planar --phantom icrp-am --tracer i123-mibg --collimator LEHR --views anterior "${c[@]}" --no-ct --out "$OUT/mibg" >/dev/null
"$SCINTI" simulate spect --phantom icrp-am --tracer lu177-dotatate --phase 24h --collimator MEGP --views 16 --duration 5 --lesion liver:30:8 "${c[@]}" --out "$OUT/lu" >/dev/null
"$SCINTI" simulate spect --phantom icrp-am --tracer f18-fdg --collimator HE --views 8 --duration 5 "${c[@]}" --no-ct --out "$OUT/fdg" >/dev/null
"$SCINTI" simulate trial --phantom icrp-am --tracer tc99m-mdp --patients 2 --both-sexes "${c[@]}" --out "$OUT/trial" >/dev/null
"$SCINTI" simulate trial --phantom icrp-af --tracer tc99m-rbc --patients 1 --duration 120 "${c[@]}" --out "$OUT/trial-rbc" >/dev/null
"$SCINTI" simulate trial --phantom icrp-am --tracer lu177-dotatate --patients 1 --serial --mode spect --views 8 --collimator MEGP --lesion liver:30:8 --visit-motion 5:10:200 "${c[@]}" --out "$OUT/serial" >/dev/null
"$SCINTI" pet simulate --phantom icrp-am --tracer f18-fdg --lesion lungs:20:6 --voxel 8 --out "$OUT/pet" >/dev/null
status=0
# Bad input: one line naming the value, non-zero exit.
bad() { local want=$1; shift; set +e; msg=$("$@" 2>&1); rc=$?; set -e
  if [ $rc -ne 0 ] && [ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] && [[ "$msg" == *"$want"* ]]; then echo "ok   bad input: $msg" | cut -c1-140
  else echo "FAIL bad input ($want): rc=$rc $msg"; status=1; fi; }
bad "unknown tracer tc99m-foo" "$SCINTI" simulate planar --phantom icrp-am --tracer tc99m-foo --out "$OUT/bad"
bad "unknown phase late" "$SCINTI" simulate planar --phantom icrp-am --tracer tc99m-mdp --phase late --out "$OUT/bad"
bad "unknown organ or region livr" "$SCINTI" simulate planar --phantom icrp-am --tracer tc99m-mdp --lesion livr:10:3 --out "$OUT/bad"
bad "unknown vertebra T13" "$SCINTI" simulate planar --phantom icrp-am --tracer tc99m-mdp --lesion T13:15:3 --out "$OUT/bad"
bad "thyroid:80:3: diameter 80 mm exceeds the thyroid" "$SCINTI" simulate planar --phantom icrp-am --tracer tc99m-sestamibi --lesion thyroid:80:3 "${c[@]}" --out "$OUT/bad"
bad "icrp-af has no prostate" "$SCINTI" simulate planar --phantom icrp-af --tracer tc99m-mdp --lesion prostate:10:3 "${c[@]}" --out "$OUT/bad"
bad "--visit-motion 5:10 needs --serial" "$SCINTI" simulate trial --phantom icrp-am --tracer lu177-dotatate --visit-motion 5:10 --out "$OUT/bad"
bad "/nonexistent-icrp" env SCINTI_ICRP110=/nonexistent-icrp "$SCINTI" simulate planar --phantom icrp-am --tracer tc99m-mdp --out "$OUT/bad"
check_dciodvfy "$OUT"/*/NM_*.dcm "$OUT"/lu/CT/CT_0001.dcm "$OUT"/pet/PT/PT_0001.dcm "$OUT"/trial/patient-001/NM_*.dcm
python3 - "$OUT" <<'PY' || status=1
import json, sys, glob, pydicom, numpy as np
out = sys.argv[1]
for f in sorted(glob.glob(out + "/*/NM_*.dcm")):
    d = pydicom.dcmread(f)
    a = d.pixel_array
    n = int(d.NumberOfFrames)
    assert a.shape == ((n,) if n > 1 else ()) + (d.Rows, d.Columns), (f, a.shape)
    assert d.EnergyWindowInformationSequence and d.RadiopharmaceuticalInformationSequence
    t = json.load(open(f.rsplit("/", 1)[0] + "/truth.json"))
    a3 = a.reshape((n, d.Rows, d.Columns))
    assert t["windows"][0]["recorded"] == float(a3[[i for i, w in enumerate(d.EnergyWindowVector) if w == 1]].sum()), f
    p = t["patient"]
    assert p["phantom"] in ("icrp-am", "icrp-af") and p["organs"] and all(o["massG"] >= 0 and o["activityMBq"] >= 0 for o in p["organs"]), f
    assert float(d.RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose) > 0
    for les in p["lesions"]:
        for view, (col, row) in les["pixel"].items():
            assert 0 <= col < d.Columns and 0 <= row < d.Rows, (f, view, col, row)
    print("ok   pydicom ", f, p["tracer"], a.shape, "organs", len(p["organs"]), "lesions", len(p["lesions"]))
# A hot bone lesion (contrast 8) is at the hottest pixel of its 5×5 neighbourhood on the posterior whole-body view.
d = pydicom.dcmread(glob.glob(out + "/mdp/NM_*.dcm")[0]); a = d.pixel_array.astype(float)
t = json.load(open(out + "/mdp/truth.json"))
les = t["patient"]["lesions"][0]
col, row = les["pixel"]["Posterior projection"]
post = a[[i for i in range(len(a)) if d.EnergyWindowVector[i] == 1 and d.DetectorVector[i] == 2][0]]
win = post[max(0, row - 2):row + 3, max(0, col - 2):col + 3]
r, c = np.unravel_index(np.argmax(win), win.shape)
assert abs(r - min(2, row)) <= 1 and abs(c - min(2, col)) <= 1, ("lesion not at its pixel", les["pixel"], r, c)
print("ok   lesion pixel on the hot spot", les["region"], les["pixel"])
# Bone-scan physiology: joints, sacro-iliac joints, injection site, kidneys, bladder listed with pixels in the image.
names = {p["name"] for p in t["patient"]["physiology"]}
want = {f"joint-{j}-{s}" for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle") for s in ("left", "right")}
# (the 4 mm injection site can fall between the sample points of this 9.6 mm, 1-sample grid: not required here)
want |= {"sacroiliac-left", "sacroiliac-right", "kidney-left", "kidney-right", "bladder"}
assert want <= names, want - names
for ph in t["patient"]["physiology"]:
    col, row = ph["pixel"]["Anterior projection"]
    assert 0 <= col < d.Columns and 0 <= row < d.Rows and ph["reason"], ph
print("ok   physiology:", len(names), "sites with pixels (joints, SI, injection site, kidneys, bladder)")
# Virtual patients are written with Siemens Symbia conventions unless --vendor says otherwise.
assert d.Manufacturer == "SIEMENS" and "Symbia" in d.ManufacturerModelName, (d.Manufacturer, d.ManufacturerModelName)
tr = json.load(open(out + "/trial/trial.json"))
assert len(tr["patients"]) == 2 and {p["phantom"] for p in tr["patients"]} == {"icrp-am", "icrp-af"}
for p in tr["patients"]:
    json.load(open(out + "/trial/" + p["truth"]))
print("ok   trial.json", len(tr["patients"]), "patients")
tg = json.load(open(out + "/trial-rbc/patient-001/truth.json"))
assert tg["mode"] == "gated" and 20 <= tg["patient"]["lvefPercent"] <= 75  # the trial draws LVEF 20–75 % (SimulateTrial.swift)
print("ok   gated RBC trial: LVEF truth", round(tg["patient"]["lvefPercent"], 1))
g = json.load(open(out + "/rbc/truth.json"))
# RVEF set apart from the LVEF; the truth's RVEF comes from the sampled RV volumes (9.6 mm grid here).
assert g["patient"]["lvefPercent"] == 55 and abs(g["patient"]["rvefPercent"] - 40) < 6 and g["gated"]["timeSlots"] == 8
assert pydicom.dcmread(glob.glob(out + "/rbc/NM_*.dcm")[0]).ImageType[2] == "GATED"
pt = sorted(glob.glob(out + "/pet/PT/*.dcm")); d = pydicom.dcmread(pt[0]); tp = json.load(open(out + "/pet/truth.json"))
assert d.Modality == "PT" and d.Units == "BQML" and tp["suv"]["brain"] > tp["suv"]["rest-of-body"] and tp["suv"]["lesion1"] > 0
ts = json.load(open(out + "/serial/trial.json"))["patients"]
assert [p["hours"] for p in ts] == [4, 24, 72, 168]
kid = [[o for o in json.load(open(out + "/serial/" + p["truth"]))["patient"]["organs"] if o["name"] == "kidneys"][0] for p in ts]
assert all(k["timeIntegratedActivityMBqH"] > 0 for k in kid) and kid[0]["activityMBq"] > kid[-1]["activityMBq"]
# Visit motion: none at the first visit, a rigid motion within the limits at the later ones; CT field 200 mm.
vm = [json.load(open(out + "/serial/" + p["truth"])) for p in ts]
assert "visitMotion" not in vm[0]["patient"] or vm[0]["patient"]["visitMotion"] is None
for t in vm[1:]:
    m = t["patient"]["visitMotion"]
    assert all(abs(a) <= 5 for a in m["rotationDeg"]) and all(abs(a) <= 10 for a in m["translationMM"]) and len(m["centerMM"]) == 3
    assert "RigidTransform" in m["convention"] and abs(t["ct"]["size"][2] * t["ct"]["spacingMM"][2] - 200) <= t["ct"]["spacingMM"][2]
print("ok   serial visit motion:", [[round(a, 1) for a in t["patient"]["visitMotion"]["rotationDeg"]] for t in vm[1:]], "CT slices", vm[1]["ct"]["size"][2])
print("ok   serial Lu-177: 4 time points, kidney MBq", [round(k["activityMBq"], 1) for k in kid], "TIA MBq·h", round(kid[0]["timeIntegratedActivityMBqH"]))
print("ok   PET virtual patient:", len(pt), "slices, SUV brain", round(tp["suv"]["brain"], 2), "liver", round(tp["suv"]["liver"], 2))
print("ok   gated RBC: LVEF/RVEF truth", g["patient"]["lvefPercent"], g["patient"]["rvefPercent"])
PY
exit $status
