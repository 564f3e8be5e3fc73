// DICOMImaging: the edge adapter from DICOM data sets to Imaging domain types.
import DICOM
import Imaging
