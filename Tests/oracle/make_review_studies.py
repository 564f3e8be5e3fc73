#!/usr/bin/env python3
"""Test studies for the hanging protocols (scripts/test-review.sh), written with pydicom from simulated files:

  follow-up BASELINE.dcm OUT.dcm FACTOR [PATIENT_ID]
                                          the same whole-body scan as a later study of the same patient (or of
                                          PATIENT_ID): new study, series and instance UIDs, study date one year later,
                                          pixel values × FACTOR (rounded), so the follow-up normalisation is ≈ 1 / FACTOR
  big-ct SPECT.dcm OUTDIR NX NY NZ        a CT series (NZ axial slices of NX × NY, int16 HU: air, a water cylinder with
                                          a bone rod) in the SPECT's study and frame of reference, covering its field
                                          of view (the fused-view benchmark: scripts/bench-viewer.py)
  big-spect RECON.dcm OUT.dcm NZ          a reconstructed SPECT (NM RECON TOMO) with its slices repeated cyclically
                                          to NZ (e.g. the corpus' 128 × 128 × 77 Symbia to 128³), as a new study
                                          and series (the fused-view benchmark's emission)
  restudy OUTDIR FILE…                    FILEs (e.g. one visit's SPECT and its CT) as one new study (new study,
                                          series and instance UIDs; frame of reference and geometry kept)
"""
import os
import sys

import numpy as np
import pydicom
from pydicom.uid import generate_uid


def follow_up(src, out, factor, patient=None):
    ds = pydicom.dcmread(src)
    if patient:
        ds.PatientID, ds.PatientName = patient, f"Other^{patient}"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    d = str(getattr(ds, "StudyDate", "") or "20260101")
    ds.StudyDate = str(int(d[:4]) + 1) + d[4:]
    ds.SeriesDate = ds.AcquisitionDate = ds.StudyDate if "AcquisitionDate" in ds else ds.StudyDate
    a = ds.pixel_array
    ds.PixelData = np.clip(np.rint(a.astype(np.float64) * factor), 0, np.iinfo(a.dtype).max).astype(a.dtype).tobytes()
    ds.save_as(out)


def restudy(outdir, files):
    study, series = generate_uid(), {}
    os.makedirs(outdir, exist_ok=True)
    for n, f in enumerate(files):
        ds = pydicom.dcmread(f)
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series.setdefault(ds.SeriesInstanceUID, generate_uid())
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.save_as(os.path.join(outdir, f"{n}.dcm"))
    print(study)


def big_spect(src, out, nz):
    ds = pydicom.dcmread(src)
    a = ds.pixel_array
    ds.PixelData = np.ascontiguousarray(a[np.arange(nz) % a.shape[0]]).tobytes()
    ds.NumberOfFrames = nz
    ds.SliceVector = list(range(1, nz + 1))
    ds.NumberOfSlices = nz
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = generate_uid(), generate_uid(), generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(out)
    print(ds.StudyInstanceUID, ds.SeriesInstanceUID)


def big_ct(spect, outdir, nx, ny, nz):
    from pydicom.dataset import FileDataset, FileMetaDataset
    sp = pydicom.dcmread(spect, stop_before_pixels=True)
    det = sp.DetectorInformationSequence[0] if "DetectorInformationSequence" in sp else sp
    o = [float(x) for x in det.ImagePositionPatient]
    ps = [float(x) for x in sp.PixelSpacing]
    dz = float(getattr(sp, "SpacingBetweenSlices", 0) or sp.SliceThickness)
    fov = [sp.Columns * ps[1], sp.Rows * ps[0], int(sp.NumberOfFrames) * dz]
    px, py, pz = fov[0] / nx, fov[1] / ny, fov[2] / nz
    x0, y0, z0 = o[0] - ps[1] / 2 + px / 2, o[1] - ps[0] / 2 + py / 2, o[2] - dz / 2 + pz / 2
    yy, xx = np.mgrid[0:ny, 0:nx]
    r = np.hypot((xx - nx / 2) / (0.4 * nx), (yy - ny / 2) / (0.3 * ny))
    img = np.where(r < 1, 0, -1000).astype(np.int16)
    img[np.hypot(xx - nx / 2, yy - 0.6 * ny) < 0.04 * nx] = 700
    series = generate_uid()
    os.makedirs(outdir, exist_ok=True)
    for k in range(nz):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        for key in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyDate", "StudyTime",
                    "StudyID", "AccessionNumber", "FrameOfReferenceUID"):
            if key in sp:
                setattr(ds, key, getattr(sp, key))
        ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
        ds.Modality, ds.SeriesInstanceUID, ds.SeriesNumber, ds.InstanceNumber = "CT", series, 77, k + 1
        ds.SeriesDescription = f"benchmark CT {nx}x{ny}x{nz}"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [x0, y0, z0 + k * pz]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [py, px], pz
        ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = ny, nx, 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = 1, 0, "HU"
        ds.PixelData = img.tobytes()
        ds.save_as(os.path.join(outdir, f"ct{k:04d}.dcm"), enforce_file_format=True)
    print(series)


if __name__ == "__main__":
    if sys.argv[1] == "big-ct":
        big_ct(sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7]))
    elif sys.argv[1] == "big-spect":
        big_spect(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "follow-up":
        follow_up(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else None)
    else:
        restudy(sys.argv[2], sys.argv[3:])
