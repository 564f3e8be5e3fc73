#!/usr/bin/env python3
"""Load test of `scinti serve` on loopback: CLIENTS threads, each with its own keep-alive connection, fetch WADO-RS
frames (cycling through the instance's frames) for SECONDS. Bounded in time and aimed only at 127.0.0.1.
Reports requests, errors, throughput and latency percentiles as one JSON line.

Usage: load_frames.py PORT TOKEN FRAME_URL_PREFIX NFRAMES [SECONDS=60] [CLIENTS=20]
  FRAME_URL_PREFIX: /dicom-web/studies/S/series/SE/instances/I/frames/"""
import http.client
import json
import sys
import threading
import time

port, token, prefix, nframes = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 60
clients = int(sys.argv[6]) if len(sys.argv) > 6 else 20
lat, errors, nbytes = [], [], [0]
lock = threading.Lock()
deadline = time.monotonic() + seconds


def worker(k):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    mine, n, b = [], k, 0
    while time.monotonic() < deadline:
        frame = n % nframes + 1
        n += 1
        t0 = time.perf_counter()
        try:
            conn.request("GET", f"{prefix}{frame}", headers={"Authorization": f"Bearer {token}",
                                                              "Accept": "multipart/related; type=\"application/octet-stream\""})
            r = conn.getresponse()
            body = r.read()
            dt = time.perf_counter() - t0
            if r.status != 200 or len(body) == 0:
                with lock:
                    errors.append(f"status {r.status}")
            else:
                mine.append(dt)
                b += len(body)
        except Exception as e:  # connection errors count as errors
            with lock:
                errors.append(repr(e))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    with lock:
        lat.extend(mine)
        nbytes[0] += b


threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - t0
lat.sort()


def pct(p):
    return round(1000 * lat[min(len(lat) - 1, int(p / 100 * len(lat)))], 2) if lat else None


print(json.dumps({"clients": clients, "seconds": round(elapsed, 1), "requests": len(lat) + len(errors), "errors": len(errors),
                  "firstErrors": errors[:3], "requestsPerSecond": round(len(lat) / elapsed, 1),
                  "MBPerSecond": round(nbytes[0] / elapsed / 1e6, 2), "p50ms": pct(50), "p90ms": pct(90), "p99ms": pct(99),
                  "maxms": round(1000 * lat[-1], 2) if lat else None}))
sys.exit(1 if errors or not lat else 0)
