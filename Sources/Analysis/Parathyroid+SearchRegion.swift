import Foundation
import Imaging

extension Parathyroid {
    /// Where adenomas are searched and what else the anterior neck-and-chest view shows (issue 18).
    ///
    /// Anatomy from the early image alone (smoothed twice with the 1-2-1 kernel; body = pixels ≥ 10 % of the 99th
    /// percentile):
    /// - neck: the narrowest "waist" row of the upper two thirds of the body (narrower than 90 % of the widest row
    ///   above it, so not the crown of the head); shoulders: the first row below it wider than 60 % of the widest
    ///   body row; without a head in the field of view, the top of the body;
    /// - midline: the mean centre of the body's outline over the neck and the 10 rows below the shoulders;
    /// - search region: from ``bedStartMM`` below the neck (clear of the submandibular glands) to ``corridorLengthMM``
    ///   below it, ``bedHalfWidthMM`` either side of the midline down to ``bedLengthMM`` (thyroid bed),
    ///   ``corridorHalfWidthMM`` below (neck-to-mediastinum corridor, ectopic adenomas); inside the body;
    /// - physiology (never a candidate): the salivary glands (hottest points of the head above the neck, each side of
    ///   the midline), the myocardium (hottest point of the broadly smoothed delayed image left of the midline 40–180 mm
    ///   below the shoulders) and the liver (same, right of the midline, on the early image), each listed when it stands
    ///   ≥ 20 % above the body's median.
    struct SearchRegion {
        var region: PlanarROI
        /// The thyroid bed part of the region (rows down to ``bedLengthMM`` below the neck).
        var bed: PlanarROI
        var neckRow: Int
        var shoulderRow: Int
        var midline: Double
        var physiology: [PhysiologicalUptake]
        var notes: [String]
    }

    static let bedStartMM = 25.0, bedHalfWidthMM = 45.0, bedLengthMM = 110.0, corridorHalfWidthMM = 30.0, corridorLengthMM = 130.0

    static func searchRegion(early eS: PlanarViewImage, delayed dS: PlanarViewImage) -> SearchRegion {
        let rows = eS.rows, cols = eS.columns
        let px = eS.rowSpacingMM
        let p99 = Double(RegionTools.quantile(eS.counts, 0.99))
        var body = [Bool](repeating: false, count: rows * cols)
        for i in body.indices where Double(eS.counts[i]) >= 0.1 * p99 { body[i] = true }
        var width = [Int](repeating: 0, count: rows), centre = [Double](repeating: Double(cols - 1) / 2, count: rows)
        for r in 0..<rows {
            var lo = -1, hi = -1
            for c in 0..<cols where body[r * cols + c] { if lo < 0 { lo = c }; hi = c }
            if lo >= 0 { width[r] = hi - lo + 1; centre[r] = Double(lo + hi) / 2 }
        }
        var notes: [String] = []
        let top = width.firstIndex { $0 > 0 } ?? 0
        let bottom = width.lastIndex { $0 > 0 } ?? (rows - 1)
        let widest = width.max() ?? 0
        // Neck: the narrowest "waist" row (narrower than 90 % of the widest row above it, so not the crown of the
        // head) in the upper two thirds of the body; shoulders: the first row below it wider than 60 % of the widest.
        var neck = top, maxAbove = 0, best = Int.max
        for r in top...max(top, top + (bottom - top) * 2 / 3) {
            maxAbove = max(maxAbove, width[r])
            if Double(width[r]) < 0.9 * Double(maxAbove) && width[r] < best { best = width[r]; neck = r }
        }
        if neck == top { notes.append("no head in the field of view (no narrowing of the body under it): the search starts at the top of the body (row \(top))") }
        let shoulder = (neck..<rows).first { Double(width[$0]) > 0.6 * Double(widest) } ?? neck
        let midRows = Array(neck...min(rows - 1, max(neck, shoulder + 10)))
        let midline = midRows.map { centre[$0] }.reduce(0, +) / Double(midRows.count)
        var region = PlanarROI(rows: rows, columns: cols)
        let bedEnd = neck + Int((bedLengthMM / px).rounded()), end = min(rows - 1, neck + Int((corridorLengthMM / px).rounded()))
        let start = neck > top ? min(end, neck + Int((bedStartMM / px).rounded())) : neck
        for r in start...max(start, end) {
            let half = (r <= bedEnd ? bedHalfWidthMM : corridorHalfWidthMM) / eS.columnSpacingMM
            for c in 0..<cols where abs(Double(c) - midline) <= half && body[r * cols + c] { region.inside[r * cols + c] = true }
        }
        // Physiology.
        let tissue = median(body.indices.filter { body[$0] }.map { Double(eS.counts[$0]) })
        var physiology: [PhysiologicalUptake] = []
        func hottest(_ img: [Float], rows rr: Range<Int>, left: Bool?) -> (Int, Int, Double)? {
            var best: (Int, Int, Double)? = nil
            for r in rr where r >= 0 && r < rows {
                for c in 0..<cols where body[r * cols + c] {
                    if let left, (Double(c) > midline) != left { continue }
                    let v = Double(img[r * cols + c])
                    if best == nil || v > best!.2 { best = (c, r, v) }
                }
            }
            return best
        }
        if neck > top + 2 {
            for left in [true, false] {
                if let h = hottest(eS.counts, rows: top..<neck, left: left), h.2 >= 1.2 * tissue {
                    physiology.append(PhysiologicalUptake(view: eS.name, column: Double(h.0), row: Double(h.1), kind: "salivary glands",
                                                          reason: "salivary gland uptake of sestamibi (physiological), \(left ? "left" : "right")"))
                }
            }
        }
        let broadD = RegionTools.gaussian(dS.counts, rows: rows, columns: cols, sigma: 15 / px)
        let broadE = RegionTools.gaussian(eS.counts, rows: rows, columns: cols, sigma: 15 / px)
        let tissueD = median(body.indices.filter { body[$0] }.map { Double(broadD[$0]) })
        // The heart lies 40–180 mm below the shoulders; further down the liver and the bowel.
        let chest = min(rows, shoulder + Int((40 / px).rounded()))..<min(rows, shoulder + Int((180 / px).rounded()))
        if let h = hottest(broadD, rows: chest, left: true), h.2 >= 1.2 * tissueD {
            physiology.append(PhysiologicalUptake(view: eS.name, column: Double(h.0), row: Double(h.1), kind: "myocardium",
                                                  reason: "myocardial uptake and retention of sestamibi (physiological)"))
        }
        if let h = hottest(broadE, rows: chest, left: false), h.2 >= 1.2 * tissue {
            physiology.append(PhysiologicalUptake(view: eS.name, column: Double(h.0), row: Double(h.1), kind: "liver",
                                                  reason: "hepatic uptake of sestamibi (physiological)"))
        }
        var bed = region
        for i in bed.indices where i / cols > bedEnd { bed.inside[i] = false }
        return SearchRegion(region: region, bed: bed, neckRow: neck, shoulderRow: shoulder, midline: midline, physiology: physiology, notes: notes)
    }

    /// White top-hat: the image minus its grey-scale opening with a square of 7 pixels (about 34 mm at 4.8 mm): keeps
    /// compact structures (thyroid lobes, adenomas), removes broad ones (soft tissue, the heart's blood pool, liver).
    static func topHat(_ img: PlanarViewImage) -> [Double] {
        let o = RegionTools.opening(img.counts, rows: img.rows, columns: img.columns, half: 3)
        return zip(img.counts, o).map { Double($0 - $1) }
    }
}
