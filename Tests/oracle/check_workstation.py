#!/usr/bin/env python3
"""Reading workstation in a real browser (headless Chromium driven by Selenium): hanging protocols, linked
crosshairs, per-slice contours with interpolation, brush and eraser (docs/review.md).

Usage: check_workstation.py URL TOKEN OUTDIR [--gated STUDY] [--wb STUDY DICOM] [--bone BASELINE_STUDY BASELINE_DICOM
                            FOLLOWUP_DICOM] [--spect STUDY] [--serial STUDY] [--pet STUDY]

Each protocol is opened as a user would (the study with `#study=UID&hang`), and must name the expected protocol,
have the banner with the patient, orientation letters, scale bars and the colour bar (check_review_browser.furniture)
and is saved as OUTDIR/viewer-protocol-NAME.png (the shell script checks it is not blank). Per protocol:
- gated: the cine plays, a curve is drawn beside it; `]` raises the cine speed by 2 frames/s.
- wb: two panes ANT/POST; ANT has the patient's right on the left (R … L), POST the reverse; the frame order is
  checked against the file's Detector Information Sequence view codes (pydicom).
- bone: baseline and follow-up side by side; the normalisation factor equals numpy's on the DICOM pixels (baseline /
  follow-up counts over the baseline's body pixels between its 60th and 95th percentiles); after the window is
  changed, the baseline and the normalised follow-up panes are drawn with the same grey levels.
- serial: one coronal and one axial pane per visit; a click on the first pane puts every pane's crosshair on the
  voxel nearest the clicked point in LPS (each visit's geometry from /api/series/{uid}/info, computed here).
- spect: the SPECT/CT tri-planar view with the CT fused and the MIP; then contours drawn with the mouse on two axial
  slices 4 apart (squares of half-width 5.5 and 9.5 voxels, the second shifted 4 columns) make one VOI whose
  in-between slices are the squares with linearly interpolated centre and half-width (numpy); a brush dab adds the
  voxels within the radius (mm) of the clicked point, the eraser removes them (numpy).
- pet: PET/CT with SUV: the window is SUVbw 0–5 (the high end × the SUVbw factor = 5).
Prints one line per check; exits non-zero on the first failure.
"""
import json
import sys
import time
import urllib.request

import numpy as np
import pydicom
from check_review_browser import furniture, ok
from headless_chromium import chromium
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def open_study(d, wait, url, token, study, protocol):
    d.get("about:blank")
    d.get(f"{url}/?token={token}#study={study}&hang=1&still=1")
    wait.until(lambda x: x.execute_script("return document.body.dataset.ready"))
    got = d.execute_script("return document.body.dataset.protocol")
    ok(got == protocol, f"study opens in the hanging protocol '{got}'")


def info_of(url, token, series):
    r = urllib.request.Request(f"{url}/api/series/{series}/info", headers={"Authorization": f"Bearer {token}"})
    return json.load(urllib.request.urlopen(r))


def lps(info, v):
    o, s = np.array(info["origin"]), info["spacing"]
    return o + v[0] * s[0] * np.array(info["rowDirection"]) + v[1] * s[1] * np.array(info["columnDirection"]) + v[2] * s[2] * np.array(info["sliceDirection"])


def canvas_grey(d, cid):
    return np.array(d.execute_script(
        "const c = document.getElementById(arguments[0]); return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0))", cid), float)


def pixels(path):
    ds = pydicom.dcmread(path)
    a = ds.pixel_array.astype(np.float64)
    return (a[None] if a.ndim == 2 else a) * float(getattr(ds, "RescaleSlope", 1) or 1) + float(getattr(ds, "RescaleIntercept", 0) or 0)


def gated(d, wait, url, token, study, out):
    open_study(d, wait, url, token, study, "gated cine with curve")
    wait.until(lambda x: x.execute_script("return !!state.playing && document.querySelectorAll('#results canvas.chart').length > 0"))
    ok(True, "gated: the cine plays beside its curve")
    furniture(d, out, "protocol-gated-cine", 1)
    fps = d.execute_script("return +document.getElementById('fps').value")
    d.find_element(By.TAG_NAME, "body").send_keys("]")
    ok(d.execute_script("return +document.getElementById('fps').value") == fps + 2 and d.execute_script("return !!state.playing"),
       f"gated: key ] raises the cine speed from {fps} to {fps + 2} frames/s while it plays")


def whole_body(d, wait, url, token, study, path, out):
    open_study(d, wait, url, token, study, "whole-body ANT/POST pair")
    views = [str(x.ViewCodeSequence[0].CodeMeaning) if "ViewCodeSequence" in x else "" for x in pydicom.dcmread(path, stop_before_pixels=True).DetectorInformationSequence]
    ok(len(views) >= 2 and "anterior" in views[0].lower() and "posterior" in views[1].lower(), f"wb: the file's frames are {views} (pydicom)")
    letters = d.execute_script("return [...document.querySelectorAll('#canvases .pane')].map((p) => ['left', 'right'].map((w) => (p.querySelector('.orient.' + w) || {}).textContent).join(''))")
    ok(letters == ["RL", "LR"], f"wb: ANT pane R…L, POST pane L…R: {letters}")
    furniture(d, out, "protocol-whole-body", 2)


def bone(d, wait, url, token, study, base_path, fu_path, out):
    open_study(d, wait, url, token, study, "bone scan baseline vs follow-up")
    b, f = pixels(base_path), pixels(fu_path)
    body = np.sort(b[b > 0])
    lo, hi = body[int(0.6 * (body.size - 1))], body[int(0.95 * (body.size - 1))]
    ref = (b > 0) & (b >= lo) & (b <= hi)
    want = b[ref].sum() / f[ref].sum()
    got = float(d.execute_script("return document.body.dataset.factor"))
    ok(abs(got - want) <= 1e-6 * want, f"bone: normalisation factor {got:.6f} equals numpy's {want:.6f} on the DICOM pixels")
    ok(d.execute_script("return document.querySelectorAll('#canvases .pane').length") == 4, "bone: baseline and follow-up, ANT and POST, side by side")
    d.execute_script("const h = document.getElementById('high'); h.value = state.high * 0.4; h.onchange();")
    a, c = canvas_grey(d, "hp0"), canvas_grey(d, "hp1")
    diff = np.abs(a - c).mean() if a.size == c.size else 1e9
    ok(diff < 3, f"bone: window change applies to both; the normalised follow-up is drawn like the baseline (mean |Δgrey| {diff:.2f})")
    d.execute_script("state.high = state.high / 0.4; document.getElementById('high').value = state.high; Hanging.draw();")
    furniture(d, out, "protocol-bone-follow-up", 4)


def serial(d, wait, url, token, study, out):
    open_study(d, wait, url, token, study, "serial study grid")
    panes = d.execute_script("return Hanging.state.panes.map((p) => ({id: p.canvas.id, series: p.info.seriesUID, plane: p.plane}))")
    ok(len(panes) >= 4 and len({p["series"] for p in panes}) >= 2, f"serial: {len(panes)} panes over {len({p['series'] for p in panes})} visits")
    c = d.find_element(By.ID, panes[0]["id"])
    w, h = c.size["width"], c.size["height"]
    ActionChains(d).move_to_element_with_offset(c, int(w * 0.1), int(h * 0.05)).click().perform()
    time.sleep(0.2)
    infos = {p["series"]: info_of(url, token, p["series"]) for p in panes}
    vox = [json.loads(d.find_element(By.ID, p["id"]).get_attribute("data-cross-voxel")) for p in panes]
    x0 = lps(infos[panes[0]["series"]], vox[0])
    for p, v in zip(panes, vox):
        inf = infos[p["series"]]
        dims = [inf["width"], inf["height"], inf["depth"]]
        # The nearest voxel: every coordinate within half a voxel of the clicked point (or clamped at the edge).
        rows = np.array([inf["rowDirection"], inf["columnDirection"], inf["sliceDirection"]])
        q = rows @ (x0 - np.array(inf["origin"])) / np.array(inf["spacing"])
        want = np.clip(np.round(q), 0, np.array(dims) - 1)
        ok(list(want.astype(int)) == list(v), f"serial: pane {p['id']} crosshair on voxel {v} = nearest to LPS {np.round(x0, 1).tolist()} mm (numpy {want.astype(int).tolist()})")
    furniture(d, out, "protocol-serial-grid", len(panes))


def spect(d, wait, url, token, study, out):
    open_study(d, wait, url, token, study, "SPECT/CT tri-planar with MIP")
    ok(d.execute_script("return !!state.overlay && !!document.getElementById('cmip')"), "spect: CT fused, MIP pane drawn")
    furniture(d, out, "protocol-spect-ct", 3)
    info = d.execute_script("return state.primary && {w: state.primary.width, h: state.primary.height, z: state.primary.depth, s: state.primary.spacing}")
    nx, ny, nz = info["w"], info["h"], info["z"]
    ax = d.find_element(By.ID, "ax")
    d.execute_script("document.getElementById('sliceMode').value = 'contour'; document.getElementById('sliceMode').onchange(); document.getElementById('mip').click();")

    def at(x, y):  # offset from the canvas centre of image point (x, y) (pixel centres at integers)
        r = d.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height]", ax)
        return (x + 0.5) / nx * r[0] - r[0] / 2, (y + 0.5) / ny * r[1] - r[1] / 2

    def stroke(points):
        a = ActionChains(d)
        x, y = at(*points[0])
        a.move_to_element_with_offset(ax, round(x), round(y)).click_and_hold()
        for p in points[1:]:
            x, y = at(*p)
            a.move_to_element_with_offset(ax, round(x), round(y))
        a.release().perform()

    def square(cx, cy, hw):
        return [(cx - hw, cy - hw), (cx + hw, cy - hw), (cx + hw, cy + hw), (cx - hw, cy + hw), (cx - hw, cy - hw)]

    scale = d.execute_script("const r = arguments[0].getBoundingClientRect(); return r.width / state.primary.width", ax)
    ok(abs(scale * 2 - round(scale * 2)) < 1e-6, f"spect: {scale} screen pixels per voxel (half-voxel corners fall on screen pixels)")
    cx, cy = nx // 2 - 2, ny // 2
    k0 = max(0, min(nz - 5, d.execute_script("return state.cross[2]") - 2))
    contours = [(k0, cx, 5.5), (k0 + 4, cx + 4, 9.5)]
    for k, x, hw in contours:
        d.execute_script("state.cross[2] = arguments[0]; drawVolume();", k)
        stroke(square(x, cy, hw))
    rows = d.execute_script("return [...document.querySelectorAll('#voiStats tr.voiRow')].map((t) => Object.assign({}, t.dataset))")
    ok(len(rows) == 1, "spect: the contours on two slices make one VOI")

    def mask_of(row):
        m = np.zeros(nx * ny * nz, bool)
        r = json.loads(row["runs"])
        for s0, n in zip(r[0::2], r[1::2]):
            m[s0:s0 + n] = True
        return m.reshape(nz, ny, nx)

    kk, jj, ii = np.mgrid[0:nz, 0:ny, 0:nx]
    want = np.zeros((nz, ny, nx), bool)
    for k in range(k0, k0 + 5):
        t = (k - k0) / 4
        x, hw = cx + 4 * t, 5.5 + 4 * t
        want[k] = (np.abs(ii[k] - x) < hw) & (np.abs(jj[k] - cy) < hw)
    got = mask_of(rows[0])
    ok(np.array_equal(got, want), f"spect: contour VOI = the drawn squares on slices {k0}, {k0 + 4} and the interpolated squares between ({int(want.sum())} voxels; got {int(got.sum())})")
    sx, sy = info["s"][0], info["s"][1]
    k = k0 + 2
    d.execute_script("state.cross[2] = arguments[0]; drawVolume(); document.getElementById('sliceMode').value = 'brush'; document.getElementById('sliceMode').onchange(); document.getElementById('brushRadius').value = arguments[1];", k, 2 * sx)
    bx, by = cx + 2 + 7, cy
    x, y = at(bx, by)
    ActionChains(d).move_to_element_with_offset(ax, round(x), round(y)).click().perform()
    disc = ((ii[k] - bx) * sx) ** 2 + ((jj[k] - by) * sy) ** 2 <= (2 * sx) ** 2
    want[k] |= disc
    got = mask_of(d.execute_script("return [...document.querySelectorAll('#voiStats tr.voiRow')].map((t) => Object.assign({}, t.dataset))")[0])
    ok(np.array_equal(got, want), f"spect: a brush dab (radius {2 * sx:.2f} mm) adds the voxels within the radius of the point ({int(disc.sum())} voxels)")
    d.execute_script("document.getElementById('sliceMode').value = 'eraser'; document.getElementById('sliceMode').onchange();")
    ex, ey = cx + 2, cy
    x, y = at(ex, ey)
    ActionChains(d).move_to_element_with_offset(ax, round(x), round(y)).click().perform()
    want[k] &= ~(((ii[k] - ex) * sx) ** 2 + ((jj[k] - ey) * sy) ** 2 <= (2 * sx) ** 2)
    got = mask_of(d.execute_script("return [...document.querySelectorAll('#voiStats tr.voiRow')].map((t) => Object.assign({}, t.dataset))")[0])
    ok(np.array_equal(got, want), f"spect: the eraser removes the voxels within the radius ({int(want.sum())} voxels left)")
    d.save_screenshot(f"{out}/viewer-contours.png")


def pet(d, wait, url, token, study, out):
    open_study(d, wait, url, token, study, "PET/CT with SUV")
    v = d.execute_script("return [state.high, state.primary.suv && state.primary.suv.factors && state.primary.suv.factors.suvbwFactor]")
    ok(v[1] and abs(v[0] * v[1] - 5) < 1e-6, f"pet: window SUVbw 0–5 ({v[0]:.6g} Bq/mL × factor {v[1]:.6g} = {v[0] * v[1]:.4f})")
    furniture(d, out, "protocol-pet-suv", 3)


def main():
    url, token, out = sys.argv[1:4]
    args = sys.argv[4:]
    d = chromium("scinti-workstation-")
    wait = WebDriverWait(d, 60)
    try:
        for k, a in enumerate(args):
            if a == "--gated":
                gated(d, wait, url, token, args[k + 1], out)
            elif a == "--wb":
                whole_body(d, wait, url, token, args[k + 1], args[k + 2], out)
            elif a == "--bone":
                bone(d, wait, url, token, args[k + 1], args[k + 2], args[k + 3], out)
            elif a == "--serial":
                serial(d, wait, url, token, args[k + 1], out)
            elif a == "--spect":
                spect(d, wait, url, token, args[k + 1], out)
            elif a == "--pet":
                pet(d, wait, url, token, args[k + 1], out)
    finally:
        d.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
