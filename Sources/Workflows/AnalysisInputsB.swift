import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Analysis

/// DICOM glue for the planar analyses of issue 5 part B: reads NM files (STATIC or WHOLE BODY, one or more views
/// per file, explicit or implicit VR) into ``Analysis/PlanarViewImage``s of the photopeak window, with every
/// assumption listed.
public enum AnalysisInputsB {
    /// Views read from one file, with what was assumed.
    public struct Views: Sendable {
        /// The views of the chosen window, in detector order.
        public var views: [PlanarViewImage]
        /// The acquisition as read (header, counts).
        public var acquisition: NMAcquisition
        /// The radionuclide named in the file (nil when not recorded).
        public var radionuclide: Radionuclide?
        /// Acquisition start (from Acquisition Date/Time), when readable.
        public var acquisitionStart: Date?
        /// Radiopharmaceutical start (injection), when readable.
        public var injection: Date?
        /// Notes: window choice, reader warnings, defaults applied.
        public var notes: [String]
        /// The file's frame (0-based) each view was taken from, in the order of ``views``.
        public var frameIndices: [Int] = []

        /// The file frame of the view named `name`, as a one-element list (empty when no view has that name).
        public func frames(ofView name: String) -> [Int] {
            views.firstIndex { $0.name == name }.map { [frameIndices[$0]] } ?? []
        }

        /// Column spacing (mm) of the view named `name`; 1 when unknown.
        public func columnSpacingMM(ofView name: String) -> Double {
            views.first { $0.name == name }?.columnSpacingMM ?? 1
        }
    }

    /// Reads the photopeak-window views of an NM file. `allowed` lists the accepted image types; `window` forces a
    /// 1-based energy window number. Throws ``WorkflowError`` naming the file and what is wrong.
    /// With `sumPhotopeaks`, the frames of every window that contains a photon line (≥ 10 % yield) of the study's
    /// radionuclide are summed per detector (In-111's 171 and 245 keV windows).
    public static func read(path: String, allowed: Set<NMImageType> = [.staticImage, .wholeBody], window: Int? = nil,
                            sumPhotopeaks: Bool = false) throws(WorkflowError) -> Views {
        let acq: NMAcquisition
        do { acq = try NMReader.read(path: path) } catch { throw WorkflowError("\(path): \(error)") }
        return try views(acq, source: path, allowed: allowed, window: window, sumPhotopeaks: sumPhotopeaks)
    }

    /// The photopeak-window views of an acquisition already read.
    public static func views(_ acq: NMAcquisition, source: String, allowed: Set<NMImageType> = [.staticImage, .wholeBody],
                             window: Int? = nil, sumPhotopeaks: Bool = false) throws(WorkflowError) -> Views {
        var notes = acq.warnings.map { "\(source): \($0)" }
        guard allowed.contains(acq.imageType) else {
            let names = allowed.map(\.rawValue).sorted().joined(separator: " or ")
            throw WorkflowError("\(source): wrong image type \(acq.imageType.rawValue) (Image Type (0008,0008) value 3); this analysis needs \(names) planar views")
        }
        guard acq.rows > 0, acq.columns > 0 else { throw WorkflowError("\(source): empty matrix \(acq.columns)×\(acq.rows)") }
        guard let counts = acq.counts, counts.count == acq.rows * acq.columns * acq.frames.count, !acq.frames.isEmpty else {
            throw WorkflowError("\(source): missing frames or pixel data (\(acq.frames.count) frames declared)")
        }
        let nuclide = StudyPreparation.radionuclide(named: acq.radiopharmaceutical?.radionuclide)
        var windowNumber = 1
        if acq.energyWindows.count > 1 || window != nil {
            do {
                let choice = try StudyPreparation.chooseWindows(acq, requested: window, radionuclide: nuclide)
                windowNumber = choice.peak.number
                notes.append("\(source): \(choice.reason)")
            } catch { throw WorkflowError("\(source): \(error)") }
        } else if acq.energyWindows.isEmpty {
            notes.append("\(source): no Energy Window Information Sequence; all frames taken as one window")
        }
        var windowSet: Set<Int> = [windowNumber]
        if sumPhotopeaks, window == nil, let nuclide {
            let lines = nuclide.photons.filter { $0.yield >= 0.1 }.map(\.energyKeV)
            let peaks = acq.energyWindows.filter { w in lines.contains { e in (w.lowerKeV ?? .infinity) <= e && e <= (w.upperKeV ?? -.infinity) } }.map(\.number)
            if peaks.count > 1 {
                windowSet = Set(peaks)
                notes.append("\(source): windows \(peaks.map(String.init).joined(separator: ", ")) contain \(nuclide.name) photopeaks and are summed")
            }
        }
        var chosen = acq.frames.filter { ($0.energyWindow ?? windowNumber) == windowNumber }
        chosen.sort { ($0.detector ?? 0, $0.frame) < ($1.detector ?? 0, $1.frame) }
        guard !chosen.isEmpty else { throw WorkflowError("\(source): no frames for energy window \(windowNumber)") }
        var out: [PlanarViewImage] = []
        var frameIndices: [Int] = []
        let duration = acq.actualFrameDurationMs.map { $0 / 1000 }
        if duration == nil { notes.append("\(source): no Actual Frame Duration (0018,1242); count rates not available") }
        if acq.pixelSpacing.count < 2 { notes.append("\(source): no Pixel Spacing (0028,0030); 1 mm assumed") }
        for f in chosen {
            let det = f.detector.flatMap { d in acq.detectors.first { $0.number == d } }
            var name = det?.view ?? ""
            if name.isEmpty {
                name = f.detector.map { "detector \($0)" } ?? "frame \(f.frame)"
                if let a = f.gantryAngle ?? det?.startAngle { name += String(format: " (%.0f°)", a) }
                notes.append("\(source): frame \(f.frame) has no View Code Sequence; called \(name)")
            }
            let n = acq.rows * acq.columns
            var pixels = Array(counts[(f.frame * n)..<((f.frame + 1) * n)])
            for g in acq.frames where g.frame != f.frame && g.detector == f.detector && windowSet.contains(g.energyWindow ?? -1) && windowSet.count > 1 {
                for i in 0..<n { pixels[i] += counts[g.frame * n + i] }
            }
            out.append(PlanarViewImage(name: name, rows: acq.rows, columns: acq.columns,
                                       pixelSpacing: acq.pixelSpacing.count >= 2 ? acq.pixelSpacing : [1, 1],
                                       counts: pixels, origin: det?.imagePosition,
                                       rowDirection: det?.rowDirection, columnDirection: det?.columnDirection,
                                       durationSeconds: duration))
            frameIndices.append(f.frame)
        }
        for v in out where !v.counts.contains(where: { $0 > 0 }) {
            throw WorkflowError("\(source): view \(v.name) has zero counts")
        }
        var start: Date? = nil
        if let d = acq.acquisitionDate, let t = acq.acquisitionTime { start = DICOMDateTime.parse(date: d, time: t) }
        var injection: Date? = nil
        if let p = acq.radiopharmaceutical {
            if let dt = p.startDateTime { injection = DICOMDateTime.parse(dt: dt) }
            else if let t = p.startTime, let d = acq.acquisitionDate {
                injection = DICOMDateTime.parse(date: d, time: t)
                notes.append("\(source): Radiopharmaceutical Start DateTime absent; Start Time taken on the acquisition date")
            }
        }
        return Views(views: out, acquisition: acq, radionuclide: nuclide, acquisitionStart: start, injection: injection, notes: notes,
                     frameIndices: frameIndices)
    }

    /// The anterior and posterior views of a set (by View Code meaning, else by gantry angle 0/180 in the
    /// detector's Image Orientation, else the first two views in order with a note).
    public static func anteriorPosterior(_ v: Views, source: String) throws(WorkflowError) -> (anterior: PlanarViewImage, posterior: PlanarViewImage?, notes: [String]) {
        var notes: [String] = []
        func isView(_ p: PlanarViewImage, _ word: String) -> Bool { p.name.lowercased().contains(word) }
        var ant = v.views.first { isView($0, "anterior") && !isView($0, "oblique") }
        var post = v.views.first { isView($0, "posterior") && !isView($0, "oblique") }
        if ant == nil, let f = v.views.first(where: { ($0.rowDirection?.x ?? 0) > 0.9 }) { ant = f; notes.append("\(source): anterior view identified by its orientation") }
        if post == nil, let f = v.views.first(where: { ($0.rowDirection?.x ?? 0) < -0.9 }) { post = f; notes.append("\(source): posterior view identified by its orientation") }
        if ant == nil, let f = v.views.first {
            ant = f; notes.append("\(source): no view is marked anterior; \(f.name) used as the anterior view")
            if post == nil, v.views.count > 1 { post = v.views[1]; notes.append("\(source): \(v.views[1].name) used as the posterior view") }
        }
        guard let a = ant else { throw WorkflowError("\(source): no views") }
        return (a, post, notes)
    }
}
