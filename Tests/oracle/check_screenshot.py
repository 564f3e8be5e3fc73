#!/usr/bin/env python3
"""Checks a viewer screenshot (PNG from headless Chromium) is not blank. Decodes the PNG with zlib + numpy (no
imaging library), then counts pixel classes:
  grey:   |r-g|, |g-b| < 10 and 40 < r < 250    (CT rendered in grey, or grey-scale NM)
  colour: r - b > 60                            (hot-iron emission: red/orange/yellow)
  --colour RRGGBB:N  at least N pixels within 12 of that colour (a region outline or curve drawn by the viewer)
  --chart            a white chart area (≥ 20 000 white pixels: the result charts on their white background)
Usage: check_screenshot.py FILE [--fused] [--colour RRGGBB:N ...] [--chart]
  (--fused: both grey CT and coloured SPECT pixels required)
Prints the fractions and PASS/FAIL; exits 1 on failure."""
import struct
import sys
import zlib

import numpy as np


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and ctype in (2, 6), f"unsupported PNG {depth=} {ctype=} {interlace=}"
            ch = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * ch
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:
            for x in range(stride):
                a = cur[x - ch] if x >= ch else 0
                b = prev[x]
                c = prev[x - ch] if x >= ch else 0
                if f == 1:
                    p = a
                elif f == 3:
                    p = (a + b) // 2
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + p) & 255
        out[y] = cur
        prev = cur
    return out.reshape(h, w, ch)[:, :, :3].astype(np.int32)


img = read_png(sys.argv[1])
r, g, b = img[..., 0], img[..., 1], img[..., 2]
grey = ((abs(r - g) < 10) & (abs(g - b) < 10) & (r > 40) & (r < 250)).mean()
colour = ((r - b) > 60).mean()
ok = grey > 0.01 and (colour > 0.002 if "--fused" in sys.argv else True) and img.std() > 5
extra = []
args = sys.argv[2:]
for k, a in enumerate(args):
    if a == "--colour":
        hexc, n = args[k + 1].split(":")
        want = [int(hexc[i:i + 2], 16) for i in (0, 2, 4)]
        count = int(((abs(r - want[0]) <= 12) & (abs(g - want[1]) <= 12) & (abs(b - want[2]) <= 12)).sum())
        extra.append(f"#{hexc} {count} px")
        ok = ok and count >= int(n)
if "--chart" in args:
    white = int(((r > 250) & (g > 250) & (b > 250)).sum())
    extra.append(f"white {white} px")
    ok = ok and white >= 20000
print(f"{sys.argv[1]}: {img.shape[1]}x{img.shape[0]}, grey {grey:.3%}, colour {colour:.3%}, std {img.std():.1f}{', ' if extra else ''}{', '.join(extra)}: {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
