#!/usr/bin/env python3
"""Oracle for the report documents of `scinti report` and the server (docs/reports.md).

Usage: check_reports.py RESULT.json SR.dcm [--pdf PDF] [--objects DCM...] [--png OUT.png] [--dose-sr DOSE.dcm]

- every object passes `dciodvfy -new` with 0 errors;
- DCMTK `dsrdump` reads the SR, and each value of the result JSON that has a unit (read here with this script's own
  key → unit table) appears in the SR as a NUM with that value and UCUM unit;
- highdicom reads the SR as a TID 1500 Measurement Report and finds each of those measurements with its unit;
- `pdftotext` finds the key numbers in the PDF; `pdftoppm` renders its first page (written to --png).
Exits 1 on any failure.
"""
import json, re, subprocess, sys

args = sys.argv[1:]
result_path, sr_path = args[0], args[1]
opts = {"--pdf": None, "--png": None, "--dose-sr": None}
objects = []
i = 2
while i < len(args):
    if args[i] == "--objects":
        i += 1
        while i < len(args) and not args[i].startswith("--"):
            objects.append(args[i]); i += 1
        continue
    opts[args[i]] = args[i + 1]; i += 2
bad = 0


def fail(msg):
    global bad
    bad += 1
    print("FAIL " + msg)


# --- expected measurements, from the JSON (an independent key → UCUM table) ---------------------------------------
UNITS = [("MGyPerMBqS", "mGy/MBq/s"), ("Percent", "%"), ("MBqh", "MBq.h"), ("Gy", "Gy"), ("ML", "mL"), ("massG", "g"), ("MM", "mm")]
doc = json.load(open(result_path))
if isinstance(doc, dict) and "request" in doc and isinstance(doc.get("result"), str):
    doc = json.loads(doc["result"])
payload = doc.get("result") if isinstance(doc.get("result"), dict) else doc.get("report") if isinstance(doc.get("report"), dict) else doc
expected = []  # (key path, value, unit)


def unit_of(key):
    if key == "lvef":
        return "%"
    for suffix, u in UNITS:
        if key.endswith(suffix) or key == suffix:
            return u
    return None


def walk(o, path):
    for k, v in o.items():
        if k in ("units", "conventions", "warnings", "notes", "outputs", "options", "display"):
            continue
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            u = unit_of(k)
            if u:
                expected.append((path + k, float(v), u))
        elif isinstance(v, dict):
            walk(v, path + k + ".")
        elif isinstance(v, list) and v and all(isinstance(e, dict) for e in v):
            for j, e in enumerate(v):
                walk(e, f"{path}{k}[{j}].")


walk(payload, "")
print(f"{len(expected)} measurement(s) with a unit in {result_path}")
if not expected:
    fail("no measurement expected: the oracle has nothing to compare")

# --- dciodvfy -new ---------------------------------------------------------------------------------------------------
for f in [sr_path] + objects + ([opts["--dose-sr"]] if opts["--dose-sr"] else []):
    r = subprocess.run(["dciodvfy", "-new", f], capture_output=True, text=True)
    errors = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("Error")]
    print(f"dciodvfy -new {f}: {len(errors)} error(s)")
    for l in errors[:8]:
        print("  " + l)
    if errors:
        fail(f"dciodvfy {f}")

# --- dsrdump ---------------------------------------------------------------------------------------------------------
def dsr_nums(path):
    r = subprocess.run(["dsrdump", "-Ec", path], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"dsrdump {path}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    # NUM:(code,scheme,"meaning")="value" (unit,UCUM,"unit")
    found = re.findall(r'NUM:\(([^,]*),([^,]*),"([^"]*)"\)="([^"]*)" \(([^,]*),UCUM', r.stdout)
    return r, [(m[2], float(m[3]), m[4]) for m in found]


r, nums = dsr_nums(sr_path)
print(f"dsrdump: {len(nums)} NUM item(s)")


def close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


for path, value, unit in expected:
    if not any(close(v, value) and u == unit for _, v, u in nums):
        fail(f"dsrdump: {path} = {value} {unit} not in the SR")
if opts["--dose-sr"]:
    rd, dnums = dsr_nums(opts["--dose-sr"])
    if "Radiopharmaceutical Radiation Dose Report" not in rd.stdout:
        fail("dose SR: no Radiopharmaceutical Radiation Dose Report root")
    for path, value, unit in expected:
        if path.endswith("meanDoseGy") and not any(close(v, value * 1000) and u == "mGy" for _, v, u in dnums):
            fail(f"dose SR: organ dose {path} = {value * 1000} mGy missing")
    print(f"dose SR: {len(dnums)} NUM item(s)")
    # Codes against PS3.16 as pydicom lists it (pydicom.sr._concepts_dict: every SCT/DCM concept with its CIDs):
    # each coded concept and value of the dose SR exists there, and the radionuclide is the isotope of the result
    # from CID 18 (Isotopes in Radiopharmaceuticals), organs from CID 10044 or the whole body/lesion.
    import pydicom
    from pydicom.sr import _concepts_dict as concepts
    from pydicom.sr import _cid_dict as ciddict
    from pydicom.sr.codedict import codes as srcodes
    known = {(sch, code): list(cids) for sch, d in concepts.concepts.items() for v in d.values() for code, (_, cids) in v.items()}
    for cid in (18, 11, 10044):  # the CID tables list members by keyword; their codes join the CIDs of `known`
        for kw in ciddict.cid_concepts[cid].get("SCT", []):
            try:
                known.setdefault(("SCT", getattr(srcodes.SCT, kw).value), []).append(cid)
            except Exception:
                pass
    dsr = pydicom.dcmread(opts["--dose-sr"])
    coded = []
    def walk_codes(items):
        for it in items:
            for seq in ("ConceptNameCodeSequence", "ConceptCodeSequence"):
                for c in it.get(seq, []):
                    coded.append((seq, c.CodingSchemeDesignator, c.CodeValue, c.CodeMeaning, it.ConceptNameCodeSequence[0].CodeValue if "ConceptNameCodeSequence" in it else ""))
            walk_codes(it.get("ContentSequence", []))
    walk_codes([dsr])
    for seq, sch, code, meaning, parent in coded:
        if sch in ("SCT", "DCM") and (sch, code) not in known:
            fail(f"dose SR: ({code}, {sch}, {meaning}) is not a PS3.16 code")
    values = {parent: (code, meaning) for seq, sch, code, meaning, parent in coded if seq == "ConceptCodeSequence"}
    iso = (doc.get("isotope") or payload.get("isotope") or "").replace("-", "").lower()
    if "89457008" in values:
        code = values["89457008"][0]
        if 18 not in known.get(("SCT", code), []):
            fail(f"dose SR: radionuclide code {code} is not in CID 18")
        print(f"dose SR: radionuclide {values['89457008'][1]} ({code}, CID 18), isotope of the result {iso}")
    elif iso:
        fail(f"dose SR: no coded radionuclide for {iso}")
    sites = [code for seq, sch, code, meaning, parent in coded if parent == "363698007" and seq == "ConceptCodeSequence"]
    for code in sites:
        if 10044 not in known.get(("SCT", code), []) and code not in ("38266002", "108369006", "52988006"):
            fail(f"dose SR: organ code {code} is not in CID 10044")
    print(f"dose SR: {len(coded)} coded items checked against PS3.16 (pydicom), {len(sites)} organ code(s)")

# --- highdicom: TID 1500 -------------------------------------------------------------------------------------------
try:
    import highdicom as hd
    sr = hd.sr.srread(sr_path)
    content = sr.content
    if not isinstance(content, hd.sr.MeasurementReport):
        content = hd.sr.MeasurementReport.from_sequence([sr.content]) if hasattr(hd.sr.MeasurementReport, "from_sequence") else content
    groups = list(content.get_image_measurement_groups()) + list(content.get_planar_roi_measurement_groups()) + \
        list(content.get_volumetric_roi_measurement_groups())
    hm = [(m.name.meaning, float(m.value), m.unit.value) for g in groups for m in g.get_measurements()]
    print(f"highdicom: TID 1500 with {len(groups)} measurement group(s), {len(hm)} measurement(s)")
    for path, value, unit in expected:
        if not any(close(v, value) and u == unit for _, v, u in hm):
            fail(f"highdicom: {path} = {value} {unit} not found")
except Exception as e:  # noqa: BLE001 — any parse failure is the finding
    fail(f"highdicom could not read the SR as TID 1500: {type(e).__name__}: {e}")

# --- PDF -------------------------------------------------------------------------------------------------------------
def fmt(v):
    if v == int(v) and abs(v) < 1e9:
        return str(int(v))
    return "%.1f" % v if abs(v) >= 100 else "%.3f" % v if abs(v) >= 1 else "%.4g" % v


if opts["--pdf"]:
    text = subprocess.run(["pdftotext", "-layout", opts["--pdf"], "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    missing = [f"{p}={fmt(v)}" for p, v, _ in expected if fmt(v) not in flat]
    print(f"pdftotext: {len(expected) - len(missing)}/{len(expected)} key numbers found")
    if missing:
        fail("pdftotext: missing " + ", ".join(missing[:8]))
    if opts["--png"]:
        stem = opts["--png"][:-4]
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", opts["--pdf"], stem], check=True)
        if open(opts["--png"], "rb").read(4) != b"\x89PNG":
            fail("pdftoppm: no PNG")
        else:
            print(f"pdftoppm: page 1 rendered to {opts['--png']}")

print("check_reports: " + ("ok" if not bad else f"{bad} failure(s)"))
sys.exit(1 if bad else 0)
