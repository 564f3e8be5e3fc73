import DICOM
import Foundation
import Imaging

/// Patient, study and equipment attributes shared by the objects of one simulated (or exported) study.
public struct StudyAttributes: Sendable, Equatable {
    public var patientName: String
    public var patientID: String
    /// DA `YYYYMMDD` or empty.
    public var patientBirthDate: String
    /// `M`, `F`, `O` or empty.
    public var patientSex: String
    public var studyInstanceUID: String
    /// DA.
    public var studyDate: String
    /// TM.
    public var studyTime: String
    public var studyID: String
    public var accessionNumber: String
    public var studyDescription: String
    public var referringPhysician: String
    /// Frame of Reference shared by the NM and CT series of the study.
    public var frameOfReferenceUID: String
    public var institutionName: String
    public var manufacturer: String
    public var manufacturerModelName: String
    public var softwareVersions: String
    /// `±HHMM` Timezone Offset From UTC, or nil.
    public var timezoneOffset: String?

    /// New UIDs for a study with the given patient.
    public init(patientName: String = "Phantom^Simulated", patientID: String = "SIM0001", patientBirthDate: String = "",
                patientSex: String = "O", studyDate: String, studyTime: String, studyID: String = "1",
                accessionNumber: String = "", studyDescription: String = "Simulated study",
                referringPhysician: String = "", institutionName: String = "Scinti simulation",
                manufacturer: String = "Scinti", manufacturerModelName: String = "Scinti simulator",
                softwareVersions: String = UIDGenerator.implementationVersionName, timezoneOffset: String? = "+0000",
                studyInstanceUID: String = UIDGenerator.newUID(), frameOfReferenceUID: String = UIDGenerator.newUID()) {
        self.patientName = patientName; self.patientID = patientID; self.patientBirthDate = patientBirthDate
        self.patientSex = patientSex; self.studyInstanceUID = studyInstanceUID; self.studyDate = studyDate
        self.studyTime = studyTime; self.studyID = studyID; self.accessionNumber = accessionNumber
        self.studyDescription = studyDescription; self.referringPhysician = referringPhysician
        self.frameOfReferenceUID = frameOfReferenceUID; self.institutionName = institutionName
        self.manufacturer = manufacturer; self.manufacturerModelName = manufacturerModelName
        self.softwareVersions = softwareVersions; self.timezoneOffset = timezoneOffset
    }

    /// The patient and study of an existing object (for derived objects such as an RT Dose that must stay with the
    /// patient): identity, study UID/date/time/ID, accession, description, referring physician and timezone are
    /// copied; equipment names Scinti. The frame of reference is `frameOfReferenceUID`, else the object's, else new.
    public init(copying ds: Dataset, frameOfReferenceUID: String? = nil) {
        self.init(patientName: ds.string(.patientName) ?? "", patientID: ds.string(.patientID) ?? "",
                  patientBirthDate: ds.string(Tag(0x0010, 0x0030)) ?? "", patientSex: ds.string(.patientSex) ?? "",
                  studyDate: ds.string(.studyDate) ?? "", studyTime: ds.string(.studyTime) ?? "",
                  studyID: ds.string(Tag(0x0020, 0x0010)) ?? "", accessionNumber: ds.string(Tag(0x0008, 0x0050)) ?? "",
                  studyDescription: ds.string(Tag(0x0008, 0x1030)) ?? "", referringPhysician: ds.string(Tag(0x0008, 0x0090)) ?? "",
                  institutionName: ds.string(Tag(0x0008, 0x0080)) ?? "", manufacturerModelName: "Scinti",
                  timezoneOffset: ds.string(Tag(0x0008, 0x0201)),
                  studyInstanceUID: ds.string(.studyInstanceUID) ?? UIDGenerator.newUID(),
                  frameOfReferenceUID: frameOfReferenceUID ?? ds.string(.frameOfReferenceUID) ?? UIDGenerator.newUID())
    }

    /// Patient, General Study, Frame of Reference and General Equipment module attributes.
    func apply(to ds: inout Dataset) {
        ds.set(.patientName, .PN, patientName)
        ds.set(.patientID, .LO, patientID)
        ds.set(Tag(0x0010, 0x0030), .DA, patientBirthDate)
        ds.set(.patientSex, .CS, patientSex)
        ds.set(.studyInstanceUID, .UI, studyInstanceUID)
        ds.set(.studyDate, .DA, studyDate)
        ds.set(.studyTime, .TM, studyTime)
        ds.set(Tag(0x0020, 0x0010), .SH, studyID)
        ds.set(Tag(0x0008, 0x0050), .SH, accessionNumber)
        ds.set(Tag(0x0008, 0x1030), .LO, studyDescription)
        ds.set(Tag(0x0008, 0x0090), .PN, referringPhysician)
        ds.set(.frameOfReferenceUID, .UI, frameOfReferenceUID)
        ds.set(Tag(0x0020, 0x1040), .LO, "")
        ds.set(.manufacturer, .LO, manufacturer)
        ds.set(.manufacturerModelName, .LO, manufacturerModelName)
        ds.set(Tag(0x0008, 0x0080), .LO, institutionName)
        ds.set(Tag(0x0018, 0x1020), .LO, softwareVersions)
        if let timezoneOffset { ds.set(.timezoneOffsetFromUTC, .SH, timezoneOffset) }
    }
}

/// Series attributes of one written object.
public struct SeriesAttributes: Sendable, Equatable {
    /// SOP Common, General Study (from `study`) and General Series attributes shared by every object Scinti writes
    /// (Instance Creation and Series date/time default to `date`/`time`; Laterality present and empty).
    func header(sopClassUID: String, sopInstanceUID: String, modality: String, date: String, time: String,
                study: StudyAttributes) -> Dataset {
        var ds = Dataset()
        ds.set(.specificCharacterSet, .CS, "ISO_IR 100")
        ds.set(.sopClassUID, .UI, sopClassUID)
        ds.set(.sopInstanceUID, .UI, sopInstanceUID)
        ds.set(Tag(0x0008, 0x0012), .DA, date)
        ds.set(Tag(0x0008, 0x0013), .TM, time)
        study.apply(to: &ds)
        ds.set(.modality, .CS, modality)
        ds.set(.seriesInstanceUID, .UI, seriesInstanceUID)
        ds.set(Tag(0x0020, 0x0011), .IS, String(seriesNumber))
        ds.set(.seriesDescription, .LO, seriesDescription)
        ds.set(.seriesDate, .DA, seriesDate ?? date)
        ds.set(.seriesTime, .TM, seriesTime ?? time)
        if let b = bodyPartExamined { ds.set(Tag(0x0018, 0x0015), .CS, b) }
        ds.set(Tag(0x0020, 0x0060), .CS, "")
        return ds
    }

    public var seriesInstanceUID: String
    public var seriesNumber: Int
    public var seriesDescription: String
    /// DA / TM of the series (default: the acquisition's).
    public var seriesDate: String?
    public var seriesTime: String?
    public var bodyPartExamined: String?
    /// Creates series attributes with a new UID.
    public init(seriesNumber: Int = 1, seriesDescription: String, seriesDate: String? = nil, seriesTime: String? = nil,
                bodyPartExamined: String? = nil, seriesInstanceUID: String = UIDGenerator.newUID()) {
        self.seriesInstanceUID = seriesInstanceUID; self.seriesNumber = seriesNumber; self.seriesDescription = seriesDescription
        self.seriesDate = seriesDate; self.seriesTime = seriesTime; self.bodyPartExamined = bodyPartExamined
    }
}

/// Writes NM Image Storage objects (multi-frame) from an ``Imaging/NMAcquisition`` the way a camera stores them:
/// Image Type `ORIGINAL\PRIMARY\<type>\EMISSION`, the Frame Increment Pointer and vectors of PS3.3 C.8.4.8 for the
/// type, the Energy Window, Detector, Rotation, Radiopharmaceutical, Phase and Gated Information Sequences, and
/// counts as 16-bit unsigned integers. ``NMReader`` reads the result back to the same acquisition.
public enum NMWriter {
    /// NM Image Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.20"

    /// Options specific to an image type.
    public struct Options: Sendable {
        /// Whole body: Scan Velocity (mm/s), Scan Length (mm), Whole Body Technique.
        public var scanVelocityMMPerS: Double?
        public var scanLengthMM: Double?
        /// Gated: heart rate (bpm) written as Heart Rate.
        public var heartRate: Int?
        /// Image Comments.
        public var comments: String?
        /// SOP Instance UID (default: a new one).
        public var sopInstanceUID: String
        /// Transfer syntax of the file (explicit VR little endian by default; implicit VR as older cameras write).
        public var transferSyntax: TransferSyntax
        public init(scanVelocityMMPerS: Double? = nil, scanLengthMM: Double? = nil, heartRate: Int? = nil,
                    comments: String? = nil, sopInstanceUID: String = UIDGenerator.newUID(),
                    transferSyntax: TransferSyntax = .explicitVRLittleEndian) {
            self.scanVelocityMMPerS = scanVelocityMMPerS; self.scanLengthMM = scanLengthMM; self.heartRate = heartRate
            self.comments = comments; self.sopInstanceUID = sopInstanceUID; self.transferSyntax = transferSyntax
        }
    }

    /// The Frame Increment Pointer of an image type (PS3.3 C.8.4.8.1.1), in DICOM's order.
    public static func frameIncrementPointer(_ t: NMImageType) -> [Tag] { NMReader.requiredVectors(t) }

    /// SNOMED CT codes of the radionuclides (CID 18 / CID 4020), keyed by code meaning.
    public static let radionuclideCodes: [String: (String, String)] = [
        "^99m^Technetium": ("72454006", "SCT"), "^123^Iodine": ("21572004", "SCT"), "^131^Iodine": ("1368003", "SCT"),
        "^111^Indium": ("56609000", "SCT"), "^177^Lutetium": ("447553000", "SCT"), "^68^Gallium": ("35337001", "SCT"),
        "^18^Fluorine": ("77004003", "SCT"), "^90^Yttrium": ("14691008", "SCT"), "^223^Radium": ("24853006", "SCT"),
        "^153^Samarium": ("419804008", "SCT"), "^201^Thallium": ("60057003", "SCT"), "^67^Gallium": ("2008008", "SCT"),
        "^133^Xenon": ("80751004", "SCT"), "^81m^Krypton": ("61716009", "SCT"),
    ]

    /// View codes (CID 26), keyed by code meaning.
    public static let viewCodes: [String: String] = [
        "Anterior projection": "399321004", "Posterior projection": "399001007", "Left anterior oblique": "399074003",
        "Right anterior oblique": "399108003", "Left posterior oblique": "399136008", "Right posterior oblique": "399075002",
        "Left lateral projection": "399118008", "Right lateral projection": "399297009",
    ]

    static func code(_ value: String, _ scheme: String, _ meaning: String) -> Dataset {
        var d = Dataset()
        d.set(Tag(0x0008, 0x0100), .SH, value)
        d.set(Tag(0x0008, 0x0102), .SH, scheme)
        d.set(Tag(0x0008, 0x0104), .LO, meaning)
        return d
    }

    static func fipElement(_ tags: [Tag]) -> Element {
        var b: [UInt8] = []
        for t in tags { b += [UInt8(t.group & 0xFF), UInt8(t.group >> 8), UInt8(t.element & 0xFF), UInt8(t.element >> 8)] }
        return Element(tag: .frameIncrementPointer, vr: .AT, bytes: b)
    }

    /// Builds the data set. Throws when the acquisition has no counts, frames do not carry the indices the image
    /// type needs, or a count does not fit 16 bits.
    public static func dataset(_ acq: NMAcquisition, study: StudyAttributes, series: SeriesAttributes,
                               options: Options = Options()) throws(DICOMError) -> Dataset {
        guard let counts = acq.counts else { throw DICOMError(.missingAttribute, tag: .pixelData, "the acquisition has no counts to write") }
        let n = acq.frames.count, np = acq.rows * acq.columns
        guard n > 0, counts.count == n * np else {
            throw DICOMError(.invalidValue, tag: .pixelData, "\(counts.count) counts for \(n) frames of \(acq.rows)×\(acq.columns)")
        }
        for (k, f) in acq.frames.enumerated() where f.frame != k {
            throw DICOMError(.invalidValue, tag: .numberOfFrames, "frame \(k) carries index \(f.frame): frames must be in pixel-data order")
        }
        let date = acq.acquisitionDate ?? study.studyDate, time = acq.acquisitionTime ?? study.studyTime
        var ds = series.header(sopClassUID: sopClassUID, sopInstanceUID: options.sopInstanceUID, modality: "NM",
                               date: date, time: time, study: study)
        // NM/PET Patient Orientation: supine, head first.
        var orient = code("102538003", "SCT", "recumbent")
        orient.set(Tag(0x0054, 0x0412), sequence: [code("40199007", "SCT", "supine")])
        ds.set(Tag(0x0054, 0x0410), sequence: [orient])
        ds.set(Tag(0x0054, 0x0414), sequence: [code("102540008", "SCT", "headfirst")])
        // General Image.
        ds.set(Tag(0x0020, 0x0013), .IS, "1")
        ds.set(.contentDate, .DA, date)
        ds.set(.contentTime, .TM, time)
        ds.set(.acquisitionDate, .DA, date)
        ds.set(.acquisitionTime, .TM, time)
        ds.set(Tag(0x0020, 0x0020), .CS, strings: patientOrientation(acq))
        if let c = options.comments { ds.set(Tag(0x0020, 0x4000), .LT, c) }
        ds.set(Tag(0x0040, 0x0555), sequence: [])
        // NM Image.
        ds.set(.imageType, .CS, strings: ["ORIGINAL", "PRIMARY", acq.imageType.rawValue, "EMISSION"])
        ds.set(Tag(0x0054, 0x0400), .SH, acq.imageType.rawValue)
        let total = counts.reduce(0.0) { $0 + Double($1) }
        ds.set(Tag(0x0018, 0x0070), .IS, String(Int(total.rounded())))
        ds.set(Tag(0x0018, 0x0071), .CS, "TIME")
        if let d = acq.actualFrameDurationMs, [.staticImage, .wholeBody].contains(acq.imageType) {
            ds.set(.actualFrameDuration, .IS, String(Int(d.rounded())))
        }
        if acq.imageType == .wholeBody {
            ds.set(Tag(0x0018, 0x1301), .CS, "1PS")
            if let v = options.scanVelocityMMPerS { ds.set(Tag(0x0018, 0x1300), .DS, numbers: [v]) }
            if let l = options.scanLengthMM { ds.set(Tag(0x0018, 0x1302), .IS, String(Int(l.rounded()))) }
        }
        // Image Pixel / NM Image Pixel / Multi-frame.
        ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.photometricInterpretation, .CS, "MONOCHROME2")
        ds.set(.numberOfFrames, .IS, String(n))
        ds.set(fipElement(frameIncrementPointer(acq.imageType)))
        ds.set(.rows, .US, numbers: [Double(acq.rows)])
        ds.set(.columns, .US, numbers: [Double(acq.columns)])
        if !acq.pixelSpacing.isEmpty { ds.set(.pixelSpacing, .DS, numbers: acq.pixelSpacing) }
        ds.set(.bitsAllocated, .US, numbers: [16])
        ds.set(.bitsStored, .US, numbers: [16])
        ds.set(.highBit, .US, numbers: [15])
        ds.set(.pixelRepresentation, .US, numbers: [0])
        // NM Multi-frame vectors.
        try setVectors(acq, &ds)
        // Energy windows.
        ds.set(Tag(0x0054, 0x0011), .US, numbers: [Double(acq.energyWindows.count)])
        ds.set(Tag(0x0054, 0x0012), sequence: acq.energyWindows.map { w in
            var item = Dataset()
            item.set(Tag(0x0054, 0x0013), sequence: w.ranges.map { r in
                var ri = Dataset()
                ri.set(Tag(0x0054, 0x0014), .DS, numbers: [r.lowerKeV])
                ri.set(Tag(0x0054, 0x0015), .DS, numbers: [r.upperKeV])
                return ri
            })
            if let name = w.name { item.set(Tag(0x0054, 0x0018), .SH, name) }
            return item
        })
        // Radiopharmaceutical.
        ds.set(Tag(0x0054, 0x0016), sequence: acq.radiopharmaceuticals.map { p in
            var item = Dataset()
            if let name = p.name { item.set(Tag(0x0018, 0x0031), .LO, name) }
            if let t = p.startTime { item.set(Tag(0x0018, 0x1072), .TM, t) }
            if let dt = p.startDateTime { item.set(Tag(0x0018, 0x1078), .DT, dt) }
            if let dose = p.totalDoseBq { item.set(Tag(0x0018, 0x1074), .DS, numbers: [dose]) }
            if let h = p.halfLifeSeconds { item.set(Tag(0x0018, 0x1075), .DS, numbers: [h]) }
            if let f = p.positronFraction { item.set(Tag(0x0018, 0x1076), .DS, numbers: [f]) }
            if let r = p.route { item.set(Tag(0x0018, 0x1070), .LO, r) }
            if let meaning = p.radionuclide {
                if let (v, s) = radionuclideCodes[meaning] { item.set(Tag(0x0054, 0x0300), sequence: [code(v, s, meaning)]) }
                else { item.set(Tag(0x0054, 0x0300), sequence: []) }
            } else {
                item.set(Tag(0x0054, 0x0300), sequence: [])
            }
            return item
        })
        // Detectors.
        ds.set(Tag(0x0054, 0x0021), .US, numbers: [Double(acq.detectors.count)])
        ds.set(Tag(0x0054, 0x0022), sequence: acq.detectors.map(detectorItem))
        // Rotations (TOMO).
        if acq.imageType.isProjection {
            ds.set(Tag(0x0054, 0x0051), .US, numbers: [Double(acq.rotations.count)])
            ds.set(Tag(0x0054, 0x0052), sequence: acq.rotations.map(rotationItem))
            ds.set(Tag(0x0054, 0x0202), .CS, "STEP AND SHOOT")
        }
        // Phases (DYNAMIC).
        if acq.imageType == .dynamic {
            ds.set(Tag(0x0054, 0x0031), .US, numbers: [Double(acq.phases.count)])
            ds.set(Tag(0x0054, 0x0032), sequence: acq.phases.map { p in
                var item = Dataset()
                item.set(Tag(0x0054, 0x0036), .IS, String(Int((p.delayMs ?? 0).rounded())))
                item.set(.actualFrameDuration, .IS, String(Int((p.frameDurationMs ?? 0).rounded())))
                item.set(Tag(0x0054, 0x0038), .IS, String(Int((p.pauseBetweenFramesMs ?? 0).rounded())))
                item.set(Tag(0x0054, 0x0033), .US, numbers: [Double(p.numberOfFrames ?? 0)])
                if let d = p.description { item.set(Tag(0x0054, 0x0039), .CS, d) }
                return item
            })
        }
        // Gating.
        if [.gated, .gatedTomo].contains(acq.imageType) {
            ds.set(Tag(0x0018, 0x1080), .CS, "N")
            ds.set(Tag(0x0018, 0x1061), .LO, "EKG")
            if let hr = options.heartRate { ds.set(Tag(0x0018, 0x1088), .IS, String(hr)) }
            ds.set(Tag(0x0054, 0x0061), .US, numbers: [Double(acq.rrIntervals.count)])
            if let s = acq.numberOfTimeSlots { ds.set(Tag(0x0054, 0x0071), .US, numbers: [Double(s)]) }
            ds.set(Tag(0x0054, 0x0062), sequence: acq.rrIntervals.map { rr in
                var item = Dataset()
                item.set(Tag(0x0018, 0x1060), .DS, numbers: [rr.triggerTimeMs ?? 0])
                item.set(Tag(0x0018, 0x1064), .LO, rr.framingType ?? "FORW")
                var data = Dataset()
                data.set(Tag(0x0018, 0x1063), .DS, numbers: [rr.frameTimeMs ?? 0])
                if let v = rr.nominalIntervalMs { data.set(Tag(0x0018, 0x1062), .IS, String(Int(v.rounded()))) }
                if let v = rr.lowRRMs { data.set(Tag(0x0018, 0x1081), .IS, String(Int(v.rounded()))) }
                if let v = rr.highRRMs { data.set(Tag(0x0018, 0x1082), .IS, String(Int(v.rounded()))) }
                if let v = rr.intervalsAcquired { data.set(Tag(0x0018, 0x1083), .IS, String(v)) }
                if let v = rr.intervalsRejected { data.set(Tag(0x0018, 0x1084), .IS, String(v)) }
                data.set(Tag(0x0054, 0x0072), sequence: rr.timeSlots.map { s in
                    var si = Dataset()
                    if let t = s.timeMs { si.set(Tag(0x0054, 0x0073), .DS, numbers: [t]) }
                    return si
                })
                item.set(Tag(0x0054, 0x0063), sequence: [data])
                return item
            })
        }
        // Pixels.
        var bytes = [UInt8](repeating: 0, count: counts.count * 2)
        var largest = 0
        for (i, c) in counts.enumerated() {
            guard c.isFinite, c >= 0, c <= 65535 else {
                throw DICOMError(.invalidValue, tag: .pixelData, "count \(c) in frame \(i / np) does not fit 16-bit unsigned NM pixel data")
            }
            let v = Int(c.rounded())
            largest = max(largest, v)
            bytes[2 * i] = UInt8(v & 0xFF); bytes[2 * i + 1] = UInt8(v >> 8)
        }
        ds.set(Tag(0x0028, 0x0106), .US, numbers: [0])
        ds.set(Tag(0x0028, 0x0107), .US, numbers: [Double(largest)])
        ds.set(Element(tag: .pixelData, vr: .OW, bytes: bytes))
        return ds
    }

    /// Writes the object (``Options/transferSyntax``, strict validation) and returns the path.
    @discardableResult
    public static func write(_ acq: NMAcquisition, study: StudyAttributes, series: SeriesAttributes, to path: String,
                             options: Options = Options()) throws(DICOMError) -> String {
        let ds = try dataset(acq, study: study, series: series, options: options)
        let file = DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: path)
        try DICOMWriter.write(file, to: path, options: WriteOptions(transferSyntax: options.transferSyntax, validation: .strict))
        return path
    }

    /// Patient Orientation (0020,0020) of the first detector's frames: the patient directions of the row and column
    /// axes (e.g. `L\F` for an anterior view); empty when unknown.
    static func patientOrientation(_ acq: NMAcquisition) -> [String] {
        guard let d = acq.detectors.first, let r = d.rowDirection, let c = d.columnDirection else { return [""] }
        func letters(_ v: Vector3) -> String {
            var s = ""
            for (comp, pos, neg) in [(v.x, "L", "R"), (v.y, "P", "A"), (v.z, "H", "F")].sorted(by: { abs($0.0) > abs($1.0) }) where abs(comp) > 0.2 {
                s += comp > 0 ? pos : neg
            }
            return s
        }
        return [letters(r), letters(c)]
    }

    static func setVectors(_ acq: NMAcquisition, _ ds: inout Dataset) throws(DICOMError) {
        let fip = frameIncrementPointer(acq.imageType)
        let all: [(Tag, KeyPath<FrameIndex, Int?>, String)] = [
            (Tag(0x0054, 0x0010), \.energyWindow, "energy window"), (Tag(0x0054, 0x0020), \.detector, "detector"),
            (Tag(0x0054, 0x0030), \.phase, "phase"), (Tag(0x0054, 0x0050), \.rotation, "rotation"),
            (Tag(0x0054, 0x0060), \.rrInterval, "R-R interval"), (Tag(0x0054, 0x0070), \.timeSlot, "time slot"),
            (Tag(0x0054, 0x0080), \.slice, "slice"), (Tag(0x0054, 0x0090), \.angularView, "angular view"),
            (Tag(0x0054, 0x0100), \.timeSlice, "time slice"),
        ]
        for (tag, kp, name) in all where fip.contains(tag) {
            var values: [Double] = []
            for f in acq.frames {
                guard let v = f[keyPath: kp] else {
                    throw DICOMError(.missingAttribute, tag: tag, "frame \(f.frame) has no \(name) index, which \(acq.imageType.rawValue) needs")
                }
                values.append(Double(v))
            }
            ds.set(tag, .US, numbers: values)
        }
    }

    static func detectorItem(_ d: Detector) -> Dataset {
        var item = Dataset()
        if let p = d.imagePosition { item.set(.imagePositionPatient, .DS, numbers: p.array) } else { item.set(.imagePositionPatient, .DS, strings: []) }
        if let r = d.rowDirection, let c = d.columnDirection {
            item.set(.imageOrientationPatient, .DS, numbers: r.array + c.array)
        } else {
            item.set(.imageOrientationPatient, .DS, strings: [])
        }
        item.set(Tag(0x0018, 0x1180), .SH, d.collimatorName ?? "")
        item.set(Tag(0x0018, 0x1181), .CS, d.collimatorType ?? "PARA")
        if !d.radialPositions.isEmpty { item.set(Tag(0x0018, 0x1142), .DS, numbers: d.radialPositions) }
        if let a = d.startAngle { item.set(Tag(0x0054, 0x0200), .DS, numbers: [a]) }
        if !d.zoomFactor.isEmpty { item.set(Tag(0x0028, 0x0031), .DS, numbers: d.zoomFactor) }
        if !d.zoomCenter.isEmpty { item.set(Tag(0x0028, 0x0032), .DS, numbers: d.zoomCenter) }
        if let c = d.centerOfRotationOffset { item.set(Tag(0x0018, 0x1145), .DS, numbers: [c]) }
        if let t = d.tilt { item.set(.gantryDetectorTilt, .DS, numbers: [t]) }
        if !d.focalDistance.isEmpty { item.set(Tag(0x0018, 0x1182), .IS, strings: d.focalDistance.map { String(Int($0.rounded())) }) }
        if let s = d.fieldOfViewShape { item.set(Tag(0x0018, 0x1147), .CS, s) }
        if !d.fieldOfViewDimensions.isEmpty { item.set(Tag(0x0018, 0x1149), .IS, strings: d.fieldOfViewDimensions.map { String(Int($0.rounded())) }) }
        if let v = d.view, let c = viewCodes[v] {
            item.set(Tag(0x0054, 0x0220), sequence: [code(c, "SCT", v)])
        }
        return item
    }

    static func rotationItem(_ r: Rotation) -> Dataset {
        var item = Dataset()
        item.set(Tag(0x0054, 0x0200), .DS, numbers: [r.startAngle ?? 0])
        item.set(Tag(0x0018, 0x1144), .DS, numbers: [r.angularStep ?? 0])
        item.set(Tag(0x0018, 0x1140), .CS, r.direction?.rawValue ?? "CW")
        item.set(Tag(0x0018, 0x1143), .DS, numbers: [r.scanArc ?? 0])
        item.set(.actualFrameDuration, .IS, String(Int((r.actualFrameDurationMs ?? 0).rounded())))
        item.set(Tag(0x0054, 0x0053), .US, numbers: [Double(r.numberOfViews ?? 0)])
        if !r.radialPosition.isEmpty { item.set(Tag(0x0018, 0x1142), .DS, numbers: r.radialPosition) }
        if let h = r.tableHeight { item.set(Tag(0x0018, 0x1130), .DS, numbers: [h]) }
        if let t = r.tableTraverse { item.set(Tag(0x0018, 0x1131), .DS, numbers: [t]) }
        return item
    }
}
