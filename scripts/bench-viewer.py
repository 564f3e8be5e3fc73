#!/usr/bin/env python3
"""Viewer benchmarks in headless Chromium (docs/benchmarks.md), measured in the browser.

Usage: bench-viewer.py URL TOKEN STUDY_UID SERIES_UID [--fused STUDY_UID SPECT_UID CT_UID]
1. First image: navigation start → first series drawn (performance.now() at the first buildView), 5 cold loads.
2. Fused tri-planar redraw: a 128³ SPECT (Float32) fused with a CT on the SPECT grid (the server resamples a CT —
   e.g. 512×512×300 — onto the emission grid; the browser draws 128³ + 128³), drawVolume() with the crosshair moving,
   30 redraws after 3 warm-ups; median and 95th percentile.
3. With --fused: a real SPECT series with a real CT series (e.g. 512×512×300, Tests/oracle/make_review_studies.py
   big-ct) in the archive: first image (navigation start → the SPECT drawn tri-planar) and first fused image (→ the
   CT resampled by the server onto its grid fused) on the first load (the server resamples the CT) and on 3 later
   loads (resampled CT cached), then 30 fused redraws of the loaded data with the crosshair moving.
"""
import os
import statistics
import sys

from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "oracle"))
from headless_chromium import chromium  # noqa: E402


def main():
    url, token, study, series = sys.argv[1:5]
    d = chromium("scinti-bench-")
    try:
        firsts = []
        for _ in range(5):
            d.get("about:blank")
            d.get(f"{url}/?token={token}#study={study}&series={series}")
            WebDriverWait(d, 30).until(lambda x: x.execute_script("return document.body.dataset.firstImageMs"))
            firsts.append(float(d.execute_script("return document.body.dataset.firstImageMs")))
        print(f"first image on loopback: median {statistics.median(firsts):.0f} ms, max {max(firsts):.0f} ms over {len(firsts)} loads ({d.capabilities.get('browserVersion')})")
        # What the last load's first image waited for: each request's start → end (ms from navigation start).
        waits = d.execute_script("""
          const t = +document.body.dataset.firstImageMs;
          return performance.getEntriesByType('resource').filter((e) => e.startTime < t)
            .map((e) => [new URL(e.name).pathname.replace(/[0-9.]{20,}/g, '{uid}') + (new URL(e.name).search.includes('grid') ? '?grid' : ''),
                         Math.round(e.startTime), Math.round(e.responseEnd)]);""")
        print("  last load, requests before the first image (start → end, ms): " + ", ".join(f"{n} {a}→{b}" for n, a, b in waits))
        times = d.execute_script("""
          const n = 128, N = n * n * n;
          const spect = new Float32Array(N), ct = new Float32Array(N);
          for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
            const q = i + n * (j + n * k), r = Math.hypot(i - 64, j - 64, k - 64);
            ct[q] = r < 50 ? 40 + 30 * Math.sin(i / 5) : -1000;
            spect[q] = Math.exp(-((i - 70) ** 2 + (j - 60) ** 2 + (k - 64) ** 2) / 200) * 1e5;
          }
          const base = { kind: 'volume', width: n, height: n, depth: n, spacing: [4.42, 4.42, 4.42], origin: [0, 0, 0],
                         rowDirection: [1, 0, 0], columnDirection: [0, 1, 0], sliceDirection: [0, 0, 1], units: 'Bq/ml', warnings: [],
                         modality: 'NM', description: 'bench', imageType: [], min: 0, max: 1e5, seriesUID: '1.2.3' };
          stopTimers();
          state.primary = Object.assign({}, base, { values: spect });
          state.overlay = Object.assign({}, base, { values: ct, modality: 'CT', units: 'HU' });
          state.low = 0; state.high = 1e5; state.cross = [64, 64, 64]; state.result = null; state.masks = [];
          buildView(); stopTimers();
          const t = [];
          for (let r = 0; r < 33; r++) {
            state.cross = [40 + r, 50 + r, 30 + r];
            const t0 = performance.now(); drawVolume(); t.push(performance.now() - t0);
          }
          return t.slice(3);""")
        times.sort()
        print(f"fused tri-planar redraw, 128³ SPECT + CT on its grid: median {statistics.median(times):.1f} ms, p95 {times[int(0.95 * len(times)) - 1]:.1f} ms over {len(times)} redraws")
        if "--fused" in sys.argv:
            k = sys.argv.index("--fused")
            fstudy, spect, ct = sys.argv[k + 1:k + 4]
            loads = []
            for _ in range(4):
                d.get("about:blank")
                d.get(f"{url}/?token={token}#study={fstudy}&series={spect}&overlay={ct}&still=1")
                # The emission is drawn first (firstImageMs); the CT is fused when the server's resampled CT arrives
                # (fusedMs), or the notes say why not.
                WebDriverWait(d, 600).until(lambda x: x.execute_script(
                    "return document.body.dataset.fusedMs || document.getElementById('notes').textContent.startsWith('fusion:')"))
                ok = d.execute_script("return !!state.overlay && state.overlay.seriesUID === arguments[0]", ct)
                if not ok:
                    print("the CT was not fused: " + d.execute_script("return document.getElementById('notes').textContent"))
                    return 1
                loads.append((float(d.execute_script("return document.body.dataset.firstImageMs")),
                              float(d.execute_script("return document.body.dataset.fusedMs"))))
            dims = d.execute_script("return [state.primary.width, state.primary.height, state.primary.depth]")
            print(f"{dims[0]}×{dims[1]}×{dims[2]} SPECT + CT series {ct}, first load (the server resamples the CT): first image "
                  f"{loads[0][0]:.0f} ms, fused {loads[0][1]:.0f} ms; later loads (resampled CT cached) median first image "
                  f"{statistics.median(x[0] for x in loads[1:]):.0f} ms, fused {statistics.median(x[1] for x in loads[1:]):.0f} ms")
            t = d.execute_script("""
              stopTimers();
              const p = state.primary, t = [];
              for (let r = 0; r < 33; r++) {
                state.cross = [(17 + 3 * r) % p.width, (29 + 5 * r) % p.height, (11 + 2 * r) % p.depth];
                const t0 = performance.now(); drawVolume(); t.push(performance.now() - t0);
              }
              return t.slice(3);""")
            t.sort()
            print(f"fused tri-planar redraw of that SPECT with the CT on its grid: median {statistics.median(t):.1f} ms, p95 {t[int(0.95 * len(t)) - 1]:.1f} ms over {len(t)} redraws")
    finally:
        d.quit()


if __name__ == "__main__":
    main()
