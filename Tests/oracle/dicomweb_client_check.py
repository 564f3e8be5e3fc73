#!/usr/bin/env python3
"""Exercises `scinti serve` with the pip package dicomweb-client (an independent DICOMweb implementation) and checks
what comes back with pydicom: STOW of the given files, QIDO at the three levels, WADO instance (pixels equal to the
originals as pydicom decodes them), metadata, frames (bytes equal to the original native frame) and rendered PNG.

Usage: dicomweb_client_check.py BASE_URL TOKEN FILE...
Prints one line per check and "N passed, N failed"; exits 1 when anything failed."""
import sys

import numpy as np
import pydicom
from dicomweb_client.api import DICOMwebClient

base, token, files = sys.argv[1], sys.argv[2], sys.argv[3:]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS: {name}")
    else:
        failed += 1
        print(f"FAIL: {name} {detail}")


client = DICOMwebClient(url=f"{base}/dicom-web", headers={"Authorization": f"Bearer {token}"})
originals = [pydicom.dcmread(f) for f in files]
resp = client.store_instances(originals)
check("STOW-RS store_instances: no FailedSOPSequence", "FailedSOPSequence" not in resp, str(resp))
check("STOW-RS store_instances: every instance referenced", len(resp.get("ReferencedSOPSequence", [])) == len(originals))

first = originals[0]
study, series, sop = first.StudyInstanceUID, first.SeriesInstanceUID, first.SOPInstanceUID
studies = client.search_for_studies(search_filters={"PatientID": first.PatientID})
uids = [pydicom.Dataset.from_json(s).StudyInstanceUID for s in studies]
check("QIDO-RS search_for_studies by PatientID", study in uids, str(uids))
name = str(first.PatientName)
studies = client.search_for_studies(search_filters={"PatientName": name[:3] + "*"})
check("QIDO-RS wildcard PatientName", study in [pydicom.Dataset.from_json(s).StudyInstanceUID for s in studies])
studies = client.search_for_studies(search_filters={"PatientName": "NOBODY-*"})
check("QIDO-RS non-matching wildcard gives no study", len(studies) == 0)
ser = client.search_for_series(study)
want_series = sorted({o.SeriesInstanceUID for o in originals if o.StudyInstanceUID == study})
got_series = sorted(pydicom.Dataset.from_json(s).SeriesInstanceUID for s in ser)
check("QIDO-RS search_for_series", set(want_series) <= set(got_series), f"{want_series} vs {got_series}")
inst = client.search_for_instances(study, series)
check("QIDO-RS search_for_instances", sop in [pydicom.Dataset.from_json(i).SOPInstanceUID for i in inst])

ds = client.retrieve_instance(study, series, sop)
check("WADO-RS retrieve_instance: same SOP Instance UID", ds.SOPInstanceUID == sop)
check("WADO-RS retrieve_instance: pixels equal (pydicom)", np.array_equal(ds.pixel_array, first.pixel_array))
meta = client.retrieve_instance_metadata(study, series, sop)
m = pydicom.Dataset.from_json(meta, bulk_data_uri_handler=lambda *a: b"")
check("WADO-RS metadata: PatientID and Rows", m.PatientID == first.PatientID and m.Rows == first.Rows)
frames = client.retrieve_instance_frames(study, series, sop, frame_numbers=[1])
arr = first.pixel_array
frame0 = arr if getattr(first, "NumberOfFrames", 1) in (None, 1) and arr.ndim == 2 else arr[0]
want = frame0.astype(frame0.dtype.newbyteorder("<")).tobytes()
check("WADO-RS frames: frame 1 equals the original native frame", len(frames) == 1 and frames[0] == want,
      f"{len(frames[0]) if frames else 0} vs {len(want)} bytes")
png = client.retrieve_instance_rendered(study, series, sop, media_types=("image/png",))
check("WADO-RS rendered: PNG", png[:8] == b"\x89PNG\r\n\x1a\n")
series_meta = client.retrieve_series_metadata(study, series)
check("WADO-RS series metadata: one object per instance",
      len(series_meta) == sum(1 for o in originals if o.SeriesInstanceUID == series))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
