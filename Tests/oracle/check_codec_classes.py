#!/usr/bin/env python3
"""Oracle for the classes of DICOM pixel data that failed on held-out files (issue "The department's own cameras").

Usage: check_codec_classes.py SCINTI_BINARY CORPUS_DIR
Each class gets a test file made here, at test time, byte by byte or with Debian's tools (nothing is committed), and
`scinti dicom pixels` must agree with an independent decoder within the codec's tolerance:
  1. JPEG Extended (process 2/4) 12-bit whose sequential scan says Ss=0 Se=0 (as the NEMA WG-04 NM images do):
     a valid 12-bit stream with its SOS patched; oracle GDCM (`gdcmconv --raw`), which decodes the full block as
     libjpeg does.
  2. Colour JPEG baseline with an Adobe APP14 marker "no colour transform" (made by libjpeg-turbo's `cjpeg -rgb`),
     with Photometric Interpretation RGB and YBR_FULL_422: oracle GDCM; also the source pixels within lossy error.
  3. Encapsulated pixel data without the closing sequence delimiter, and with a last fragment that declares more
     bytes than the file holds: the corpus RLE file cut; oracle pydicom (which reads what is there) and the
     original's pixels; `scinti dicom dump` must read the file and warn.
  4. HTJ2K (1.2.840.10008.1.2.4.201): the corpus file; oracle pydicom with pylibjpeg-openjpeg.
Prints 'N passed, N failed'.
"""
import os, shutil, struct, subprocess, sys, tempfile
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import generate_uid

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "PixelCodecsTests", "Fixtures")
passed = failed = 0


def result(ok, name, detail):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + f"{name}: {detail}")
    if ok:
        passed += 1
    else:
        failed += 1


def scinti_pixels(scinti, path, tmp):
    out = os.path.join(tmp, "p.npy")
    p = subprocess.run([scinti, "dicom", "pixels", path, "--out", out], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return np.load(out), p.stderr.strip()


def gdcm_pixels(path, tmp):
    """GDCM's decoded samples as stored in its native output. For colour, the bytes themselves: GDCM keeps the
    data set's Photometric Interpretation (YBR_FULL for a YBR_FULL_422 input) even where the JPEG stream was RGB
    (Adobe transform 0), so pydicom's pixel_array of GDCM's output would convert RGB samples as if YCbCr."""
    raw = os.path.join(tmp, "gdcm_raw.dcm")
    p = subprocess.run(["gdcmconv", "--raw", path, raw], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    ds = pydicom.dcmread(raw)
    if ds.SamplesPerPixel == 3 and ds.BitsAllocated == 8:
        return np.frombuffer(ds.PixelData, np.uint8)[: ds.Rows * ds.Columns * 3].reshape(ds.Rows, ds.Columns, 3)
    return ds.pixel_array


def wrap(frames, ts, rows, cols, spp, bits_alloc, bits_stored, pi, path, signed=0):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ts
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid(); ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "OT"; ds.PatientName = "Codec^Test"; ds.PatientID = "CODEC"
    ds.ConversionType = "WSD"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, spp
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits_alloc, bits_stored, bits_stored - 1, signed
    ds.PhotometricInterpretation = pi
    if spp == 3:
        ds.PlanarConfiguration = 0
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)


def jpeg_sof(stream):
    i = 2
    while i < len(stream):
        m = stream[i + 1]
        n = struct.unpack(">H", stream[i + 2:i + 4])[0]
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            s = i + 4
            return stream[s], struct.unpack(">H", stream[s + 1:s + 3])[0], struct.unpack(">H", stream[s + 3:s + 5])[0], stream[s + 5]
        i += 2 + n
    raise ValueError("no SOF")


def class_jpeg12_ss0_se0(scinti, tmp):
    src = open(os.path.join(FIX, "jpeg12_mr.jpg"), "rb").read()
    b = bytearray(src)
    i = b.index(b"\xff\xda")
    ns = b[i + 4]
    se_at = i + 5 + 2 * ns + 1
    assert b[se_at - 1] == 0 and b[se_at] == 63, "unexpected SOS in fixture"
    b[se_at] = 0                                   # Ss=0 Se=0, as the NEMA WG-04 12-bit images write it
    prec, rows, cols, nc = jpeg_sof(bytes(b))
    path = os.path.join(tmp, "jpeg12_ss0_se0.dcm")
    wrap([bytes(b) + (b"\x00" if len(b) % 2 else b"")], "1.2.840.10008.1.2.4.51", rows, cols, nc, 16, prec, "MONOCHROME2", path)
    got, err = scinti_pixels(scinti, path, tmp)
    ref = gdcm_pixels(path, tmp)
    if got is None:
        return result(False, "JPEG extended 12-bit Ss=0 Se=0", err)
    if ref is None:
        return result(False, "JPEG extended 12-bit Ss=0 Se=0", "GDCM cannot decode the test file")
    diff = int(np.max(np.abs(got.reshape(ref.shape).astype(np.int64) - ref.astype(np.int64))))
    result(diff <= 2, "JPEG extended 12-bit Ss=0 Se=0", f"max |scinti - GDCM| = {diff} (tolerance 2), {rows}x{cols} {prec}-bit")


def class_adobe_rgb(scinti, tmp):
    if not shutil.which("cjpeg"):
        return result(False, "JPEG baseline Adobe APP14 transform 0", "cjpeg (libjpeg-turbo-progs) not installed")
    rows, cols = 64, 80
    y, x = np.mgrid[0:rows, 0:cols]
    rgb = np.stack([(x * 3) % 256, (y * 4) % 256, ((x + y) * 2) % 256], axis=-1).astype(np.uint8)
    ppm = os.path.join(tmp, "src.ppm")
    with open(ppm, "wb") as f:
        f.write(f"P6 {cols} {rows} 255\n".encode() + rgb.tobytes())
    jpg = subprocess.run(["cjpeg", "-rgb", "-quality", "95", ppm], capture_output=True, check=True).stdout
    assert b"Adobe" in jpg[:200] and b"JFIF" not in jpg[:200], "cjpeg -rgb did not write an Adobe RGB stream"
    for pi in ("RGB", "YBR_FULL_422"):
        path = os.path.join(tmp, f"adobe_rgb_{pi}.dcm")
        wrap([jpg + (b"\x00" if len(jpg) % 2 else b"")], "1.2.840.10008.1.2.4.50", rows, cols, 3, 8, 8, pi, path)
        got, err = scinti_pixels(scinti, path, tmp)
        name = f"JPEG baseline Adobe APP14 transform 0, Photometric {pi}"
        if got is None:
            result(False, name, err)
            continue
        got = got.reshape(rows, cols, 3)
        ref = gdcm_pixels(path, tmp)
        d_src = int(np.max(np.abs(got.astype(int) - rgb.astype(int))))
        if ref is None:
            result(False, name, "GDCM cannot decode the test file")
            continue
        d_gdcm = int(np.max(np.abs(got.astype(int) - ref.reshape(rows, cols, 3).astype(int))))
        with_warnings = pydicom.dcmread(path)
        d_pyd = int(np.max(np.abs(got.astype(int) - with_warnings.pixel_array.astype(int))))
        result(d_gdcm <= 2 and d_pyd <= 2 and d_src <= 12, name,
               f"max |scinti - GDCM| = {d_gdcm}, |scinti - pydicom| = {d_pyd} (tolerance 2), |scinti - source RGB| = {d_src} (quality 95)")


def class_unterminated(scinti, corpus, tmp):
    src = os.path.join(corpus, "ts", "MR_small_RLE.dcm")
    if not os.path.exists(src):
        return result(False, "unterminated encapsulation", f"{src} missing")
    data = open(src, "rb").read()
    end = data.rfind(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00")
    assert end > 0, "corpus RLE file has no sequence delimiter"
    original = pydicom.dcmread(src).pixel_array
    cut = data[:end]                           # the file ends with the last fragment: no delimiter (nor the padding after it)
    # The last fragment's item header: walk the fragments from the Pixel Data element.
    ds = pydicom.dcmread(src)
    pos = ds["PixelData"].file_tell + 12                    # after (7FE0,0010) OB 0000 FFFFFFFF
    last = None
    while pos < len(cut):
        length = struct.unpack("<I", cut[pos + 4:pos + 8])[0]
        last = pos
        pos += 8 + length
    over = bytearray(cut)
    n = struct.unpack("<I", over[last + 4:last + 8])[0]
    over[last + 4:last + 8] = struct.pack("<I", n + 6)       # declares 6 bytes more than the file holds
    for label, content in (("no sequence delimiter", cut), ("last fragment runs past the end", bytes(over))):
        path = os.path.join(tmp, "unterminated.dcm")
        open(path, "wb").write(content)
        name = f"encapsulated pixel data, {label}"
        d = subprocess.run([scinti, "dicom", "dump", path], capture_output=True, text=True)
        if d.returncode != 0:
            result(False, name, f"dump refused: {d.stderr.strip()}")
            continue
        got, err = scinti_pixels(scinti, path, tmp)
        if got is None:
            result(False, name, err)
            continue
        try:
            ref = pydicom.dcmread(path).pixel_array
        except Exception as e:
            ref = None
            note = f"pydicom cannot decode it ({e})"
        same_orig = np.array_equal(got.reshape(original.shape), original)
        same_ref = ref is not None and np.array_equal(got.reshape(ref.shape), ref)
        warned = "warning" in (d.stderr + err).lower()
        result(same_orig and (same_ref or ref is None) and warned, name,
               f"pixels equal the original: {same_orig}; equal pydicom's: {same_ref if ref is not None else note}; warned: {warned}")


def class_htj2k(scinti, corpus, tmp):
    path = os.path.join(corpus, "ts", "HTJ2KLossless_08_RGB.dcm")
    if not os.path.exists(path):
        return result(False, "HTJ2K", f"{path} missing")
    got, err = scinti_pixels(scinti, path, tmp)
    if got is None:
        return result(False, "HTJ2K lossless RGB", err)
    try:
        ref = pydicom.dcmread(path).pixel_array
    except Exception as e:
        return result(False, "HTJ2K lossless RGB", f"pydicom/pylibjpeg cannot decode it ({e}); install pylibjpeg-openjpeg")
    same = got.size == ref.size and np.array_equal(got.reshape(ref.shape), ref)
    result(same, "HTJ2K lossless RGB", f"{ref.shape} identical to pydicom + pylibjpeg-openjpeg: {same}")


def main():
    scinti, corpus = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp()
    try:
        class_jpeg12_ss0_se0(scinti, tmp)
        class_adobe_rgb(scinti, tmp)
        class_unterminated(scinti, corpus, tmp)
        class_htj2k(scinti, corpus, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
