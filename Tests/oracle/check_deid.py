#!/usr/bin/env python3
"""Oracle test of `scinti deid` (PS3.15 Annex E de-identification), written with pydicom from the standard's table.

Usage: check_deid.py SCINTI_BINARY WORK_DIR

1. Makes a PHI corpus with pydicom in WORK_DIR/in (nothing of it is committed):
   - visits/v1, visits/v2: two visits of one patient, PET series written by `scinti pet simulate --encoding philips-cnts`
     (Philips SUV factors), the second moved 37 days later by this script; PHI added to the patient, study and
     equipment attributes, to the Radiopharmaceutical Information Sequence (nested Radionuclide Code Sequence), and to
     private groups of GE (GEMS_PETD_01), Philips (Philips PET Private Group) and Siemens (SIEMENS MED NM,
     SIEMENS CSA HEADER) creators;
   - phi/all.dcm: a PET slice with a distinct PHI value in EVERY attribute of PS3.15 Table E.1-1 that pydicom's
     dictionary knows (each sequence with an item holding a nested UID, person name and a nested code sequence);
   - phi/sr.dcm: a Basic Text SR with PHI in nested TEXT, PNAME and DATE content items;
   - phi/burned.dcm: a secondary capture with Burned In Annotation YES (must not be exported);
   - media/: a DICOMDIR (pydicom FileSet) over copies of the visits, its records carrying the patient's PHI.
2. Runs `scinti deid` with the Basic Profile (twice: identical bytes required) and with Modified Dates + Retain
   Patient Characteristics + Retain Safe Private.
3. Checks:
   - no PHI string of the corpus occurs in any byte of any output file (values a profile keeps by definition, i.e.
     K actions and times under Modified Dates, are excepted for that profile only);
   - every listed attribute of every output has the action Table E.1-1 gives for the profile (table read from the
     standard's copy by scripts/ps315_table.py, independent of the Swift code), UIDs consistently remapped (one
     original → one new UID in every file and every nested reference);
   - dates moved by exactly the offset in the pseudonym map (decrypted here with the `cryptography` package:
     PBKDF2-HMAC-SHA-256 + AES-256-GCM), intervals between the visits unchanged;
   - De-identification Method Code Sequence, Patient Identity Removed, Longitudinal Temporal Information Modified;
   - only allow-listed private elements remain (none without Retain Safe Private);
   - the DICOMDIR loads in pydicom's FileSet (offsets valid) and its records point at the exported files;
   - `scinti pet suv --json` factors identical before and after (relative difference < 1e-9) with Modified Dates +
     Retain Patient Characteristics;
   - `scinti dose --json` on a simulated serial Lu-177 SPECT/CT study (four visits, SEG masks referencing the CT by
     UID): decay-corrected VOI activities, visit times and doses identical before and after export (< 1e-9);
   - dciodvfy reports no error on an exported PET slice that it did not report on the original.
Prints 'N passed, N failed'; exit status 1 on any failure.
"""
import copy, datetime as dt, glob, json, os, re, shutil, struct, subprocess, sys
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import ps315_table  # noqa: E402

PASSED, FAILED = [0], [0]
QUANT = ["retain_longitudinal_modified_dates", "retain_patient_characteristics", "retain_safe_private", "clean_descriptors"]
FREE_TEXT = ("LO", "LT", "SH", "ST", "UT", "UC", "PN")
SAFE_PRIVATE = {("Philips PET Private Group", 0x7053, 0x00), ("Philips PET Private Group", 0x7053, 0x09),
                ("GEMS_PETD_01", 0x0009, 0x0D), ("GEMS_PETD_01", 0x0009, 0x38), ("GEMS_PETD_01", 0x0009, 0x39),
                ("GEMS_PETD_01", 0x0009, 0x3B), ("GEMS_PETD_01", 0x0009, 0x3C), ("GEMS_PETD_01", 0x0009, 0x3D),
                ("GEMS_PETD_01", 0x0009, 0x3F), ("SIEMENS MED NM", 0x0019, 0x4C)}


def check(name, ok, detail=""):
    if ok:
        PASSED[0] += 1
        print(f"ok   {name}")
    else:
        FAILED[0] += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


# ---------------------------------------------------------------- the standard's table

def load_table():
    rows, _ = ps315_table.load()
    exact = {int(r["tag"], 16): r for r in rows if re.fullmatch("[0-9A-F]{8}", r["tag"])}
    return exact


def expected_action(row, options):
    given = [row["options"][o] for o in options if o in row["options"]]
    if "C" in given:
        return "C"
    if "K" in given:
        return "K"
    return row["basic"]


# ---------------------------------------------------------------- corpus

def shift_dates(ds, days):
    """Moves every DA and DT of a data set (recursively) by whole days: this script's own date arithmetic."""
    def move(text):
        d = dt.datetime.strptime(text[:8], "%Y%m%d") + dt.timedelta(days=days)
        return d.strftime("%Y%m%d") + text[8:]
    for elem in ds.iterall():
        if elem.VR in ("DA", "DT") and elem.value:
            elem.value = move(str(elem.value))


def add_private(ds, creator, group, element, vr, value):
    block = ds.private_block(group, creator, create=True)
    block.add_new(element, vr, value)


def phi_patient(ds, name, pid, phi):
    values = {"PatientName": name, "PatientID": pid, "PatientBirthDate": "19561103", "OtherPatientIDs": pid + "OTHER",
              "InstitutionName": "PHI St Quantum Hospital", "InstitutionAddress": "PHI 12 Isotope Road Curieville",
              "ReferringPhysicianName": "PHI^REFERRINGDOC", "OperatorsName": "PHI^OPERATORNAME",
              "StationName": "PHISTATION7", "AccessionNumber": "PHIACC0815", "StudyID": "PHISTUDY1",
              "StudyDescription": "PET PHI^QUANTPATIENT FDG", "DeviceSerialNumber": "PHIDSN123456"}
    for k, v in values.items():
        setattr(ds, k, v)
        phi.add(v.replace("^", "^"))
    ds.PatientWeight = "81.4321"
    ds.PatientSize = "1.7712"
    ds.PatientSex = "M"
    ds.PatientAge = "067Y"
    phi.update(["19561103", "PHIACC0815"])
    # Radiopharmaceutical sequence: nested PHI (a person, a code sequence with a PHI code meaning is vocabulary).
    rp = ds.RadiopharmaceuticalInformationSequence[0]
    rp.RadiopharmaceuticalStartDateTime = rp.get("RadiopharmaceuticalStartDateTime") or (ds.SeriesDate + "080000")
    rp.RadiopharmaceuticalStopDateTime = rp.RadiopharmaceuticalStartDateTime[:8] + "080500"
    rp.PersonName = "PHI^RPNESTEDPERSON"
    phi.update(["PHI^RPNESTEDPERSON", str(rp.RadiopharmaceuticalStartDateTime)[:14], str(rp.RadiopharmaceuticalStopDateTime)])
    # Private groups of three vendors: identifying values and the allow-listed quantitation values.
    add_private(ds, "GEMS_PETD_01", 0x0009, 0x05, "DT", "19561103101010")       # patient_datetime: PHI
    add_private(ds, "GEMS_PETD_01", 0x0009, 0x0D, "DT", ds.SeriesDate + ds.SeriesTime.split(".")[0])  # scan_datetime: kept
    add_private(ds, "GEMS_PETD_01", 0x0009, 0x3F, "FL", 6586.2)                  # half_life: kept
    add_private(ds, "GEMS_PETD_01", 0x0009, 0x0F, "ST", "PHI GE scan of PHI^QUANTPATIENT")
    add_private(ds, "Philips PET Private Group", 0x7053, 0x03, "ST", "PHI_DOE_JOHN_PET.img")
    add_private(ds, "SIEMENS MED NM", 0x0019, 0x4C, "FL", 25000.0)               # acquisition time per window: kept
    add_private(ds, "SIEMENS MED NM", 0x0019, 0x48, "SH", "PHISIEMENSNAME")
    add_private(ds, "SIEMENS CSA HEADER", 0x0029, 0x10, "OB", b"PHI-CSA-PATIENT-DOE-JOHN")
    phi.update(["PHI GE scan of PHI^QUANTPATIENT", "PHI_DOE_JOHN_PET.img", "PHISIEMENSNAME", "PHI-CSA-PATIENT-DOE-JOHN",
                "19561103101010"])


def value_for(vr, i, uids):
    date = (dt.date(1990, 1, 1) + dt.timedelta(days=i % 300)).strftime("%Y%m%d")
    return {
        "AE": f"PHIAE{i:04d}", "AS": "042Y", "CS": f"PHICS{i:04d}", "DA": date, "DT": date + f"1213{i % 60:02d}",
        "TM": f"1314{i % 60:02d}", "DS": f"{1000 + i}.125", "IS": f"{900000 + i}", "LO": f"PHILO{i:04d}",
        "LT": f"PHILT{i:04d} text", "SH": f"PHISH{i:04d}", "ST": f"PHIST{i:04d} text", "UT": f"PHIUT{i:04d} text",
        "UC": f"PHIUC{i:04d}", "PN": f"PHI^PN{i:04d}", "UR": f"http://phi.example/{i:04d}",
        "UI": uids(i), "OB": f"PHIOB{i:04d}".encode(), "OW": f"PHIOW{i:04d}".encode(), "UN": f"PHIUN{i:04d}".encode(),
        "US": 1, "SS": 1, "UL": 1, "SL": 1, "FL": 1.0, "FD": 1.0, "OD": b"\0" * 8, "OF": b"\0" * 4, "OL": b"\0" * 4,
        "SV": 1, "UV": 1, "AT": 0x00100010,
    }.get(vr)


def make_all_attributes(template, table, phi):
    """A PET slice with a distinct PHI value in every attribute of Table E.1-1 that pydicom knows."""
    ds = pydicom.dcmread(template)
    uid = lambda i: f"1.2.826.0.1.3680043.10.543.{1000 + i}"
    for i, (tag, row) in enumerate(sorted(table.items())):
        group = tag >> 16
        if group in (0x0000, 0x0002, 0x0004) or tag in (0x00080016,):
            continue
        try:
            vr = dictionary_VR(tag).split(" ")[0]
        except KeyError:
            continue
        if vr == "SQ":
            item = Dataset()
            item.ReferencedSOPInstanceUID = uid(5000 + i)
            item.PersonName = f"PHI^SQ{i:04d}"
            code = Dataset()
            code.CodeValue = f"PHISQC{i:04d}"
            code.CodingSchemeDesignator = "99PHI"
            code.CodeMeaning = f"PHI code meaning {i:04d}"
            item.PersonIdentificationCodeSequence = Sequence([code])
            ds.add_new(tag, "SQ", Sequence([item]))
            phi.update([uid(5000 + i), f"PHI^SQ{i:04d}", f"PHISQC{i:04d}", f"PHI code meaning {i:04d}"])
            continue
        v = value_for(vr, i, uid)
        if v is None:
            continue
        ds.add_new(tag, vr, v)
        if isinstance(v, (str, bytes)) and len(v) >= 6:
            phi.add(v.decode() if isinstance(v, bytes) else v)
    ds.add_new(0x60003000, "OW", b"PHIOVERLAYBITS00")
    ds.add_new(0x60004000, "LT", "PHI overlay comment DOE")
    phi.update(["PHIOVERLAYBITS00", "PHI overlay comment DOE"])
    return ds


def new_object(sop_class, sop_instance):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = sop_class, sop_instance
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_instance
    return ds


def make_sr(phi):
    ds = new_object("1.2.840.10008.5.1.4.1.1.88.11", "1.2.826.0.1.3680043.10.543.77001")
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.543.77002"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.543.77003"
    ds.Modality = "SR"
    ds.PatientName = "PHI^SRPATIENT"
    ds.PatientID = "PHISRID9911"
    ds.PatientBirthDate = "19490707"
    ds.StudyDate, ds.StudyTime, ds.ContentDate, ds.ContentTime = "20240301", "101500", "20240301", "102000"
    ds.ValueType, ds.CompletionFlag, ds.VerificationFlag = "CONTAINER", "COMPLETE", "UNVERIFIED"
    ds.ContinuityOfContent = "SEPARATE"

    def code(v, m):
        c = Dataset()
        c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = v, "DCM", m
        return Sequence([c])
    ds.ConceptNameCodeSequence = code("121070", "Findings")
    text = Dataset()
    text.RelationshipType, text.ValueType = "CONTAINS", "TEXT"
    text.ConceptNameCodeSequence = code("121071", "Finding")
    text.TextValue = "PHI SR text: patient John PHIDOE-SR born 1949, MRN PHISRID9911"
    name = Dataset()
    name.RelationshipType, name.ValueType = "CONTAINS", "PNAME"
    name.ConceptNameCodeSequence = code("121008", "Person Observer Name")
    name.PersonName = "PHI^SRNESTEDOBSERVER"
    date = Dataset()
    date.RelationshipType, date.ValueType = "CONTAINS", "DATE"
    date.ConceptNameCodeSequence = code("111060", "Study Date")
    date.Date = "19490707"
    inner = Dataset()
    inner.RelationshipType, inner.ValueType, inner.ContinuityOfContent = "CONTAINS", "CONTAINER", "SEPARATE"
    inner.ConceptNameCodeSequence = code("111028", "Image Library")
    inner.ContentSequence = Sequence([name, date])
    ds.ContentSequence = Sequence([text, inner])
    phi.update(["PHI SR text: patient John PHIDOE-SR", "PHIDOE-SR", "PHI^SRNESTEDOBSERVER", "PHI^SRPATIENT", "PHISRID9911", "19490707"])
    return ds


def make_burned(phi):
    ds = new_object("1.2.840.10008.5.1.4.1.1.7", "1.2.826.0.1.3680043.10.543.88001")
    ds.PatientName, ds.PatientID = "PHI^BURNEDSCREEN", "PHIBURN0001"
    ds.BurnedInAnnotation = "YES"
    ds.Modality, ds.ConversionType = "OT", "WSD"
    ds.Rows = ds.Columns = 4
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = b"PHIPIXELS-DOE-JO"
    phi.update(["PHI^BURNEDSCREEN", "PHIBURN0001", "PHIPIXELS-DOE-JO"])
    return ds


def make_corpus(scinti, root):
    phi = set()
    inp = os.path.join(root, "in")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(inp, "phi"))
    sim = os.path.join(root, "sim")
    subprocess.run([scinti, "pet", "simulate", "--matrix", "32,32,8", "--voxel", "6", "--encoding", "philips-cnts",
                    "--out", sim], check=True, capture_output=True)
    sim_files = sorted(p for p in glob.glob(os.path.join(sim, "**", "*.dcm"), recursive=True))
    study1, study2 = generate_uid(), generate_uid()
    series1, series2 = generate_uid(), generate_uid()
    for visit, shift, study, series in (("v1", 0, study1, series1), ("v2", 37, study2, series2)):
        os.makedirs(os.path.join(inp, "visits", visit))
        for k, p in enumerate(sim_files):
            ds = pydicom.dcmread(p)
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
            phi_patient(ds, "PHI^QUANTPATIENT", "PHIQID4711", phi)
            shift_dates(ds, shift)
            ds.save_as(os.path.join(inp, "visits", visit, f"slice{k:03d}.dcm"), enforce_file_format=True)
    table = load_table()
    allds = make_all_attributes(sim_files[0], table, phi)
    allds.save_as(os.path.join(inp, "phi", "all.dcm"), enforce_file_format=True)
    make_sr(phi).save_as(os.path.join(inp, "phi", "sr.dcm"), enforce_file_format=True)
    make_burned(phi).save_as(os.path.join(inp, "phi", "burned.dcm"), enforce_file_format=True)
    # DICOMDIR over copies of the first visit (pydicom's FileSet writes the records from the instances).
    from pydicom.fileset import FileSet
    fs = FileSet()
    for p in sorted(glob.glob(os.path.join(inp, "visits", "v1", "*.dcm")))[:3]:
        fs.add(pydicom.dcmread(p))
    fs.write(os.path.join(inp, "media"))
    return inp, phi, sim_files


# ---------------------------------------------------------------- map

def open_map(path, secret):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
    raw = open(path, "rb").read()
    magic = b"SCINTI-DEID-MAP-1\n"
    assert raw.startswith(magic), "map header"
    salt, nonce, sealed = raw[18:34], raw[34:46], raw[46:]
    key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=200_000).derive(secret)
    return json.loads(AESGCM(key).decrypt(nonce, sealed, magic))


# ---------------------------------------------------------------- checks

def all_bytes(out_dir):
    for p in sorted(glob.glob(os.path.join(out_dir, "**", "*"), recursive=True)):
        if os.path.isfile(p):
            yield p, open(p, "rb").read()


def kept_values(inp, table, options):
    """Values the profile keeps by definition (K, and times under Modified Dates): excepted from the byte search."""
    kept = set()
    for p in glob.glob(os.path.join(inp, "**", "*.dcm"), recursive=True):
        ds = pydicom.dcmread(p)
        for e in ds.iterall():
            row = table.get(int(e.tag))
            if row is None or e.VR == "SQ":
                continue
            a = expected_action(row, options)
            # K; times under Modified Dates; descriptors that Clean keeps without the object's identifying words
            # (whose removal the byte search checks through the identifying values themselves).
            if a == "K" or (a == "C" and e.VR in ("TM", "CS") + FREE_TEXT):
                kept.add(str(e.value))
    return kept


def check_bytes(name, phi, out_dir, exempt):
    hits = []
    needles = sorted(s for s in phi if len(s) >= 6 and s not in exempt)
    # Numbers (dates, times, IS values) are searched with digit boundaries: a new 39-digit UID may contain "131412"
    # by chance, a date written as a value cannot hide that way.
    numeric = {s: re.compile(rb"(?<![0-9])" + re.escape(s.encode()) + rb"(?![0-9])") for s in needles if re.fullmatch(r"[0-9.]+", s)}
    for p, data in all_bytes(out_dir):
        for s in needles:
            found = numeric[s].search(data) is not None if s in numeric else (s.encode() in data or s.upper().encode() in data)
            if found:
                hits.append(f"{os.path.relpath(p, out_dir)}: {s!r}")
    check(f"{name}: no PHI string in any output byte ({len(needles)} strings)", not hits, "; ".join(hits[:10]))


def is_uid(v):
    return bool(re.fullmatch(r"[0-9]+(\.[0-9]+)*", v)) and len(v) <= 64


def check_actions(name, inp, out_dir, table, options, offsets, uid_map):
    counts = {}
    bad = []
    for p in sorted(glob.glob(os.path.join(inp, "**", "*.dcm"), recursive=True)):
        rel = os.path.relpath(p, inp)
        op = os.path.join(out_dir, rel)
        src = pydicom.dcmread(p)
        if rel.endswith("burned.dcm"):
            check(f"{name}: Burned In Annotation YES not exported", not os.path.exists(op))
            continue
        if not os.path.exists(op):
            bad.append(f"{rel}: not exported")
            continue
        out = pydicom.dcmread(op)
        offset = offsets.get(str(src.get("PatientID", "")), 0)
        for e in src:
            tag = int(e.tag)
            row = table.get(tag)
            if row is None or e.tag.is_private:
                continue
            a = expected_action(row, options)
            counts[a] = counts.get(a, 0) + 1
            o = out.get(e.tag)
            orig = e.value
            present = o is not None
            empty = present and (o.value in (None, "", b"") or (o.VR == "SQ" and len(o.value) == 0))
            changed = present and not empty and o.value != orig
            ok = True
            if a == "X":
                ok = not present
            elif a == "Z":
                ok = present and (empty or changed)
            elif a in ("D",):
                ok = present and not empty and (changed or e.VR == "SQ")
            elif a == "X/Z":
                ok = not present or empty
            elif a in ("X/D", "X/Z/D", "Z/D"):
                ok = (not present and a != "Z/D") or empty or changed or e.VR == "SQ"
            elif a in ("U", "X/Z/U*"):
                if e.VR == "UI":
                    vals = [str(x) for x in (orig if isinstance(orig, list) or hasattr(orig, "__iter__") and not isinstance(orig, str) else [orig])]
                    new = [str(x) for x in (o.value if present and not isinstance(o.value, str) else [o.value])] if present else []
                    ok = present and all(is_uid(n) and n != v for v, n in zip(vals, new))
                    for v, n in zip(vals, new):
                        if uid_map.setdefault(v, n) != n:
                            ok = False
                else:
                    ok = present or a == "X/Z/U*"
            elif a == "K":
                ok = present and (o.value == orig or e.VR == "SQ")
            elif a == "C":
                if e.VR in ("DA", "DT"):
                    want = (dt.datetime.strptime(str(orig)[:8], "%Y%m%d") + dt.timedelta(days=offset)).strftime("%Y%m%d") + str(orig)[8:]
                    ok = present and str(o.value) == want
                elif e.VR == "TM":
                    ok = present and o.value == orig
                else:
                    ok = present or e.VR == "SQ"
            if not ok:
                bad.append(f"{rel} {e.tag} {keyword_for_tag(tag)} action {a}: {orig!r} -> {o.value if present else 'absent'!r}")
        # Nested: the radiopharmaceutical start date-time.
        if "RadiopharmaceuticalInformationSequence" in src:
            s = src.RadiopharmaceuticalInformationSequence[0].get("RadiopharmaceuticalStartDateTime")
            t = out.RadiopharmaceuticalInformationSequence[0].get("RadiopharmaceuticalStartDateTime") if "RadiopharmaceuticalInformationSequence" in out else None
            if "retain_longitudinal_modified_dates" in options:
                want = (dt.datetime.strptime(s[:8], "%Y%m%d") + dt.timedelta(days=offset)).strftime("%Y%m%d") + s[8:]
                if t != want:
                    bad.append(f"{rel}: Radiopharmaceutical Start DateTime {s} -> {t}, want {want}")
            elif t is not None:
                bad.append(f"{rel}: Radiopharmaceutical Start DateTime kept under the Basic Profile")
        # Method attributes.
        codes = [i.CodeValue for i in out.get("DeidentificationMethodCodeSequence", [])]
        want_codes = {"113100"} | {{"retain_longitudinal_modified_dates": "113107", "retain_patient_characteristics": "113108",
                                    "retain_safe_private": "113111", "clean_descriptors": "113105"}[o] for o in options}
        if out.get("PatientIdentityRemoved") != "YES" or set(codes) != want_codes:
            bad.append(f"{rel}: Patient Identity Removed {out.get('PatientIdentityRemoved')}, method codes {codes}")
        want_ltm = "MODIFIED" if "retain_longitudinal_modified_dates" in options else "REMOVED"
        if out.get("LongitudinalTemporalInformationModified") != want_ltm:
            bad.append(f"{rel}: Longitudinal Temporal Information Modified {out.get('LongitudinalTemporalInformationModified')}")
        # Private elements: only the allow-list, and only with Retain Safe Private.
        for e in out.iterall():
            if e.tag.is_private and not e.tag.is_private_creator:
                creator = e.private_creator
                key = (creator, e.tag.group, e.tag.element & 0xFF)
                if "retain_safe_private" not in options or key not in SAFE_PRIVATE:
                    bad.append(f"{rel}: private {e.tag} of {creator!r} kept")
    check(f"{name}: every listed attribute has its Table E.1-1 action ({sum(counts.values())} attributes: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")", not bad, "; ".join(bad[:12]) + (f" … {len(bad)} in all" if len(bad) > 12 else ""))


def suv_json(scinti, folder):
    r = subprocess.run([scinti, "pet", "suv", folder, "--json"], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return json.loads(r.stdout)


def numbers(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from numbers(v, prefix + "." + k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from numbers(v, f"{prefix}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield prefix, float(obj)


def dciodvfy_errors(path):
    r = subprocess.run(["dciodvfy", "-new", path], capture_output=True, text=True)
    return {re.sub(r"\s+", " ", l.strip()) for l in (r.stdout + r.stderr).splitlines() if l.startswith("Error")}


def check_dose_export(scinti, work, secret_path):
    """Decay-corrected SPECT activities of a serial Lu-177 study (`scinti dose`, four visits, SEG masks referencing
    the first CT by UID) identical before and after a Modified Dates + Retain Patient Characteristics export."""
    sim, out = os.path.join(work, "dose-sim"), os.path.join(work, "dose-deid")
    subprocess.run([scinti, "dose", "--write-simulated", sim], check=True, capture_output=True)
    r = subprocess.run([scinti, "deid", sim, "--out", out, "--secret-file", secret_path, "--modified-dates",
                        "--retain-patient-characteristics"], capture_output=True, text=True)
    check("dose study: scinti deid exits 0", r.returncode == 0, r.stderr[-600:])
    # Every UID reference of the study (SEG → CT images, series, frame of reference) still resolves after remapping.
    def resolved(root):
        files = [pydicom.dcmread(p) for p in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)) if os.path.isfile(p) and not p.endswith(".json")]
        own = {str(d.get(k)) for d in files for k in ("SOPInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID", "StudyInstanceUID") if d.get(k)}
        refs = [str(e.value) for d in files for e in d.iterall() if e.VR == "UI" and e.keyword.startswith("Referenced")
                and e.keyword not in ("ReferencedSOPClassUID", "ReferencedSOPClassUIDInFile", "ReferencedTransferSyntaxUIDInFile")]
        seg = pydicom.dcmread(os.path.join(root, "masks.dcm")).FrameOfReferenceUID
        return len(refs), sum(r in own for r in refs), sum(str(d.get("FrameOfReferenceUID")) == seg for d in files)
    rb, ra = resolved(sim), resolved(out)
    check(f"dose study: references resolve after export as before ({ra[1]} of {ra[0]} Referenced… UIDs; the SEG masks share "
          f"their Frame of Reference with {ra[2] - 1} images, before {rb[2] - 1})", ra == rb and rb[2] > 1, f"{rb} vs {ra}")
    reports = []
    for root in (sim, out):
        args = [scinti, "dose"] + sum([["--timepoint", os.path.join(root, f"tp{k}")] for k in range(1, 5)], []) + [
            "--masks", os.path.join(root, "masks.dcm"), "--isotope", "Lu-177", "--method", "sphere",
            "--out", os.path.join(work, "dose-report-" + os.path.basename(root)), "--json"]
        p = subprocess.run(args, capture_output=True, text=True, timeout=600)
        check(f"dose study: scinti dose on {os.path.basename(root)} exits 0", p.returncode == 0, p.stderr[-600:])
        reports.append(dict(numbers(json.loads(p.stdout))) if p.returncode == 0 else {})
    before, after = reports
    diffs = [(k, v, after.get(k)) for k, v in before.items()
             if after.get(k) is None or abs(after[k] - v) > 1e-9 * max(abs(v), 1e-30)]
    acts = [k for k in before if "activitiesMBq" in k]
    hours = [k for k in before if k.endswith(".hours")]
    check(f"dose study: decay-corrected SPECT activities ({len(acts)}), visit times after administration ({len(hours)}) "
          f"and every other number of `scinti dose --json` ({len(before)}) identical after export",
          bool(acts) and bool(hours) and not diffs, str(diffs[:6]))


def main():
    scinti, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    table = load_table()
    inp, phi, _ = make_corpus(scinti, work)
    secret_path = os.path.join(work, "secret")
    secret = b"scinti-deid-oracle-secret-0123456789"
    open(secret_path, "wb").write(secret)

    def deid(out, options, mapping):
        flags = {"retain_longitudinal_modified_dates": "--modified-dates", "retain_patient_characteristics": "--retain-patient-characteristics",
                 "retain_safe_private": "--retain-safe-private", "clean_descriptors": "--clean-descriptors"}
        r = subprocess.run([scinti, "deid", inp, "--out", out, "--secret-file", secret_path, "--mapping", mapping]
                           + [flags[o] for o in options], capture_output=True, text=True, timeout=600)
        check(f"scinti deid {' '.join(flags[o] for o in options) or '(Basic Profile)'} exits 0", r.returncode == 0, r.stderr[-800:])
        return r

    for label, options in (("basic", []), ("quantitative", QUANT)):
        out = os.path.join(work, "out-" + label)
        mapping = os.path.join(work, label + ".map")
        deid(out, options, mapping)
        m = open_map(mapping, secret)
        offsets = {p["patientID"]: p.get("dateOffsetDays") or 0 for p in m["patients"].values()}
        check(f"{label}: pseudonym map opens with the secret (AES-256-GCM) and names the corpus patients",
              {"PHIQID4711", "PHISRID9911"} <= set(offsets), str(sorted(offsets)))
        shown = subprocess.run([scinti, "deid", "--read-mapping", mapping, "--secret-file", secret_path], capture_output=True, text=True)
        check(f"{label}: `scinti deid --read-mapping` shows the same map (re-identification at the site)",
              shown.returncode == 0 and json.loads(shown.stdout) == m, shown.stderr[-300:])
        exempt = kept_values(inp, table, options) if options else set()
        if options:
            exempt |= {"81.4321", "1.7712", "067Y"}
        check_bytes(label, phi, out, exempt)
        uid_map = {}
        check_actions(label, inp, out, table, options, offsets, uid_map)
        # Every reference to an exported instance points at the new UID of that instance.
        sop = {}
        for p, _ in all_bytes(out):
            if os.path.basename(p) != "DICOMDIR":
                d = pydicom.dcmread(p)
                sop[str(d.SOPInstanceUID)] = p
        refs = []
        for p, _ in all_bytes(out):
            d = pydicom.dcmread(p)
            for e in d.iterall():
                if e.keyword in ("ReferencedSOPInstanceUID", "ReferencedSOPInstanceUIDInFile") and str(e.value) in uid_map:
                    refs.append(str(e.value))
        check(f"{label}: original UIDs map to one new UID each ({len(uid_map)} UIDs)", len(set(uid_map.values())) == len(uid_map))
        check(f"{label}: no reference in any output (nested ones included) still holds an original UID", not refs, str(refs[:5]))
        # DICOMDIR: loads with valid offsets, records point at exported files with the new UIDs.
        from pydicom.fileset import FileSet
        dd = pydicom.dcmread(os.path.join(out, "media", "DICOMDIR"))
        try:
            fs = FileSet(dd)
            ok = all(os.path.exists(i.path) and str(i.SOPInstanceUID) == str(pydicom.dcmread(i.path).SOPInstanceUID) for i in fs)
            check(f"{label}: DICOMDIR loads in pydicom's FileSet and its {len(fs)} records reference the exported files", ok and len(fs) == 3)
        except Exception as ex:  # noqa: BLE001
            check(f"{label}: DICOMDIR loads in pydicom's FileSet", False, repr(ex))
        if options:
            # Intervals between the visits exact; SUV factors identical.
            v = {}
            for visit in ("v1", "v2"):
                d = pydicom.dcmread(sorted(glob.glob(os.path.join(out, "visits", visit, "*.dcm")))[0])
                v[visit] = dt.datetime.strptime(d.StudyDate + d.StudyTime.split(".")[0], "%Y%m%d%H%M%S")
            d = pydicom.dcmread(sorted(glob.glob(os.path.join(out, "visits", "v1", "*.dcm")))[0])
            check(f"{label}: Clean Descriptors keeps the study description without the patient's name",
                  d.get("StudyDescription") == "PET FDG", repr(d.get("StudyDescription")))
            check(f"{label}: the two visits are still 37 days apart", v["v2"] - v["v1"] == dt.timedelta(days=37), str(v["v2"] - v["v1"]))
            for visit in ("v1", "v2"):
                before = dict(numbers(suv_json(scinti, os.path.join(inp, "visits", visit))))
                after = dict(numbers(suv_json(scinti, os.path.join(out, "visits", visit))))
                diffs = [(k, before[k], after.get(k)) for k in before
                         if after.get(k) is None or abs(after[k] - before[k]) > 1e-9 * max(abs(before[k]), 1e-30)]
                key = [k for k in before if "suvbw" in k.lower() or "factor" in k.lower()]
                check(f"{label}: scinti pet suv numbers identical after export, visit {visit} ({len(before)} numbers incl. {', '.join(sorted(key)[:3])})",
                      not diffs and bool(key), str(diffs[:5]))
        if shutil.which("dciodvfy"):
            src = sorted(glob.glob(os.path.join(inp, "visits", "v1", "*.dcm")))[0]
            dst = os.path.join(out, os.path.relpath(src, inp))
            new = dciodvfy_errors(dst) - dciodvfy_errors(src)
            check(f"{label}: dciodvfy reports no new error on an exported PET slice", not new, "; ".join(sorted(new)[:8]))
            new = dciodvfy_errors(os.path.join(out, "phi", "sr.dcm")) - dciodvfy_errors(os.path.join(inp, "phi", "sr.dcm"))
            check(f"{label}: dciodvfy reports no new error on the exported SR", not new, "; ".join(sorted(new)[:8]))
    check_dose_export(scinti, work, secret_path)
    # Deterministic: the same input and secret give identical bytes.
    again = os.path.join(work, "out-basic-again")
    deid(again, [], os.path.join(work, "again.map"))
    a = dict((os.path.relpath(p, os.path.join(work, "out-basic")), d) for p, d in all_bytes(os.path.join(work, "out-basic")))
    b = dict((os.path.relpath(p, again), d) for p, d in all_bytes(again))
    check(f"deterministic: a second export with the same secret is byte-identical ({len(a)} files)", a == b and len(a) > 0)
    # Zip output: the same files, byte for byte, as the folder export (read with Python's zipfile).
    import zipfile
    z = os.path.join(work, "out.zip")
    deid(z, [], os.path.join(work, "zip.map"))
    with zipfile.ZipFile(z) as zf:
        bad = zf.testzip()
        zipped = {n: zf.read(n) for n in zf.namelist()}
    check(f"zip output: Python's zipfile reads it, CRCs valid, same {len(zipped)} files as the folder export",
          bad is None and zipped == a, str(sorted(set(zipped) ^ set(a)))[:300])
    print(f"{PASSED[0]} passed, {FAILED[0]} failed")
    sys.exit(1 if FAILED[0] else 0)


if __name__ == "__main__":
    main()
