#!/usr/bin/env python3
"""Writes SETS folders of N small Secondary Capture instances (32x32, 16-bit) for the concurrency tests of
scripts/test-postgres.sh: one patient and one study for all, one series per folder, unique SOP Instance UIDs.

Usage: make_instances.py OUT SETS N
"""
import os, sys
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

out, sets, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
study = generate_uid()
for s in range(sets):
    series = generate_uid()
    os.makedirs(f"{out}/set{s}", exist_ok=True)
    for i in range(n):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.PatientName = "Concurrency^Test"
        ds.PatientID = "PG-CONC-1"
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series
        ds.StudyDate = "20261206"
        ds.Modality = "OT"
        ds.SeriesNumber = s + 1
        ds.InstanceNumber = i + 1
        ds.ConversionType = "WSD"
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = ds.Columns = 32
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.PixelData = (np.arange(32 * 32, dtype=np.uint16) + i).tobytes()
        ds.save_as(f"{out}/set{s}/{i:04d}.dcm", enforce_file_format=True)
print(study)
