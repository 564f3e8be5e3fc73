import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import QC

/// Quality-control tests on DICOM files (the path of `scinti qc` and of the server's automatic QC): reads each
/// file, checks that its image type fits the test, adapts it to the domain types and runs the ``QC`` test; each
/// result carries the camera, head, collimator, radionuclide and date it was acquired with, its metrics flattened
/// to dotted keys (`ufov.integralUniformityPercent`), and its status against the action limits.
public enum QCJob {
    /// Options the tests need beyond the files.
    public struct Options: Sendable {
        /// Sensitivity: the source's calibrated activity (MBq), calibration time and radionuclide (default: the file's).
        public var activityMBq: Double?
        public var calibrationTime: Date?
        public var radionuclide: String?
        /// Sensitivity: a background image without the source.
        public var backgroundPath: String?
        /// Four-bar phantom: distance between two parallel bars (mm); given, planar resolution uses the four-bar analysis.
        public var barSeparationMM: Double?
        /// Quadrant-bar phantom: bar widths (mm) in reading order; given, planar resolution uses the moments MTF.
        public var quadrantBarWidthsMM: [Double]?
        /// Edge image: ROI centre (column, row) and size in pixels; given, planar resolution uses the edge method.
        public var edgeROI: [Int]?
        /// Uniformity conventions (minimum counts per pixel, FOV fractions).
        public var uniformity = FloodUniformity.Conventions()
        /// Limits to judge the results against.
        public var limits: [QCTest: [ActionLimit]] = ActionLimits.defaults
        public init() {}
    }

    /// Where a result came from: the camera and acquisition.
    public struct Source: Sendable, Codable, Equatable {
        public var file: String
        /// Camera identity: station name, else model and serial number.
        public var camera: String
        public var manufacturer: String?
        public var model: String?
        public var deviceSerialNumber: String?
        public var head: Int?
        public var collimator: String?
        public var radionuclide: String?
        /// Acquisition date-time as ISO 8601 (UTC when the file gives no offset), when written.
        public var acquired: String?
        public var seriesInstanceUID: String?
        public var sopInstanceUID: String?
    }

    /// One result: the test's own result (JSON object), its flattened metrics and status.
    public struct Report: Sendable {
        public var test: QCTest
        public var source: Source
        /// The test's result encoded as a JSON object (units in the key names).
        public var resultJSON: Data
        /// Every numeric leaf of the result, dotted keys.
        public var metrics: [String: Double]
        public var status: QCStatus
        public var exceeded: [String]
        public var warnings: [String]

        /// The report as one JSON object: the result's keys at top level, plus `file`, `camera`, `head`,
        /// `collimator`, `radionuclide`, `acquired`, `status`, `exceeded`, `warnings`.
        public func jsonObject() -> [String: Any] {
            var o = (try? JSONSerialization.jsonObject(with: resultJSON)) as? [String: Any] ?? [:]
            o["test"] = test.rawValue
            o["file"] = source.file
            o["camera"] = source.camera
            if let h = source.head { o["head"] = h }
            if let c = source.collimator { o["collimator"] = c }
            if let r = source.radionuclide { o["radionuclide"] = r }
            if let a = source.acquired { o["acquired"] = a }
            o["status"] = status.rawValue
            o["exceeded"] = exceeded
            o["warnings"] = warnings + ((o["warnings"] as? [String]) ?? [])
            return o
        }
    }

    /// The header facts recognition needs, and the camera identity.
    public static func header(path: String) throws(WorkflowError) -> (QCImageHeader, Source) {
        let file: DICOMFile
        do { file = try DICOMFile.read(path: path, options: ReadOptions(stopBeforePixels: true)) }
        catch { throw WorkflowError("\(path): not a readable DICOM file: \(error)") }
        return header(file.dataset, path: path)
    }

    static func header(_ ds: Dataset, path: String) -> (QCImageHeader, Source) {
        let dets = ds.sequence(Tag(0x0054, 0x0022))
        let collimators = dets.compactMap { $0.string(Tag(0x0018, 0x1180)) }
        let windows = ds.sequence(Tag(0x0054, 0x0012)).count
        let h = QCImageHeader(modality: ds.string(.modality), imageType: ds.strings(.imageType),
                              seriesDescription: ds.string(.seriesDescription), studyDescription: ds.string(Tag(0x0008, 0x1030)),
                              protocolName: ds.string(Tag(0x0018, 0x1030)), collimators: collimators, energyWindows: windows)
        let station = ds.string(Tag(0x0008, 0x1010))
        let model = ds.string(.manufacturerModelName), serial = ds.string(Tag(0x0018, 0x1000))
        let camera = station ?? [ds.string(.manufacturer), model, serial].compactMap { $0 }.joined(separator: " ")
        let rp = ds.sequence(Tag(0x0054, 0x0016)).first
        let nuclide = rp.flatMap { $0.sequence(Tag(0x0054, 0x0300)).first?.string(Tag(0x0008, 0x0104)) }
        var acquired: String?
        if let d = ds.string(.acquisitionDate) ?? ds.string(.seriesDate) ?? ds.string(.studyDate),
           let t = ds.string(.acquisitionTime) ?? ds.string(.seriesTime) ?? ds.string(.studyTime),
           let date = DICOMDateTime.parse(date: d, time: t, offset: ds.string(.timezoneOffsetFromUTC)) {
            acquired = ISO8601DateFormatter().string(from: date)
        }
        let src = Source(file: path, camera: camera.isEmpty ? "unknown camera" : camera, manufacturer: ds.string(.manufacturer),
                         model: model, deviceSerialNumber: serial, head: nil,
                         collimator: collimators.isEmpty ? nil : Array(Set(collimators)).sorted().joined(separator: "/"),
                         radionuclide: nuclide.map(Self.cleanNuclide), acquired: acquired,
                         seriesInstanceUID: ds.string(.seriesInstanceUID), sopInstanceUID: ds.string(.sopInstanceUID))
        return (h, src)
    }

    /// "^99m^Technetium" → "99m Technetium".
    static func cleanNuclide(_ s: String) -> String {
        s.replacingOccurrences(of: "^", with: " ").split(separator: " ").joined(separator: " ")
    }

    /// Runs `test` on each file (each frame/head of a planar file is its own result).
    public static func run(_ test: QCTest, files: [String], options: Options = Options()) throws(WorkflowError) -> [Report] {
        guard !files.isEmpty else { throw WorkflowError("qc \(test.rawValue): give at least one DICOM file") }
        var out = [Report]()
        for path in files { out += try runOne(test, path: path, options: options) }
        return out
    }

    static func readNM(_ path: String) throws(WorkflowError) -> NMAcquisition {
        guard FileManager.default.fileExists(atPath: path) else { throw WorkflowError("\(path): no such file") }
        do { return try NMReader.read(path: path) } catch { throw WorkflowError("\(path): not a readable NM image: \(error)") }
    }

    static func report<R: Encodable>(_ test: QCTest, _ r: R, source: Source, warnings: [String], options: Options) throws(WorkflowError) -> Report {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        enc.dateEncodingStrategy = .iso8601
        let data: Data
        do { data = try enc.encode(r) } catch { throw WorkflowError("\(source.file): could not encode the \(test.rawValue) result: \(error)") }
        var metrics = [String: Double]()
        if let o = try? JSONDecoder().decode(JSONLeaf.self, from: data) { flatten(o, prefix: "", into: &metrics) }
        let (status, exceeded) = ActionLimits.evaluate(metrics, limits: options.limits[test] ?? [])
        return Report(test: test, source: source, resultJSON: data, metrics: metrics, status: status, exceeded: exceeded, warnings: warnings)
    }

    /// A JSON value reduced to what the metrics need: numbers, objects, and everything else.
    enum JSONLeaf: Decodable {
        case number(Double), object([String: JSONLeaf]), other
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if (try? c.decode(Bool.self)) != nil { self = .other }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else if let o = try? c.decode([String: JSONLeaf].self) { self = .object(o) }
            else { self = .other }
        }
    }

    /// Numeric leaves of a JSON object as dotted keys (arrays, booleans and the conventions are skipped).
    static func flatten(_ o: JSONLeaf, prefix: String, into m: inout [String: Double]) {
        switch o {
        case .number(let d): m[prefix] = d
        case .object(let d): for (k, v) in d where k != "conventions" { flatten(v, prefix: prefix.isEmpty ? k : "\(prefix).\(k)", into: &m) }
        case .other: break
        }
    }

    static func wrongType(_ path: String, _ test: QCTest, _ found: NMImageType, _ allowed: String) -> WorkflowError {
        WorkflowError("\(path): \(test.rawValue) needs \(allowed); the file's Image Type (0008,0008) says \(found.rawValue)")
    }

    static func qc(_ path: String, _ e: QCError) -> WorkflowError { WorkflowError("\(path): \(e)") }

    static func readNM(_ path: String, for test: QCTest) throws(WorkflowError) -> NMAcquisition {
        var acq = try readNM(path)
        // No QC test uses the radiopharmaceutical's administered dose or injection time (sensitivity takes the
        // calibrated source activity as given): the reader's warnings about them are noise here.
        acq.warnings.removeAll { $0.contains("Radiopharmaceutical Information") }
        return acq
    }

    static func runOne(_ test: QCTest, path: String, options o: Options) throws(WorkflowError) -> [Report] {
        let (_, baseSource) = try header(path: path)
        switch test {
        case .uniformity:
            let acq = try readNM(path, for: test)
            guard acq.imageType == .staticImage else { throw wrongType(path, test, acq.imageType, "a STATIC flood") }
            var out = [Report]()
            for f in acq.frames {
                var src = baseSource
                src.head = f.detector
                if let d = f.detector, let det = acq.detectors.first(where: { $0.number == d }) { src.collimator = det.collimatorName ?? src.collimator }
                let img: PlanarImage
                do { img = try acq.planarImage(frame: f.frame) } catch { throw WorkflowError("\(path): frame \(f.frame + 1): \(error)") }
                do {
                    let r = try FloodUniformity.analyze(img, conventions: o.uniformity)
                    out.append(try report(test, r, source: src, warnings: acq.warnings, options: o))
                } catch { throw WorkflowError("\(path)\(acq.frames.count > 1 ? " frame \(f.frame + 1)" : ""): \(error)") }
            }
            return out
        case .cor:
            let acq = try readNM(path, for: test)
            guard acq.imageType.isProjection else { throw wrongType(path, test, acq.imageType, "SPECT projections (TOMO) of a point source") }
            let window = acq.energyWindows.first?.number ?? acq.frames.first?.energyWindow ?? 1
            let heads = Array(Set(acq.frames.compactMap(\.detector))).sorted()
            var out = [Report]()
            for d in heads.isEmpty ? [nil] : heads.map(Optional.some) {
                let set: ProjectionSet
                do { set = try acq.projectionSet(energyWindow: window, detector: d) } catch { throw WorkflowError("\(path): \(error)") }
                let coll = d.flatMap { n in acq.detectors.first { $0.number == n }?.collimatorName }
                do {
                    let r = try CenterOfRotation.analyze(set, collimator: coll)
                    var src = baseSource; src.head = d; src.collimator = coll ?? src.collimator
                    out.append(try report(test, r, source: src, warnings: acq.warnings, options: o))
                } catch { throw WorkflowError("\(path)\(d.map { " head \($0)" } ?? ""): \(error)") }
            }
            return out
        case .resolution:
            let acq = try readNM(path, for: test)
            if acq.imageType.isReconstruction {
                let v: Volume
                do { v = try ReconTomo.read(path: path) } catch { throw WorkflowError("\(path): \(error)") }
                do { return [try report(test, try Resolution.analyzeTomographic(v), source: baseSource, warnings: acq.warnings, options: o)] }
                catch { throw WorkflowError("\(path): \(error)") }
            }
            guard acq.imageType == .staticImage else {
                throw wrongType(path, test, acq.imageType, "a STATIC line-source/bar image or a RECON TOMO of a line/point source")
            }
            var out = [Report]()
            for f in acq.frames {
                var src = baseSource; src.head = f.detector
                do {
                    let img = try acq.planarImage(frame: f.frame)
                    if let e = o.edgeROI {
                        out.append(try report(test, try EdgeResolution.analyze(img, roiColumn: e[0], roiRow: e[1], roiSize: e[2]), source: src, warnings: acq.warnings, options: o))
                    } else if let widths = o.quadrantBarWidthsMM {
                        out.append(try report(test, try QuadrantBars.analyze(img, barWidthsMM: widths), source: src, warnings: acq.warnings, options: o))
                    } else if let sep = o.barSeparationMM {
                        out.append(try report(test, try Resolution.analyzeFourBar(img, separationMM: sep), source: src, warnings: acq.warnings, options: o))
                    } else {
                        out.append(try report(test, try Resolution.analyzePlanar(img), source: src, warnings: acq.warnings, options: o))
                    }
                } catch { throw WorkflowError("\(path)\(acq.frames.count > 1 ? " frame \(f.frame + 1)" : ""): \(error)") }
            }
            return out
        case .sensitivity:
            let acq = try readNM(path, for: test)
            guard acq.imageType == .staticImage else { throw wrongType(path, test, acq.imageType, "a STATIC image of the source") }
            guard let a = o.activityMBq else {
                throw WorkflowError("\(path): sensitivity needs the source activity (--activity MBQ); the file's Radionuclide Total Dose is not a calibrated source activity")
            }
            guard let nuclide = o.radionuclide ?? StudyPreparation.radionuclide(named: acq.radiopharmaceutical?.radionuclide)?.name else {
                throw WorkflowError("\(path): no radionuclide in the file: give --radionuclide")
            }
            var start: Date?
            if let d = acq.acquisitionDate, let t = acq.acquisitionTime { start = DICOMDateTime.parse(date: d, time: t) }
            var bg: PlanarImage?
            if let b = o.backgroundPath {
                let bacq = try readNM(b)
                do { bg = try bacq.planarImage(frame: 0) } catch { throw WorkflowError("\(b): \(error)") }
            }
            do {
                let img = try acq.planarImage(frame: 0)
                let r = try Sensitivity.analyze(img, source: .init(activityMBq: a, referenceTime: o.calibrationTime, radionuclide: nuclide),
                                                acquisitionStart: start, background: bg)
                return [try report(test, r, source: baseSource, warnings: acq.warnings, options: o)]
            } catch { throw WorkflowError("\(path): \(error)") }
        case .mwsr, .tomo, .wholebody:
            return try runPhantom(test, path: path, source: baseSource, options: o)
        }
    }
}

extension QCJob {
    /// MWSR, tomographic phantom and whole-body scan.
    static func runPhantom(_ test: QCTest, path: String, source: Source, options o: Options) throws(WorkflowError) -> [Report] {
        let acq = try readNM(path, for: test)
        switch test {
        case .mwsr:
            guard acq.imageType == .staticImage else { throw wrongType(path, test, acq.imageType, "a STATIC image with one frame per energy window") }
            var images = [(window: Int, centreKeV: Double?, image: PlanarImage)]()
            for f in acq.frames {
                let w = f.energyWindow ?? (images.count + 1)
                let img: PlanarImage
                do { img = try acq.planarImage(frame: f.frame) } catch { throw WorkflowError("\(path): \(error)") }
                images.append((w, acq.energyWindows.first { $0.number == w }?.ranges.first?.centreKeV, img))
            }
            do { return [try report(test, try MultiWindowRegistration.analyze(images), source: source, warnings: acq.warnings, options: o)] }
            catch { throw WorkflowError("\(path): \(error)") }
        case .tomo:
            guard acq.imageType.isReconstruction else { throw wrongType(path, test, acq.imageType, "a RECON TOMO of a SPECT phantom") }
            let v: Volume
            do { v = try ReconTomo.read(path: path) } catch { throw WorkflowError("\(path): \(error)") }
            do { return [try report(test, try TomographicPhantom.analyze(v), source: source, warnings: acq.warnings, options: o)] }
            catch { throw WorkflowError("\(path): \(error)") }
        case .wholebody:
            guard acq.imageType == .wholeBody else { throw wrongType(path, test, acq.imageType, "a WHOLE BODY scan") }
            var speed: Double?
            if let file = try? DICOMFile.read(path: path, options: ReadOptions(stopBeforePixels: true)) {
                speed = file.dataset.double(Tag(0x0018, 0x1300))
            }
            var out = [Report]()
            for f in acq.frames {
                var src = source; src.head = f.detector
                do {
                    let r = try WholeBodyScan.analyze(try acq.planarImage(frame: f.frame), frame: f.frame + 1, declaredScanSpeedMMPerS: speed)
                    out.append(try report(test, r, source: src, warnings: acq.warnings, options: o))
                } catch { throw WorkflowError("\(path) frame \(f.frame + 1): \(error)") }
            }
            return out
        default:
            throw WorkflowError("\(path): \(test.rawValue) is not a phantom test")
        }
    }
}
