import DICOM
import Foundation
import Imaging

/// Tags used by the IOD readers that are not among ``DICOM/Tag``'s named constants.
enum T {
    static let radiopharmaceutical = Tag(0x0018, 0x0031)
    static let radiopharmaceuticalRoute = Tag(0x0018, 0x1070)
    static let radiopharmaceuticalStartTime = Tag(0x0018, 0x1072)
    static let radionuclideTotalDose = Tag(0x0018, 0x1074)
    static let radionuclideHalfLife = Tag(0x0018, 0x1075)
    static let radionuclidePositronFraction = Tag(0x0018, 0x1076)
    static let radiopharmaceuticalStartDateTime = Tag(0x0018, 0x1078)
    static let triggerTime = Tag(0x0018, 0x1060)
    static let nominalInterval = Tag(0x0018, 0x1062)
    static let frameTime = Tag(0x0018, 0x1063)
    static let cardiacFramingType = Tag(0x0018, 0x1064)
    static let lowRR = Tag(0x0018, 0x1081)
    static let highRR = Tag(0x0018, 0x1082)
    static let intervalsAcquired = Tag(0x0018, 0x1083)
    static let intervalsRejected = Tag(0x0018, 0x1084)
    static let tableHeight = Tag(0x0018, 0x1130)
    static let tableTraverse = Tag(0x0018, 0x1131)
    static let rotationDirection = Tag(0x0018, 0x1140)
    static let radialPosition = Tag(0x0018, 0x1142)
    static let scanArc = Tag(0x0018, 0x1143)
    static let angularStep = Tag(0x0018, 0x1144)
    static let centerOfRotationOffset = Tag(0x0018, 0x1145)
    static let fieldOfViewShape = Tag(0x0018, 0x1147)
    static let fieldOfViewDimensions = Tag(0x0018, 0x1149)
    static let collimatorGridName = Tag(0x0018, 0x1180)
    static let collimatorType = Tag(0x0018, 0x1181)
    static let focalDistance = Tag(0x0018, 0x1182)
    static let zoomFactor = Tag(0x0028, 0x0031)
    static let zoomCenter = Tag(0x0028, 0x0032)
    static let correctedImage = Tag(0x0028, 0x0051)
    static let codeValue = Tag(0x0008, 0x0100)
    static let codeMeaning = Tag(0x0008, 0x0104)
    static let sliceLocation = Tag(0x0020, 0x1041)

    static let energyWindowVector = Tag(0x0054, 0x0010)
    static let numberOfEnergyWindows = Tag(0x0054, 0x0011)
    static let energyWindowInformationSequence = Tag(0x0054, 0x0012)
    static let energyWindowRangeSequence = Tag(0x0054, 0x0013)
    static let energyWindowLowerLimit = Tag(0x0054, 0x0014)
    static let energyWindowUpperLimit = Tag(0x0054, 0x0015)
    static let radiopharmaceuticalInformationSequence = Tag(0x0054, 0x0016)
    static let energyWindowName = Tag(0x0054, 0x0018)
    static let detectorVector = Tag(0x0054, 0x0020)
    static let numberOfDetectors = Tag(0x0054, 0x0021)
    static let detectorInformationSequence = Tag(0x0054, 0x0022)
    static let phaseVector = Tag(0x0054, 0x0030)
    static let numberOfPhases = Tag(0x0054, 0x0031)
    static let phaseInformationSequence = Tag(0x0054, 0x0032)
    static let numberOfFramesInPhase = Tag(0x0054, 0x0033)
    static let phaseDelay = Tag(0x0054, 0x0036)
    static let pauseBetweenFrames = Tag(0x0054, 0x0038)
    static let phaseDescription = Tag(0x0054, 0x0039)
    static let rotationVector = Tag(0x0054, 0x0050)
    static let numberOfRotations = Tag(0x0054, 0x0051)
    static let rotationInformationSequence = Tag(0x0054, 0x0052)
    static let numberOfFramesInRotation = Tag(0x0054, 0x0053)
    static let rrIntervalVector = Tag(0x0054, 0x0060)
    static let numberOfRRIntervals = Tag(0x0054, 0x0061)
    static let gatedInformationSequence = Tag(0x0054, 0x0062)
    static let dataInformationSequence = Tag(0x0054, 0x0063)
    static let timeSlotVector = Tag(0x0054, 0x0070)
    static let numberOfTimeSlots = Tag(0x0054, 0x0071)
    static let timeSlotInformationSequence = Tag(0x0054, 0x0072)
    static let timeSlotTime = Tag(0x0054, 0x0073)
    static let sliceVector = Tag(0x0054, 0x0080)
    static let numberOfSlices = Tag(0x0054, 0x0081)
    static let angularViewVector = Tag(0x0054, 0x0090)
    static let timeSliceVector = Tag(0x0054, 0x0100)
    static let numberOfTimeSlices = Tag(0x0054, 0x0101)
    static let startAngle = Tag(0x0054, 0x0200)
    static let viewCodeSequence = Tag(0x0054, 0x0220)
    static let radionuclideCodeSequence = Tag(0x0054, 0x0300)
    static let radiopharmaceuticalCodeSequence = Tag(0x0054, 0x0304)
    static let seriesType = Tag(0x0054, 0x1000)
    static let units = Tag(0x0054, 0x1001)
    static let decayCorrection = Tag(0x0054, 0x1102)
    static let frameReferenceTime = Tag(0x0054, 0x1300)
    static let decayFactor = Tag(0x0054, 0x1321)

    // Enhanced multi-frame functional groups.
    static let sharedFunctionalGroups = Tag(0x5200, 0x9229)
    static let perFrameFunctionalGroups = Tag(0x5200, 0x9230)
    static let pixelMeasuresSequence = Tag(0x0028, 0x9110)
    static let planePositionSequence = Tag(0x0020, 0x9113)
    static let planeOrientationSequence = Tag(0x0020, 0x9116)
    static let pixelValueTransformationSequence = Tag(0x0028, 0x9145)
    static let segmentIdentificationSequence = Tag(0x0062, 0x000A)
    static let referencedSegmentNumber = Tag(0x0062, 0x000B)

    // Segmentation.
    static let segmentationType = Tag(0x0062, 0x0001)
    static let segmentSequence = Tag(0x0062, 0x0002)
    static let segmentedPropertyCategoryCodeSequence = Tag(0x0062, 0x0003)
    static let segmentNumber = Tag(0x0062, 0x0004)
    static let segmentLabel = Tag(0x0062, 0x0005)
    static let segmentAlgorithmType = Tag(0x0062, 0x0008)
    static let maximumFractionalValue = Tag(0x0062, 0x000E)
    static let segmentedPropertyTypeCodeSequence = Tag(0x0062, 0x000F)

    // RT Dose.
    static let doseUnits = Tag(0x3004, 0x0002)
    static let doseType = Tag(0x3004, 0x0004)
    static let doseSummationType = Tag(0x3004, 0x000A)
    static let gridFrameOffsetVector = Tag(0x3004, 0x000C)
    static let doseGridScaling = Tag(0x3004, 0x000E)
}

extension Dataset {
    /// Three numbers as a vector.
    func vector3(_ tag: Tag) -> Vector3? { Vector3(doubles(tag)) }

    /// Code Meaning of the first item of a code sequence.
    func codeMeaning(_ seq: Tag) -> String? { sequence(seq).first?.string(T.codeMeaning) }

    /// The item of a functional group macro for one frame: per-frame first, then shared.
    func functionalGroup(_ macro: Tag, frame: Int) -> Dataset? {
        let perFrame = sequence(T.perFrameFunctionalGroups)
        if frame < perFrame.count, let item = perFrame[frame].sequence(macro).first { return item }
        return sequence(T.sharedFunctionalGroups).first?.sequence(macro).first
    }

    /// Whether the data set uses multi-frame functional groups.
    var hasFunctionalGroups: Bool { contains(T.perFrameFunctionalGroups) || contains(T.sharedFunctionalGroups) }
}

/// Reads the Radiopharmaceutical Information Sequence items.
func readRadiopharmaceuticals(_ ds: Dataset) -> [Radiopharmaceutical] {
    ds.sequence(T.radiopharmaceuticalInformationSequence).map { item in
        Radiopharmaceutical(
            name: item.string(T.radiopharmaceutical) ?? item.codeMeaning(T.radiopharmaceuticalCodeSequence),
            radionuclide: item.codeMeaning(T.radionuclideCodeSequence),
            totalDoseBq: item.double(T.radionuclideTotalDose),
            startDateTime: item.string(T.radiopharmaceuticalStartDateTime),
            startTime: item.string(T.radiopharmaceuticalStartTime),
            halfLifeSeconds: item.double(T.radionuclideHalfLife),
            positronFraction: item.double(T.radionuclidePositronFraction),
            route: item.string(T.radiopharmaceuticalRoute))
    }
}

/// Warnings about radiopharmaceutical values a quantitative analysis depends on.
func radiopharmaceuticalWarnings(_ items: [Radiopharmaceutical]) -> [String] {
    guard !items.isEmpty else {
        return ["no Radiopharmaceutical Information Sequence (0054,0016): administered activity, radionuclide and half-life unknown (none assumed)"]
    }
    var w: [String] = []
    for (k, r) in items.enumerated() {
        let at = "Radiopharmaceutical Information item \(k + 1)"
        switch r.totalDoseBq {
        case nil: w.append("\(at): Radionuclide Total Dose (0018,1074) is missing: administered activity unknown (none assumed)")
        case let d? where d <= 0: w.append("\(at): Radionuclide Total Dose (0018,1074) is \(DecimalString.format(d)): administered activity unknown (the value is kept as written, not used)")
        default: break
        }
        if r.radionuclide == nil { w.append("\(at): Radionuclide Code Sequence (0054,0300) is empty or missing: radionuclide unknown") }
        if r.halfLifeSeconds == nil { w.append("\(at): Radionuclide Half Life (0018,1075) is missing: no decay correction possible without a half-life from elsewhere") }
        if r.startDateTime == nil && r.startTime == nil {
            w.append("\(at): neither Radiopharmaceutical Start DateTime (0018,1078) nor Start Time (0018,1072): injection time unknown")
        }
    }
    return w
}

/// Lists regular files under a path (the path itself when it is a file), sorted, skipping hidden files.
func listFiles(_ path: String) throws(DICOMError) -> [String] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw DICOMError(.io, file: path, "no such file or directory")
    }
    guard isDir.boolValue else { return [path] }
    guard let e = FileManager.default.enumerator(atPath: path) else { throw DICOMError(.io, file: path, "cannot list directory") }
    var out: [String] = []
    while let rel = e.nextObject() as? String {
        if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
        let full = (path as NSString).appendingPathComponent(rel)
        var d: ObjCBool = false
        if FileManager.default.fileExists(atPath: full, isDirectory: &d), !d.boolValue { out.append(full) }
    }
    return out.sorted()
}

/// Formats a number for messages.
func fmt(_ v: Double) -> String { DecimalString.format((v * 1e4).rounded() / 1e4) }

/// Writes one single-frame file per slice into `directory` (created if needed) as `PREFIX_0001.dcm`…, Explicit VR
/// Little Endian with strict validation; `slice(k)` builds slice k's data set. Returns the paths.
func writeSliceSeries(count: Int, prefix: String, kind: String, to directory: String,
                      slice: (Int) throws(DICOMError) -> Dataset) throws(DICOMError) -> [String] {
    do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
        throw DICOMError(.io, file: directory, "cannot create the \(kind) folder: \(error)")
    }
    var paths: [String] = []
    for k in 0..<count {
        let ds = try slice(k)
        let path = "\(directory)/\(prefix)_\(String(format: "%04d", k + 1)).dcm"
        let file = DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: path)
        try DICOMWriter.write(file, to: path, options: WriteOptions(transferSyntax: .explicitVRLittleEndian, validation: .strict))
        paths.append(path)
    }
    return paths
}
