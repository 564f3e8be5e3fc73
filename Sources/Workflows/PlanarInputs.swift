import Analysis
import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics

/// Reading the camera's DICOM for the planar analyses: the frames of a gated study (LVEF), one static photopeak image
/// with its timing (thyroid uptake, parathyroid), or all photopeak views of a STATIC / WHOLE BODY file (sentinel node,
/// bone scan, Krenning, MIBG), with the attributes that change a number and notes for what had to be assumed.
public enum PlanarInputs {
    /// The frames of one R-R interval of a gated planar study.
    public struct GatedFrames: Sendable {
        /// Photopeak frames in time-slot order.
        public var frames: [PlanarViewImage]
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
        public var image: PlanarViewImage
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
        var frames: [PlanarViewImage] = []
        var fileFrames: [Int] = []
        for s in 1...expected {
            let f = bySlot[s]!
            fileFrames.append(f.frame)
            do {
                frames.append(try PlanarViewImage(try acq.planarImage(frame: f.frame)))
            } catch let e as PlanarAnalysisError { throw WorkflowError("\(path): frame \(f.frame): \(e.message)") }
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
        let image: PlanarViewImage
        do { image = try PlanarViewImage(try acq.planarImage(frame: pick.frame)) }
        catch let e as PlanarAnalysisError { throw WorkflowError("\(path) (\(role)): \(e.message)") }
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

extension PlanarInputs {
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

// The views of STATIC or WHOLE BODY files (one or more views per file, explicit or implicit VR) as
// ``Analysis/PlanarViewImage``s of the photopeak window, with every assumption listed.
extension PlanarInputs {
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

        /// Minutes from the injection to the acquisition start, when both are written.
        public var minutesAfterInjection: Double? {
            guard let s = acquisitionStart, let i = injection else { return nil }
            return s.timeIntervalSince(i) / 60
        }

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

extension PlanarInputs {
    /// Why a file is a quality-control acquisition rather than a patient study, or nil when nothing says so: a Study
    /// or Series Description naming QC, a phantom, a flood, uniformity, a verification or a scan-speed test, or a
    /// patient of sex `O` with a Radionuclide Total Dose of 0. The Patient's Name is not used (the project's virtual
    /// patients are named `Phantom^Simulated`). Issue 18: such a scan is reported as not a patient and
    /// never analysed for lesions.
    public static func notAPatient(path: String) -> String? {
        guard let f = try? DICOMFile.read(path: path, options: ReadOptions(stopBeforePixels: true)) else { return nil }
        let ds = f.dataset
        let texts = [("Study Description (0008,1030)", ds.string(Tag(0x0008, 0x1030))), ("Series Description (0008,103E)", ds.string(Tag(0x0008, 0x103E)))]
        let words = ["qc", "quality control", "phantom", "flood", "uniformity", "verification", "scan speed", "skannhastighet", "calibration"]
        for (name, value) in texts {
            guard let v = value?.lowercased() else { continue }
            let tokens = v.split(whereSeparator: { !$0.isLetter }).map(String.init)
            if let w = words.first(where: { $0.contains(" ") ? v.contains($0) : tokens.contains($0) || (v.contains($0) && $0.count > 3) }) {
                return "\(name) is '\(value!)' (\(w)): a quality-control acquisition, not a patient study"
            }
        }
        let sex = ds.string(Tag(0x0010, 0x0040))?.uppercased()
        let dose = RadiopharmaceuticalDose.total(in: ds)
        if sex == "O", let d = dose, d == 0 {
            return "Patient's Sex (0010,0040) is O and the Radionuclide Total Dose (0018,1074) is 0: a quality-control acquisition, not a patient study"
        }
        return nil
    }
}

/// The Radionuclide Total Dose (0018,1074) of the first Radiopharmaceutical Information item, when written.
enum RadiopharmaceuticalDose {
    static func total(in ds: Dataset) -> Double? {
        guard let item = ds.sequence(Tag(0x0054, 0x0016)).first else { return nil }
        return item.string(Tag(0x0018, 0x1074)).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }
}
