import Analysis
import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Simulation

/// The result of `scinti pet suv`: the SUV factors of a PET series and its hot spots. JSON keys are a contract.
public struct PETSUVResult: Sendable, Codable {
    /// Series Instance UID and number of slices read.
    public var seriesInstanceUID: String?
    public var slices: Int
    /// Units of the image values the factors multiply.
    public var imageUnits: String
    /// SUVbw factor (g/mL per image unit) and SUL factor (lean body mass by James).
    public var suvbwFactor: Double
    public var suvlbmFactor: Double?
    /// Lean body mass by Janmahasatian, and body-surface-area factors.
    public var suvlbmJanmahasatianFactor: Double?
    public var suvbsaFactor: Double?
    /// The full derivation (times, doses, patient values, method).
    public var factors: SUVFactors
    /// Hot spots, hottest first.
    public var hotspots: [Hotspot]
    /// How the hot spots were found and measured.
    public var conventions: [String]
    /// Everything assumed, missing or inconsistent (reader and SUV).
    public var warnings: [String]
}

/// Reads a PET series, computes its SUV factors and finds its hot spots.
public enum PETSUVJob {
    /// Options of a run.
    public struct Options: Sendable {
        public var overrides: SUVPatientOverrides
        public var search: HotspotSearch
        /// Series Instance UID to use when the folder holds several PET series.
        public var seriesInstanceUID: String?
        /// Creates options.
        public init(overrides: SUVPatientOverrides = .init(), search: HotspotSearch = .init(), seriesInstanceUID: String? = nil) {
            self.overrides = overrides; self.search = search; self.seriesInstanceUID = seriesInstanceUID
        }
    }

    /// The SUV header of a series: first image's PET attributes, the earliest Acquisition Date/Time over all
    /// images, the Timezone Offset, and the Philips and GE private fields when present.
    public static func header(_ files: [DICOMFile]) -> SUVHeader {
        let pt = files.filter { $0.dataset.string(.modality) == "PT" }
        let use = pt.isEmpty ? files : pt
        guard let first = use.first?.dataset else { return SUVHeader() }
        var earliest: (Date, String, String)?
        let tz = first.string(.timezoneOffsetFromUTC)
        for f in use {
            guard let d = f.dataset.string(.acquisitionDate), let t = f.dataset.string(.acquisitionTime),
                  let at = DICOMDateTime.parse(date: d, time: t, offset: tz) else { continue }
            if earliest == nil || at < earliest!.0 { earliest = (at, d, t) }
        }
        let philips = first.privateTag(creator: "Philips PET Private Group", group: 0x7053, element: 0x00)
        let philipsACSF = first.privateTag(creator: "Philips PET Private Group", group: 0x7053, element: 0x09)
        let ge = first.privateTag(creator: "GEMS_PETD_01", group: 0x0009, element: 0x0D)
        return SUVHeader(pet: SeriesVolumeReader.petAttributes(first), earliestAcquisitionDate: earliest?.1,
                         earliestAcquisitionTime: earliest?.2, timezoneOffset: tz,
                         philipsSUVScaleFactor: philips.flatMap { decimal(first, $0) },
                         philipsActivityConcentrationScaleFactor: philipsACSF.flatMap { decimal(first, $0) },
                         gePrivateScanDateTime: ge.flatMap { first.string($0) })
    }

    /// A private DS element, also when it arrived as UN (implicit VR or unknown private dictionary).
    static func decimal(_ ds: Dataset, _ tag: Tag) -> Double? {
        if let d = ds.double(tag) { return d }
        guard let b = ds[tag]?.bytes else { return nil }
        let text = String(decoding: b.array, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        return Double(text)
    }

    /// Runs on a folder (or file) of one PET series.
    public static func run(path: String, options: Options = .init()) throws -> PETSUVResult {
        try runWithImage(path: path, options: options).result
    }

    /// Runs on a folder (or file) of one PET series; also returns the SUVbw image (g/mL).
    public static func runWithImage(path: String, options: Options = .init()) throws -> (result: PETSUVResult, suv: Volume) {
        let paths = try listDICOM(path)
        var files: [DICOMFile] = []
        var warnings: [String] = []
        for p in paths {
            do { files.append(try DICOMFile.read(path: p)) } catch {
                if paths.count == 1 { throw error }
                warnings.append("skipped \(p): \(error.message)")
            }
        }
        guard !files.isEmpty else { throw WorkflowError("\(path): no DICOM files") }
        // One PET series: the one named, else the only PT series of the folder (other series are skipped).
        var uids = Set(files.filter { $0.dataset.string(.modality) == "PT" }.compactMap { $0.dataset.string(.seriesInstanceUID) })
        if let want = options.seriesInstanceUID {
            guard files.contains(where: { $0.dataset.string(.seriesInstanceUID) == want }) else {
                throw WorkflowError("\(path): no files of series \(want)")
            }
            uids = [want]
        }
        if uids.count > 1 {
            throw WorkflowError("\(path) holds \(uids.count) PET series; choose one with --series: \(uids.sorted().joined(separator: ", "))")
        }
        if let uid = uids.first {
            let others = files.filter { $0.dataset.string(.seriesInstanceUID) != uid }.count
            if others > 0 { warnings.append("\(others) files of other series skipped (PET series \(uid))") }
            files = files.filter { $0.dataset.string(.seriesInstanceUID) == uid }
        }
        let series = try SeriesVolumeReader.read(files: files)
        guard series.modality == "PT" else {
            throw WorkflowError("\(path): modality is \(series.modality ?? "missing"), not PT: SUV needs a PET series")
        }
        warnings += series.warnings
        let header = header(files)
        let factors: SUVFactors
        do { factors = try SUVCalculator.factors(header, overrides: options.overrides) } catch {
            throw WorkflowError("\(path): cannot compute SUV: \(error.description)")
        }
        warnings += factors.warnings
        var suv = series.volume
        let sliceFactors = noneSliceFactors(series: series, files: files, factors: factors, warnings: &warnings)
        let plane = suv.size.x * suv.size.y
        suv.voxels.withUnsafeMutableBufferPointer { b in
            for k in 0..<suv.size.z {
                let f = Float(sliceFactors?[k] ?? factors.suvbwFactor)
                for i in (k * plane)..<((k + 1) * plane) { b[i] *= f }
            }
        }
        suv.units = "g/mL (SUVbw)"
        if suv.size.z < 3 {
            warnings.append("only \(suv.size.z) slice(s): the 1 cm³ SUVpeak sphere is cut by the volume's edge (mean over the part inside)")
        }
        let sulPerSUV = factors.suvlbmFactor.map { $0 / factors.suvbwFactor }
        let hotspots = options.search.run(suv, sulPerSUV: sulPerSUV)
        let conventions = [
            "SUV = rescaled value × factor; SUVbw in g/mL; SUL = lean body mass by James (128 male coefficient); BSA by Du Bois",
            "hot spots: 26-connected regions with SUVbw ≥ \(petFormat(options.search.detectionSUV)), hottest \(options.search.maxCount) kept",
            "suvMean, mtvML, tla over \(options.search.delineation) connected to the maximum, within \(petFormat(options.search.marginMM)) mm of each detected region; centerMM = its centroid (LPS, mm)",
            "suvPeak: highest mean of a 1 cm³ sphere (radius 6.20 mm, partial-volume weights) centred on a voxel of the lesion VOI",
        ]
        return (PETSUVResult(seriesInstanceUID: series.seriesInstanceUID, slices: series.volume.size.z,
                            imageUnits: factors.imageUnits, suvbwFactor: factors.suvbwFactor,
                            suvlbmFactor: factors.suvlbmFactor, suvlbmJanmahasatianFactor: factors.suvlbmJanmahasatianFactor,
                            suvbsaFactor: factors.suvbsaFactor, factors: factors, hotspots: hotspots,
                            conventions: conventions, warnings: warnings), suv)
    }

    /// Decay Correction NONE: each slice holds the mean activity concentration over its own frame, so its SUV
    /// factor is weight / (dose decayed to that frame's Acquisition Date/Time × the mean decay over Actual Frame
    /// Duration): suvbwFactor × e^{λ(t_k − t_scan)} / [(1 − e^{−λT}) / (λT)]. Nil for START/ADMIN, for Units GML or
    /// CNTS with the Philips SUV factor (already absolute), or when slice times are unknown.
    static func noneSliceFactors(series: SeriesVolume, files: [DICOMFile], factors: SUVFactors,
                                 warnings: inout [String]) -> [Double]? {
        guard factors.decayCorrection == "NONE", let hl = factors.halfLifeSeconds, factors.decayedDoseBq != nil,
              let scanText = factors.scanTime else { return nil }
        let iso = ISO8601DateFormatter(); iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let scan = iso.date(from: scanText) else { return nil }
        var bySource: [String: Dataset] = [:]
        for f in files { if let s = f.source { bySource[s] = f.dataset } }
        let lambda = log(2) / hl
        var out: [Double] = []
        for label in series.sliceSources {
            let src = label.split(separator: "#").first.map(String.init) ?? label
            guard let ds = bySource[src], let d = ds.string(.acquisitionDate), let t = ds.string(.acquisitionTime),
                  let at = DICOMDateTime.parse(date: d, time: t, offset: ds.string(.timezoneOffsetFromUTC)) else {
                warnings.append("Decay Correction NONE: \(label) has no valid Acquisition Date/Time: the series-level factor (dose decayed to the scan start) is used for every slice")
                return nil
            }
            let frameS = (ds.double(.actualFrameDuration) ?? 0) / 1000
            let during = Decay.duringAcquisitionFactor(halfLifeSeconds: hl, durationSeconds: frameS)
            out.append(factors.suvbwFactor * exp(lambda * at.timeIntervalSince(scan)) / during)
        }
        let lo = out.min() ?? 0, hi = out.max() ?? 0
        warnings.append("Decay Correction NONE: SUV computed per slice with the dose decayed to each slice's Acquisition Date/Time and averaged over its Actual Frame Duration (factors \(String(format: "%.6g", lo))…\(String(format: "%.6g", hi)) per \(factors.imageUnits)); suvbwFactor is the value at the scan start")
        return out
    }

    static func listDICOM(_ path: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw WorkflowError("\(path): no such file or directory")
        }
        guard isDir.boolValue else { return [path] }
        guard let e = FileManager.default.enumerator(atPath: path) else { throw WorkflowError("\(path): cannot list the folder") }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) || rel.hasSuffix(".json") { continue }
            let full = (path as NSString).appendingPathComponent(rel)
            var d: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &d), !d.boolValue { out.append(full) }
        }
        return out.sorted()
    }
}

/// Writes a simulated PET study (``Simulation/PETSimulation``) as a PT series plus `truth.json`.
public enum PETSimulationJob {
    /// Simulates `spec` and writes `out/PT/PT_0001.dcm…` and `out/truth.json`; returns the simulation.
    @discardableResult
    public static func write(_ spec: PETStudySpec, to out: String, encoding: PTSeriesWriter.Encoding = .bqml,
                             seriesDate: String = "20240315", seriesTime: String = "101500") throws -> PETSimulation {
        try write(try PETSimulation.make(spec), to: out, encoding: encoding, seriesDate: seriesDate, seriesTime: seriesTime)
    }

    /// Writes an already simulated PET study (e.g. of a virtual patient, ``Simulation/PETSimulation/make(patient:voxelMM:weightKg:heightCm:)``).
    @discardableResult
    public static func write(_ sim: PETSimulation, to out: String, encoding: PTSeriesWriter.Encoding = .bqml,
                             seriesDate: String = "20240315", seriesTime: String = "101500") throws -> PETSimulation {
        let spec = sim.spec
        guard let scan = DICOMDateTime.parse(date: seriesDate, time: seriesTime) else {
            throw WorkflowError("invalid series date/time \(seriesDate) \(seriesTime)")
        }
        let inj = scan.addingTimeInterval(-spec.uptakeSeconds)
        var cal = Calendar(identifier: .gregorian); cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: inj)
        let injDT = String(format: "%04d%02d%02d%02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        let study = StudyAttributes(patientName: "Simulated^PET", patientID: "SIMPET01", patientSex: spec.sex,
                                    studyDate: seriesDate, studyTime: seriesTime, studyDescription: "Simulated FDG PET")
        let series = SeriesAttributes(seriesNumber: 2, seriesDescription: "PET simulated (\(encoding.rawValue))",
                                      seriesDate: seriesDate, seriesTime: seriesTime)
        var o = PTSeriesWriter.Options(patientWeightKg: spec.weightKg, patientSizeM: spec.heightCm / 100,
                                       totalDoseBq: sim.truth.injectedBq, startDateTime: injDT,
                                       halfLifeSeconds: sim.truth.halfLifeSeconds)
        o.encoding = encoding
        o.philipsSUVbwFactor = sim.truth.suvbwFactor
        try PTSeriesWriter.write(sim.image, study: study, series: series, options: o, acquisitionDate: seriesDate,
                                 acquisitionTime: seriesTime, to: (out as NSString).appendingPathComponent("PT"))
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(sim.truth)
        try data.write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("truth.json")))
        return sim
    }
}

func petFormat(_ v: Double) -> String { String(format: "%g", v) }
