import DICOM
import Foundation
import Imaging

/// What to write into an NM RECON TOMO object besides the voxels.
public struct ReconTomoInfo: Sendable {
    /// The projections' data set (patient, study, radiopharmaceutical, energy windows are copied from it).
    public var source: Dataset?
    /// Frame of Reference UID (the CT's, so the result fuses with it).
    public var frameOfReferenceUID: String?
    /// Series Description, e.g. `OSEM 4i8s AC SC RR Bq/mL`.
    public var seriesDescription: String
    /// Units of the voxel values: UCUM code (e.g. `Bq/ml`, `{counts}`) and meaning.
    public var unitsCode: String
    /// Units meaning for the code sequence.
    public var unitsMeaning: String
    /// Free text describing how it was made (algorithm, corrections, calibration, decay reference), stored in
    /// Image Comments and Derivation Description.
    public var provenance: String
    /// Energy window used (1-based number in the source), copied into the Energy Window Information Sequence.
    public var energyWindow: Int?
    /// Creates the description.
    public init(source: Dataset?, frameOfReferenceUID: String?, seriesDescription: String, unitsCode: String = "Bq/ml",
                unitsMeaning: String = "becquerels per milliliter", provenance: String, energyWindow: Int? = nil) {
        self.source = source; self.frameOfReferenceUID = frameOfReferenceUID; self.seriesDescription = seriesDescription
        self.unitsCode = unitsCode; self.unitsMeaning = unitsMeaning; self.provenance = provenance; self.energyWindow = energyWindow
    }
}

/// Writes and reads NM RECON TOMO objects (NM Image Storage, one frame per slice, Frame Increment Pointer =
/// Slice Vector). Values travel as unsigned 16-bit stored values with the Real World Value Mapping (the NM IOD's
/// way to carry Bq/mL) and, consistently, Rescale Slope/Intercept (which several vendors' readers expect).
public enum ReconTomo {
    /// Builds the data set for an axis-aligned volume (slices along +z).
    public static func dataset(_ v: Volume, info: ReconTomoInfo) throws(DICOMError) -> Dataset {
        let src = info.source ?? Dataset()
        var ds = Dataset()
        ds.set(.specificCharacterSet, .CS, "ISO_IR 192")
        ds.set(.imageType, .CS, strings: ["DERIVED", "PRIMARY", "RECON TOMO", "EMISSION"])
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.20")
        ds.set(.sopInstanceUID, .UI, UIDGenerator.newUID())
        let now = Date()
        let f = DateFormatter(); f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd"; let today = f.string(from: now)
        f.dateFormat = "HHmmss"; let time = f.string(from: now)
        // Patient and study from the projections; empty type-2 attributes when unknown.
        for tag in [Tag.patientName, .patientID, Tag(0x0010, 0x0030), .patientSex, .patientWeight, .patientSize, Tag(0x0010, 0x1010)] {
            if let e = src[tag] { ds.set(e) }
        }
        for tag in [Tag.patientName, .patientID, Tag(0x0010, 0x0030), .patientSex] where !ds.contains(tag) {
            ds.set(Element(tag: tag, vr: DataDictionary.entry(for: tag)?.vr ?? .LO, bytes: []))
        }
        ds.set(.studyInstanceUID, .UI, src.string(.studyInstanceUID) ?? UIDGenerator.newUID())
        for (tag, vr) in [(Tag.studyDate, VR.DA), (.studyTime, .TM), (Tag(0x0008, 0x0090), .PN), (Tag(0x0020, 0x0010), .SH), (Tag(0x0008, 0x0050), .SH)] {
            if let e = src[tag] { ds.set(e) } else { ds.set(Element(tag: tag, vr: vr, bytes: [])) }
        }
        ds.set(.modality, .CS, "NM")
        ds.set(.seriesInstanceUID, .UI, UIDGenerator.newUID())
        ds.set(.seriesNumber, .IS, String((src.int(.seriesNumber) ?? 0) + 1000))
        ds.set(.seriesDescription, .LO, String(info.seriesDescription.prefix(64)))
        ds.set(Tag(0x0008, 0x0021), .DA, today); ds.set(Tag(0x0008, 0x0031), .TM, time)
        ds.set(.contentDate, .DA, today); ds.set(.contentTime, .TM, time)
        if let e = src[.acquisitionDate] { ds.set(e) }
        if let e = src[.acquisitionTime] { ds.set(e) }
        ds.set(.manufacturer, .LO, "Scinti")
        ds.set(.manufacturerModelName, .LO, "scinti recon")
        ds.set(Tag(0x0018, 0x1020), .LO, "0.1.0")    // Software Versions
        ds.set(.frameOfReferenceUID, .UI, info.frameOfReferenceUID ?? src.string(.frameOfReferenceUID) ?? UIDGenerator.newUID())
        ds.set(Element(tag: Tag(0x0020, 0x1040), vr: .LO, bytes: []))   // Position Reference Indicator (type 2)
        ds.set(.instanceNumber, .IS, "1")
        ds.set(Element(tag: Tag(0x0020, 0x0020), vr: .CS, bytes: []))   // Patient Orientation (type 2C, empty)
        ds.set(Tag(0x0020, 0x4000), .LT, Self.prefix(info.provenance, utf8Bytes: 10240))    // Image Comments
        ds.set(Tag(0x0008, 0x2111), .ST, Self.prefix(info.provenance, utf8Bytes: 1024))     // Derivation Description
        ds.set(Tag(0x0028, 0x2110), .CS, "00")                                     // Lossy Image Compression
        // Geometry: axis-aligned slices along +z.
        let g = v.geometry
        guard abs(g.rowDirection.x - 1) < 1e-6, abs(g.columnDirection.y - 1) < 1e-6, abs(g.sliceDirection.z - 1) < 1e-6 else {
            throw DICOMError(.unsupported, "RECON TOMO writer: only axis-aligned volumes (+x, +y, +z) are supported")
        }
        let (nx, ny, nz) = (v.size.x, v.size.y, v.size.z)
        ds.set(.rows, .US, numbers: [Double(ny)]); ds.set(.columns, .US, numbers: [Double(nx)])
        ds.set(.pixelSpacing, .DS, strings: [DecimalString.format(g.spacing.y), DecimalString.format(g.spacing.x)])
        ds.set(.sliceThickness, .DS, DecimalString.format(g.spacing.z))
        ds.set(.spacingBetweenSlices, .DS, DecimalString.format(g.spacing.z))
        ds.set(.numberOfFrames, .IS, String(nz))
        ds.set(Element(tag: .frameIncrementPointer, vr: .AT, bytes: [0x54, 0x00, 0x80, 0x00]))
        ds.set(Tag(0x0054, 0x0080), .US, numbers: (1...nz).map(Double.init))        // Slice Vector
        ds.set(Tag(0x0054, 0x0081), .US, numbers: [Double(nz)])                      // Number of Slices
        ds.set(Element(tag: Tag(0x0020, 0x0060), vr: .CS, bytes: []))                   // Laterality (2C)
        ds.set(Element(tag: Tag(0x0018, 0x0070), vr: .IS, bytes: []))                   // Counts Accumulated (2)
        // NM/PET Patient Orientation: copied from the projections, else present and empty (type 2).
        for t in [Tag(0x0054, 0x0410), Tag(0x0054, 0x0414)] {
            if let e = src[t] { ds.set(e) } else { ds.set(t, sequence: []) }
        }
        var det = Dataset()
        let srcDet = src.sequence(Tag(0x0054, 0x0022)).first
        det.set(srcDet?[Tag(0x0018, 0x1181)] ?? Element(tag: Tag(0x0018, 0x1181), vr: .CS, bytes: []))   // Collimator Type (2)
        if let e = srcDet?[Tag(0x0018, 0x1180)] { det.set(e) }                                         // Collimator/grid Name
        det.set(.imagePositionPatient, .DS, strings: [g.origin.x, g.origin.y, g.origin.z].map(DecimalString.format))
        det.set(.imageOrientationPatient, .DS, strings: ["1", "0", "0", "0", "1", "0"])
        ds.set(Tag(0x0054, 0x0022), sequence: [det])                                  // Detector Information Sequence
        ds.set(Tag(0x0054, 0x0021), .US, numbers: [1])                                // Number of Detectors
        ds.set(Tag(0x0054, 0x0052), sequence: src.sequence(Tag(0x0054, 0x0052)).prefix(1).map { r in
            var item = Dataset(); for t in [Tag(0x0054, 0x0200), Tag(0x0054, 0x0053), Tag(0x0018, 0x1140), Tag(0x0018, 0x1143), Tag(0x0018, 0x1144), Tag(0x0018, 0x1242)] { if let e = r[t] { item.set(e) } }
            return item
        })
        ds.set(Tag(0x0054, 0x0051), .US, numbers: [1])                                // Number of Rotations
        var windows = src.sequence(Tag(0x0054, 0x0012))
        if let w = info.energyWindow, w >= 1, w <= windows.count { windows = [windows[w - 1]] }
        ds.set(Tag(0x0054, 0x0012), sequence: windows)                                // Energy Window Information
        ds.set(Tag(0x0054, 0x0011), .US, numbers: [Double(max(1, windows.count))])     // Number of Energy Windows
        ds.set(Tag(0x0054, 0x0016), sequence: src.sequence(Tag(0x0054, 0x0016)))      // Radiopharmaceutical Information
        // Stored values: 16-bit unsigned, slope = max/65535.
        let maxValue = Double(v.voxels.max() ?? 0)
        let slope = maxValue > 0 ? maxValue / 65535 : 1
        var pixels = [UInt8](repeating: 0, count: v.voxels.count * 2)
        for (n, x) in v.voxels.enumerated() {
            let s = UInt16(min(max((Double(x) / slope).rounded(), 0), 65535))
            pixels[2 * n] = UInt8(s & 0xFF); pixels[2 * n + 1] = UInt8(s >> 8)
        }
        ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.photometricInterpretation, .CS, "MONOCHROME2")
        ds.set(.bitsAllocated, .US, numbers: [16]); ds.set(.bitsStored, .US, numbers: [16]); ds.set(.highBit, .US, numbers: [15])
        ds.set(.pixelRepresentation, .US, numbers: [0])
        ds.set(.rescaleIntercept, .DS, "0"); ds.set(.rescaleSlope, .DS, DecimalString.format(slope))
        var units = Dataset()
        units.set(Tag(0x0008, 0x0100), .SH, info.unitsCode)
        units.set(Tag(0x0008, 0x0102), .SH, "UCUM")
        units.set(Tag(0x0008, 0x0104), .LO, info.unitsMeaning)
        var rwvm = Dataset()
        rwvm.set(Tag(0x0028, 0x3003), .LO, "Reconstructed activity concentration")   // LUT Explanation
        rwvm.set(Tag(0x0040, 0x08EA), sequence: [units])                              // Measurement Units Code Sequence
        rwvm.set(Tag(0x0040, 0x9210), .SH, "ACTIVITY")                                  // LUT Label
        rwvm.set(Tag(0x0040, 0x9216), .US, numbers: [0])                                // First Value Mapped
        rwvm.set(Tag(0x0040, 0x9211), .US, numbers: [65535])                            // Last Value Mapped
        rwvm.set(Tag(0x0040, 0x9224), .FD, numbers: [0])                                // Intercept
        rwvm.set(Tag(0x0040, 0x9225), .FD, numbers: [slope])                            // Slope
        ds.set(.realWorldValueMappingSequence, sequence: [rwvm])
        ds.set(Element(tag: .pixelData, vr: .OW, bytes: pixels))
        return ds
    }

    /// The longest prefix of `text` whose UTF-8 encoding fits `utf8Bytes` (the VR limits count bytes, not characters).
    static func prefix(_ text: String, utf8Bytes: Int) -> String {
        guard text.utf8.count > utf8Bytes else { return text }
        var out = "", used = 0
        for c in text {
            let n = String(c).utf8.count
            if used + n > utf8Bytes { break }
            out.append(c); used += n
        }
        return out
    }

    /// Writes the object as explicit VR little endian, validated strictly.
    public static func write(_ v: Volume, info: ReconTomoInfo, to path: String) throws(DICOMError) {
        let ds = try dataset(v, info: info)
        try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), to: path,
                              options: WriteOptions(validation: .strict))
    }

    /// Reads an NM RECON TOMO (or any NM slice stack with Detector Information position/orientation) into a volume,
    /// applying the Real World Value Mapping when present (units from it), else Rescale Slope/Intercept.
    public static func read(path: String) throws(DICOMError) -> Volume {
        let file = try DICOMFile.read(path: path)
        let ds = file.dataset
        let pixels = try PixelData.decode(file)
        let det = ds.sequence(Tag(0x0054, 0x0022)).first
        let ipp = det?.doubles(.imagePositionPatient) ?? ds.doubles(.imagePositionPatient)
        let iop = det?.doubles(.imageOrientationPatient) ?? ds.doubles(.imageOrientationPatient)
        let ps = ds.doubles(.pixelSpacing)
        guard ipp.count == 3, iop.count == 6, ps.count == 2 else {
            throw DICOMError(.missingAttribute, file: path, tag: .imagePositionPatient, "RECON TOMO needs Image Position/Orientation (Patient) and Pixel Spacing")
        }
        let dz = ds.double(.spacingBetweenSlices) ?? ds.double(.sliceThickness) ?? ps[0]
        let row = Vector3(iop[0], iop[1], iop[2]), col = Vector3(iop[3], iop[4], iop[5])
        let normal = row.cross(col)
        var origin = Vector3(ipp[0], ipp[1], ipp[2])
        var values: [Float]
        var units: String? = nil
        if let m = PixelData.realWorldValueMappings(ds).first {
            values = PixelData.applyRealWorldValueMapping(pixels, m); units = m.units
        } else {
            values = PixelData.applyRescale(pixels, dataset: ds)
        }
        // Frame k lies at Image Position + k · Spacing Between Slices · (row × column). Mediso InterViewXP writes a
        // negative spacing (slices running against the normal): the frames are reversed so that the volume's slice
        // axis runs along the normal with a positive spacing, every voxel staying where the file puts it.
        if dz < 0, pixels.frames > 1 {
            let n = pixels.rows * pixels.columns, nz = pixels.frames
            var flipped = [Float](repeating: 0, count: values.count)
            for k in 0..<nz { flipped[(k * n)..<((k + 1) * n)] = values[((nz - 1 - k) * n)..<((nz - k) * n)] }
            values = flipped
            origin = origin + normal * (Double(nz - 1) * dz)
        }
        let geometry = ImageGeometry(origin: origin, rowDirection: row, columnDirection: col,
                                     sliceDirection: normal, spacing: Vector3(ps[1], ps[0], abs(dz)))
        do {
            return try Volume(size: GridSize(x: pixels.columns, y: pixels.rows, z: pixels.frames), voxels: values, geometry: geometry,
                              units: units, frameOfReferenceUID: ds.string(.frameOfReferenceUID))
        } catch { throw DICOMError(.invalidValue, file: path, tag: .pixelData, "\(error)") }
    }
}
