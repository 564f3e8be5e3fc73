import DICOM
import Foundation
import Imaging

/// Writes a PET activity-concentration volume (Bq/mL) as a PET Image Storage series, one file per slice, the way
/// scanners do for SUV: Units, Decay Correction, Corrected Image, Radiopharmaceutical Information Sequence, patient
/// weight/size/sex, signed 16-bit stored values with a per-slice Rescale Slope. ``SeriesVolumeReader`` reads it back.
public enum PTSeriesWriter {
    /// PET Image Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.128"

    /// How the values are stored.
    public enum Encoding: String, Sendable, Codable {
        /// Units BQML (the standard).
        case bqml
        /// Units CNTS with the Philips private Activity Concentration and SUV Scale Factors (7053,1009)/(7053,1000).
        case philipsCNTS
    }

    /// PET-specific attributes of the written series.
    public struct Options: Sendable {
        /// Patient's Weight (kg), Patient's Size (m); nil leaves them out.
        public var patientWeightKg: Double?
        public var patientSizeM: Double?
        /// Radiopharmaceutical: name, radionuclide code meaning, activity (Bq) at the start DateTime (DT), half-life (s).
        public var radiopharmaceutical: String = "Fluorodeoxyglucose F^18^"
        public var radionuclideMeaning: String = "^18^Fluorine"
        public var totalDoseBq: Double
        public var startDateTime: String
        /// Also write Radiopharmaceutical Start Time (TM) — true as most scanners do.
        public var writeStartTime: Bool = true
        public var halfLifeSeconds: Double
        public var positronFraction: Double = 0.9673
        /// Decay Correction (START/ADMIN/NONE) the values follow.
        public var decayCorrection: String = "START"
        /// Actual Frame Duration (ms).
        public var frameDurationMs: Double = 180_000
        /// Storage encoding.
        public var encoding: Encoding = .bqml
        /// For `.philipsCNTS`: counts per Bq/mL (CNTS value = Bq/mL ÷ this factor) and the SUVbw factor to store.
        public var philipsActivityConcentrationScaleFactor: Double = 4.7
        public var philipsSUVbwFactor: Double?

        /// Creates options.
        public init(patientWeightKg: Double?, patientSizeM: Double?, totalDoseBq: Double, startDateTime: String,
                     halfLifeSeconds: Double) {
            self.patientWeightKg = patientWeightKg; self.patientSizeM = patientSizeM; self.totalDoseBq = totalDoseBq
            self.startDateTime = startDateTime; self.halfLifeSeconds = halfLifeSeconds
        }
    }

    /// The data set of slice `k` of `volume` (values in Bq/mL).
    public static func dataset(_ volume: Volume, slice k: Int, study: StudyAttributes, series: SeriesAttributes,
                               options o: Options, acquisitionDate: String, acquisitionTime: String,
                               sopInstanceUID: String = UIDGenerator.newUID()) throws(DICOMError) -> Dataset {
        let g = volume.geometry
        guard g.isOrthonormal() else { throw DICOMError(.invalidValue, tag: .imageOrientationPatient, "PET slices need orthonormal axes") }
        guard k >= 0 && k < volume.size.z else { throw DICOMError(.invalidValue, tag: .instanceNumber, "slice \(k) outside 0..<\(volume.size.z)") }
        var ds = series.header(sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, modality: "PT",
                               date: acquisitionDate, time: acquisitionTime, study: study)
        if let w = o.patientWeightKg { ds.set(.patientWeight, .DS, numbers: [w]) }
        if let s = o.patientSizeM { ds.set(.patientSize, .DS, numbers: [s]) }
        ds.set(.imageType, .CS, strings: ["ORIGINAL", "PRIMARY"])
        ds.set(.instanceNumber, .IS, String(k + 1))
        ds.set(.contentDate, .DA, acquisitionDate)
        ds.set(.contentTime, .TM, acquisitionTime)
        ds.set(.acquisitionDate, .DA, acquisitionDate)
        ds.set(.acquisitionTime, .TM, acquisitionTime)
        // Image Plane.
        let p = g.patientPosition(0, 0, k)
        ds.set(.imagePositionPatient, .DS, numbers: p.array)
        ds.set(.imageOrientationPatient, .DS, numbers: g.rowDirection.array + g.columnDirection.array)
        ds.set(.pixelSpacing, .DS, numbers: [g.spacing.y, g.spacing.x])
        ds.set(.sliceThickness, .DS, numbers: [g.spacing.z])
        ds.set(T.sliceLocation, .DS, numbers: [p.dot(g.sliceDirection)])
        // PET Series / PET Isotope / PET Image.
        ds.set(T.seriesType, .CS, strings: ["STATIC", "IMAGE"])
        let units = o.encoding == .bqml ? "BQML" : "CNTS"
        ds.set(T.units, .CS, units)
        ds.set(Tag(0x0054, 0x1002), .CS, "EMISSION")
        ds.set(T.decayCorrection, .CS, o.decayCorrection)
        ds.set(T.correctedImage, .CS, strings: o.decayCorrection == "NONE" ? ["ATTN", "SCAT", "DTIM", "RAN", "NORM"]
                                                                        : ["ATTN", "SCAT", "DTIM", "RAN", "NORM", "DECY"])
        ds.set(Tag(0x0054, 0x0081), .US, numbers: [Double(volume.size.z)])
        ds.set(Tag(0x0018, 0x1181), .CS, "NONE")
        // NM/PET Patient Orientation (Type 2 sequences, left empty; Patient Position must then be absent).
        ds.set(Tag(0x0054, 0x0410), sequence: [])
        ds.set(Tag(0x0054, 0x0414), sequence: [])
        ds.set(Tag(0x0054, 0x1330), .US, numbers: [Double(k + 1)])
        ds.set(T.frameReferenceTime, .DS, numbers: [0])
        ds.set(T.decayFactor, .DS, numbers: [1])
        ds.set(.actualFrameDuration, .IS, String(Int(o.frameDurationMs.rounded())))
        var rp = Dataset()
        rp.set(T.radiopharmaceutical, .LO, o.radiopharmaceutical)
        if o.writeStartTime, let tm = o.startDateTime.split(separator: ".").first.map(String.init), tm.count >= 14 {
            let t = String(tm.dropFirst(8).prefix(6))
            rp.set(T.radiopharmaceuticalStartTime, .TM, t)
        }
        if !o.startDateTime.isEmpty { rp.set(T.radiopharmaceuticalStartDateTime, .DT, o.startDateTime) }
        rp.set(T.radionuclideTotalDose, .DS, numbers: [o.totalDoseBq])
        rp.set(T.radionuclideHalfLife, .DS, numbers: [o.halfLifeSeconds])
        rp.set(T.radionuclidePositronFraction, .DS, numbers: [o.positronFraction])
        var code = Dataset()
        // ^18^Fluorine: SNOMED CT 77004003 (DICOM CID 4020, formerly SRT C-111A1).
        code.set(T.codeValue, .SH, "77004003")
        code.set(Tag(0x0008, 0x0102), .SH, "SCT")
        code.set(T.codeMeaning, .LO, o.radionuclideMeaning)
        rp.set(T.radionuclideCodeSequence, sequence: [code])
        ds.set(T.radiopharmaceuticalInformationSequence, sequence: [rp])
        // Image Pixel: signed 16-bit, per-slice slope.
        let slice = volume.slice(k)
        let scale = o.encoding == .bqml ? 1.0 : 1 / o.philipsActivityConcentrationScaleFactor
        let maxValue = slice.reduce(0) { max($0, Double($1) * scale) }
        let slope = maxValue > 0 ? maxValue / 32_000 : 1
        ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.photometricInterpretation, .CS, "MONOCHROME2")
        ds.set(.rows, .US, numbers: [Double(volume.size.y)])
        ds.set(.columns, .US, numbers: [Double(volume.size.x)])
        ds.set(.bitsAllocated, .US, numbers: [16])
        ds.set(.bitsStored, .US, numbers: [16])
        ds.set(.highBit, .US, numbers: [15])
        ds.set(.pixelRepresentation, .US, numbers: [1])
        ds.set(.rescaleIntercept, .DS, numbers: [0])
        ds.set(.rescaleSlope, .DS, numbers: [slope])
        if o.encoding == .philipsCNTS {
            ds.set(Tag(0x7053, 0x0010), .LO, "Philips PET Private Group")
            ds.set(Tag(0x7053, 0x1009), .DS, numbers: [o.philipsActivityConcentrationScaleFactor])
            if let f = o.philipsSUVbwFactor {
                ds.set(Tag(0x7053, 0x1000), .DS, numbers: [f * o.philipsActivityConcentrationScaleFactor])
            }
        }
        var bytes = [UInt8](); bytes.reserveCapacity(slice.count * 2)
        for v in slice {
            let s = Int16(clamping: Int((Double(v) * scale / slope).rounded()))
            let u = UInt16(bitPattern: s)
            bytes.append(UInt8(u & 0xFF)); bytes.append(UInt8(u >> 8))
        }
        ds.set(Element(tag: .pixelData, vr: .OW, bytes: bytes))
        return ds
    }

    /// Writes every slice into `directory` (created if needed) as `PT_0001.dcm`…; returns the paths.
    @discardableResult
    public static func write(_ volume: Volume, study: StudyAttributes, series: SeriesAttributes, options: Options,
                             acquisitionDate: String, acquisitionTime: String, to directory: String) throws(DICOMError) -> [String] {
        try writeSliceSeries(count: volume.size.z, prefix: "PT", kind: "PET", to: directory) { k throws(DICOMError) in
            try dataset(volume, slice: k, study: study, series: series, options: options,
                        acquisitionDate: acquisitionDate, acquisitionTime: acquisitionTime)
        }
    }
}
