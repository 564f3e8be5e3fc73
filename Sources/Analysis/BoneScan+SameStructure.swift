import Foundation
import Imaging

extension BoneScanAnalysis {
    /// How a hot-spot candidate compares with normal bone of the same structure (the second detection pass of
    /// ``detect(_:body:)``, for candidates below the global top-hat threshold).
    ///
    /// Convention: M = mean counts over a disc of ``Options/newLesionDiscMM`` (the smallest lesion of interest), its
    /// largest value over the 3 × 3 pixels at the candidate ("here");
    /// - along the structure: the largest, over the four directions (vertical, horizontal, two diagonals), of the
    ///   median of M at 3–8 px on both sides (along a bone its own level, across it soft tissue);
    /// - mirrored: the largest M within ±2 rows and ±3 columns of the mirrored place about the body midline (the
    ///   same bone of the other side; the window takes up a posture that is not quite symmetric);
    /// - symmetric share: the largest top-hat within ±4 rows and ±6 columns of the mirrored place ÷ the candidate's
    ///   top-hat (joint uptake is on both sides, a metastasis on one).
    struct StructureComparison: Equatable {
        /// Disc mean at the candidate (counts per pixel).
        var here: Double
        /// Level along the structure (counts per pixel).
        var along: Double
        /// Level at the mirrored place (counts per pixel); nil on the midline.
        var mirrored: Double?
        /// Top-hat at the mirrored place ÷ top-hat here; nil on the midline.
        var symmetricShare: Double?
        /// Pixels of the disc.
        var discPixels: Double

        /// The normal bone level that the candidate is read against: along the structure on the midline, the
        /// mirrored bone elsewhere.
        var normal: Double { max(mirrored ?? along, 0.5) }
        /// here ÷ normal.
        var ratio: Double { here / normal }
        /// (here − normal) in Poisson standard deviations of the disc mean.
        var significance: Double { (here - normal) / (normal / discPixels).squareRoot() }
    }

    /// The comparison at pixel (column, row) of a view: `discMean` = M, `topHat` = smoothed − opening, `midline` =
    /// the body's midline column; `onMidline` places within ``Options/structureMidlineMM`` of it.
    func compareWithStructure(discMean m: [Float], topHat th: [Float], rows: Int, columns: Int, discPixels: Double,
                              midline: Double, onMidline: Bool, column c: Int, row r: Int) -> StructureComparison {
        func at(_ rr: Int, _ cc: Int) -> Float { rr >= 0 && rr < rows && cc >= 0 && cc < columns ? m[rr * columns + cc] : 0 }
        var here: Float = 0
        for dr in -1...1 { for dc in -1...1 { here = max(here, at(r + dr, c + dc)) } }
        var along: Float = 0
        for (dr, dc) in [(1, 0), (0, 1), (1, 1), (1, -1)] {
            var values: [Float] = []
            for d in 3...8 { for s in [-1, 1] { values.append(at(r + s * d * dr, c + s * d * dc)) } }
            along = max(along, RegionTools.quantile(values, 0.5))
        }
        guard !onMidline else {
            return StructureComparison(here: Double(here), along: Double(along), mirrored: nil, symmetricShare: nil, discPixels: discPixels)
        }
        let mc = Int((2 * midline - Double(c)).rounded())
        var mirrored: Float = 0, mirrorTop = -Float.infinity
        for dr in -2...2 { for dc in -3...3 { mirrored = max(mirrored, at(r + dr, mc + dc)) } }
        for rr in max(0, r - 4)...min(rows - 1, r + 4) {
            for cc in max(0, mc - 6)...max(0, min(columns - 1, mc + 6)) where cc < columns { mirrorTop = max(mirrorTop, th[rr * columns + cc]) }
        }
        let own = th[r * columns + c]
        return StructureComparison(here: Double(here), along: Double(along), mirrored: Double(mirrored),
                                   symmetricShare: own > 0 && mirrorTop.isFinite ? Double(mirrorTop / own) : 1, discPixels: discPixels)
    }

    /// Whether a candidate below the global threshold stands out from normal bone of its own structure: on the
    /// midline ratio to the level along the structure ≥ ``Options/structureMidlineRatio``; elsewhere ratio to the
    /// mirrored bone ≥ ``Options/structureMirrorRatio``, here ÷ the level along the structure ≥
    /// ``Options/structureAlongRatio`` and symmetric share < ``Options/structureSymmetricShare``; both with
    /// significance ≥ ``Options/structureSignificance``.
    func standsOutFromStructure(_ s: StructureComparison) -> Bool {
        let o = options
        guard s.significance >= o.structureSignificance else { return false }
        if s.mirrored == nil { return s.ratio >= o.structureMidlineRatio }
        return s.ratio >= o.structureMirrorRatio && s.here / max(s.along, 0.5) >= o.structureAlongRatio
            && (s.symmetricShare ?? 1) < o.structureSymmetricShare
    }
}
