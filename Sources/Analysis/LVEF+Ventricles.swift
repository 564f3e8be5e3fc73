import Foundation
import Imaging

extension GatedBloodPoolLVEF {
    /// The two ventricles of the LAO view, told apart by the septum in the count image.
    struct Ventricles {
        /// The LV's beating region (right of the septum: the patient's left in the LAO view).
        var lv: PlanarROI
        /// The RV's beating region (left of the septum); empty when none was found.
        var rv: PlanarROI
        /// Whether a count valley (the septum) separates them on at least `minimumRows` rows of the heart.
        var separated: Bool
        /// Rows of the heart on which a count valley between two hills was found.
        var valleyRows: Int
    }

    /// Finds the ventricles on the first-harmonic images and the summed counts.
    ///
    /// The amplitude image alone cannot tell them apart when one ventricle beats much more weakly than the other:
    /// a weak LV (low LVEF) beside a strongly beating RV falls below any threshold relative to the strongest pixel,
    /// and the RV is then the only "ventricle" left (tuning patient 3102: LVEF 22.6 %, RVEF 47.8 %, the RV taken
    /// for the LV). Both ventricles are blood pools full at the R wave, however, so:
    /// 1. the heart's ventricular region is every pixel beating in phase with the ventricles (within 60° of the
    ///    strongest pixel's phase) with an amplitude ≥ `lowFraction` of the maximum (0.1: a weak LV still beats at
    ///    20–30 % of a strong RV), the part connected to the strongest pixel (gaps of up to 4 px bridged);
    /// 2. on each row of it the septum is the deepest count valley between two hills of the summed image (the
    ///    septum is myocardium: no blood), a valley counting where it is at most `valleyRatio` of the lower hill;
    /// 3. the LV is the part right of the septum (LAO: image right = patient's left, the LV lies posterolateral),
    ///    the RV the part left of it; each keeps the pixels beating ≥ 30 % of its own strongest pixel.
    /// Not separated (no valley on `minimumRows` rows): the LV cannot be told from the RV.
    static func ventricles(amplitude amp: [Double], phaseDeg: [Double], summed: PlanarViewImage, lowFraction: Double = 0.1,
                           valleyRatio: Double, minimumRows: Int = 3) -> Ventricles? {
        let rows = summed.rows, cols = summed.columns, np = rows * cols
        guard let peak = amp.indices.max(by: { amp[$0] < amp[$1] }), amp[peak] > 0 else { return nil }
        let maxAmp = amp[peak], ventricularPhase = phaseDeg[peak]
        var beating = PlanarROI(rows: rows, columns: cols)
        for i in 0..<np where amp[i] >= lowFraction * maxAmp && phaseDistance(phaseDeg[i], ventricularPhase) < 60 { beating.inside[i] = true }
        // The part connected to the strongest pixel, bridging gaps of up to 4 px (dilated by 2, then back to the beating pixels).
        var heart = PlanarROI.component(of: beating.dilated(2).inside, rows: rows, columns: cols, seed: peak)
        for i in heart.indices where !beating.inside[i] { heart.inside[i] = false }
        guard heart.count >= 8 else { return nil }
        // Per row: the deepest valley of the summed counts between two hills, within the heart's extent on that row.
        let v = summed.counts
        var septum = [Int?](repeating: nil, count: rows)
        for r in 0..<rows {
            let inRow = (0..<cols).filter { heart.inside[r * cols + $0] }
            guard let c0 = inRow.first, let c1 = inRow.last, c1 - c0 >= 4 else { continue }
            var best: (column: Int, ratio: Double)? = nil
            var leftMax = Double(v[r * cols + c0])
            var rightMax = [Double](repeating: 0, count: c1 - c0 + 1)
            var m = -Double.infinity
            for c in stride(from: c1, through: c0, by: -1) { m = max(m, Double(v[r * cols + c])); rightMax[c - c0] = m }
            for c in (c0 + 1)..<c1 {
                let x = Double(v[r * cols + c]), rp = rightMax[c + 1 - c0]
                if leftMax > x, rp > x {
                    let q = x / min(leftMax, rp)
                    if q < (best?.ratio ?? .infinity) { best = (c, q) }
                }
                leftMax = max(leftMax, x)
            }
            if let b = best, b.ratio <= valleyRatio { septum[r] = b.column }
        }
        var found = (0..<rows).filter { septum[$0] != nil }
        // A row's valley may lie off the septum (noise, a hill's shoulder): each column becomes the median of the
        // columns found on the rows within 2 of it.
        let raw = septum
        for r in found {
            let near = found.filter { abs($0 - r) <= 2 }.map { raw[$0]! }.sorted()
            septum[r] = near[near.count / 2]
        }
        found = (0..<rows).filter { septum[$0] != nil }
        guard found.count >= minimumRows else {
            return Ventricles(lv: heart, rv: PlanarROI(rows: rows, columns: cols), separated: false, valleyRows: found.count)
        }
        // Rows of the heart without a valley take the nearest row's septum column.
        var lvPart = PlanarROI(rows: rows, columns: cols), rvPart = lvPart
        for i in heart.indices {
            let r = i / cols, c = i % cols
            let s = septum[r] ?? septum[found.min { abs($0 - r) < abs($1 - r) }!]!
            if c > s { lvPart.inside[i] = true } else if c < s { rvPart.inside[i] = true }
        }
        /// The part's pixels beating ≥ 30 % of its own strongest pixel, connected to that pixel.
        func core(_ part: PlanarROI) -> PlanarROI {
            guard let top = part.indices.max(by: { amp[$0] < amp[$1] }) else { return part }
            var allowed = [Bool](repeating: false, count: np)
            for i in part.indices where amp[i] >= 0.3 * amp[top] { allowed[i] = true }
            return PlanarROI.component(of: allowed, rows: rows, columns: cols, seed: top)
        }
        let lv = core(lvPart), rv = core(rvPart)
        guard lv.count >= 4 else {
            return Ventricles(lv: heart, rv: PlanarROI(rows: rows, columns: cols), separated: false, valleyRows: found.count)
        }
        return Ventricles(lv: lv, rv: rv.count >= 4 ? rv : PlanarROI(rows: rows, columns: cols), separated: true, valleyRows: found.count)
    }
}
