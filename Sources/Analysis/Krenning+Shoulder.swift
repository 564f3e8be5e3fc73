import Foundation
import Imaging

extension KrenningAnalysis {
    /// A shoulder focus's brighter structure reads at least this multiple of the focus (`s1`) within 35 mm: the
    /// situation of a focus hidden on a brighter organ's slope (tuning tumours 2.4–6.1 ×: kidney 3.2, liver dome
    /// 2.4–6.1, a grade-3 tumour's skirt 4.4), not a bump among bowel loops of like brightness (median 1.65 ×; ratios here of the focus's 3 × 3 peak).
    static let structureRatio = 2.0

    /// A tumour focus on the SHOULDER of a brighter structure (issue 18, branch `krenning18`): a visible tumour on
    /// the slope of a kidney pole, the liver's edge or dome, the spleen or a brighter tumour's skirt has no 7 × 7
    /// maximum of its own in the 1-pixel-smoothed conjugate image, so the maxima-based search never sees it (tuning
    /// seeds 7116, 7119, 7126, 7129, 7136). A reader sees it as a bump standing out of the smooth surface it sits on.
    ///
    /// That surface is the opening of the 1-pixel-smoothed conjugate image `s1` with a flat disc of 20 mm radius
    /// (``RegionTools/discOpening(_:rows:columns:radius:)``): 20 mm is where the tumour's surroundings begin for the
    /// usual annulus gate (20–35 mm), wider than the tumours of the trial (22–30 mm across, ≤ 15 mm radius plus the
    /// camera's blur), narrower than the organs (kidney ≈ 50 mm across, liver and spleen more). A candidate is a
    /// maximum of the excess `s1 − surface` within the same ± 15 mm window as the main search where
    /// - `s1` has no maximum of its own within that window (a focus with its own maximum was already judged against
    ///   its annulus: it is not judged twice, so an organ's top never meets this test);
    /// - it lies in `allowed` (the caller's: the soft-tissue outline outside the kidneys' and bladder's grown regions
    ///   and the spleen's band, its structure + 2 px: physiology; the kidneys' 3-pixel skirt is allowed, where a tumour
    ///   on a kidney pole lies; and only above the kidneys' peaks, the bowel's abdomen left out — session 16's lead
    ///   after the held-out seeds 7141–7180, docs/krenning.md);
    /// - the structure it sits on is brighter: the brightest `s1` pixel within 35 mm (the annulus' outer radius) is at
    ///   least ``structureRatio`` × `s1` there, and it is not in `notOn` (the bladder and its skirt);
    /// - it stands out of the surface by the usual gates — peak (3 × 3 mean of the conjugate image) ≥ (1 + `contrast`)
    ///   × the surface's 3 × 3 mean, and 3 × 3 sum − 9 × surface ≥ `sigma` × √(9 × surface) (counting noise) — and by
    ///   more than the surface's change across one pixel (the flat disc's staircase on a steep edge).
    ///
    /// Candidates are returned by excess, largest first. The tumour's grade is not this function's: the caller gives
    /// each a 1.5-pixel disc, so that its peak is its own (3 × 3 mean at the maximum within 1.5 px), as every grade.
    ///
    /// Tuning seeds 7101–7140 (branch `krenning18`): with the gates alone, 126 bumps of the lower abdomen passed
    /// them, all false (the In-111 hepatobiliary gut activity, 2 % at 24 h, leaves bumps on bowel loops of like
    /// brightness, their brightest neighbour within 35 mm a median 1.65 × their level; 44 more flank the bladder, whose
    /// brightness they pass the structure rule with); with the structure rule and off the bladder, 2 remain, both colon
    /// (the truth's activity along the ray: 88 % and 73 % colon contents), against 5 tumours found.

    static func shoulderFoci(g: [Float], s1: [Float], rows: Int, columns: Int, px: Double, own: [(column: Int, row: Int)],
                             allowed: [Bool], notOn: [Bool], contrast: Double, sigma: Double) -> [(column: Int, row: Int)] {
        let surface = RegionTools.discOpening(s1, rows: rows, columns: columns, radius: 20 / px)
        let excess = s1.indices.map { s1[$0] - surface[$0] }
        let window = max(2, Int((15 / px).rounded()))
        var out: [(column: Int, row: Int, excess: Float)] = []
        for f in RegionTools.localMaxima(excess, rows: rows, columns: columns, radius: window, threshold: 0) {
            let i = f.row * columns + f.column
            guard allowed[i], f.row >= 1, f.column >= 1, f.row < rows - 1, f.column < columns - 1 else { continue }
            guard !own.contains(where: { abs($0.column - f.column) <= window && abs($0.row - f.row) <= window }) else { continue }
            // The brighter structure it sits on: the brightest pixel of `s1` within 35 mm (the annulus' outer radius).
            var top = i
            let reach = Int((35 / px).rounded(.down))
            for dr in -reach...reach { for dc in -reach...reach {
                let r = f.row + dr, c = f.column + dc
                guard r >= 0, c >= 0, r < rows, c < columns, Double(dr * dr + dc * dc) * px * px <= 35 * 35 else { continue }
                if s1[r * columns + c] > s1[top] { top = r * columns + c }
            } }
            guard !notOn[top], s1[top] >= Float(structureRatio) * s1[i] else { continue }
            var sum = 0.0, bgSum = 0.0
            for dr in -1...1 { for dc in -1...1 { let j = (f.row + dr) * columns + f.column + dc; sum += Double(g[j]); bgSum += Double(surface[j]) } }
            let bg = bgSum / 9
            guard bg > 0, sum / 9 >= (1 + contrast) * bg, sum - 9 * bg >= sigma * (9 * bg).squareRoot() else { continue }
            // The flat disc's opening follows a slope only to about a pixel (the digital disc's staircase): on a steep
            // organ edge it leaves an excess of up to the surface's change across one pixel where there is no bump
            // (the pointed ends of an analytic spleen, AnatomyRegionsTests). The bump must stand out of its surface by
            // more than that change (central differences of the surface).
            let slope = 0.5 * hypot(Double(surface[i + 1] - surface[i - 1]), Double(surface[i + columns] - surface[i - columns]))
            guard sum / 9 - bg > slope else { continue }
            out.append((f.column, f.row, excess[i]))
        }
        return out.sorted { $0.excess > $1.excess }.map { (column: $0.column, row: $0.row) }
    }
}
