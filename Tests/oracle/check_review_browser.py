#!/usr/bin/env python3
"""Region tools of the viewer in a real browser (headless Chromium driven by Selenium), checked against numpy.

Usage: check_review_browser.py URL TOKEN STUDY_UID SERIES_UID DICOM_FILE [--lvef-job JOB_ID OUTDIR]
                                [--voi STUDY_UID VOLUME_SERIES_UID OUTDIR] [--reg SERIAL_STUDY_UID OUTDIR]
                                [--pet STUDY_UID SERIES_UID PET_FOLDER]

Opens the planar (gated) series, draws a circle, an ellipse, a rectangle, a freehand polygon and a threshold-from-seed
region with the mouse, moves one by dragging and one by the arrow keys, resizes with +, copies a region to every frame
and deletes one; after each step the statistics the viewer shows (pixels, sum, mean, max, area) must equal those that
numpy computes from the DICOM file's pixels (pydicom) with the documented pixel rule (a pixel belongs to a shape when
its centre does; threshold: climb to the local maximum, keep the 4-connected pixels ≥ p % of it — scipy.ndimage).

With --lvef-job: shows that LVEF result, takes its regions over for editing, moves the end-systolic LV region by 2
pixels to the right with the keyboard, re-runs the job from the browser and writes the new job's id to
SCREENSHOT_DIR/rerun-job.txt (the shell script checks the re-run's LVEF against numpy).
With --voi: opens the volume, places a 15 mm sphere VOI and a region-growing VOI by clicking the axial view, checks
their masks against numpy (sphere from the voxel spacing; growing with scipy.ndimage.label, 6-connected) and their
statistics against numpy on the values the server serves (/api/series/{uid}/data), saves them as SEG from the
browser and writes the SEG series UID and the VOIs' runs to OUTDIR/seg.json (the shell script finds it by QIDO and
reads it back).
With --reg: opens the serial study's registration review, nudges visit 2 by +5 mm in x with the arrow key (five
presses), checks the fused, checkerboard and difference views are drawn and change with the nudge, accepts, starts
the dose job from the browser and writes its id to OUTDIR/dose-job.txt (the shell script checks the report).
With --pet: a PET series in Bq/mL; the SUVbw under the cursor and a sphere VOI's SUVbw max/mean/peak must equal
the served values times the SUVbw factor computed independently from the DICOM headers with pydicom
(Tests/oracle/check_suv.py's oracle: weight / decay-corrected injected dose).
Prints one line per check; exits non-zero on the first failure.
"""
import json
import sys
import time

import numpy as np
import pydicom
from scipy import ndimage
from headless_chromium import chromium
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait


def ok(cond, what):
    print(("ok: " if cond else "FAILED: ") + what)
    if not cond:
        sys.exit(1)


def pixels(path):
    ds = pydicom.dcmread(path)
    a = ds.pixel_array.astype(np.float64)
    if a.ndim == 2:
        a = a[None]
    a = a * float(getattr(ds, "RescaleSlope", 1) or 1) + float(getattr(ds, "RescaleIntercept", 0) or 0)
    ps = [float(x) for x in ds.PixelSpacing] if "PixelSpacing" in ds else [1.0, 1.0]
    return a.astype(np.float32).astype(np.float64), ps


def shape_mask(shape, g, rows, cols):
    r, c = np.mgrid[0:rows, 0:cols].astype(np.float64)
    if shape == "circle":
        return (c - g["cx"]) ** 2 + (r - g["cy"]) ** 2 <= g["rx"] ** 2
    if shape == "ellipse":
        return ((c - g["cx"]) / g["rx"]) ** 2 + ((r - g["cy"]) / g["ry"]) ** 2 <= 1
    if shape == "rect":
        return (np.abs(c - g["cx"]) <= g["rx"]) & (np.abs(r - g["cy"]) <= g["ry"])
    if shape == "polygon":
        # Even–odd crossing count at pixel centres, written independently of the viewer (vectorised over pixels).
        pts = np.array(g["pts"])
        inside = np.zeros((rows, cols), bool)
        for i in range(len(pts)):
            (x0, y0), (x1, y1) = pts[i - 1], pts[i]
            if y0 == y1:
                continue
            crosses = ((y1 > r) != (y0 > r)) & (c < (x0 - x1) * (r - y1) / (y0 - y1) + x1)
            inside ^= crosses
        return inside
    if shape == "mask":
        m = np.zeros(rows * cols, bool)
        runs = g["runs"]
        for s, n in zip(runs[0::2], runs[1::2]):
            m[s:s + n] = True
        return m.reshape(rows, cols)
    raise ValueError(shape)


def main():
    url, token, study, series, path = sys.argv[1:6]
    lvef_job = sys.argv[sys.argv.index("--lvef-job") + 1] if "--lvef-job" in sys.argv else None
    outdir = sys.argv[sys.argv.index("--lvef-job") + 2] if lvef_job else None
    img, spacing = pixels(path)
    nf, rows, cols = img.shape

    driver = chromium("scinti-review-")
    wait = WebDriverWait(driver, 30)
    try:
        driver.get(f"{url}/?token={token}#study={study}&series={series}")
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready"))
        ok(driver.execute_script("return document.body.dataset.ready") == "1", "viewer opened the gated series")
        canvas = driver.find_element(By.ID, "c0")

        def to_screen(x, y):
            """Offsets from the canvas centre (Selenium 4) of image pixel (x, y) on the first tile."""
            g = driver.execute_script("const g = RegionTools.state.geom; return [g.scale, g.aspect, g.canvas.width, g.canvas.height, g.canvas.getBoundingClientRect().width];")
            scale, aspect, cw, ch, bw = g
            k = bw / cw
            return ((x + 0.5) * scale * k - bw / 2, (y + 0.5) * scale * aspect * k - ch * k / 2)

        def tool(name):
            driver.find_element(By.CSS_SELECTOR, f"button[data-tool='{name}']").click()

        def drag(points):
            a = ActionChains(driver)
            x, y = to_screen(*points[0])
            a.move_to_element_with_offset(canvas, int(round(x)), int(round(y))).click_and_hold()
            for p in points[1:]:
                x, y = to_screen(*p)
                a.move_to_element_with_offset(canvas, int(round(x)), int(round(y)))
            a.release().perform()

        def rows_shown():
            return driver.execute_script("""return [...document.querySelectorAll('#regionStats tr.regionRow')].map((t) => ({
                index: +t.dataset.index, label: t.dataset.label, frame: +t.dataset.frame, pixels: +t.dataset.pixels, sum: +t.dataset.sum,
                mean: +t.dataset.mean, max: +t.dataset.max, area: +t.dataset.area, shape: t.dataset.shape, geometry: JSON.parse(t.dataset.geometry),
                text: t.innerText}));""")

        def check_against_numpy(what):
            shown = rows_shown()
            ok(len(shown) > 0, f"{what}: the statistics table lists the regions ({len(shown)} rows)")
            for s in shown:
                m = shape_mask(s["shape"], s["geometry"], rows, cols)
                v = img[s["frame"]][m]
                n = int(m.sum())
                area = n * spacing[0] * spacing[1] / 100
                good = (n == s["pixels"] and n > 0 and abs(v.sum() - s["sum"]) <= 1e-6 * max(1, abs(v.sum()))
                        and abs(v.mean() - s["mean"]) <= 1e-6 * max(1, abs(v.mean())) and v.max() == s["max"]
                        and abs(area - s["area"]) < 1e-9)
                ok(good, f"{what}: {s['label']} ({s['shape']}) on frame {s['frame'] + 1}: viewer {s['pixels']} px, sum {s['sum']:.6g}, "
                         f"mean {s['mean']:.6g}, max {s['max']:.6g}, {s['area']:.4g} cm²; numpy {n} px, sum {v.sum():.6g}, "
                         f"mean {v.mean() if n else float('nan'):.6g}, max {v.max() if n else float('nan'):.6g}, {area:.4g} cm²")
            return shown

        cy, cx = rows / 2, cols / 2
        tool("circle")
        drag([(cx - 10, cy - 8), (cx - 4, cy - 8)])
        s = check_against_numpy("circle drawn with the mouse")
        ok(abs(s[0]["geometry"]["rx"] - 6) < 0.8, f"circle radius follows the drag (6 px asked, {s[0]['geometry']['rx']:.2f})")
        ok(unit_text_in(driver), "statistics table names the units")
        tool("ellipse")
        drag([(cx + 2, cy - 12), (cx + 14, cy - 4)])
        check_against_numpy("ellipse")
        tool("rect")
        drag([(cx - 14, cy + 4), (cx - 4, cy + 12)])
        check_against_numpy("rectangle")
        tool("freehand")
        drag([(cx + 2, cy + 2), (cx + 14, cy + 4), (cx + 12, cy + 14), (cx + 5, cy + 12), (cx + 3, cy + 6)])
        check_against_numpy("freehand polygon")
        ok(len(rows_shown()) == 4, "four regions listed")

        # Threshold from a seed: the viewer's region must equal scipy's 4-connected component at 40 % of the local max.
        tool("threshold")
        frame = driver.execute_script("return state.frame")
        f = img[frame]
        seed = np.unravel_index(np.argmax(f), f.shape)
        drag([(seed[1], seed[0]), (seed[1], seed[0])])
        shown = check_against_numpy("threshold from seed")
        t = [x for x in shown if x["shape"] == "mask"][-1]
        lab, _ = ndimage.label(f >= 0.4 * f[seed], structure=[[0, 1, 0], [1, 1, 1], [0, 1, 0]])
        ref = lab == lab[seed]
        got = shape_mask("mask", t["geometry"], rows, cols)
        ok(np.array_equal(ref, got), f"threshold region equals scipy.ndimage.label's component at 40 % of the maximum ({int(ref.sum())} px)")

        # Move the circle by dragging with the select tool, then by one pixel with the arrow key; resize with '+'.
        tool("select")
        driver.find_element(By.CSS_SELECTOR, "#regionStats tr.regionRow[data-index='0']").click()
        c0 = rows_shown()[0]["geometry"]
        drag([(c0["cx"], c0["cy"]), (c0["cx"] + 3, c0["cy"] + 2)])
        c1 = rows_shown()[0]["geometry"]
        ok(abs(c1["cx"] - c0["cx"] - 3) < 0.8 and abs(c1["cy"] - c0["cy"] - 2) < 0.8,
           f"circle moved by dragging ({c0['cx']:.2f}, {c0['cy']:.2f}) → ({c1['cx']:.2f}, {c1['cy']:.2f})")
        ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
        c2 = rows_shown()[0]["geometry"]
        ok(abs(c2["cx"] - c1["cx"] - 1) < 1e-9 and c2["cy"] == c1["cy"], "arrow key moves the selected region by one pixel")
        ActionChains(driver).send_keys("+").perform()
        c3 = rows_shown()[0]["geometry"]
        ok(abs(c3["rx"] / c2["rx"] - 1.1) < 1e-9, "'+' enlarges the selected region by 10 %")
        check_against_numpy("after moving and resizing")

        # Copy to every frame, show the frames side by side: one row per frame, each equal to numpy.
        driver.find_element(By.ID, "regAllFrames").click()
        driver.find_element(By.ID, "tile").click()
        shown = check_against_numpy("circle copied to every frame (frames side by side)")
        ok(len([x for x in shown if x["index"] == 0]) == nf, f"the copied circle has statistics on all {nf} frames")
        driver.find_element(By.ID, "tile").click()
        n_before = len(driver.execute_script("return RegionTools.state.regions"))
        ActionChains(driver).send_keys(Keys.DELETE).perform()
        ok(len(driver.execute_script("return RegionTools.state.regions")) == n_before - 1, "Delete removes the selected region")

        if outdir:
            furniture(driver, outdir, "hanging-gated-planar", 1)
            labels = driver.execute_script("return [...document.querySelectorAll('#canvases .pane .orient')].map((e) => e.className.split(' ')[1] + e.textContent)")
            ok(sorted(labels) == sorted(["leftR", "rightL", "topH", "bottomF"]), f"anterior planar view: patient's right on the image left ({labels})")
        if "--voi" in sys.argv:
            k = sys.argv.index("--voi")
            voi_checks(driver, wait, url, token, *sys.argv[k + 1:k + 4])
        if lvef_job:
            edit_lvef(driver, wait, url, token, lvef_job, outdir)
        if "--pet" in sys.argv:
            k = sys.argv.index("--pet")
            pet_checks(driver, wait, url, token, *sys.argv[k + 1:k + 4])
        if "--reg" in sys.argv:
            k = sys.argv.index("--reg")
            registration_review(driver, wait, url, token, *sys.argv[k + 1:k + 3])
    finally:
        driver.quit()
    return 0


def voi_checks(driver, wait, url, token, study, series, outdir):
    """Sphere and region-growing VOIs on a volume, statistics against numpy, saved as SEG from the browser."""
    driver.get("about:blank")
    driver.get(f"{url}/?token={token}#study={study}&series={series}&still=1")
    wait.until(lambda d: d.execute_script("return document.body.dataset.ready"))
    info = driver.execute_script("return fetch('/api/series/%s/info').then((r) => r.json())" % series)
    raw = driver.execute_script("return fetch('/api/series/%s/data').then((r) => r.arrayBuffer()).then((b) => Array.from(new Float32Array(b)))" % series)
    nx, ny, nz = info["width"], info["height"], info["depth"]
    vol = np.array(raw, np.float64).reshape(nz, ny, nx)
    sx, sy, sz = info["spacing"]
    ax = driver.find_element(By.ID, "ax")

    def click_voxel(i, j):
        w, h = ax.size["width"], ax.size["height"]
        ActionChains(driver).move_to_element_with_offset(ax, int((i + 0.5) / nx * w - w / 2), int((j + 0.5) / ny * h - h / 2)).click().perform()

    k0 = driver.execute_script("return state.cross[2]")
    kmax = int(np.argmax(vol))
    ci, cj, ck = kmax % nx, (kmax // nx) % ny, kmax // (nx * ny)
    ok(ck == k0, f"the viewer opens the volume with its crosshair through the hottest voxel (slice {k0})")
    driver.execute_script("document.getElementById('voiMode').value = 'sphere'; document.getElementById('voiMode').onchange();")
    click_voxel(ci, cj)
    rows = driver.execute_script("return [...document.querySelectorAll('#voiStats tr.voiRow')].map((t) => Object.assign({}, t.dataset))")
    ok(len(rows) == 1, "a sphere VOI is placed by a click on the axial view")
    kk, jj, ii = np.mgrid[0:nz, 0:ny, 0:nx]
    sphere = ((ii - ci) * sx) ** 2 + ((jj - cj) * sy) ** 2 + ((kk - ck) * sz) ** 2 <= 15 ** 2
    got = np.zeros(vol.size, bool)
    runs = json.loads(rows[0]["runs"])
    for s0, n in zip(runs[0::2], runs[1::2]):
        got[s0:s0 + n] = True
    ok(np.array_equal(got.reshape(vol.shape), sphere), f"sphere VOI equals numpy's 15 mm sphere ({int(sphere.sum())} voxels)")
    v = vol[sphere]
    ml = sx * sy * sz / 1000
    # Peak: mean of the 1 mL sphere (radius (3/(4π))^(1/3) cm) around the hottest voxel in the VOI.
    hot = np.unravel_index(np.argmax(np.where(sphere, vol, -np.inf)), vol.shape)
    pr = (3000 / (4 * np.pi)) ** (1 / 3)
    peak = vol[((ii - hot[2]) * sx) ** 2 + ((jj - hot[1]) * sy) ** 2 + ((kk - hot[0]) * sz) ** 2 <= pr ** 2].mean()
    r = rows[0]
    close = lambda a, b: abs(float(a) - b) <= 1e-5 * max(1, abs(b))
    ok(int(r["voxels"]) == v.size and close(r["volume"], v.size * ml) and close(r["mean"], v.mean()) and close(r["max"], v.max()) and close(r["peak"], peak),
       f"sphere statistics equal numpy: {r['voxels']} voxels, {float(r['volume']):.3f} mL, mean {float(r['mean']):.6g}, max {float(r['max']):.6g}, peak {float(r['peak']):.6g} {info['units']}")
    if info["units"].lower() == "bq/ml":
        ok(close(r["total"], v.sum() * ml / 1e6), f"total activity {float(r['total']):.6g} MBq equals numpy's")
    driver.execute_script("document.getElementById('voiMode').value = 'grow'; document.getElementById('voiMode').onchange();")
    click_voxel(ci, cj)
    rows = driver.execute_script("return [...document.querySelectorAll('#voiStats tr.voiRow')].map((t) => Object.assign({}, t.dataset))")
    lab, _ = ndimage.label(vol >= 0.4 * vol.flat[kmax])
    ref = lab == lab.flat[kmax]
    got = np.zeros(vol.size, bool)
    runs2 = json.loads(rows[1]["runs"])
    for s0, n in zip(runs2[0::2], runs2[1::2]):
        got[s0:s0 + n] = True
    ok(np.array_equal(got.reshape(vol.shape), ref), f"region-growing VOI equals scipy.ndimage.label's 6-connected component at 40 % of the maximum ({int(ref.sum())} voxels)")
    furniture(driver, outdir, "hanging-spect-volume", 3)
    labels = driver.execute_script("return [...document.querySelectorAll('#ax').values()].map((c) => [...c.parentElement.querySelectorAll('.orient')].map((e) => e.className.split(' ')[1] + e.textContent).sort().join(' '))[0]")
    ok(labels == "bottomP leftR rightL topA", f"axial pane letters for an HFS volume: {labels}")
    driver.find_element(By.ID, "voiSave").click()
    wait.until(lambda d: d.execute_script("return document.body.dataset.savedSeg"))
    seg = driver.execute_script("return document.body.dataset.savedSeg")
    ok(bool(seg), f"VOIs saved as SEG from the browser (series {seg})")
    json.dump({"seg": seg, "runs": [runs, runs2], "labels": ["VOI 1", "VOI 2"]}, open(f"{outdir}/seg.json", "w"))


def registration_review(driver, wait, url, token, study, outdir):
    """Nudges visit 2 of a serial study by +5 mm in x, accepts it and starts the dose job from the browser."""
    driver.get("about:blank")
    driver.get(f"{url}/?token={token}#study={study}")
    wait.until(lambda d: d.execute_script("return document.body.dataset.ready"))
    wait.until(lambda d: d.find_elements(By.ID, "regReview"))
    driver.execute_script("const s = state.series.find((x) => /RECON/.test(imageTypeOf(val(x, '0020000E')))); openSeries(val(s, '0020000E'));")
    wait.until(lambda d: d.execute_script("return state.overlay && document.querySelectorAll('#canvases .pane .orient').length >= 12"))
    furniture(driver, outdir, "hanging-spect-ct-fused", 3)
    driver.find_element(By.ID, "regReview").click()
    wait.until(lambda d: d.find_elements(By.ID, "regT"))
    pixels = lambda: driver.execute_script("const c = document.getElementById('rax'); return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0))")
    before = np.array(pixels())
    ok(before.std() > 5, f"fused CT–CT view drawn (axial grey-level spread {before.std():.1f})")
    body = driver.find_element(By.TAG_NAME, "body")
    for _ in range(5):
        body.send_keys(Keys.ARROW_RIGHT)
    tr = json.loads(driver.find_element(By.ID, "regT").get_attribute("data-tr"))
    ok(tr == [5, 0, 0], f"five right-arrow presses nudge the follow-up by +5 mm in x: {tr}")
    after = np.array(pixels())
    ok(np.abs(after - before).mean() > 0.5, f"the fused view follows the nudge (mean change {np.abs(after - before).mean():.2f})")
    for mode in ("checker", "diff"):
        driver.execute_script(f"document.getElementById('regMode').value = '{mode}'; document.getElementById('regMode').onchange();")
        v = np.array(pixels())
        ok(v.std() > 2 and not np.array_equal(v, after), f"{mode} view drawn (spread {v.std():.1f})")
        driver.save_screenshot(f"{outdir}/viewer-registration-{mode}.png")
    driver.execute_script("document.getElementById('regMode').value = 'fused'; document.getElementById('regMode').onchange();")
    driver.save_screenshot(f"{outdir}/viewer-registration-fused.png")
    ok(bool(driver.execute_script("return (document.querySelector('#banner .patient') || {}).textContent")), "registration review keeps the patient banner")
    driver.find_element(By.ID, "regAccept").click()
    wait.until(lambda d: d.execute_script("return document.body.dataset.accepted"))
    acc = json.loads(driver.execute_script("return document.body.dataset.accepted"))
    ok(len(acc) == 1 and acc[0]["visit"] == 1 and acc[0]["translationMM"] == [5, 0, 0], f"accepted: {acc}")
    before_ids = driver.execute_script("return fetch('/api/jobs').then((r) => r.json()).then((j) => j.map((x) => x.id))")
    driver.find_element(By.ID, "regDose").click()
    new = None
    for _ in range(100):
        ids = driver.execute_script("return fetch('/api/jobs').then((r) => r.json()).then((j) => j.map((x) => x.id))")
        extra = [i for i in ids if i not in before_ids]
        if extra:
            new = extra[0]
            break
        time.sleep(0.2)
    ok(new is not None, f"dose job with the accepted registration started from the browser ({new})")
    open(f"{outdir}/dose-job.txt", "w").write(new)


def furniture(driver, outdir, name, panes):
    """Reading-workstation furniture on the current view: banner with the patient, orientation letters on every
    image pane, scale bars, colour bar with units; then a screenshot (checked for content by the shell script)."""
    time.sleep(0.3)
    d = driver.execute_script("""return {
        patient: (document.querySelector('#banner .patient') || {}).textContent || '',
        series: (document.querySelector('#banner .series') || {}).textContent || '',
        orient: [...document.querySelectorAll('#canvases .pane')].map((p) => [...p.querySelectorAll('.orient')].map((e) => e.textContent).join('')),
        bars: [...document.querySelectorAll('#canvases .scalebar')].map((e) => e.dataset.mm),
        units: (document.querySelector('#colourbar .units') || {}).textContent || ''};""")
    labelled = [o for o in d["orient"] if len(o) == 4]
    ok(bool(d["patient"].strip()) and bool(d["series"].strip()), f"{name}: banner names the patient and series ({d['patient'].strip()!r})")
    ok(len(labelled) >= panes, f"{name}: orientation letters on {len(labelled)} panes {labelled}")
    ok(len(d["bars"]) >= panes and bool(d["units"]), f"{name}: scale bars {d['bars']} mm and a colour bar in {d['units']!r}")
    driver.save_screenshot(f"{outdir}/viewer-{name}.png")


def pet_checks(driver, wait, url, token, study, series, folder):
    """SUV under the cursor and in VOI statistics against pydicom's SUVbw factor."""
    import glob
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from check_suv import oracle
    factor, _ = oracle(sorted(glob.glob(os.path.join(folder, "**", "*.dcm"), recursive=True)) or sorted(glob.glob(os.path.join(folder, "PT", "*"))))
    driver.get("about:blank")
    driver.get(f"{url}/?token={token}#study={study}&series={series}&still=1")
    wait.until(lambda d: d.execute_script("return document.body.dataset.ready"))
    info = driver.execute_script("return state.primary.suv")
    ok(bool(info and info.get("factors")), f"the viewer has the series' SUV factors ({info})")
    ok(abs(info["factors"]["suvbwFactor"] / factor - 1) < 1e-6, f"SUVbw factor {info['factors']['suvbwFactor']:.6g} equals pydicom's {factor:.6g} g/mL per Bq/mL")
    ax = driver.find_element(By.ID, "ax")
    w, h = ax.size["width"], ax.size["height"]
    ActionChains(driver).move_to_element_with_offset(ax, 3, 2).perform()
    v = driver.execute_script("const p = state.primary, [i, j, k] = state.cross; return null")
    cross = driver.execute_script("return state.cross")
    nx, ny = driver.execute_script("return [state.primary.width, state.primary.height]")
    i, j = int((w / 2 + 3) / w * nx), int((h / 2 + 2) / h * ny)
    val = driver.execute_script(f"const p = state.primary; return p.values[{i} + p.width * ({j} + p.height * {cross[2]})]")
    shown = float(driver.find_element(By.ID, "readout").get_attribute("data-suvbw"))
    text = driver.find_element(By.ID, "readout").text
    ok("SUVbw" in text and abs(shown - val * factor) <= 1e-6 * max(1, abs(val * factor)), f"SUVbw under the cursor {shown:.4f} = value × pydicom factor ({val:.1f} Bq/mL × {factor:.6g}); readout {text!r}")
    driver.execute_script("document.getElementById('voiMode').value = 'sphere'; document.getElementById('voiMode').onchange();")
    ActionChains(driver).move_to_element_with_offset(ax, 0, 0).click().perform()
    r = driver.execute_script("return Object.assign({}, document.querySelector('#voiStats tr.voiRow').dataset)")
    good = all(abs(float(r[a]) - float(r[b]) * factor) <= 1e-6 * max(1, float(r[b]) * factor) for a, b in (("suvMax", "max"), ("suvMean", "mean"), ("suvPeak", "peak")))
    ok(good, f"VOI SUVbw max {float(r['suvMax']):.3f}, mean {float(r['suvMean']):.3f}, peak {float(r['suvPeak']):.3f} = Bq/mL statistics × pydicom's factor")


def unit_text_in(driver):
    head = driver.execute_script("const t = document.querySelector('#regionStats tr'); return t ? t.innerText : ''")
    return "counts" in head and "cm²" in head


def edit_lvef(driver, wait, url, token, job, outdir):
    """Shows the LVEF result, edits its end-systolic LV region (2 px to the right), re-runs from the browser."""
    driver.get("about:blank")
    driver.get(f"{url}/?token={token}#job={job}")
    wait.until(lambda d: d.execute_script("return document.body.dataset.ready"))
    wait.until(lambda d: d.find_elements(By.ID, "editRegions"))
    driver.find_element(By.ID, "editRegions").click()
    regions = driver.execute_script("return RegionTools.state.regions.map((r) => r.label)")
    es = [k for k, l in enumerate(regions) if "(ES)" in l]
    ok(len(es) == 1, f"the result's regions are taken over for editing ({len(regions)} regions, ES: {regions[es[0]] if es else None})")
    driver.execute_script(f"RegionTools.state.selected = {es[0]}; state.frame = RegionTools.state.regions[{es[0]}].frames[0]; buildView();")
    for _ in range(2):
        ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
    ok(driver.execute_script(f"return RegionTools.state.regions[{es[0]}].edited") is True, "the moved ES region is marked edited")
    before = driver.execute_script("return fetch('/api/jobs').then((r) => r.json()).then((j) => j.map((x) => x.id))")
    driver.find_element(By.ID, "regRerun").click()
    deadline = time.time() + 60
    new = None
    while time.time() < deadline and new is None:
        ids = driver.execute_script("return fetch('/api/jobs').then((r) => r.json()).then((j) => j.map((x) => x.id))")
        extra = [i for i in ids if i not in before]
        new = extra[0] if extra else None
        time.sleep(0.3)
    ok(new is not None, f"re-run job submitted from the browser ({new})")
    wait.until(lambda d: "LVEF" in d.find_element(By.ID, "status").text or "failed" in d.find_element(By.ID, "status").text)
    open(f"{outdir}/rerun-job.txt", "w").write(new)
    driver.save_screenshot(f"{outdir}/viewer-lvef-edited.png")


if __name__ == "__main__":
    sys.exit(main())
