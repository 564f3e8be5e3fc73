#!/usr/bin/env python3
"""Viewer benchmarks in headless Chromium (docs/benchmarks.md), measured in the browser.

Usage: bench-viewer.py URL TOKEN STUDY_UID SERIES_UID
1. First image: navigation start → first series drawn (performance.now() at the first buildView), 5 cold loads.
2. Fused tri-planar redraw: a 128³ SPECT (Float32) fused with a CT on the SPECT grid (the server resamples a CT —
   e.g. 512×512×300 — onto the emission grid; the browser draws 128³ + 128³), drawVolume() with the crosshair moving,
   30 redraws after 3 warm-ups; median and 95th percentile.
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
    finally:
        d.quit()


if __name__ == "__main__":
    main()
