/// The NM Image Type (third value of DICOM Image Type (0008,0008)): how the camera acquired the frames.
public enum NMImageType: String, Sendable, Hashable, Codable, CaseIterable {
    /// One or more static planar views.
    case staticImage = "STATIC"
    /// Whole-body planar scan (usually anterior and posterior).
    case wholeBody = "WHOLE BODY"
    /// Dynamic planar acquisition in phases of time slices.
    case dynamic = "DYNAMIC"
    /// ECG-gated planar acquisition (R-R intervals × time slots).
    case gated = "GATED"
    /// SPECT projections (rotations × angular views).
    case tomo = "TOMO"
    /// Gated SPECT projections.
    case gatedTomo = "GATED TOMO"
    /// Reconstructed SPECT slices.
    case reconTomo = "RECON TOMO"
    /// Reconstructed gated SPECT slices.
    case reconGatedTomo = "RECON GATED TOMO"

    /// Whether frames are projections acquired while rotating (TOMO, GATED TOMO).
    public var isProjection: Bool { self == .tomo || self == .gatedTomo }
    /// Whether frames are reconstructed slices.
    public var isReconstruction: Bool { self == .reconTomo || self == .reconGatedTomo }
}

/// One energy range of an energy window, in keV.
public struct EnergyRange: Sendable, Hashable, Codable {
    /// Lower limit (keV).
    public var lowerKeV: Double
    /// Upper limit (keV).
    public var upperKeV: Double
    /// Creates a range.
    public init(lowerKeV: Double, upperKeV: Double) { self.lowerKeV = lowerKeV; self.upperKeV = upperKeV }
    /// Centre of the range (keV).
    public var centreKeV: Double { (lowerKeV + upperKeV) / 2 }
    /// Width of the range (keV).
    public var widthKeV: Double { upperKeV - lowerKeV }
}

/// An energy window (one item of the Energy Window Information Sequence).
public struct EnergyWindow: Sendable, Hashable, Codable {
    /// 1-based window number, as used in the Energy Window Vector.
    public var number: Int
    /// Energy Window Name, when given (names need not be unique).
    public var name: String?
    /// Energy ranges (Energy Window Range Sequence); usually one.
    public var ranges: [EnergyRange]
    /// Creates a window.
    public init(number: Int, name: String? = nil, ranges: [EnergyRange]) {
        self.number = number; self.name = name; self.ranges = ranges
    }
    /// Lower limit of the first range (keV).
    public var lowerKeV: Double? { ranges.first?.lowerKeV }
    /// Upper limit of the first range (keV).
    public var upperKeV: Double? { ranges.first?.upperKeV }
    /// Total width of the window's ranges, keV (what window-based scatter estimates divide by).
    public var widthKeV: Double { ranges.reduce(0) { $0 + $1.widthKeV } }
}

/// Direction of detector rotation.
public enum RotationDirection: String, Sendable, Hashable, Codable {
    /// Clockwise (DICOM `CW`).
    case clockwise = "CW"
    /// Counter-clockwise (DICOM `CC`).
    case counterClockwise = "CC"
    /// The sign applied to the angular step: +1 for clockwise, −1 for counter-clockwise.
    public var sign: Double { self == .clockwise ? 1 : -1 }
}

/// A gamma-camera detector (head), one item of the Detector Information Sequence.
public struct Detector: Sendable, Hashable, Codable {
    /// 1-based detector number, as used in the Detector Vector.
    public var number: Int
    /// Image Position (Patient) of this detector's frames, as written (meaning differs between vendors).
    public var imagePosition: Vector3?
    /// Row direction cosine of Image Orientation (Patient).
    public var rowDirection: Vector3?
    /// Column direction cosine of Image Orientation (Patient).
    public var columnDirection: Vector3?
    /// Collimator/grid Name, e.g. `MEGP`, `LEHR`.
    public var collimatorName: String?
    /// Collimator Type, e.g. `PARA`, `FANB`, `PINH`.
    public var collimatorType: String?
    /// Radial Position (mm) per angular view, as written; empty when absent (see ``NMAcquisition/warnings``).
    public var radialPositions: [Double]
    /// Start Angle (degrees) of this detector, when written per detector.
    public var startAngle: Double?
    /// Zoom Factor (row, column).
    public var zoomFactor: [Double]
    /// Zoom Center (mm).
    public var zoomCenter: [Double]
    /// Center of Rotation Offset (mm).
    public var centerOfRotationOffset: Double?
    /// Gantry/Detector Tilt (degrees).
    public var tilt: Double?
    /// Focal Distance (mm) for converging collimators.
    public var focalDistance: [Double]
    /// Field of View Shape.
    public var fieldOfViewShape: String?
    /// Field of View Dimension(s) (mm).
    public var fieldOfViewDimensions: [Double]
    /// View of a planar detector (View Code Sequence code meaning, e.g. `anterior`).
    public var view: String?

    /// Creates a detector description.
    public init(number: Int, imagePosition: Vector3? = nil, rowDirection: Vector3? = nil,
                columnDirection: Vector3? = nil, collimatorName: String? = nil, collimatorType: String? = nil,
                radialPositions: [Double] = [], startAngle: Double? = nil, zoomFactor: [Double] = [],
                zoomCenter: [Double] = [], centerOfRotationOffset: Double? = nil, tilt: Double? = nil,
                focalDistance: [Double] = [], fieldOfViewShape: String? = nil, fieldOfViewDimensions: [Double] = [],
                view: String? = nil) {
        self.number = number; self.imagePosition = imagePosition; self.rowDirection = rowDirection
        self.columnDirection = columnDirection; self.collimatorName = collimatorName
        self.collimatorType = collimatorType; self.radialPositions = radialPositions; self.startAngle = startAngle
        self.zoomFactor = zoomFactor; self.zoomCenter = zoomCenter
        self.centerOfRotationOffset = centerOfRotationOffset; self.tilt = tilt; self.focalDistance = focalDistance
        self.fieldOfViewShape = fieldOfViewShape; self.fieldOfViewDimensions = fieldOfViewDimensions; self.view = view
    }
}

/// One rotation of a SPECT acquisition (item of the Rotation Information Sequence).
public struct Rotation: Sendable, Hashable, Codable {
    /// 1-based rotation number, as used in the Rotation Vector.
    public var number: Int
    /// Start Angle (degrees).
    public var startAngle: Double?
    /// Angular Step between views (degrees, as written).
    public var angularStep: Double?
    /// Rotation Direction.
    public var direction: RotationDirection?
    /// Number of Frames in Rotation (views).
    public var numberOfViews: Int?
    /// Scan Arc (degrees).
    public var scanArc: Double?
    /// Actual Frame Duration (ms) of each view.
    public var actualFrameDurationMs: Double?
    /// Radial Position (mm) at rotation level, as written (one value, or one per view).
    public var radialPosition: [Double]
    /// Table Height (mm).
    public var tableHeight: Double?
    /// Table Traverse (mm).
    public var tableTraverse: Double?

    /// Creates a rotation.
    public init(number: Int, startAngle: Double? = nil, angularStep: Double? = nil,
                direction: RotationDirection? = nil, numberOfViews: Int? = nil, scanArc: Double? = nil,
                actualFrameDurationMs: Double? = nil, radialPosition: [Double] = [], tableHeight: Double? = nil,
                tableTraverse: Double? = nil) {
        self.number = number; self.startAngle = startAngle; self.angularStep = angularStep
        self.direction = direction; self.numberOfViews = numberOfViews; self.scanArc = scanArc
        self.actualFrameDurationMs = actualFrameDurationMs; self.radialPosition = radialPosition
        self.tableHeight = tableHeight; self.tableTraverse = tableTraverse
    }

    /// Gantry angle (degrees, in [0, 360)) of 1-based angular `view`, starting at `start` (defaults to
    /// ``startAngle``): `start + sign(direction) · |angularStep| · (view − 1)`, where clockwise is the direction
    /// of increasing angle (DICOM convention). nil when start, step or direction is missing.
    public func gantryAngle(view: Int, start: Double? = nil) -> Double? {
        guard let s = start ?? startAngle, let step = angularStep, let dir = direction else { return nil }
        return Self.normalize(s + dir.sign * abs(step) * Double(view - 1))
    }

    /// An angle reduced to [0, 360).
    public static func normalize(_ a: Double) -> Double {
        let r = a.truncatingRemainder(dividingBy: 360)
        let n = r < 0 ? r + 360 : r
        return n >= 360 ? 0 : n
    }
}

/// A radiopharmaceutical administration (item of the Radiopharmaceutical Information Sequence).
public struct Radiopharmaceutical: Sendable, Hashable, Codable {
    /// Radiopharmaceutical name (0018,0031) or the Radiopharmaceutical Code Sequence meaning.
    public var name: String?
    /// Radionuclide Code Sequence code meaning, e.g. `^177^Lutetium`.
    public var radionuclide: String?
    /// Radionuclide Total Dose (Bq) as written; nil when absent. 0 is kept as written (see warnings).
    public var totalDoseBq: Double?
    /// Radiopharmaceutical Start DateTime (DICOM DT form, `YYYYMMDDHHMMSS.FFFFFF&ZZXX`), when written.
    public var startDateTime: String?
    /// Radiopharmaceutical Start Time (DICOM TM form `HHMMSS.FFFFFF`), when written (no date attached).
    public var startTime: String?
    /// Radionuclide Half Life (s).
    public var halfLifeSeconds: Double?
    /// Radionuclide Positron Fraction.
    public var positronFraction: Double?
    /// Route of administration.
    public var route: String?

    /// Creates a description.
    public init(name: String? = nil, radionuclide: String? = nil, totalDoseBq: Double? = nil,
                startDateTime: String? = nil, startTime: String? = nil, halfLifeSeconds: Double? = nil,
                positronFraction: Double? = nil, route: String? = nil) {
        self.name = name; self.radionuclide = radionuclide; self.totalDoseBq = totalDoseBq
        self.startDateTime = startDateTime; self.startTime = startTime; self.halfLifeSeconds = halfLifeSeconds
        self.positronFraction = positronFraction; self.route = route
    }
}

/// One phase of a DYNAMIC acquisition (item of the Phase Information Sequence).
public struct Phase: Sendable, Hashable, Codable {
    /// 1-based phase number, as used in the Phase Vector.
    public var number: Int
    /// Phase Delay (ms) from the end of the previous phase (or acquisition start).
    public var delayMs: Double?
    /// Actual Frame Duration (ms) of each frame in the phase.
    public var frameDurationMs: Double?
    /// Pause Between Frames (ms).
    public var pauseBetweenFramesMs: Double?
    /// Number of Frames in Phase (time slices).
    public var numberOfFrames: Int?
    /// Phase Description (e.g. `FLOW`, `WASHOUT`).
    public var description: String?

    /// Creates a phase.
    public init(number: Int, delayMs: Double? = nil, frameDurationMs: Double? = nil,
                pauseBetweenFramesMs: Double? = nil, numberOfFrames: Int? = nil, description: String? = nil) {
        self.number = number; self.delayMs = delayMs; self.frameDurationMs = frameDurationMs
        self.pauseBetweenFramesMs = pauseBetweenFramesMs; self.numberOfFrames = numberOfFrames
        self.description = description
    }

    /// Start time (ms from the start of this phase) of 1-based `timeSlice`:
    /// `(timeSlice − 1) · (frameDuration + pause)`; nil when the duration is missing.
    public func timeSliceStartMs(_ timeSlice: Int) -> Double? {
        guard let d = frameDurationMs else { return nil }
        return Double(timeSlice - 1) * (d + (pauseBetweenFramesMs ?? 0))
    }
}

/// A time slot within an R-R interval of a gated acquisition.
public struct TimeSlot: Sendable, Hashable, Codable {
    /// 1-based time slot number, as used in the Time Slot Vector.
    public var number: Int
    /// Time Slot Time (ms), when written.
    public var timeMs: Double?
    /// Creates a time slot.
    public init(number: Int, timeMs: Double? = nil) { self.number = number; self.timeMs = timeMs }
}

/// One accepted R-R interval window of a gated acquisition (item of the Gated Information Sequence).
public struct RRInterval: Sendable, Hashable, Codable {
    /// 1-based R-R interval number, as used in the R-R Interval Vector.
    public var number: Int
    /// Trigger Time (ms).
    public var triggerTimeMs: Double?
    /// Cardiac Framing Type (e.g. `FORW`).
    public var framingType: String?
    /// Frame Time (ms) of each time slot.
    public var frameTimeMs: Double?
    /// Nominal Interval (ms).
    public var nominalIntervalMs: Double?
    /// Low R-R Value (ms).
    public var lowRRMs: Double?
    /// High R-R Value (ms).
    public var highRRMs: Double?
    /// Intervals Acquired.
    public var intervalsAcquired: Int?
    /// Intervals Rejected.
    public var intervalsRejected: Int?
    /// Time slots of this interval.
    public var timeSlots: [TimeSlot]

    /// Creates an interval.
    public init(number: Int, triggerTimeMs: Double? = nil, framingType: String? = nil, frameTimeMs: Double? = nil,
                nominalIntervalMs: Double? = nil, lowRRMs: Double? = nil, highRRMs: Double? = nil,
                intervalsAcquired: Int? = nil, intervalsRejected: Int? = nil, timeSlots: [TimeSlot] = []) {
        self.number = number; self.triggerTimeMs = triggerTimeMs; self.framingType = framingType
        self.frameTimeMs = frameTimeMs; self.nominalIntervalMs = nominalIntervalMs; self.lowRRMs = lowRRMs
        self.highRRMs = highRRMs; self.intervalsAcquired = intervalsAcquired
        self.intervalsRejected = intervalsRejected; self.timeSlots = timeSlots
    }
}

/// Where one frame sits in the multi-dimensional NM acquisition (all indices 1-based, as in DICOM's vectors).
///
/// Dimensions that the image type does not use are nil.
public struct FrameIndex: Sendable, Hashable, Codable {
    /// 0-based frame number in the pixel data.
    public var frame: Int
    /// Energy window number.
    public var energyWindow: Int?
    /// Detector number.
    public var detector: Int?
    /// Phase number (DYNAMIC).
    public var phase: Int?
    /// Rotation number (TOMO, GATED TOMO).
    public var rotation: Int?
    /// Angular view number within the rotation (TOMO, GATED TOMO).
    public var angularView: Int?
    /// R-R interval number (GATED, GATED TOMO, RECON GATED TOMO).
    public var rrInterval: Int?
    /// Time slot number (GATED, GATED TOMO, RECON GATED TOMO).
    public var timeSlot: Int?
    /// Time slice number within the phase (DYNAMIC).
    public var timeSlice: Int?
    /// Slice number (RECON TOMO, RECON GATED TOMO).
    public var slice: Int?
    /// Gantry angle of the frame (degrees, [0, 360)), from its own rotation (or detector) start angle, step and
    /// direction; nil when not applicable or not derivable.
    public var gantryAngle: Double?
    /// Radial position (mm) of the detector for this frame, after the defaults listed in the warnings.
    public var radialPosition: Double?

    /// Creates an index.
    public init(frame: Int, energyWindow: Int? = nil, detector: Int? = nil, phase: Int? = nil, rotation: Int? = nil,
                angularView: Int? = nil, rrInterval: Int? = nil, timeSlot: Int? = nil, timeSlice: Int? = nil,
                slice: Int? = nil, gantryAngle: Double? = nil, radialPosition: Double? = nil) {
        self.frame = frame; self.energyWindow = energyWindow; self.detector = detector; self.phase = phase
        self.rotation = rotation; self.angularView = angularView; self.rrInterval = rrInterval
        self.timeSlot = timeSlot; self.timeSlice = timeSlice; self.slice = slice; self.gantryAngle = gantryAngle
        self.radialPosition = radialPosition
    }
}

/// An NM acquisition as the camera wrote it: multi-frame planar images or projections, their acquisition
/// dimensions and per-frame indices, and optionally the stored counts.
public struct NMAcquisition: Sendable, Equatable {
    /// NM image type.
    public var imageType: NMImageType
    /// Energy windows, in window-number order.
    public var energyWindows: [EnergyWindow]
    /// Detectors, in detector-number order.
    public var detectors: [Detector]
    /// Rotations (TOMO), in rotation-number order.
    public var rotations: [Rotation]
    /// Phases (DYNAMIC).
    public var phases: [Phase]
    /// R-R intervals with their time slots (GATED).
    public var rrIntervals: [RRInterval]
    /// Number of time slots per R-R interval (GATED), when written.
    public var numberOfTimeSlots: Int?
    /// Number of slices (RECON TOMO), when written.
    public var numberOfSlices: Int?
    /// Radiopharmaceutical(s).
    public var radiopharmaceuticals: [Radiopharmaceutical]
    /// Acquisition Date (DICOM DA form), when written.
    public var acquisitionDate: String?
    /// Acquisition Time (DICOM TM form), when written.
    public var acquisitionTime: String?
    /// Actual Frame Duration (ms) at image level, when written.
    public var actualFrameDurationMs: Double?
    /// One index per frame, in pixel-data order.
    public var frames: [FrameIndex]
    /// Rows per frame.
    public var rows: Int
    /// Columns per frame.
    public var columns: Int
    /// Pixel spacing (row spacing, column spacing) in mm, when written.
    public var pixelSpacing: [Double]
    /// Frame of Reference UID, when written.
    public var frameOfReferenceUID: String?
    /// Manufacturer, when written (needed to interpret vendor-specific geometry).
    public var manufacturer: String?
    /// Manufacturer's Model Name, when written (vendor geometry rules may depend on the model).
    public var manufacturerModelName: String?
    /// Counts (stored values after any rescale), frames × rows × columns, or nil when pixels were not read.
    public var counts: [Float]?
    /// What the reader had to assume or could not find (each names the attribute and the default used).
    public var warnings: [String]

    /// Creates an acquisition.
    public init(imageType: NMImageType, energyWindows: [EnergyWindow] = [], detectors: [Detector] = [],
                rotations: [Rotation] = [], phases: [Phase] = [], rrIntervals: [RRInterval] = [],
                numberOfTimeSlots: Int? = nil, numberOfSlices: Int? = nil,
                radiopharmaceuticals: [Radiopharmaceutical] = [], acquisitionDate: String? = nil,
                acquisitionTime: String? = nil, actualFrameDurationMs: Double? = nil, frames: [FrameIndex],
                rows: Int, columns: Int, pixelSpacing: [Double] = [], frameOfReferenceUID: String? = nil,
                manufacturer: String? = nil, manufacturerModelName: String? = nil, counts: [Float]? = nil,
                warnings: [String] = []) {
        self.imageType = imageType; self.energyWindows = energyWindows; self.detectors = detectors
        self.rotations = rotations; self.phases = phases; self.rrIntervals = rrIntervals
        self.numberOfTimeSlots = numberOfTimeSlots; self.numberOfSlices = numberOfSlices
        self.radiopharmaceuticals = radiopharmaceuticals; self.acquisitionDate = acquisitionDate
        self.acquisitionTime = acquisitionTime; self.actualFrameDurationMs = actualFrameDurationMs
        self.frames = frames; self.rows = rows; self.columns = columns; self.pixelSpacing = pixelSpacing
        self.frameOfReferenceUID = frameOfReferenceUID; self.manufacturer = manufacturer
        self.manufacturerModelName = manufacturerModelName; self.counts = counts
        self.warnings = warnings
    }

    /// The first radiopharmaceutical, if any.
    public var radiopharmaceutical: Radiopharmaceutical? { radiopharmaceuticals.first }

    /// Number of frames.
    public var numberOfFrames: Int { frames.count }

    /// The counts of one frame (rows × columns, row-major); nil when pixels were not read.
    public func frameCounts(_ frame: Int) -> ArraySlice<Float>? {
        guard let counts, frame >= 0, frame < frames.count else { return nil }
        let n = rows * columns
        return counts[(frame * n)..<((frame + 1) * n)]
    }

    /// The projections of one energy window (and detector, or all detectors when nil), ordered by rotation,
    /// then angular view, then detector. Throws when no frame matches or pixels were not read.
    public func projectionSet(energyWindow: Int, detector: Int? = nil) throws(ImagingError) -> ProjectionSet {
        let chosen = frames.filter { $0.energyWindow == energyWindow && (detector == nil || $0.detector == detector) }
            .sorted { a, b in
                (a.rotation ?? 0, a.angularView ?? 0, a.detector ?? 0, a.frame)
                    < (b.rotation ?? 0, b.angularView ?? 0, b.detector ?? 0, b.frame)
            }
        guard !chosen.isEmpty else {
            throw .notFound("no frames for energy window \(energyWindow)\(detector.map { ", detector \($0)" } ?? "")")
        }
        guard let counts else { throw .notFound("pixel data was not read") }
        let n = rows * columns
        var out = [Float]()
        out.reserveCapacity(chosen.count * n)
        for f in chosen { out.append(contentsOf: counts[(f.frame * n)..<((f.frame + 1) * n)]) }
        return ProjectionSet(energyWindow: energyWindows.first { $0.number == energyWindow }
                                ?? EnergyWindow(number: energyWindow, ranges: []),
                             detector: detector, frames: chosen, rows: rows, columns: columns,
                             pixelSpacing: pixelSpacing, counts: out)
    }

    /// One frame as a planar image. Throws when the frame does not exist or pixels were not read.
    public func planarImage(frame: Int) throws(ImagingError) -> PlanarImage {
        guard let c = frameCounts(frame) else { throw .notFound("frame \(frame) (or its pixel data) is not available") }
        let idx = frames[frame]
        var duration = actualFrameDurationMs
        if let r = idx.rotation, let rot = rotations.first(where: { $0.number == r }), let d = rot.actualFrameDurationMs { duration = d }
        if let p = idx.phase, let ph = phases.first(where: { $0.number == p }), let d = ph.frameDurationMs { duration = d }
        return PlanarImage(rows: rows, columns: columns, pixelSpacing: pixelSpacing, counts: Array(c), index: idx,
                           frameDurationMs: duration)
    }
}

/// The projections of one energy window (and detector) as views × rows × columns, with their angles.
public struct ProjectionSet: Sendable, Equatable {
    /// The energy window.
    public var energyWindow: EnergyWindow
    /// Detector number, or nil when all detectors were merged.
    public var detector: Int?
    /// Per-view frame indices (gantry angle, radial position, source frame), in view order.
    public var frames: [FrameIndex]
    /// Rows per view.
    public var rows: Int
    /// Columns per view.
    public var columns: Int
    /// Pixel spacing (row spacing, column spacing) in mm.
    public var pixelSpacing: [Double]
    /// Counts, views × rows × columns, columns fastest.
    public var counts: [Float]

    /// Creates a projection set.
    public init(energyWindow: EnergyWindow, detector: Int?, frames: [FrameIndex], rows: Int, columns: Int,
                pixelSpacing: [Double], counts: [Float]) {
        self.energyWindow = energyWindow; self.detector = detector; self.frames = frames; self.rows = rows
        self.columns = columns; self.pixelSpacing = pixelSpacing; self.counts = counts
    }

    /// Number of views.
    public var views: Int { frames.count }
    /// Gantry angle (degrees) of each view; nil entries where not derivable.
    public var angles: [Double?] { frames.map(\.gantryAngle) }
    /// Radial position (mm) of each view; nil entries where unknown.
    public var radialPositions: [Double?] { frames.map(\.radialPosition) }
    /// Counts of one view (rows × columns).
    public func view(_ v: Int) -> ArraySlice<Float> {
        let n = rows * columns
        return counts[(v * n)..<((v + 1) * n)]
    }
}

/// One planar NM frame with its pixel spacing and counts.
public struct PlanarImage: Sendable, Equatable {
    /// Rows.
    public var rows: Int
    /// Columns.
    public var columns: Int
    /// Pixel spacing (row spacing, column spacing) in mm.
    public var pixelSpacing: [Double]
    /// Counts, rows × columns, row-major.
    public var counts: [Float]
    /// Where the frame sits in the acquisition.
    public var index: FrameIndex
    /// Frame duration (ms), when known.
    public var frameDurationMs: Double?

    /// Creates a planar image.
    public init(rows: Int, columns: Int, pixelSpacing: [Double], counts: [Float], index: FrameIndex,
                frameDurationMs: Double? = nil) {
        self.rows = rows; self.columns = columns; self.pixelSpacing = pixelSpacing; self.counts = counts
        self.index = index; self.frameDurationMs = frameDurationMs
    }

    /// Total counts in the frame.
    public var totalCounts: Double { counts.reduce(0) { $0 + Double($1) } }
    /// Count rate (counts per second), when the duration is known and positive.
    public var countRate: Double? {
        guard let d = frameDurationMs, d > 0 else { return nil }
        return totalCounts / (d / 1000)
    }
}
