/// Radionuclide-therapy dosimetry from serial quantitative SPECT/CT.
///
/// Time–activity curves and their fits, time-integrated activity, absorbed dose by organ S-values, the
/// unit-density sphere model, voxel-S-value convolution and local energy deposition, and rigid registration of
/// serial studies. No DICOM: the readers and the RT Dose writer live at the edge (`DICOMImaging`, `Workflows`).
public enum DosimetryModule {
    /// The module's version of its result conventions; printed with every result.
    public static let conventionsVersion = 1
}
