import DICOM
import Foundation
import Imaging

/// The frame layout and acquisition parameters of an NM series, for ``SeriesSummary``.
public struct NMLayoutSummary: Sendable, Codable, Equatable {
    /// NM image type, e.g. `TOMO`.
    public var imageType: String
    /// The frame layout, e.g. `6 energy windows × 1 detector × 60 views = 360 frames`.
    public var layout: String
    /// Number of frames.
    public var numberOfFrames: Int
    /// Energy windows.
    public var energyWindows: [EnergyWindow]
    /// Detectors.
    public var detectors: [Detector]
    /// Rotations.
    public var rotations: [Rotation]
    /// Phases (DYNAMIC).
    public var phases: [Phase]
    /// R-R intervals (GATED).
    public var rrIntervals: [RRInterval]
    /// Actual Frame Duration (ms) at image level or of the first rotation/phase.
    public var frameDurationMs: Double?
    /// Acquisition Date (DA), when written.
    public var acquisitionDate: String?
    /// Acquisition Time (TM), when written.
    public var acquisitionTime: String?
    /// Radiopharmaceutical(s).
    public var radiopharmaceuticals: [Radiopharmaceutical]
    /// Reader warnings (defaults applied, missing values).
    public var warnings: [String]
}

/// Slice-stack facts of a CT/PT (or other cross-sectional) series, for ``SeriesSummary``.
public struct StackSummary: Sendable, Codable, Equatable {
    /// Number of slices (planes).
    public var slices: Int
    /// Spacing between slice centres (mm), when the stack is valid.
    public var sliceSpacing: Double?
    /// Pixel Spacing (row, column) in mm.
    public var pixelSpacing: [Double]
    /// Lowest and highest Image Position (Patient) z (mm).
    public var zMin: Double
    /// Highest Image Position (Patient) z (mm).
    public var zMax: Double
    /// Why the slices do not form a volume (tilt, gaps, duplicates), when they do not.
    public var problem: String?
}

/// A human- and machine-readable summary of one series (the `scinti dicom info` output).
public struct SeriesSummary: Sendable, Codable, Equatable {
    /// Series Instance UID.
    public var seriesInstanceUID: String
    /// Modality.
    public var modality: String?
    /// SOP Class UID.
    public var sopClassUID: String?
    /// SOP Class name from the UID registry.
    public var sopClassName: String?
    /// Image Type values.
    public var imageType: [String]
    /// Series Description.
    public var seriesDescription: String?
    /// Manufacturer and model.
    public var manufacturer: String?
    /// Files in the series.
    public var files: [String]
    /// Rows.
    public var rows: Int?
    /// Columns.
    public var columns: Int?
    /// Frames per file (first file).
    public var framesPerFile: Int
    /// NM layout (NM only).
    public var nm: NMLayoutSummary?
    /// Slice stack (multi-file cross-sectional series and enhanced multi-frame CT/PT).
    public var stack: StackSummary?
    /// Plain-text rendering.
    public var text: String

    /// Summaries of every series found under `path` (a file or a directory, recursively).
    public static func describe(path: String) throws(DICOMError) -> DICOMDescription {
        let paths = try listFiles(path)
        var skipped: [String] = []
        var groups: [String: [DICOMFile]] = [:]
        var order: [String] = []
        for p in paths {
            do {
                let f = try DICOMFile.read(path: p, options: ReadOptions(stopBeforePixels: true))
                let uid = f.dataset.string(.seriesInstanceUID) ?? "(no Series Instance UID)"
                if groups[uid] == nil { order.append(uid) }
                groups[uid, default: []].append(f)
            } catch {
                skipped.append("\(p): \(error.message)")
            }
        }
        let series = order.map { summarize(uid: $0, files: groups[$0]!) }
        var text = series.map(\.text).joined(separator: "\n")
        if !skipped.isEmpty { text += "\nSkipped \(skipped.count) file(s):\n" + skipped.map { "  \($0)" }.joined(separator: "\n") + "\n" }
        return DICOMDescription(path: path, series: series, skipped: skipped, text: text)
    }

    /// Summaries of already parsed files, grouped by Series Instance UID (in the order first seen).
    public static func describe(files: [DICOMFile]) -> [SeriesSummary] {
        var groups: [String: [DICOMFile]] = [:]
        var order: [String] = []
        for f in files {
            let uid = f.dataset.string(.seriesInstanceUID) ?? "(no Series Instance UID)"
            if groups[uid] == nil { order.append(uid) }
            groups[uid, default: []].append(f)
        }
        return order.map { summarize(uid: $0, files: groups[$0]!) }
    }

    static func summarize(uid: String, files: [DICOMFile]) -> SeriesSummary {
        let ds = files[0].dataset
        let sop = files[0].sopClassUID
        var s = SeriesSummary(seriesInstanceUID: uid, modality: ds.string(.modality), sopClassUID: sop,
                              sopClassName: sop.map { UIDDictionary.name($0) }, imageType: ds.strings(.imageType),
                              seriesDescription: ds.string(.seriesDescription),
                              manufacturer: [ds.string(.manufacturer), ds.string(.manufacturerModelName)].compactMap { $0 }.joined(separator: " ").nilIfEmpty,
                              files: files.compactMap(\.source), rows: ds.int(.rows), columns: ds.int(.columns),
                              framesPerFile: max(1, ds.int(.numberOfFrames) ?? 1), nm: nil, stack: nil, text: "")
        if s.modality == "NM", ds.contains(T.energyWindowInformationSequence) || ds.contains(.frameIncrementPointer) || NMReader.imageType(ds) != nil {
            if let acq = try? NMReader.acquisition(from: ds, source: files[0].source) { s.nm = nmLayout(acq, ds: ds) }
        } else if ds.contains(.imagePositionPatient) || ds.hasFunctionalGroups, s.rows != nil {
            s.stack = stackSummary(files)
        }
        s.text = render(s)
        return s
    }

    static func nmLayout(_ acq: NMAcquisition, ds: Dataset) -> NMLayoutSummary {
        let fip = ds.tagValues(.frameIncrementPointer)
        func distinct(_ kp: KeyPath<FrameIndex, Int?>) -> Int { Set(acq.frames.compactMap { $0[keyPath: kp] }).count }
        let names: [Tag: (String, String, KeyPath<FrameIndex, Int?>, Bool)] = [
            T.energyWindowVector: ("energy window", "energy windows", \.energyWindow, true),
            T.detectorVector: ("detector", "detectors", \.detector, true),
            T.phaseVector: ("phase", "phases", \.phase, false),
            T.rotationVector: ("rotation", "rotations", \.rotation, false),
            T.rrIntervalVector: ("R-R interval", "R-R intervals", \.rrInterval, false),
            T.timeSlotVector: ("time slot", "time slots", \.timeSlot, true),
            T.sliceVector: ("slice", "slices", \.slice, true),
            T.angularViewVector: ("view", "views", \.angularView, true),
            T.timeSliceVector: ("time slice", "time slices", \.timeSlice, true),
        ]
        var parts: [String] = []
        var tags = fip
        if !tags.contains(T.energyWindowVector) && !acq.energyWindows.isEmpty { tags.insert(T.energyWindowVector, at: 0) }
        if !tags.contains(T.detectorVector) && !acq.detectors.isEmpty { tags.insert(T.detectorVector, at: min(1, tags.count)) }
        for t in tags {
            guard let (one, many, kp, always) = names[t] else { continue }
            var n = distinct(kp)
            if n == 0 { n = t == T.energyWindowVector ? acq.energyWindows.count : t == T.detectorVector ? acq.detectors.count : 0 }
            if n <= 1 && !always { continue }
            parts.append("\(n) \(n == 1 ? one : many)")
        }
        let layout = (parts.isEmpty ? "" : parts.joined(separator: " × ") + " = ") + "\(acq.numberOfFrames) frame\(acq.numberOfFrames == 1 ? "" : "s")"
        let duration = acq.actualFrameDurationMs ?? acq.rotations.first?.actualFrameDurationMs ?? acq.phases.first?.frameDurationMs
        return NMLayoutSummary(imageType: acq.imageType.rawValue, layout: layout, numberOfFrames: acq.numberOfFrames,
                               energyWindows: acq.energyWindows, detectors: acq.detectors, rotations: acq.rotations,
                               phases: acq.phases, rrIntervals: acq.rrIntervals, frameDurationMs: duration,
                               acquisitionDate: acq.acquisitionDate, acquisitionTime: acq.acquisitionTime,
                               radiopharmaceuticals: acq.radiopharmaceuticals, warnings: acq.warnings)
    }

    static func stackSummary(_ files: [DICOMFile]) -> StackSummary? {
        var planes: [Plane] = []
        for (fi, f) in files.enumerated() {
            let ds = f.dataset
            let label = f.source ?? "file \(fi + 1)"
            if ds.hasFunctionalGroups {
                for k in 0..<max(1, ds.int(.numberOfFrames) ?? 1) {
                    if let p = try? SeriesVolumeReader.enhancedPlane(ds, frame: k, label: "\(label)#\(k + 1)", fileIndex: fi, source: f.source) { planes.append(p) }
                }
            } else if let ipp = ds.vector3(.imagePositionPatient) {
                let iop = ds.doubles(.imageOrientationPatient)
                guard iop.count == 6 else { continue }
                planes.append(Plane(label: label, fileIndex: fi, frame: 0, position: ipp, row: Vector3(iop[0], iop[1], iop[2]),
                                    column: Vector3(iop[3], iop[4], iop[5]), pixelSpacing: ds.doubles(.pixelSpacing),
                                    rows: ds.int(.rows) ?? 0, columns: ds.int(.columns) ?? 0, slope: 1, intercept: 0,
                                    tilt: ds.double(.gantryDetectorTilt)))
            }
        }
        guard !planes.isEmpty else { return nil }
        let zs = planes.map(\.position.z)
        var summary = StackSummary(slices: planes.count, sliceSpacing: nil, pixelSpacing: planes[0].pixelSpacing,
                                   zMin: zs.min()!, zMax: zs.max()!, problem: nil)
        var w: [String] = []
        do {
            let st = try Stacking.stack(planes, spacingToleranceMM: 0.05, source: nil, fallbackSpacing: nil, warnings: &w)
            summary.sliceSpacing = planes.count > 1 ? st.geometry.spacing.z : nil
        } catch {
            summary.problem = error.description
        }
        return summary
    }

    static func render(_ s: SeriesSummary) -> String {
        var out: [String] = []
        let nFiles = s.files.count
        out.append("Series \(s.seriesInstanceUID)")
        out.append("  \(s.modality ?? "?") — \(s.sopClassName ?? "unknown SOP class"), \(nFiles) file\(nFiles == 1 ? "" : "s")")
        if !s.imageType.isEmpty { out.append("  Image Type: \(s.imageType.joined(separator: "\\"))") }
        if let d = s.seriesDescription { out.append("  Description: \(d)") }
        if let m = s.manufacturer { out.append("  Manufacturer: \(m)") }
        if let r = s.rows, let c = s.columns {
            out.append("  Dimensions: \(c) columns × \(r) rows\(s.framesPerFile > 1 ? " × \(s.framesPerFile) frames" : "")")
        }
        if let nm = s.nm {
            out.append("  NM \(nm.imageType): \(nm.layout)")
            for w in nm.energyWindows {
                let ranges = w.ranges.map { "\(fmt($0.lowerKeV))–\(fmt($0.upperKeV)) keV" }.joined(separator: ", ")
                out.append("    Window \(w.number)\(w.name.map { " \"\($0)\"" } ?? ""): \(ranges.isEmpty ? "no range" : ranges)")
            }
            for r in nm.rotations {
                var p: [String] = []
                p.append("start \(r.startAngle.map { fmt($0) + "°" } ?? "?")")
                p.append("step \(r.angularStep.map { fmt($0) + "°" } ?? "?")")
                p.append(r.direction?.rawValue ?? "direction ?")
                if let a = r.scanArc { p.append("arc \(fmt(a))°") }
                if let n = r.numberOfViews { p.append("\(n) views") }
                if let d = r.actualFrameDurationMs { p.append("\(fmt(d / 1000)) s per view") }
                if !r.radialPosition.isEmpty { p.append("radius \(r.radialPosition.count == 1 ? fmt(r.radialPosition[0]) + " mm" : "\(r.radialPosition.count) values")") }
                out.append("    Rotation \(r.number): " + p.joined(separator: ", "))
            }
            for d in nm.detectors {
                var p: [String] = []
                if let c = d.collimatorName { p.append("collimator \(c)") }
                if let v = d.view { p.append("view \(v)") }
                if !d.radialPositions.isEmpty { p.append("\(d.radialPositions.count) radial positions") }
                if !p.isEmpty { out.append("    Detector \(d.number): " + p.joined(separator: ", ")) }
            }
            for ph in nm.phases {
                out.append("    Phase \(ph.number): \(ph.numberOfFrames.map(String.init) ?? "?") frames of \(ph.frameDurationMs.map { fmt($0 / 1000) + " s" } ?? "?")")
            }
            for rr in nm.rrIntervals {
                out.append("    R-R interval \(rr.number): \(rr.timeSlots.count) time slots, frame time \(rr.frameTimeMs.map { fmt($0) + " ms" } ?? "?"), accepted \(rr.lowRRMs.map { fmt($0) } ?? "?")–\(rr.highRRMs.map { fmt($0) } ?? "?") ms")
            }
            if let d = nm.frameDurationMs { out.append("    Frame duration: \(fmt(d / 1000)) s") }
            out.append("    Acquired: \(nm.acquisitionDate ?? "date not recorded") \(nm.acquisitionTime ?? "time not recorded")")
            for r in nm.radiopharmaceuticals {
                out.append("    Radiopharmaceutical: \(r.name ?? "?"), \(r.radionuclide ?? "radionuclide ?"), total dose \(r.totalDoseBq.map { fmt($0 / 1e6) + " MBq" } ?? "?"), start \(r.startDateTime ?? r.startTime ?? "?")")
            }
            for w in nm.warnings { out.append("    ! \(w)") }
        }
        if let st = s.stack {
            var line = "  Slices: \(st.slices)"
            if let sp = st.sliceSpacing { line += ", spacing \(fmt(sp)) mm" }
            if st.pixelSpacing.count == 2 { line += ", pixel \(fmt(st.pixelSpacing[0])) × \(fmt(st.pixelSpacing[1])) mm" }
            line += ", z \(fmt(st.zMin)) to \(fmt(st.zMax)) mm"
            out.append(line)
            if let p = st.problem { out.append("  ! not a regular volume: \(p)") }
        }
        return out.joined(separator: "\n") + "\n"
    }
}

/// The summary of a file or directory: every series found, and the files that could not be read.
public struct DICOMDescription: Sendable, Codable, Equatable {
    /// The path described.
    public var path: String
    /// One summary per Series Instance UID, in the order first seen.
    public var series: [SeriesSummary]
    /// Files that are not readable DICOM, with the reason.
    public var skipped: [String]
    /// Plain-text rendering of everything.
    public var text: String
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
