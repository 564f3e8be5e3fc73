#!/usr/bin/env python3
"""numpy/scipy side of `scinti bench dose`: the same voxel-S-value convolution with scipy.signal.fftconvolve.

Usage: bench_dose_scipy.py DIR   (DIR holds meta.json, activity.f32, kernel.f32 written by scinti; [z][y][x] C order)
Writes DIR/scipy_dose.f32 and prints one JSON line with the timings.
"""
import json, os, sys, time
import numpy as np
import scipy
import scipy.signal

d = sys.argv[1]
meta = json.load(open(os.path.join(d, "meta.json")))
nx, ny, nz = meta["size"]
kx, ky, kz = meta["kernelSize"]
a = np.fromfile(os.path.join(d, "activity.f32"), dtype="<f4").reshape(nz, ny, nx)
k = np.fromfile(os.path.join(d, "kernel.f32"), dtype="<f4").reshape(kz, ky, kx)
t0 = time.perf_counter()
out = scipy.signal.fftconvolve(a, k, mode="same")
t1 = time.perf_counter()
# numpy-only path (rfftn with padding to n + k − 1), for reference.
shape = [s + t - 1 for s, t in zip(a.shape, k.shape)]
t2 = time.perf_counter()
ax = (0, 1, 2)
full = np.fft.irfftn(np.fft.rfftn(a, shape, axes=ax) * np.fft.rfftn(k, shape, axes=ax), shape, axes=ax)
h = [t // 2 for t in k.shape]
np_out = full[h[0]:h[0] + nz, h[1]:h[1] + ny, h[2]:h[2] + nx]
t3 = time.perf_counter()
out.astype("<f4").tofile(os.path.join(d, "scipy_dose.f32"))
print(json.dumps({"scipySeconds": t1 - t0, "numpySeconds": t3 - t2, "scipy": scipy.__version__, "numpy": np.__version__,
                  "numpyVsScipyMaxRel": float(np.abs(np_out - out).max() / max(np.abs(out).max(), 1e-30))}))
