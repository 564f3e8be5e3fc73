import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Analysis

/// Reading the camera's DICOM for the part-A analyses (gated blood pool, thyroid uptake, parathyroid): the frames
/// they need, with the attributes that change a number, and warnings for what had to be assumed.
public enum AnalysisInputsA {
    /// The frames of one R-R interval of a gated planar study.
    public struct GatedFrames: Sendable {
        /// Photopeak frames in time-slot order.
        public var frames: [PlanarCounts]
        /// Time-slot duration (ms), when known.
        public var frameDurationMs: Double?
        /// The view (e.g. `Left anterior oblique`), when written.
        public var view: String?
        /// What was chosen or assumed.
        public var notes: [String]
        /// Warnings (assumed attributes).
        public var warnings: [String]
        /// The file's frame (0-based) of each time slot, in the order of ``frames``.
        public var fileFrames: [Int] = []
    }

    /// One planar photopeak image with its timing and radiopharmaceutical.
    public struct PlanarStudy: Sendable {
        /// The image (counts).
        public var image: PlanarCounts
        /// Acquisition start, when written.
        public var acquisitionStart: Date?
        /// Acquisition duration (s), when written.
        public var durationSeconds: Double?
        /// Radionuclide (from the Radiopharmaceutical Information), when named.
        public var nuclide: Radionuclide?
        /// Radionuclide Total Dose (Bq), when written.
        public var totalDoseBq: Double?
        /// Radiopharmaceutical Start DateTime, when written.
        public var administration: Date?
        /// The view, when written.
        public var view: String?
        /// Patient-space geometry of the image (first pixel centre, row and column directions, mm), when written.
        public var imagePosition: Vector3?
        /// Row direction (along a row, i.e. increasing column).
        public var rowDirection: Vector3?
        /// Column direction (increasing row).
        public var columnDirection: Vector3?
        /// What was chosen.
        public var notes: [String]
        /// Warnings (assumed attributes).
        public var warnings: [String]
        /// The file's frame (0-based) the image was taken from.
        public var frameIndex: Int = 0

        /// Acquisition mid-time, when start and duration are known.
        public var midTime: Date? {
            guard let s = acquisitionStart, let d = durationSeconds else { return nil }
            return s.addingTimeInterval(d / 2)
        }
    }

    static func read(_ path: String) throws(WorkflowError) -> NMAcquisition {
        guard FileManager.default.fileExists(atPath: path) else { throw WorkflowError("\(path): no such file") }
        do { return try NMReader.read(path: path) } catch { throw WorkflowError("\(path): not a readable NM image: \(error)") }
    }

    static func photopeak(_ acq: NMAcquisition, path: String, notes: inout [String], warnings: inout [String]) throws(WorkflowError) -> Int {
        let nuclide = StudyPreparation.radionuclide(named: acq.radiopharmaceutical?.radionuclide)
        if acq.energyWindows.isEmpty {
            let ws = Set(acq.frames.compactMap(\.energyWindow))
            if ws.count > 1 { throw WorkflowError("\(path): \(ws.count) energy windows in the frames but no Energy Window Information Sequence to tell the photopeak") }
            warnings.append("\(path): no Energy Window Information Sequence; all frames taken as the photopeak")
            return ws.first ?? 1
        }
        do {
            let choice = try StudyPreparation.chooseWindows(acq, requested: nil, radionuclide: nuclide)
            notes.append("energy window \(choice.peak.number) (\(choice.reason))")
            return choice.peak.number
        } catch {
            if acq.energyWindows.count == 1 { return acq.energyWindows[0].number }
            throw WorkflowError("\(path): \(error.message)")
        }
    }

    /// The photopeak frames of a GATED planar study (first detector, first R-R interval), in time-slot order.
    /// Throws on another image type, missing time slots, or no pixel data.
    public static func gatedFrames(path: String) throws(WorkflowError) -> GatedFrames {
        let acq = try read(path)
        guard acq.imageType == .gated else {
            throw WorkflowError("\(path): image type is \(acq.imageType.rawValue), a gated blood-pool analysis needs a GATED planar study")
        }
        var notes: [String] = [], warnings: [String] = acq.warnings.map { "\(path): \($0)" }
        let w = try photopeak(acq, path: path, notes: &notes, warnings: &warnings)
        let dets = Set(acq.frames.compactMap(\.detector)).sorted()
        let det = dets.first
        if dets.count > 1 { notes.append("detector \(det!) of \(dets.count)") }
        let rrs = Set(acq.frames.compactMap(\.rrInterval)).sorted()
        let rr = rrs.first
        if rrs.count > 1 { notes.append("R-R interval window \(rr!) of \(rrs.count)") }
        let chosen = acq.frames.filter { ($0.energyWindow ?? w) == w && $0.detector == det && $0.rrInterval == rr }
        guard !chosen.isEmpty else { throw WorkflowError("\(path): no frames in the photopeak window") }
        var bySlot: [Int: FrameIndex] = [:]
        for f in chosen {
            guard let s = f.timeSlot else { throw WorkflowError("\(path): frame \(f.frame) has no Time Slot Vector entry") }
            if bySlot[s] != nil { throw WorkflowError("\(path): time slot \(s) appears twice") }
            bySlot[s] = f
        }
        let expected = acq.numberOfTimeSlots ?? bySlot.keys.max()!
        guard expected >= 1, expected <= 256 else {
            throw WorkflowError("\(path): Number of Time Slots \(expected) is not a usable gated study (1–256)")
        }
        let missing = (1...max(1, expected)).filter { bySlot[$0] == nil }
        guard missing.isEmpty else {
            throw WorkflowError("\(path): missing frames: time slot(s) \(missing.map(String.init).joined(separator: ", ")) of \(expected) are not in the file")
        }
        var frames: [PlanarCounts] = []
        var fileFrames: [Int] = []
        for s in 1...expected {
            let f = bySlot[s]!
            fileFrames.append(f.frame)
            do {
                frames.append(try PlanarCounts(try acq.planarImage(frame: f.frame)))
            } catch let e as StudyAnalysisError { throw WorkflowError("\(path): frame \(f.frame): \(e.message)") }
            catch { throw WorkflowError("\(path): frame \(f.frame): \(error)") }
        }
        var duration: Double? = nil
        let rrInfo = acq.rrIntervals.first { $0.number == (rr ?? 1) } ?? acq.rrIntervals.first
        if let ft = rrInfo?.frameTimeMs, ft > 0 { duration = ft; notes.append("frame time \(ft) ms (Frame Time)") }
        else if let nominal = rrInfo?.nominalIntervalMs, nominal > 0 {
            duration = nominal / Double(expected)
            warnings.append("\(path): no Frame Time; slot duration taken as Nominal Interval / time slots = \(String(format: "%.1f", duration!)) ms")
        } else {
            warnings.append("\(path): neither Frame Time nor Nominal Interval: no ejection/filling rates")
        }
        let view = acq.detectors.first { $0.number == det }?.view ?? acq.detectors.first?.view
        if let v = view, !v.lowercased().contains("left anterior oblique") {
            warnings.append("\(path): view is \(v), not LAO: the automatic LV search assumes the LV on the image right")
        }
        return GatedFrames(frames: frames, frameDurationMs: duration, view: view, notes: notes, warnings: warnings, fileFrames: fileFrames)
    }

    /// The photopeak image of a STATIC planar study: the view named `preferredView` (e.g. `Anterior`) when
    /// present, else the first detector. Throws on another image type or no pixel data.
    public static func planar(path: String, role: String, preferredView: String = "anterior") throws(WorkflowError) -> PlanarStudy {
        let acq = try read(path)
        guard acq.imageType == .staticImage else {
            throw WorkflowError("\(path) (\(role)): image type is \(acq.imageType.rawValue), this analysis needs a STATIC planar image")
        }
        var notes: [String] = [], warnings: [String] = acq.warnings.map { "\(path): \($0)" }
        let w = try photopeak(acq, path: path, notes: &notes, warnings: &warnings)
        let candidates = acq.frames.filter { ($0.energyWindow ?? w) == w }
        guard !candidates.isEmpty else { throw WorkflowError("\(path) (\(role)): no frames in the photopeak window") }
        var pick = candidates[0]
        if let d = acq.detectors.first(where: { ($0.view ?? "").lowercased().contains(preferredView) }),
           let f = candidates.first(where: { $0.detector == d.number }) { pick = f }
        if candidates.count > 1 { notes.append("frame \(pick.frame) of \(candidates.count) photopeak views") }
        let image: PlanarCounts
        do { image = try PlanarCounts(try acq.planarImage(frame: pick.frame)) }
        catch let e as StudyAnalysisError { throw WorkflowError("\(path) (\(role)): \(e.message)") }
        catch { throw WorkflowError("\(path) (\(role)): \(error)") }
        let det = acq.detectors.first { $0.number == pick.detector } ?? acq.detectors.first
        var start: Date? = nil
        if let d = acq.acquisitionDate, let t = acq.acquisitionTime { start = DICOMDateTime.parse(date: d, time: t) }
        if start == nil { warnings.append("\(path) (\(role)): no Acquisition Date/Time") }
        let duration = (try? acq.planarImage(frame: pick.frame))?.frameDurationMs.map { $0 / 1000 }
        if duration == nil { warnings.append("\(path) (\(role)): no Actual Frame Duration") }
        let rp = acq.radiopharmaceutical
        let nuclide = StudyPreparation.radionuclide(named: rp?.radionuclide)
        let admin = rp?.startDateTime.flatMap { DICOMDateTime.parse(dt: $0) }
            ?? (rp?.startTime).flatMap { t in acq.acquisitionDate.flatMap { DICOMDateTime.parse(date: $0, time: t) } }
        return PlanarStudy(image: image, acquisitionStart: start, durationSeconds: duration, nuclide: nuclide, totalDoseBq: rp?.totalDoseBq,
                           administration: admin, view: det?.view, imagePosition: det?.imagePosition, rowDirection: det?.rowDirection,
                           columnDirection: det?.columnDirection, notes: notes, warnings: warnings, frameIndex: pick.frame)
    }
}

extension AnalysisInputsA {
    /// Maps a (column, row) of `p`'s image to LPS mm from its detector's Image Position/Orientation (first pixel
    /// centre + column · spacing · row direction + row · spacing · column direction); nil when not written.
    public static func pixelToPatient(_ p: PlanarStudy) -> (@Sendable (Double, Double) -> [Double])? {
        guard let o = p.imagePosition, let u = p.rowDirection, let v = p.columnDirection, let s = p.image.pixelSpacingMM else { return nil }
        return { c, r in
            let q = o + u * (c * s) + v * (r * s)
            return [q.x, q.y, q.z]
        }
    }
}
