/// The content of a result report (an analysis, a dosimetry or a QC result) independent of how it is written: the
/// measurements grouped per region or VOI with UCUM units and codes, the findings, quality statements, conventions and
/// warnings, the images it was measured on, and (for therapies) the administration and organ doses.
///
/// `DICOMImaging` writes it as a DICOM SR (TID 1500 / TID 10021); `Rendering` lays it out as a PDF.
public struct MeasurementReport: Sendable, Codable, Equatable {
    /// A coded concept (code value, coding scheme designator, code meaning).
    public struct Code: Sendable, Codable, Equatable, Hashable {
        public var value: String, scheme: String, meaning: String
        /// Creates a code.
        public init(_ value: String, _ scheme: String, _ meaning: String) { self.value = value; self.scheme = scheme; self.meaning = meaning }
    }

    /// One numeric measurement.
    public struct Measurement: Sendable, Codable, Equatable {
        /// What was measured (concept name).
        public var concept: Code
        /// The value.
        public var value: Double
        /// UCUM unit (code value, e.g. `%`, `Gy`, `MBq.h`, `{ratio}`), coded as scheme `UCUM`.
        public var unit: String
        /// Where the value came from in the result JSON (e.g. `report.vois[0].meanDoseGy`).
        public var source: String
        /// Creates a measurement.
        public init(concept: Code, value: Double, unit: String, source: String) {
            self.concept = concept; self.value = value; self.unit = unit; self.source = source
        }
    }

    /// An image (or frames of one) the report refers to.
    public struct ImageReference: Sendable, Codable, Equatable {
        public var sopClassUID: String, sopInstanceUID: String, seriesUID: String, studyUID: String
        /// 1-based frame numbers, empty: the whole object.
        public var frames: [Int]
        /// Creates a reference.
        public init(sopClassUID: String, sopInstanceUID: String, seriesUID: String, studyUID: String, frames: [Int] = []) {
            self.sopClassUID = sopClassUID; self.sopInstanceUID = sopInstanceUID; self.seriesUID = seriesUID; self.studyUID = studyUID
            self.frames = frames
        }
    }

    /// A planar region on one image: a circle (`points` = centre and a point on the circle) or a closed polyline,
    /// in image pixel coordinates with (0, 0) the top-left corner of the top-left pixel (DICOM SCOORD convention).
    public struct PlanarRegion: Sendable, Codable, Equatable {
        /// `CIRCLE` or `POLYLINE`.
        public var shape: String
        /// (column, row) pairs.
        public var points: [Double]
        /// The image (and frame) it is drawn on.
        public var image: ImageReference
        /// Creates a region.
        public init(shape: String, points: [Double], image: ImageReference) { self.shape = shape; self.points = points; self.image = image }
    }

    /// A segment of a DICOM Segmentation that holds a VOI.
    public struct SegmentReference: Sendable, Codable, Equatable {
        public var segmentation: ImageReference
        /// 1-based segment number.
        public var segmentNumber: Int
        /// Series the segmentation was drawn on.
        public var sourceSeriesUID: String?
        /// Creates a reference.
        public init(segmentation: ImageReference, segmentNumber: Int, sourceSeriesUID: String? = nil) {
            self.segmentation = segmentation; self.segmentNumber = segmentNumber; self.sourceSeriesUID = sourceSeriesUID
        }
    }

    /// The measurements of one region, VOI or of the whole study.
    public struct Group: Sendable, Codable, Equatable {
        /// Tracking identifier (region label, VOI name, `study`).
        public var trackingIdentifier: String
        /// Tracking Unique Identifier (a UID; kept across amendments of the same result).
        public var trackingUID: String
        /// What the group is about.
        public var finding: Code
        /// Measurements.
        public var measurements: [Measurement]
        /// The planar region (TID 1410), when drawn on a planar image.
        public var region: PlanarRegion?
        /// The segment (TID 1411), when the VOI is a segment of a SEG.
        public var segment: SegmentReference?
        /// Creates a group.
        public init(trackingIdentifier: String, trackingUID: String, finding: Code, measurements: [Measurement],
                    region: PlanarRegion? = nil, segment: SegmentReference? = nil) {
            self.trackingIdentifier = trackingIdentifier; self.trackingUID = trackingUID; self.finding = finding
            self.measurements = measurements; self.region = region; self.segment = segment
        }
    }

    /// A radiopharmaceutical administration and the absorbed doses it gave (TID 10021 content).
    public struct Administration: Sendable, Codable, Equatable {
        /// Radionuclide name (e.g. `Lu-177`).
        public var radionuclide: String
        /// Administered activity in MBq, when known.
        public var activityMBq: Double?
        /// DICOM DT of the administration, when known.
        public var dateTime: String?
        /// Route (e.g. `Intravenous route`), when known.
        public var route: String?
        /// Radiopharmaceutical Administration Event UID (shared with the images of the therapy).
        public var eventUID: String
        /// (organ or VOI, mean absorbed dose Gy).
        public var organDoses: [OrganDose]
        /// Creates an administration.
        public init(radionuclide: String, activityMBq: Double?, dateTime: String?, route: String?, eventUID: String, organDoses: [OrganDose]) {
            self.radionuclide = radionuclide; self.activityMBq = activityMBq; self.dateTime = dateTime; self.route = route
            self.eventUID = eventUID; self.organDoses = organDoses
        }
    }

    /// The mean absorbed dose of one organ or VOI.
    public struct OrganDose: Sendable, Codable, Equatable {
        public var name: String, meanGy: Double, massG: Double?
        /// Creates an organ dose.
        public init(name: String, meanGy: Double, massG: Double?) { self.name = name; self.meanGy = meanGy; self.massG = massG }
    }

    /// Physician sign-off.
    public struct SignOff: Sendable, Codable, Equatable {
        /// Person name of the signing physician.
        public var name: String
        /// Organisation.
        public var organisation: String
        /// DICOM DT of the signature.
        public var dateTime: String
        /// Creates a sign-off.
        public init(name: String, organisation: String, dateTime: String) { self.name = name; self.organisation = organisation; self.dateTime = dateTime }
    }

    /// Title (e.g. `LVEF (gated blood pool)`).
    public var title: String
    /// Kind of result: `analysis`, `dose` or `qc`.
    public var kind: String
    /// Result rows as the viewer's summary shows them (quantity, value with units).
    public var summary: [[String]]
    /// Measurement groups.
    public var groups: [Group]
    /// Findings (text statements of the analysis).
    public var findings: [String]
    /// Quality statements of the analysis.
    public var quality: [String]
    /// Conventions and method, by name.
    public var conventions: [String: String]
    /// Warnings and assumptions.
    public var warnings: [String]
    /// Images the measurements were made on.
    public var sourceImages: [ImageReference]
    /// Therapy administration and organ doses (dose results).
    public var administration: Administration?
    /// Physician's impression (physician reports).
    public var impression: String?
    /// Sign-off (a signed physician report), nil: unverified.
    public var signOff: SignOff?
    /// The SR this one replaces (amendments), when any.
    public var predecessor: ImageReference?
    /// Software that produced the result (name and version).
    public var software: String
    /// Job or result identifier (shown in the PDF).
    public var resultID: String

    /// Creates a report.
    public init(title: String, kind: String, summary: [[String]] = [], groups: [Group] = [], findings: [String] = [], quality: [String] = [],
                conventions: [String: String] = [:], warnings: [String] = [], sourceImages: [ImageReference] = [],
                administration: Administration? = nil, impression: String? = nil, signOff: SignOff? = nil,
                predecessor: ImageReference? = nil, software: String, resultID: String) {
        self.title = title; self.kind = kind; self.summary = summary; self.groups = groups; self.findings = findings
        self.quality = quality; self.conventions = conventions; self.warnings = warnings; self.sourceImages = sourceImages
        self.administration = administration; self.impression = impression; self.signOff = signOff
        self.predecessor = predecessor; self.software = software; self.resultID = resultID
    }

    /// Every measurement, in group order.
    public var allMeasurements: [Measurement] { groups.flatMap(\.measurements) }
}
