#!/usr/bin/env python3
"""pylinac's nuclear module (IAEA NMQC reimplementation) on given files; prints one JSON object.

Run with an interpreter that has pylinac (it pins pydicom < 3, so check_qc.py keeps it in its own virtual
environment). Usage: qc_pylinac.py JOB.json, JOB = [{"kind": "uniformity"|"tomo_uniformity"|"tomo_resolution"|"four_bar",
"file": PATH, "first": N, "last": N}, ...]. Output: a list of pylinac's numbers per job (or {"error": "..."}).
"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import matplotlib
matplotlib.use("Agg")
from pylinac.nuclear import FourBarResolution, PlanarUniformity, TomographicUniformity, TomographicResolution

out = []
for job in json.load(open(sys.argv[1])):
    try:
        if job["kind"] == "uniformity":
            u = PlanarUniformity(job["file"]); u.analyze()
            out.append([v.model_dump() for v in u.results_data().values()])
        elif job["kind"] == "tomo_uniformity":
            t = TomographicUniformity(job["file"]); t.analyze(first_frame=job["first"], last_frame=job["last"])
            out.append(t.results_data().model_dump())
        elif job["kind"] == "four_bar":
            t = FourBarResolution(job["file"]); t.analyze(separation_mm=job["separation"], roi_width_mm=10)
            out.append(t.results_data().model_dump())
        elif job["kind"] == "tomo_resolution":
            t = TomographicResolution(job["file"]); t.analyze()
            out.append(t.results_data().model_dump())
    except Exception as e:  # noqa: BLE001 - reported to the caller, which fails the check
        out.append({"error": f"{type(e).__name__}: {e}"})
print(json.dumps(out, default=str))
