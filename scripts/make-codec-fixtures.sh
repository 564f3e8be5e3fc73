#!/usr/bin/env bash
# Builds the PixelCodecs test fixtures in Tests/PixelCodecsTests/Fixtures from the shared corpus and from
# images encoded here with DCMTK. Expected samples come from INDEPENDENT decoders: the uncompressed source for
# lossless codecs, DCMTK (dcmdjpeg, IJG) or GDCM (gdcmconv --raw) for lossy ones, read back with pydicom.
#
# Needs: python3 with pydicom 3 and numpy, dcmtk (dcmcjpeg, dcmdjpeg), libgdcm-tools (gdcmconv).
# Usage: scripts/make-codec-fixtures.sh [corpus-dir]     (default /work/shared/corpus)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CORPUS="${1:-/work/shared/corpus}"
OUT="$ROOT/Tests/PixelCodecsTests/Fixtures"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
for tool in dcmcjpeg dcmdjpeg gdcmconv python3; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
mkdir -p "$OUT"
rm -f "$OUT"/*.jpg "$OUT"/*.jls "$OUT"/*.j2k "$OUT"/*.jp2 "$OUT"/*.rle "$OUT"/*.raw "$OUT"/fixtures.json

python3 - "$CORPUS" "$OUT" "$TMP" <<'PY'
import copy, hashlib, json, os, struct, subprocess, sys
import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.encaps import generate_frames
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

corpus, out, tmp = sys.argv[1:4]
entries = []

def run(*args):
    subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL)

def first_frame(path):
    ds = pydicom.dcmread(path)
    nf = int(getattr(ds, "NumberOfFrames", 1) or 1)
    return next(generate_frames(ds.PixelData, number_of_frames=nf)), ds

def samples(path):
    """Decoded samples of an uncompressed DICOM file, little-endian, as the codecs output them."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    if ds.BitsAllocated <= 8:
        dt = "u1"
    else:
        dt = "<i2" if int(ds.PixelRepresentation) == 1 else "<u2"
    return np.ascontiguousarray(arr).astype(dt).tobytes(), ds

def gdcm_decode(path):
    dst = os.path.join(tmp, "gdcm_" + os.path.basename(path))
    run("gdcmconv", "--raw", path, dst)
    return samples(dst)

def dcmtk_decode(path):
    dst = os.path.join(tmp, "dcmd_" + os.path.basename(path))
    run("dcmdjpeg", path, dst)
    return samples(dst)

def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

def add(name, codec, stream, ext, ds, expected, *, bits, signed=False, tolerance=0, inline_max=70000,
        source, tool, licence, note=""):
    fname = name + "." + ext
    write(fname, stream)
    e = dict(name=name, codec=codec, file=fname, width=int(ds.Columns), height=int(ds.Rows),
             components=int(ds.SamplesPerPixel), bitsPerSample=bits, isSigned=signed,
             bytesPerSample=1 if bits <= 8 else 2, tolerance=tolerance,
             expectedSHA256=hashlib.sha256(expected).hexdigest(),
             source=source, tool=tool, licence=licence, note=note)
    if len(expected) <= inline_max:
        write(name + ".raw", expected)
        e["expected"] = name + ".raw"
    entries.append(e)

def save_uncompressed(ds, arr, path, *, bits_stored, signed, photometric):
    ds = copy.deepcopy(ds)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = arr.shape[0], arr.shape[1]
    ds.SamplesPerPixel = 1 if arr.ndim == 2 else arr.shape[2]
    ds.PhotometricInterpretation = photometric
    if ds.SamplesPerPixel > 1:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8 if arr.dtype.itemsize == 1 else 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    for kw in ("WindowCenter", "WindowWidth", "SmallestImagePixelValue", "LargestImagePixelValue"):
        if kw in ds:
            delattr(ds, kw)
    ds.PixelData = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    ds.save_as(path, enforce_file_format=True)

PYD = "MIT (pydicom); image provenance in pydicom test_files/README.txt"
WG04 = "NEMA WG-04 public test images; no explicit licence (robyoung LICENSE.txt: MIT covers code only)"

# ---------------------------------------------------------------- sources
mr_path = os.path.join(corpus, "ts/MR_small_implicit.dcm")
mr_raw, mr_ds = samples(mr_path)
mr_arr = mr_ds.pixel_array

# 12-bit unsigned copy of MR_small (values 127...2145 fit in 12 bits).
mr12_path = os.path.join(tmp, "mr12.dcm")
save_uncompressed(mr_ds, mr_arr.astype(np.uint16), mr12_path, bits_stored=12, signed=False, photometric="MONOCHROME2")
mr12_raw, mr12_ds = samples(mr12_path)

# 8-bit grayscale copy of MR_small (value >> 4).
mr8_path = os.path.join(tmp, "mr8.dcm")
save_uncompressed(mr_ds, (mr_arr >> 4).astype(np.uint8), mr8_path, bits_stored=8, signed=False, photometric="MONOCHROME2")
mr8_raw, mr8_ds = samples(mr8_path)

# Synthetic RGB images (deterministic): smooth gradients plus a checker, odd sizes to exercise MCU edges.
def synthetic_rgb(h, w, maxv, dtype):
    y, x = np.mgrid[0:h, 0:w]
    r = (x * maxv) // max(w - 1, 1)
    g = (y * maxv) // max(h - 1, 1)
    b = ((x // 4 + y // 4) % 2) * (maxv // 2) + (x * y) % (maxv // 4)
    return np.stack([r, g, b], axis=-1).astype(dtype)

rgb8_path = os.path.join(tmp, "rgb8.dcm")
save_uncompressed(mr_ds, synthetic_rgb(40, 52, 255, np.uint8), rgb8_path, bits_stored=8, signed=False, photometric="RGB")
rgb8_raw, rgb8_ds = samples(rgb8_path)

rgb12_path = os.path.join(tmp, "rgb12.dcm")
save_uncompressed(mr_ds, synthetic_rgb(29, 37, 4095, np.uint16), rgb12_path, bits_stored=12, signed=False, photometric="RGB")
rgb12_raw, rgb12_ds = samples(rgb12_path)

SYN = "synthetic (this script), public domain"
MRSRC = "corpus ts/MR_small_implicit.dcm"

# ---------------------------------------------------------------- JPEG lossless (SOF3) by DCMTK, every predictor
for sv in range(1, 8):
    dst = os.path.join(tmp, f"mr_sv{sv}.dcm")
    run("dcmcjpeg", "+el", "+sv", str(sv), mr_path, dst)
    stream, _ = first_frame(dst)
    add(f"jpegll_mr16_sv{sv}", "jpeg", stream, "jpg", mr_ds, mr_raw, bits=16, source=MRSRC,
        tool=f"dcmcjpeg +el +sv {sv}", licence=PYD, note="expected = uncompressed source")
for sv in (1, 5):
    dst = os.path.join(tmp, f"rgb8_sv{sv}.dcm")
    run("dcmcjpeg", "+el", "+sv", str(sv), rgb8_path, dst)
    stream, _ = first_frame(dst)
    add(f"jpegll_rgb8_sv{sv}", "jpeg", stream, "jpg", rgb8_ds, rgb8_raw, bits=8, source=SYN,
        tool=f"dcmcjpeg +el +sv {sv}", licence="public domain", note="3 components; expected = source")
# Point transform (lossy): expected from dcmdjpeg.
dst = os.path.join(tmp, "mr_sv7_pt2.dcm")
run("dcmcjpeg", "+el", "+sv", "7", "+pt", "2", mr_path, dst)
stream, _ = first_frame(dst)
exp, _ = dcmtk_decode(dst)
add("jpegll_mr16_sv7_pt2", "jpeg", stream, "jpg", mr_ds, exp, bits=16, source=MRSRC,
    tool="dcmcjpeg +el +sv 7 +pt 2; expected dcmdjpeg", licence=PYD, note="point transform 2")

# Real lossless streams from other software (expected: uncompressed twin or GDCM).
p = os.path.join(corpus, "ts/JPEGLossless_P14_u16_12.dcm")
stream, ds = first_frame(p)
exp, _ = gdcm_decode(p)
add("jpegll_p14_u16_12", "jpeg", stream, "jpg", ds, exp, bits=int(ds.BitsStored), source="corpus ts/JPEGLossless_P14_u16_12.dcm",
    tool="GDCM-encoded (pylibjpeg-data); expected gdcmconv --raw", licence="MIT + GDCM BSD-3 (pylibjpeg-data LICENSE)")
p = os.path.join(corpus, "nm/WG04_NM1_JPLL.dcm")
stream, ds = first_frame(p)
nm_raw, nm_ds = samples(os.path.join(corpus, "nm/WG04_NM1_UNC.dcm"))
add("jpegll_wg04_nm1", "jpeg", stream, "jpg", ds, nm_raw, bits=16, source="corpus nm/WG04_NM1_JPLL.dcm",
    tool="NEMA WG-04; expected = nm/WG04_NM1_UNC.dcm", licence=WG04)

# ---------------------------------------------------------------- JPEG DCT
dst = os.path.join(tmp, "mr12_ee.dcm")
run("dcmcjpeg", "+ee", "+q", "85", mr12_path, dst)
stream, _ = first_frame(dst)
exp, _ = dcmtk_decode(dst)
add("jpeg12_mr", "jpeg", stream, "jpg", mr12_ds, exp, bits=12, tolerance=1, source=MRSRC + " (as 12-bit unsigned)",
    tool="dcmcjpeg +ee +q 85; expected dcmdjpeg (IJG 12-bit, islow)", licence=PYD)
for opt, label in (("+s2", "422"), ("+n1", "411"), ("+s4", "444")):
    dst = os.path.join(tmp, f"rgb12_{label}.dcm")
    run("dcmcjpeg", "+ee", "+q", "90", opt, rgb12_path, dst)
    stream, _ = first_frame(dst)
    exp, _ = dcmtk_decode(dst)
    add(f"jpeg12_rgb_{label}", "jpeg", stream, "jpg", rgb12_ds, exp, bits=12, tolerance=2, source=SYN,
        tool=f"dcmcjpeg +ee +q 90 {opt} (YCbCr); expected dcmdjpeg (converted to RGB)", licence="public domain")
dst = os.path.join(tmp, "mr8_eb.dcm")
run("dcmcjpeg", "+eb", mr8_path, dst)
stream, _ = first_frame(dst)
exp, _ = dcmtk_decode(dst)
add("jpeg8_mr", "jpeg", stream, "jpg", mr8_ds, exp, bits=8, tolerance=1, source=MRSRC + " (>> 4 as 8-bit)",
    tool="dcmcjpeg +eb; expected dcmdjpeg", licence=PYD)
dst = os.path.join(tmp, "rgb8_eb.dcm")
run("dcmcjpeg", "+eb", rgb8_path, dst)
stream, _ = first_frame(dst)
exp, _ = dcmtk_decode(dst)
add("jpeg8_rgb_422", "jpeg", stream, "jpg", rgb8_ds, exp, bits=8, tolerance=2, source=SYN,
    tool="dcmcjpeg +eb (YBR_FULL_422); expected dcmdjpeg", licence="public domain")
p = os.path.join(corpus, "ts/SC_rgb_jpeg_dcmtk.dcm")
stream, ds = first_frame(p)
exp, _ = dcmtk_decode(p)
add("jpeg8_sc_rgb_dcmtk", "jpeg", stream, "jpg", ds, exp, bits=8, tolerance=2, source="corpus ts/SC_rgb_jpeg_dcmtk.dcm",
    tool="DCMTK-encoded (pydicom test file); expected dcmdjpeg", licence=PYD)

# ---------------------------------------------------------------- JPEG-LS
p = os.path.join(corpus, "ts/MR_small_jpeg_ls_lossless.dcm")
stream, ds = first_frame(p)
add("jls_mr_lossless", "jpegls", stream, "jls", ds, mr_raw, bits=16, source="corpus ts/MR_small_jpeg_ls_lossless.dcm",
    tool="pydicom test file; expected = MR_small_implicit", licence=PYD)
p = os.path.join(corpus, "ts/JPEGLSNearLossless_16.dcm")
stream, ds = first_frame(p)
exp, _ = gdcm_decode(p)
add("jls_near_16", "jpegls", stream, "jls", ds, exp, bits=16, source="corpus ts/JPEGLSNearLossless_16.dcm",
    tool="pydicom test file; expected gdcmconv --raw", licence=PYD)

# ---------------------------------------------------------------- JPEG 2000
p = os.path.join(corpus, "ts/MR_small_jp2klossless.dcm")
stream, ds = first_frame(p)
add("j2k_mr_lossless", "j2k", stream, "j2k", ds, mr_raw, bits=16, signed=True, source="corpus ts/MR_small_jp2klossless.dcm",
    tool="pydicom test file; expected = MR_small_implicit", licence=PYD)
# The same codestream in a minimal JP2 wrapper (signature, ftyp, jp2h/ihdr+colr, jp2c).
def box(t, payload):
    return struct.pack(">I", 8 + len(payload)) + t + payload
cs = bytes(stream).rstrip(b"\x00") if bytes(stream)[-2:] != b"\xff\xd9" else bytes(stream)
ihdr = box(b"ihdr", struct.pack(">IIHBBBB", int(ds.Rows), int(ds.Columns), 1, 0x80 | 15, 7, 0, 0))
colr = box(b"colr", struct.pack(">BBBI", 1, 0, 0, 17))
jp2 = (box(b"jP  ", b"\r\n\x87\n") + box(b"ftyp", b"jp2 " + struct.pack(">I", 0) + b"jp2 ")
       + box(b"jp2h", ihdr + colr) + box(b"jp2c", bytes(stream)))
add("jp2_mr_lossless", "j2k", jp2, "jp2", ds, mr_raw, bits=16, signed=True, source="corpus ts/MR_small_jp2klossless.dcm",
    tool="codestream wrapped in JP2 boxes by this script; expected = MR_small_implicit", licence=PYD)
for rel, name, lic in (("ct/693_J2KI.dcm", "j2k_ct_693_lossy", PYD), ("nm/WG04_NM1_J2KI.dcm", "j2k_nm1_lossy", WG04)):
    p = os.path.join(corpus, rel)
    stream, ds = first_frame(p)
    exp, eds = gdcm_decode(p)
    add(name, "j2k", stream, "j2k", ds, exp, bits=0, signed=int(ds.PixelRepresentation) == 1, tolerance=1,
        source="corpus " + rel, tool="expected gdcmconv --raw (OpenJPEG inside GDCM)", licence=lic,
        note="bitsPerSample 0 = not checked (J2K precision may differ from BitsStored)")
    entries[-1]["bytesPerSample"] = 2

# ---------------------------------------------------------------- RLE
p = os.path.join(corpus, "ts/MR_small_RLE.dcm")
stream, ds = first_frame(p)
add("rle_mr", "rle", stream, "rle", ds, mr_raw, bits=16, source="corpus ts/MR_small_RLE.dcm",
    tool="pydicom test file; expected = MR_small_implicit", licence=PYD)
p = os.path.join(corpus, "nm/WG04_NM1_RLE.dcm")
stream, ds = first_frame(p)
add("rle_wg04_nm1", "rle", stream, "rle", ds, nm_raw, bits=16, source="corpus nm/WG04_NM1_RLE.dcm",
    tool="NEMA WG-04; expected = nm/WG04_NM1_UNC.dcm", licence=WG04)

lines = [
    "# PixelCodecs test fixtures: attribution",
    "",
    "Generated by `scripts/make-codec-fixtures.sh` (do not edit by hand). Streams are raw codestreams (first frame of",
    "the DICOM Pixel Data, fragments joined); `.raw` files are the expected decoded samples, interleaved, little-endian.",
    "Expected samples come from independent software: the uncompressed twin/source for lossless streams, DCMTK 3.6.7",
    "`dcmdjpeg` (IJG 6b-based, islow IDCT) or GDCM 3.0.21 `gdcmconv --raw` for lossy ones, read with pydicom 3.0.2.",
    "Large expected outputs are stored only as `expectedSHA256` in `fixtures.json`.",
    "",
    "Corpus files come from /work/shared/corpus (see its MANIFEST.md for full provenance). WG-04 images are NEMA",
    "public test images with no explicit licence: keep them inside the project's tests.",
    "",
    "| fixture | stream | source | tool / expected from | licence |",
    "|---|---|---|---|---|",
]
for e in entries:
    lines.append(f"| {e['name']} | {e['file']} | {e['source']} | {e['tool']} | {e['licence']} |")
with open(os.path.join(out, "ATTRIBUTION.md"), "w") as f:
    f.write("\n".join(lines) + "\n")

with open(os.path.join(out, "fixtures.json"), "w") as f:
    json.dump(entries, f, indent=1)
total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
print(f"{len(entries)} fixtures, {total} bytes in {out}")
PY
