/// Clinical analyses of nuclear-medicine studies.
///
/// Each analysis is a small value type: its inputs (domain images from `Imaging`, never DICOM), the conventions it
/// uses (ROI method, background method, decay data set) and a `Codable` result that carries its units. The DICOM
/// reading happens at the edge (`DICOMImaging`, `Workflows`), the CLI (`scinti analyze`) only parses and prints.
public enum AnalysisModule {
    /// The module's version of its result conventions; printed with every result.
    public static let conventionsVersion = 1
}
