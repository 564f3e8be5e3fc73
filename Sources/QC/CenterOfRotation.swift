import Foundation
import Imaging

/// Centre of rotation (COR) from SPECT projections of a point source, per head (NEMA NU 1 §3.2, IAEA NMQC
/// method B).
///
/// Conventions: the source's intensity-weighted centroid in each view (pixels at or above `centroidThreshold`
/// of the view's maximum); x(θ) = a + b sin θ + c cos θ fitted by linear least squares over the gantry angles
/// θ; the COR offset is a − (columns − 1)/2, the distance (pixels, then mm) between the projected axis of
/// rotation and the centre of the matrix, positive towards higher column numbers. The y deviation is the largest
/// |y − mean y| over the views (the axial wobble of the source's image).
public struct CenterOfRotation: Sendable {
    /// Conventions of the measurement.
    public struct Conventions: Sendable, Codable, Equatable {
        /// Pixels below this fraction of the view's maximum do not take part in its centroid.
        public var centroidThreshold: Double = 0.05
        /// A view needs at least this many counts above the threshold.
        public var minimumCountsPerView: Double = 1000
        public init() {}
    }

    /// One view's centroid and fit residual.
    public struct View: Sendable, Codable, Equatable {
        public var gantryAngleDegrees: Double
        /// Centroid column and row (pixel index units, 0 = centre of the first pixel).
        public var centroidColumn: Double
        public var centroidRow: Double
        /// x − fitted sine (mm).
        public var xResidualMM: Double
    }

    /// The result for one head.
    public struct Head: Sendable, Codable, Equatable {
        public var test = "cor"
        /// Detector number (1-based, as in DICOM), nil when the heads were merged.
        public var head: Int?
        /// Collimator of the head, when written.
        public var collimator: String?
        /// Number of views analysed.
        public var views: Int
        /// COR offset from the matrix centre (pixels and mm), positive towards higher column numbers.
        public var corOffsetPixels: Double
        public var corOffsetMM: Double
        /// Amplitude of the fitted sine (mm): the source's distance from the axis of rotation.
        public var sineAmplitudeMM: Double
        /// Largest |x − fit| (mm and pixels).
        public var maximumXResidualMM: Double
        public var maximumXResidualPixels: Double
        /// Largest |y − mean y| (mm and pixels).
        public var maximumYDeviationMM: Double
        public var maximumYDeviationPixels: Double
        /// Pixel size along the row (mm) used for the mm values.
        public var pixelSizeMM: Double
        public var perView: [View]
        public var conventions: Conventions
    }

    /// Analyses the projections of one head (a ``ProjectionSet`` restricted to one detector).
    public static func analyze(_ set: ProjectionSet, collimator: String? = nil,
                               conventions cv: Conventions = Conventions()) throws(QCError) -> Head {
        guard set.views >= 8 else {
            throw .wrongImageType(test: "cor", found: "\(set.views) view(s)", allowed: "SPECT projections (at least 8 views over ≥ 180°)")
        }
        guard let px = set.pixelSpacing.last, px > 0, let py = set.pixelSpacing.first, py > 0 else {
            throw .invalidInput("the projections have no Pixel Spacing; the COR in mm needs it")
        }
        var angles = [Double](), xs = [Double](), ys = [Double]()
        for v in 0..<set.views {
            guard let a = set.frames[v].gantryAngle else {
                throw .invalidInput("view \(v + 1) has no gantry angle (Start Angle / Angular Step missing)")
            }
            let counts = set.view(v)
            let mx = counts.max() ?? 0
            guard let c = weightedCentroid(counts, rows: set.rows, columns: set.columns, threshold: mx * Float(cv.centroidThreshold)),
                  c.sum >= cv.minimumCountsPerView else {
                throw .insufficientCounts(what: "view \(v + 1) (gantry \(String(format: "%.1f", a))°)",
                                          have: Double(counts.reduce(0, +)), need: cv.minimumCountsPerView, unit: "counts")
            }
            angles.append(a); xs.append(c.column); ys.append(c.row)
        }
        let span = (angles.max()! - angles.min()!)
        guard span >= 170 else {
            throw .wrongImageType(test: "cor", found: String(format: "an arc of %.0f°", span), allowed: "views over at least 180°")
        }
        let rows = angles.map { a -> [Double] in let t = a * .pi / 180; return [1, sin(t), cos(t)] }
        guard let p = linearLeastSquares(rows: rows, y: xs) else { throw .fitFailed("the sine fit of x against angle is singular") }
        let residuals = zip(rows, xs).map { r, x in x - (p[0] + p[1] * r[1] + p[2] * r[2]) }
        let meanY = ys.reduce(0, +) / Double(ys.count)
        let maxRes = residuals.map(abs).max() ?? 0
        let maxY = ys.map { abs($0 - meanY) }.max() ?? 0
        let offset = p[0] - Double(set.columns - 1) / 2
        return Head(head: set.detector, collimator: collimator, views: set.views, corOffsetPixels: offset,
                    corOffsetMM: offset * px, sineAmplitudeMM: (p[1] * p[1] + p[2] * p[2]).squareRoot() * px,
                    maximumXResidualMM: maxRes * px, maximumXResidualPixels: maxRes,
                    maximumYDeviationMM: maxY * py, maximumYDeviationPixels: maxY, pixelSizeMM: px,
                    perView: (0..<angles.count).map {
                        View(gantryAngleDegrees: angles[$0], centroidColumn: xs[$0], centroidRow: ys[$0], xResidualMM: residuals[$0] * px)
                    }, conventions: cv)
    }
}
