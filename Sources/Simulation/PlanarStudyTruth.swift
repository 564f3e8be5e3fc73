import Foundation
import Imaging
import Physics

/// Ground truth of the planar ratio studies (issue 18: MIBG heart-to-mediastinum, Krenning grade) taken from the
/// simulation set-up: the virtual patient's organ voxels projected onto the view by the geometry of
/// docs/spect-geometry.md (``ClinicalStudies/projectedPixel(_:angleDeg:columns:rows:pixelMM:axialCentreMM:)``), and
/// the expected (noise-free) image of the same acquisition. No analysis code is used.
public enum PlanarStudyTruth {
    /// The pixels (row-major indices) onto which the voxels of `group` project in a view at `angleDeg`.
    public static func footprint(_ patient: VirtualPatient, group: String, angleDeg: Double, columns: Int, rows: Int, pixelMM: Double,
                                 axialCentreMM: Double) throws(VirtualPatientError) -> Set<Int> {
        let vs = patient.voxels(of: try OrganGroup.named(group))
        var out = Set<Int>()
        for v in vs {
            let p = patient.variability.toPatient(v)
            let q = ClinicalStudies.projectedPixel(p, angleDeg: angleDeg, columns: columns, rows: rows, pixelMM: pixelMM, axialCentreMM: axialCentreMM)
            let c = Int(q.column.rounded()), r = Int(q.row.rounded())
            if c >= 0, r >= 0, c < columns, r < rows { out.insert(r * columns + c) }
        }
        return out
    }

    /// Extent along z (patient LPS, mm) and mean x of an organ group.
    static func extent(_ patient: VirtualPatient, _ group: String) throws(VirtualPatientError) -> (zMin: Double, zMax: Double, x: Double) {
        let vs = patient.voxels(of: try OrganGroup.named(group)).map { patient.variability.toPatient($0) }
        guard !vs.isEmpty else { throw VirtualPatientError("organ \(group) has no voxels in \(patient.phantom.kind.rawValue)") }
        return (vs.map(\.z).min()!, vs.map(\.z).max()!, vs.map(\.x).reduce(0, +) / Double(vs.count))
    }

    /// True heart-to-mediastinum ratio of an anterior view.
    public struct HeartToMediastinum: Sendable, Codable, Equatable {
        /// Mean expected counts per pixel over the heart's projected outline (myocardium and contents) ÷ the same
        /// over the mediastinal square.
        public var heartToMediastinum: Double
        public var heartMeanCounts: Double
        public var mediastinumMeanCounts: Double
        /// Heart outline: pixel count; mediastinal square: centre (column, row, 0-based) and side (pixels).
        public var heartPixels: Int
        /// The same ratio over the whole projected heart outline, the pixels the liver overlaps included (the
        /// definition before 2026-12-07).
        public var heartToMediastinumWholeOutline: Double? = nil
        public var mediastinumCentre: [Double]
        public var mediastinumSidePixels: Int
        /// How the truth was taken.
        public var definition: String
    }

    /// H/M of the expected anterior image `expected` (rows × columns, photopeak counts): heart = the projected
    /// outline of myocardium and heart contents (Flotats et al., EJNMMI 37:1802 (2010): ROI over the heart's
    /// outline) without the pixels within 2 pixels (the camera blur) of the projected liver — the heart region
    /// avoids the liver, as a reader draws it and as the analysis places it (issue 18); mediastinum = a `side` × `side` square (ADMIRE-HF: 7 × 7) on the lungs' midline, centred a quarter
    /// of the way down from the lung apices to the top of the heart (the upper half of the mediastinum).
    public static func heartToMediastinum(expected: [Float], columns: Int, rows: Int, pixelMM: Double, axialCentreMM: Double,
                                          patient: VirtualPatient, side: Int = 7) throws(VirtualPatientError) -> HeartToMediastinum {
        let heart = try footprint(patient, group: "heart-contents", angleDeg: 0, columns: columns, rows: rows, pixelMM: pixelMM, axialCentreMM: axialCentreMM)
            .union(try footprint(patient, group: "myocardium", angleDeg: 0, columns: columns, rows: rows, pixelMM: pixelMM, axialCentreMM: axialCentreMM))
        guard !heart.isEmpty else { throw VirtualPatientError("the heart projects outside the \(columns)×\(rows) view") }
        let liver = try footprint(patient, group: "liver", angleDeg: 0, columns: columns, rows: rows, pixelMM: pixelMM, axialCentreMM: axialCentreMM)
        var liverBand = Set<Int>()
        for i in liver { let r = i / columns, c = i % columns
            for dr in -2...2 { for dc in -2...2 where r + dr >= 0 && r + dr < rows && c + dc >= 0 && c + dc < columns { liverBand.insert((r + dr) * columns + c + dc) } } }
        let heartOffLiver = heart.subtracting(liverBand)
        guard !heartOffLiver.isEmpty else { throw VirtualPatientError("the heart's outline lies entirely on the liver in the \(columns)×\(rows) view") }
        let lungs = try extent(patient, "lungs"), h = try extent(patient, "heart-contents")
        let z = lungs.zMax - 0.25 * (lungs.zMax - h.zMax)
        let q = ClinicalStudies.projectedPixel(Vector3(lungs.x, 0, z), angleDeg: 0, columns: columns, rows: rows, pixelMM: pixelMM, axialCentreMM: axialCentreMM)
        let c0 = Int(q.column.rounded()) - side / 2, r0 = Int(q.row.rounded()) - side / 2
        var med: [Double] = []
        for r in r0..<(r0 + side) { for c in c0..<(c0 + side) where r >= 0 && c >= 0 && r < rows && c < columns { med.append(Double(expected[r * columns + c])) } }
        guard !med.isEmpty else { throw VirtualPatientError("the upper mediastinum projects outside the \(columns)×\(rows) view") }
        let whole = heart.reduce(0.0) { $0 + Double(expected[$1]) } / Double(heart.count)
        let hm = heartOffLiver.reduce(0.0) { $0 + Double(expected[$1]) } / Double(heartOffLiver.count)
        let mm = med.reduce(0, +) / Double(med.count)
        var t = HeartToMediastinum(heartToMediastinum: hm / mm, heartMeanCounts: hm, mediastinumMeanCounts: mm, heartPixels: heartOffLiver.count,
                                   mediastinumCentre: [q.column.rounded(), q.row.rounded()], mediastinumSidePixels: side,
                                   definition: "expected (noise-free) anterior photopeak counts: mean over the projected outline of myocardium + heart contents without the pixels within 2 pixels of the projected liver ÷ mean over a \(side)×\(side)-pixel square on the lungs' midline a quarter of the way from the lung apices to the top of the heart")
        t.heartToMediastinumWholeOutline = whole / mm
        return t
    }
}
