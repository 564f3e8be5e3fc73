#!/usr/bin/env bash
# Acceptance tests of review and correction in the browser (docs/review.md): the viewer's region tools in headless
# Chromium driven by Selenium with their statistics against numpy; the job field `regions` (validation → 400 naming
# the field with nothing stored, the right `editRegions`, the audit record); an LVEF result whose end-systolic LV
# region is moved in the browser and re-run, with the new LVEF against an independent numpy computation.
#
# A VOI drawn on a real reconstructed SPECT (corpus: Siemens Symbia T2 RECON TOMO) is saved as SEG from the browser,
# found by QIDO and read back with the same voxels (our reader and pydicom).
#
# Usage: scripts/test-review.sh   (SCINTI_BIN=binary to test; SCREENSHOTS=dir keeps the screenshots)
# Prints one line per check and a closing line "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/checks.sh
setup_test test-review
PORT=$((22000 + RANDOM % 2000))
TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
URL="http://127.0.0.1:$PORT"
AUTH=(-H "Authorization: Bearer $TOKEN")
ARCH="$WORK/archive"
mkdir -p "$ARCH"
for u in rita:reader tom:technologist; do
  "$BIN" users add "${u%%:*}" --role "${u##*:}" --password "${u%%:*}-secret-pw" --archive "$ARCH" >>"$WORK/users.log" 2>&1
done
"$BIN" simulate gated --matrix 64 --pixel 4.8 --voxel 7 --no-ct --edv 130 --lvef 55 --seed 7 --out "$WORK/gated" >"$WORK/sim.log" 2>&1 || cat "$WORK/sim.log"
GATED=$(find "$WORK/gated" -name '*.dcm' | head -n 1)
CORPUS="${CORPUS:-../shared/corpus}"
RECON="$CORPUS/vendor/siemens_symbiaT2_RECONTOMO_linesource_77sl_imageqc.dcm"
read -r GSTUDY GSERIES < <("$PY" -c 'import pydicom,sys; d=pydicom.dcmread(sys.argv[1]); print(d.StudyInstanceUID, d.SeriesInstanceUID)' "$GATED")

"$BIN" serve --port "$PORT" --archive "$ARCH" --token "$TOKEN" >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do curl -sf "$URL/health" >/dev/null 2>&1 && break; sleep 0.2; done
stow() { { printf -- '--SCINTIB\r\nContent-Type: application/dicom\r\n\r\n'; cat "$1"; printf '\r\n--SCINTIB--\r\n'; } >"$WORK/stow.body"
  test "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: multipart/related; type="application/dicom"; boundary=SCINTIB' --data-binary @"$WORK/stow.body" "$URL/dicom-web/studies")" = 200; }
check "gated study stored (STOW)" stow "$GATED"
VOI_ARGS=()
# A simulated Lu-177 serial SPECT/CT (4 visits with CTs + organ SEG) for the registration review.
"$BIN" dose --write-simulated "$WORK/serial" >"$WORK/serial.log" 2>&1 || cat "$WORK/serial.log"
mapfile -t SERIAL_FILES < <(find "$WORK/serial" -name '*.dcm' | sort)
{ for f in "${SERIAL_FILES[@]}"; do printf -- '--SCINTIB\r\nContent-Type: application/dicom\r\n\r\n'; cat "$f"; printf '\r\n'; done; printf -- '--SCINTIB--\r\n'; } >"$WORK/serial.body"
check "serial study stored (STOW)" test "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: multipart/related; type="application/dicom"; boundary=SCINTIB' --data-binary @"$WORK/serial.body" "$URL/dicom-web/studies")" = 200
SSTUDY=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1], stop_before_pixels=True).StudyInstanceUID)' "$WORK/serial/tp1/spect.dcm")
VOI_ARGS+=(--reg "$SSTUDY" "$WORK/shots")
# A simulated PET series in Bq/mL (SUV under the cursor and in VOI statistics).
"$BIN" pet simulate --matrix 64,64,24 --out "$WORK/pet" --encoding bqml >"$WORK/pet.log" 2>&1 || cat "$WORK/pet.log"
mapfile -t PET_FILES < <(find "$WORK/pet" -name '*.dcm' | sort)
[ "${#PET_FILES[@]}" -gt 0 ] || mapfile -t PET_FILES < <(find "$WORK/pet/PT" -type f | sort)
{ for f in "${PET_FILES[@]}"; do printf -- '--SCINTIB\r\nContent-Type: application/dicom\r\n\r\n'; cat "$f"; printf '\r\n'; done; printf -- '--SCINTIB--\r\n'; } >"$WORK/pet.body"
check "PET series stored (STOW)" test "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: multipart/related; type="application/dicom"; boundary=SCINTIB' --data-binary @"$WORK/pet.body" "$URL/dicom-web/studies")" = 200
read -r PSTUDY PSERIES < <("$PY" -c 'import pydicom,sys; d=pydicom.dcmread(sys.argv[1], stop_before_pixels=True); print(d.StudyInstanceUID, d.SeriesInstanceUID)' "${PET_FILES[0]}")
VOI_ARGS+=(--pet "$PSTUDY" "$PSERIES" "$WORK/pet")
if [ -f "$RECON" ]; then
  check "corpus RECON TOMO stored (STOW)" stow "$RECON"
  read -r RSTUDY RSERIES < <("$PY" -c 'import pydicom,sys; d=pydicom.dcmread(sys.argv[1], stop_before_pixels=True); print(d.StudyInstanceUID, d.SeriesInstanceUID)' "$RECON")
  VOI_ARGS+=(--voi "$RSTUDY" "$RSERIES" "$WORK/shots")
else
  failc "VOI → SEG test: $RECON not found (the shared corpus sits beside the repository)"
fi
login() { curl -s -o /dev/null -c "$WORK/$1.jar" -w '%{http_code}' -H 'Content-Type: application/json' -d "{\"user\":\"$1\",\"password\":\"$1-secret-pw\"}" "$URL/api/login"; }
login rita >/dev/null; login tom >/dev/null
jobs_count() { curl -s -H "Authorization: Bearer $TOKEN" "$URL/api/jobs" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# post_regions USER REGIONS_JSON → status; body in $WORK/last.body
post_regions() { curl -s -o "$WORK/last.body" -w '%{http_code}' -b "$WORK/$1.jar" -H 'Content-Type: application/json' \
  -d "{\"type\":\"analysis\",\"analysis\":\"lvef\",\"series\":\"$GSERIES\",\"regions\":$2}" "$URL/api/jobs"; }

# --- the job field `regions`: validation before anything is stored -------------------------------------------------
N0=$(jobs_count)
bad_region() {  # NAME REGIONS FIELD
  check "regions $1 → 400 naming $3, nothing stored" bash -c "test \"\$(post_regions tom '$2')\" = 400 && grep -qF -- '$3' '$WORK/last.body' && test \"\$(jobs_count)\" = $N0"
}
export -f post_regions jobs_count; export WORK URL GSERIES PY TOKEN
bad_region "malformed (runs not in pairs)" '[{"label":"background","colour":"#2bb04a","frames":[0],"shape":"mask","runs":[10,3,40]}]' 'regions[0].runs'
bad_region "malformed (unknown shape)" '[{"label":"background","colour":"#2bb04a","frames":[],"shape":"blob"}]' 'regions[0].shape'
bad_region "malformed (colour missing)" '[{"label":"background","frames":[],"shape":"circle","column":3,"row":3,"radius":2}]' 'regions[0].colour'
bad_region "malformed (label given twice)" '[{"label":"a","colour":"#fff","frames":[],"shape":"circle","column":3,"row":3,"radius":2},{"label":"a","colour":"#fff","frames":[],"shape":"circle","column":3,"row":3,"radius":2}]' 'regions[1].label'
bad_region "outside the image (mask run past 64×64)" '[{"label":"background","colour":"#2bb04a","frames":[0],"shape":"mask","runs":[4090,10]}]' 'regions[0].runs[0]'
bad_region "outside the image (circle centre)" '[{"label":"background","colour":"#2bb04a","frames":[0],"shape":"circle","column":70,"row":3,"radius":2}]' 'regions[0].column'
bad_region "on a frame that does not exist" '[{"label":"background","colour":"#2bb04a","frames":[0,999],"shape":"circle","column":30,"row":30,"radius":2}]' 'regions[0].frames[1]'
check "a reader's region edit → 403, nothing stored" bash -c "test \"\$(post_regions rita '[{\"label\":\"background\",\"colour\":\"#2bb04a\",\"frames\":[0],\"shape\":\"circle\",\"column\":30,\"row\":30,\"radius\":2}]')\" = 403 && test \"\$(jobs_count)\" = $N0"

# --- region tools in the browser, statistics against numpy --------------------------------------------------------
job_done() {  # JOB_ID [TRIES]: waits for the job (TRIES × 0.2 s, default 60 s), keeps its record in $WORK/job-$1.json, succeeds when it is done
  [ -n "$1" ] || return 1
  for _ in $(seq 1 "${2:-300}"); do
    curl -s "${AUTH[@]}" "$URL/api/jobs/$1" >"$WORK/job-$1.json"
    grep -q '"state":"\(done\|failed\)"' "$WORK/job-$1.json" && break; sleep 0.2
  done
  grep -q '"state":"done"' "$WORK/job-$1.json" || { cat "$WORK/job-$1.json"; return 1; }
}
if "$PY" -c 'import selenium' 2>/dev/null && command -v chromedriver >/dev/null; then
  JOB=$(curl -s -b "$WORK/tom.jar" -H 'Content-Type: application/json' -d "{\"type\":\"analysis\",\"analysis\":\"lvef\",\"series\":\"$GSERIES\"}" "$URL/api/jobs" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  check "automatic LVEF job done" job_done "$JOB"
  # A technologist (right editRegions) re-runs the LVEF with the automatic background region moved by one row: 202,
  # the job records the technologist as editor, the audit trail names tom with action edit (issue 19).
  TECHREQ=$("$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); d=json.loads(j["result"])["display"]; b=[r for r in d["regions"] if r["label"]=="background"][0]; b["runs"]=[x + (64 if i % 2 == 0 else 0) for i, x in enumerate(b["runs"])]; print(json.dumps({"type":"analysis","analysis":"lvef","series":sys.argv[2],"regions":[b]}))' "$WORK/job-$JOB.json" "$GSERIES")
  TJOB=$(curl -s -b "$WORK/tom.jar" -H 'Content-Type: application/json' -d "$TECHREQ" "$URL/api/jobs" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("id",""))')
  check "technologist's region edit accepted (202) and run: editedRegions.by = tom" bash -c "$(declare -f job_done); AUTH=(${AUTH[*]@Q}); WORK='$WORK'; URL='$URL'; job_done '$TJOB' && $PY -c 'import json,sys; r=json.loads(json.load(open(sys.argv[1]))[\"result\"]); sys.exit(0 if r[\"regionsEdited\"] and r[\"editedRegions\"][\"by\"]==\"tom\" and r[\"editedRegions\"][\"labels\"]==[\"background\"] else 1)' '$WORK/job-$TJOB.json'"
  check "audit: tom's region edit recorded (actor tom, action edit, the series)" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/audit?actor=tom&action=edit&uid=$GSERIES' | grep -q 'regions edited: background'"
  mkdir -p "$WORK/shots"
  check "browser: region tools (circle, ellipse, rectangle, freehand, threshold; move, resize, copy, delete) with statistics equal to numpy; LVEF regions edited and re-run" \
    "$PY" Tests/oracle/check_review_browser.py "$URL" "$TOKEN" "$GSTUDY" "$GSERIES" "$GATED" --lvef-job "$JOB" "$WORK/shots" "${VOI_ARGS[@]}"
  if [ -f "$RECON" ]; then
    SEG=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seg"])' "$WORK/shots/seg.json" 2>/dev/null)
    check "SEG of the VOIs found by QIDO in the SPECT's study (Modality SEG)" bash -c "test -n '$SEG' && curl -s ${AUTH[*]@Q} '$URL/dicom-web/studies/$RSTUDY/series?Modality=SEG' | grep -q '$SEG'"
    check "SEG read back (GET /api/seg) on the SPECT grid: the same voxels as drawn" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/seg/$SEG?grid=$RSERIES' | $PY -c 'import json,sys; a=json.load(sys.stdin); b=json.load(open(\"$WORK/shots/seg.json\")); sys.exit(0 if [s[\"runs\"] for s in a[\"segments\"]]==b[\"runs\"] and [s[\"label\"] for s in a[\"segments\"]]==b[\"labels\"] else 1)'"
    check "SEG read by pydicom (WADO-RS): 2 segments with the VOIs' voxel counts" bash -c "curl -s ${AUTH[*]@Q} -H 'Accept: multipart/related; type=\"application/dicom\"' '$URL/dicom-web/studies/$RSTUDY/series/$SEG' >'$WORK/seg.mime' && $PY Tests/oracle/check_seg_voxels.py '$WORK/seg.mime' '$WORK/shots/seg.json'"
  fi
  RERUN=$(cat "$WORK/shots/rerun-job.txt" 2>/dev/null)
  DJOB=$(cat "$WORK/shots/dose-job.txt" 2>/dev/null)
  check "dose job with the registration accepted in the browser done" job_done "$DJOB" 1200
  check "dose report: the accepted visit used the nudged transform (+5 mm x, accepted by review, by service), the others registered" \
    "$PY" -c 'import json,sys; r=json.loads(json.load(open(sys.argv[1]))["result"])["report"]; v=[x for x in r["visits"] if "accepted by review, by service" in (x.get("registrationSource") or "")]; print([(x["folder"], x.get("registrationSource"), x.get("registrationTranslationMM")) for x in r["visits"]]); sys.exit(0 if len(v)==1 and v[0]["registrationTranslationMM"]==[5,0,0] and v[0]["registrationRotationDeg"]==[0,0,0] and v[0]["folder"].endswith("visit2") and all((x.get("registrationSource") or "") in ("reference",) or "accepted" in x["registrationSource"] or x.get("registrationTranslationMM") is not None for x in r["visits"]) else 1)' "$WORK/job-$DJOB.json"
  check "audit: the accepted registration is recorded (action edit)" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/audit?action=edit' | grep -q 'registration accepted in review for visit(s) 1'"
  check "acceptedTransforms on visit 0 (the reference) → 400 naming the field" bash -c "test \"\$(curl -s -o '$WORK/acc.body' -w '%{http_code}' -b '$WORK/tom.jar' -H 'Content-Type: application/json' -d \"\$($PY -c 'import json,sys; r=json.loads(json.load(open(sys.argv[1]))[\"request\"]); r[\"acceptedTransforms\"][0][\"visit\"]=0; print(json.dumps(r))' '$WORK/job-$DJOB.json')\" '$URL/api/jobs')\" = 400 && grep -q 'acceptedTransforms\[0\].visit' '$WORK/acc.body'"
  check "re-run with edited regions done" job_done "$RERUN"
  check "re-run: regionsEdited, editedRegions (by, when), automatic kept; LVEF equals numpy on the same pixels and regions" \
    "$PY" Tests/oracle/check_edited_lvef.py "$WORK/job-$RERUN.json" "$GATED" service
  check "audit: the region edit is recorded (action edit, the series)" bash -c "curl -s ${AUTH[*]@Q} '$URL/api/audit?action=edit&uid=$GSERIES' | grep -q 'regions edited'"
  check "screenshot: edited LVEF result drawn (LV colour, chart)" "$PY" Tests/oracle/check_screenshot.py "$WORK/shots/viewer-lvef-edited.png" --colour e62828:100 --chart
  for f in hanging-gated-planar hanging-spect-volume hanging-spect-ct-fused registration-fused registration-checker registration-diff; do
    check "screenshot $f not blank" "$PY" Tests/oracle/check_screenshot.py "$WORK/shots/viewer-$f.png"
  done
  [ -n "${SCREENSHOTS:-}" ] && cp "$WORK"/shots/*.png "$SCREENSHOTS"/ 2>/dev/null
else
  failc "browser test: selenium (pip) and chromium-driver (apt) needed (scripts/install-deps.sh --test installs them)"
fi
# --- reading workstation: hanging protocols, linked crosshairs, contours with interpolation, brush and eraser; a dose
# job re-run with an edited VOI (Tests/oracle/check_workstation.py, check_edited_dose.py) ---------------------------
if "$PY" -c 'import selenium' 2>/dev/null && command -v chromedriver >/dev/null; then
  "$BIN" simulate whole-body --phantom body --matrix 64 --pixel 9.6 --voxel 9.6 --subsamples 1 --seed 3 --no-ct --out "$WORK/wb" >"$WORK/wb.log" 2>&1 || cat "$WORK/wb.log"
  WB=$(find "$WORK/wb" -name '*.dcm' | head -n 1)
  # The same patient a year later with 0.8 × the counts (follow-up), and the scan as another patient's (ANT/POST pair).
  "$PY" Tests/oracle/make_review_studies.py follow-up "$WB" "$WORK/wb-follow-up.dcm" 0.8
  "$PY" Tests/oracle/make_review_studies.py follow-up "$WB" "$WORK/wb-other.dcm" 1 OTHER-WB
  # One visit of the serial study (SPECT + CT) as a study of its own (SPECT/CT tri-planar).
  SCSTUDY=$("$PY" Tests/oracle/make_review_studies.py restudy "$WORK/spectct" "$WORK/serial/tp1/spect.dcm" $(find "$WORK/serial/tp1/ct" -name '*.dcm' | sort))
  for f in "$WB" "$WORK/wb-follow-up.dcm" "$WORK/wb-other.dcm" "$WORK"/spectct/*.dcm; do stow "$f" || echo "STOW of $f failed"; done
  read -r WBSTUDY < <("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1], stop_before_pixels=True).StudyInstanceUID)' "$WB")
  read -r OTHERSTUDY < <("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1], stop_before_pixels=True).StudyInstanceUID)' "$WORK/wb-other.dcm")
  check "browser: hanging protocols (gated cine + curve, whole-body pair, bone baseline/follow-up normalised, serial grid with linked crosshairs, SPECT/CT with contours/brush/eraser vs numpy, PET SUV)" \
    "$PY" Tests/oracle/check_workstation.py "$URL" "$TOKEN" "$WORK/shots" --gated "$GSTUDY" --wb "$OTHERSTUDY" "$WORK/wb-other.dcm" \
      --bone "$WBSTUDY" "$WB" "$WORK/wb-follow-up.dcm" --serial "$SSTUDY" --spect "$SCSTUDY" --pet "$PSTUDY"
  for f in protocol-gated-cine protocol-whole-body protocol-bone-follow-up protocol-serial-grid protocol-spect-ct protocol-pet-suv contours; do
    check "screenshot $f not blank" "$PY" Tests/oracle/check_screenshot.py "$WORK/shots/viewer-$f.png"
  done
  # Dose job re-run with an edited VOI (half of the automatic dose job's first VOI erased).
  if [ -n "$DJOB" ] && [ -f "$WORK/job-$DJOB.json" ]; then
    PLANE=$("$PY" -c 'import pydicom,sys; d=pydicom.dcmread(sys.argv[1], stop_before_pixels=True); print(d.Rows * d.Columns)' "$WORK/serial/tp1/spect.dcm")
    "$PY" Tests/oracle/check_edited_dose.py request "$WORK/job-$DJOB.json" "$WORK/dose-edit.json" "$PLANE"
    post_dose() { curl -s -o "$WORK/last.body" -w '%{http_code}' -b "$WORK/tom.jar" -H 'Content-Type: application/json' -d "$1" "$URL/api/jobs"; }
    bad_voi() {  # NAME PYTHON-EDIT FIELD
      local body; body=$("$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); g=r['regions'][0]; $2; print(json.dumps(r))" "$WORK/dose-edit.json")
      local n0; n0=$(jobs_count)
      check "dose VOIs $1 → 400 naming $3, nothing stored" bash -c "test \"\$(curl -s -o '$WORK/last.body' -w '%{http_code}' -b '$WORK/tom.jar' -H 'Content-Type: application/json' -d '$body' '$URL/api/jobs')\" = 400 && grep -qF -- '$3' '$WORK/last.body' && test \"\$(jobs_count)\" = $n0"
    }
    bad_voi "malformed (a circle, not a mask)" "g['shape']='circle'" 'regions[0].shape'
    bad_voi "outside the SPECT (run past its voxels)" "g['runs']=[10**8, 5]" 'regions[0].runs[0]'
    bad_voi "on frames (a VOI covers the volume)" "g['frames']=[0]" 'regions[0].frames'
    EJOB=$(curl -s -b "$WORK/tom.jar" -H 'Content-Type: application/json' -d @"$WORK/dose-edit.json" "$URL/api/jobs" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("id",""))')
    check "dose job with an edited VOI done" job_done "$EJOB" 1200
    check "dose re-run: edited VOI's volume and activity equal numpy on the reference SPECT; automatic kept" \
      "$PY" Tests/oracle/check_edited_dose.py check "$WORK/job-$EJOB.json" "$WORK/dose-edit.json" "$WORK/serial/tp1/spect.dcm" tom
  else
    failc "dose job with an edited VOI: the registration review's dose job is missing"
  fi
  [ -n "${SCREENSHOTS:-}" ] && cp "$WORK"/shots/viewer-protocol-*.png "$WORK"/shots/viewer-contours.png "$SCREENSHOTS"/ 2>/dev/null
fi
# --- edited regions for a second analysis kind (MIBG H/M: the heart circle moved 2 pixels) against numpy; Krenning
# as a job (its regions from the request) --------------------------------------------------------------------------
"$BIN" simulate planar --phantom icrp-am --tracer i123-mibg --collimator LEHR --views anterior --matrix 64 --pixel 9.6 --voxel 9.6 \
  --subsamples 1 --no-ct --out "$WORK/mibg" >"$WORK/mibg.log" 2>&1 || cat "$WORK/mibg.log"
MIBG=$(find "$WORK/mibg" -name '*.dcm' | head -n 1)
check "MIBG study stored (STOW)" stow "$MIBG"
MSERIES=$("$PY" -c 'import pydicom,sys; print(pydicom.dcmread(sys.argv[1], stop_before_pixels=True).SeriesInstanceUID)' "$MIBG")
submit() { curl -s -b "$WORK/tom.jar" -H 'Content-Type: application/json' -d "$1" "$URL/api/jobs" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("id",""))'; }
# edited_rerun NAME ORACLE REQUEST DX WHAT ARGS…: the automatic job of REQUEST, the oracle's request with its region
# moved DX pixels to the right, the re-run, then "ORACLE check ARGS…" (AUTO, RERUN, EDIT stand for the two job records
# and the edited request)
edited_rerun() {
  local name=$1 oracle=$2 body=$3 dx=$4 what=$5 auto rerun a; shift 5
  auto=$(submit "$body")
  check "automatic $name job done" job_done "$auto"
  "$PY" "$oracle" request "$WORK/job-$auto.json" "$WORK/$name-edit.json" "$dx"
  rerun=$(submit @"$WORK/$name-edit.json")
  check "$name re-run with the region moved $dx pixel(s) done" job_done "$rerun"
  local args=()
  for a in "$@"; do case $a in AUTO) args+=("$WORK/job-$auto.json") ;; RERUN) args+=("$WORK/job-$rerun.json") ;; EDIT) args+=("$WORK/$name-edit.json") ;; *) args+=("$a") ;; esac; done
  check "$what" "$PY" "$oracle" check "${args[@]}"
}
edited_rerun MIBG Tests/oracle/check_edited_mibg.py "{\"type\":\"analysis\",\"analysis\":\"mibg-hm\",\"series\":\"$MSERIES\"}" 2 \
  "MIBG re-run (heart moved): H/M equals numpy on the same pixels and regions, automatic kept, editedRegions by tom" RERUN EDIT "$MIBG" tom
# --- parathyroid (dual-phase sestamibi, ICRP-110 female, an adenoma below the left lobe) as a job: automatic, then
# candidate 1 moved one pixel and re-run, its rates against numpy (Tests/oracle/check_edited_parathyroid.py) --------
for phase in early delayed; do
  "$BIN" simulate planar --phantom icrp-af --tracer tc99m-sestamibi --phase "$phase" --patient-seed 4101 --seed $((4101 + ${#phase})) \
    --views anterior --matrix 48 --no-ct --lesion parathyroid-left:12:3 --out "$WORK/pth-$phase" >"$WORK/pth.log" 2>&1 || cat "$WORK/pth.log"
done
PTH_E=$(find "$WORK/pth-early" -name '*.dcm' | head -n 1); PTH_D=$(find "$WORK/pth-delayed" -name '*.dcm' | head -n 1)
check "parathyroid early stored (STOW)" stow "$PTH_E"
check "parathyroid delayed stored (STOW)" stow "$PTH_D"
read -r PE PD < <("$PY" -c 'import pydicom,sys; print(*[pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID for f in sys.argv[1:]])' "$PTH_E" "$PTH_D")
edited_rerun parathyroid Tests/oracle/check_edited_parathyroid.py "{\"type\":\"analysis\",\"analysis\":\"parathyroid\",\"series\":\"$PE\",\"inputs\":{\"delayed\":\"$PD\"}}" 1 \
  "parathyroid re-run (candidate 1 moved): its early/delayed rates equal numpy on the same pixels, automatic kept, editedRegions by tom" \
  AUTO RERUN EDIT "$PTH_E" "$PTH_D" tom
N1=$(jobs_count)
check "Krenning job with its liver circle outside the image → 400 naming regions[0].column, nothing stored (without regions the job places them on the anatomy)" bash -c "test \"\$(curl -s -o '$WORK/last.body' -w '%{http_code}' -b '$WORK/tom.jar' -H 'Content-Type: application/json' -d '{\"type\":\"analysis\",\"analysis\":\"krenning\",\"series\":\"$MSERIES\",\"regions\":[{\"label\":\"liver\",\"colour\":\"#e62828\",\"frames\":[],\"shape\":\"circle\",\"column\":999,\"row\":10,\"radius\":4}]}' '$URL/api/jobs')\" = 400 && grep -q '^regions\[0\]\.column' '$WORK/last.body' && test \"\$(jobs_count)\" = $N1"
KREQ=$("$PY" -c 'import json,sys; c=lambda l,x,y,r: {"label":l,"colour":"#e62828","frames":[],"shape":"circle","column":x,"row":y,"radius":r}; print(json.dumps({"type":"analysis","analysis":"krenning","series":sys.argv[1],"regions":[c("liver",24,34,4),c("spleen",42,34,3),c("lesion 1",32,24,2)]}))' "$MSERIES")
KJOB=$(submit "$KREQ")
check "Krenning job with regions from the request done" job_done "$KJOB"
check "Krenning: liver and spleen anterior means equal numpy on the DICOM pixels; a score per lesion; the circles drawn" \
  "$PY" -c 'import json,sys,numpy as np,pydicom
r=json.loads(json.load(open(sys.argv[1]))["result"]); req=json.loads(sys.argv[3]); a=pydicom.dcmread(sys.argv[2]).pixel_array.astype(float); a=a[None] if a.ndim==2 else a
yy,xx=np.mgrid[0:a.shape[1],0:a.shape[2]]
f=[x for x in r["display"]["regions"] if x["label"]=="liver"][0]["frames"]; img=a[f[0] if f else 0]
res=r["result"]; vals={"liver":res["liver"],"spleen":res["spleen"],"lesion 1":res["lesions"][0]["region"]}
for g in req["regions"][:2]:
  m=img[(xx-g["column"])**2+(yy-g["row"])**2<=g["radius"]**2].mean(); v=vals[g["label"]]["anteriorMean"]; print(g["label"],v,m); assert abs(v-m)<=1e-9*max(1,m)
assert isinstance(res["lesions"][0]["krenningScore"],int) and {x["label"] for x in r["display"]["regions"]}=={"liver","spleen","lesion 1"}' "$WORK/job-$KJOB.json" "$MIBG" "$KREQ"
[ -n "${REVIEW_LOG:-}" ] && cp "$WORK/checks.log" "$REVIEW_LOG"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
