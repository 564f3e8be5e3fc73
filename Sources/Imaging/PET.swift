/// PET quantitation attributes of a series, as plain domain values (no DICOM types).
public struct PETAttributes: Sendable, Hashable, Codable {
    /// Units (0054,1001), e.g. `BQML`, `CNTS`, `GML`.
    public var units: String?
    /// Decay Correction (0054,1102): `NONE`, `START` or `ADMIN`.
    public var decayCorrection: String?
    /// Corrected Image (0028,0051) values, e.g. `ATTN`, `DECY`.
    public var correctedImage: [String]
    /// Series Date (DA form).
    public var seriesDate: String?
    /// Series Time (TM form).
    public var seriesTime: String?
    /// Acquisition Date (DA form) of the first slice.
    public var acquisitionDate: String?
    /// Acquisition Time (TM form) of the first slice.
    public var acquisitionTime: String?
    /// Radiopharmaceutical administered.
    public var radiopharmaceutical: Radiopharmaceutical?
    /// Patient's Weight (kg).
    public var patientWeightKg: Double?
    /// Patient's Size (m).
    public var patientSizeM: Double?
    /// Patient's Sex (`M`, `F`, `O`).
    public var patientSex: String?
    /// Actual Frame Duration (ms).
    public var actualFrameDurationMs: Double?
    /// Decay Factor (0054,1321) of the first slice.
    public var decayFactor: Double?
    /// Frame Reference Time (ms, 0054,1300) of the first slice.
    public var frameReferenceTimeMs: Double?
    /// Manufacturer (needed for vendor-specific SUV factors).
    public var manufacturer: String?

    /// Creates attributes.
    public init(units: String? = nil, decayCorrection: String? = nil, correctedImage: [String] = [],
                seriesDate: String? = nil, seriesTime: String? = nil, acquisitionDate: String? = nil,
                acquisitionTime: String? = nil, radiopharmaceutical: Radiopharmaceutical? = nil,
                patientWeightKg: Double? = nil, patientSizeM: Double? = nil, patientSex: String? = nil,
                actualFrameDurationMs: Double? = nil, decayFactor: Double? = nil, frameReferenceTimeMs: Double? = nil,
                manufacturer: String? = nil) {
        self.units = units; self.decayCorrection = decayCorrection; self.correctedImage = correctedImage
        self.seriesDate = seriesDate; self.seriesTime = seriesTime; self.acquisitionDate = acquisitionDate
        self.acquisitionTime = acquisitionTime; self.radiopharmaceutical = radiopharmaceutical
        self.patientWeightKg = patientWeightKg; self.patientSizeM = patientSizeM; self.patientSex = patientSex
        self.actualFrameDurationMs = actualFrameDurationMs; self.decayFactor = decayFactor
        self.frameReferenceTimeMs = frameReferenceTimeMs; self.manufacturer = manufacturer
    }

    /// Whether the image is decay corrected (Corrected Image contains `DECY`).
    public var isDecayCorrected: Bool { correctedImage.contains("DECY") }
    /// Whether the image is attenuation corrected (Corrected Image contains `ATTN`).
    public var isAttenuationCorrected: Bool { correctedImage.contains("ATTN") }
}

/// A segment of a segmentation: its number, label and coded meaning, plus its mask on a voxel grid.
public struct SegmentMask: Sendable, Equatable {
    /// Segment Number (1-based).
    public var number: Int
    /// Segment Label.
    public var label: String?
    /// Segmented Property Category code meaning (e.g. `Tissue`).
    public var category: String?
    /// Segmented Property Type code meaning (e.g. `Liver`).
    public var type: String?
    /// Segment Algorithm Type (`AUTOMATIC`, `SEMIAUTOMATIC`, `MANUAL`).
    public var algorithmType: String?
    /// Mask values: 0/1 for binary segmentations, occupancy fraction in [0, 1] for fractional ones.
    public var mask: Volume

    /// Creates a segment mask.
    public init(number: Int, label: String? = nil, category: String? = nil, type: String? = nil,
                algorithmType: String? = nil, mask: Volume) {
        self.number = number; self.label = label; self.category = category; self.type = type
        self.algorithmType = algorithmType; self.mask = mask
    }

    /// Number of voxels with a non-zero value.
    public var voxelCount: Int { mask.voxels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
}
