import Foundation

/// The PCWG3 bone-scan progression rule for new lesions (Prostate Cancer Clinical Trials Working Group 3: Scher et
/// al., J Clin Oncol 34:1402 (2016), "2+2"): progression needs ≥ 2 new lesions against the baseline; when they appear
/// on the first follow-up scan (the flare window, before 12 weeks) a confirmatory scan ≥ 6 weeks later must show
/// ≥ 2 further new lesions; the date of progression is then the first follow-up scan.
public struct PCWG3Assessment: Sendable, Codable, Equatable {
    /// Distinct new lesions on the follow-up (a lesion seen on both views counts once).
    public var newLesions: Int
    /// Further new lesions on the confirmatory scan, when one was compared.
    public var additionalNewLesions: Int?
    /// `progression`, `progression pending confirmation`, `not confirmed`, `no progression`.
    public var status: String
    /// The rule, in words.
    public var rule: String
}

extension BoneScanAnalysis {
    /// The PCWG3 "2+2" assessment from the distinct new lesions at the follow-up and (when a confirmatory scan was
    /// compared with the follow-up) the further new lesions on it.
    public static func pcwg3(newAtFollowUp n: Int, newAtConfirmation m: Int?) -> PCWG3Assessment {
        let rule = "PCWG3 (Scher et al., J Clin Oncol 34:1402, 2016): ≥ 2 new lesions against the baseline; at the first follow-up (< 12 weeks) confirmed by ≥ 2 further new lesions on a scan ≥ 6 weeks later (2+2)"
        let status: String
        if n < 2 { status = "no progression" }
        else if let m { status = m >= 2 ? "progression" : "not confirmed" }
        else { status = "progression pending confirmation" }
        return PCWG3Assessment(newLesions: n, additionalNewLesions: m, status: status, rule: rule)
    }
}

extension BoneScanAnalysis {
    /// New-lesion candidates of one view from the normalised difference of the registered follow-up and the baseline
    /// (the same patient's normal bone cancels; what is left is Poisson noise and change).
    ///
    /// Convention: D = follow-up × `factor` − baseline, its Poisson variance V = follow-up × `factor`² + baseline,
    /// both summed over a disc of ``Options/newLesionDiscMM`` diameter (the matched filter of a lesion of that size);
    /// a candidate is a local maximum (±2 px) of z = ΣD ÷ √ΣV at or above ``Options/newLesionSignificance``, inside
    /// the body, away from the rows that the registration shift left uncovered and away from `avoid` (places of
    /// physiology that changes between visits: bladder, kidneys, injection site, organ-sized uptake; 40 mm).
    /// Returns lesions on the baseline grid with `counts` NaN (the caller measures them) and `uptakeRatio` = the
    /// follow-up's disc counts × factor ÷ the baseline's.
    func subtractionCandidates(baseline b: PlanarViewImage, aligned f: PlanarViewImage, factor: Double, shiftRows: Int,
                               body: [Bool], avoid: [(column: Double, row: Double)]) -> [Lesion] {
        let rows = b.rows, cols = b.columns
        let px = (b.rowSpacingMM + b.columnSpacingMM) / 2
        let radius = max(1, options.newLesionDiscMM / 2 / px)
        let h = Int(radius.rounded(.down))
        var offsets: [Int] = []
        for dr in -h...h { for dc in -h...h where Double(dr * dr + dc * dc) <= radius * radius + 1e-9 { offsets.append(dr * cols + dc) } }
        let pad = h, fac = Float(factor)
        var z = [Float](repeating: 0, count: rows * cols), up = [Float](repeating: 0, count: rows * cols)
        let edge = abs(shiftRows) + pad
        for r in edge..<max(edge, rows - edge) {
            for c in pad..<max(pad, cols - pad) {
                let i = r * cols + c
                guard body[i] else { continue }
                var sf: Float = 0, sb: Float = 0
                for o in offsets { sf += f.counts[i + o]; sb += b.counts[i + o] }
                let d = sf * fac - sb, v = sf * fac * fac + sb
                z[i] = d / max(v, 1).squareRoot()
                up[i] = sb > 0 ? sf * fac / sb : 0
            }
        }
        var out: [Lesion] = []
        let avoidPx = 40 / px
        for m in RegionTools.localMaxima(z, rows: rows, columns: cols, radius: 2, threshold: Float(options.newLesionSignificance) - 1e-4) {
            let i = m.row * cols + m.column
            guard z[i] >= Float(options.newLesionSignificance) else { continue }
            let pos = RegionTools.centroid(z, rows: rows, columns: cols, column: m.column, row: m.row, radius: 1.5, floor: 0)
            if avoid.contains(where: { hypot($0.column - pos.column, $0.row - pos.row) <= avoidPx }) { continue }
            let region = RegionTools.region(z, rows: rows, columns: cols, column: m.column, row: m.row, threshold: z[i] / 2, maxRadius: 30 / px)
            out.append(Lesion(view: b.name, column: pos.column, row: pos.row, counts: .nan, uptakeRatio: Double(up[i]),
                              areaCM2: Double(max(1, region.count)) * b.rowSpacingMM * b.columnSpacingMM / 100,
                              patientPositionMM: b.patientPosition(column: pos.column, row: pos.row)?.array))
        }
        return out
    }
}

extension BoneScanAnalysis {
    /// Offsets (rows, columns) of the pixels of a disc of `radius` pixels.
    static func discOffsets(radius: Double) -> [(Int, Int)] {
        let h = Int(radius.rounded(.down))
        var offsets: [(Int, Int)] = []
        for dr in -h...h { for dc in -h...h where Double(dr * dr + dc * dc) <= radius * radius + 1e-9 { offsets.append((dr, dc)) } }
        return offsets
    }

    /// Mean counts per pixel over a disc of `radius` pixels around every pixel (pixels outside the image count as 0).
    static func discMean(_ img: [Float], rows: Int, columns: Int, radius: Double) -> [Float] {
        let offsets = discOffsets(radius: radius)
        let n = Float(offsets.count)
        var out = [Float](repeating: 0, count: img.count)
        for r in 0..<rows {
            for c in 0..<columns {
                var s: Float = 0
                for (dr, dc) in offsets {
                    let rr = r + dr, cc = c + dc
                    if rr >= 0 && rr < rows && cc >= 0 && cc < columns { s += img[rr * columns + cc] }
                }
                out[r * columns + c] = s / n
            }
        }
        return out
    }

    /// Whether a scan shows a focus at a place (largest over the 3 × 3 pixels around it), in Poisson standard
    /// deviations of the disc mean M (disc of ``Options/newLesionDiscMM``) above the normal bone of the same
    /// structure B: the largest of the medians of M along the four directions (vertical, horizontal, two diagonals;
    /// 3–8 px on both sides: along a bone its own level, across it soft tissue) and, more than 4 px from the midline,
    /// the largest M within ±2 px of the mirrored place (the other side's bone). z = (M − B) ÷ √(B ÷ disc pixels).
    /// Poisson only: at high counts normal bone reads many σ above these neighbours (on the midline, where there is no
    /// mirrored side and the vertebrae vary along the column, normal baseline bone read ≥ 6 σ at 6 of the 21 new lesions
    /// of the fixed pairs 9001–9010), so the follow-up status asks ``baselineLesion(_:views:geometry:view:column:row:)``
    /// instead; this serves the option ``Options/baselineExcessShare``.
    ///
    /// With `followUpMean` (the registered follow-up's disc means × the normalisation factor) it also returns the
    /// share of the follow-up's excess over the same level B that the baseline already had, (M − B) ÷ (M_f − B) at
    /// the most significant pixel: about 0 for a new lesion (the baseline's excess is the error of B), 0.3–0.5 for a
    /// lesion that doubled.
    func focalSignificance(_ v: PlanarViewImage, discMean m: [Float], midlineColumn mid: Double, column: Double, row: Double,
                           followUpMean mf: [Float]? = nil) -> (z: Double, share: Double) {
        let rows = v.rows, cols = v.columns
        let px = (v.rowSpacingMM + v.columnSpacingMM) / 2
        let radius = max(1, options.newLesionDiscMM / 2 / px)
        let h = Int(radius.rounded(.down))
        var inDisc = 0
        for dr in -h...h { for dc in -h...h where Double(dr * dr + dc * dc) <= radius * radius + 1e-9 { inDisc += 1 } }
        let nDisc = Double(inDisc)
        func at(_ r: Int, _ c: Int) -> Float? { r >= 0 && r < rows && c >= 0 && c < cols ? m[r * cols + c] : nil }
        var best = -Double.infinity, share = 0.0
        let r0 = Int(row.rounded()), c0 = Int(column.rounded())
        for r in (r0 - 1)...(r0 + 1) {
            for c in (c0 - 1)...(c0 + 1) {
                guard let here = at(r, c) else { continue }
                var level: Float = 0
                for (dr, dc) in [(1, 0), (0, 1), (1, 1), (1, -1)] {
                    var along: [Float] = []
                    for d in 3...8 { for s in [-1, 1] { if let x = at(r + s * d * dr, c + s * d * dc) { along.append(x) } } }
                    if !along.isEmpty { level = max(level, RegionTools.quantile(along, 0.5)) }
                }
                if abs(Double(c) - mid) > 4 {
                    let mc = Int((2 * mid - Double(c)).rounded())
                    for rr in (r - 2)...(r + 2) { for cc in (mc - 2)...(mc + 2) { if let x = at(rr, cc) { level = max(level, x) } } }
                }
                let b = Double(max(level, 0.5))
                let z = (Double(here) - b) / (b / nDisc).squareRoot()
                if z > best {
                    best = z
                    if let mf { let excess = Double(mf[r * cols + c]) - b; share = excess > 0 ? (Double(here) - b) / excess : 1 }
                }
            }
        }
        return (best.isFinite ? best : 0, share)
    }
}

extension BoneScanAnalysis {
    /// The baseline's own images for the question "did the baseline have a lesion here?": the disc means
    /// (``Options/newLesionDiscMM``) of its conjugate views on the anterior grid (anterior, mirrored posterior, their
    /// sum; ``conjugateMeans(_:geometry:)``), or of each view alone when the scan has no anterior–posterior pair.
    struct BaselineFocusImages {
        var means: [[Float]]
        /// Index of the view whose grid `means` are on (the anterior view of a pair).
        var gridView: Int
        var discPixels: Float
        /// Whether `means` are the conjugate views (else one image per view: `means[k]` is view k's).
        var conjugate: Bool
    }

    func baselineFocusImages(_ views: [PlanarViewImage], geometry: [BodyGeometry]) -> BaselineFocusImages {
        if let cm = conjugateMeans(views, geometry: geometry) {
            return BaselineFocusImages(means: cm.means, gridView: cm.anterior, discPixels: cm.discPixels, conjugate: true)
        }
        let radius = max(1, options.newLesionDiscMM / 2 / geometry[0].pixelMM)
        return BaselineFocusImages(means: views.map { Self.discMean($0.counts, rows: $0.rows, columns: $0.columns, radius: radius) },
                                   gridView: 0, discPixels: Float(Self.discOffsets(radius: radius).count), conjugate: false)
    }

    /// Whether the baseline scan has a lesion at a place of view `k` (a follow-up focus that matches no baseline
    /// lesion): the single-scan decision of the conjugate-view detector at that place, whatever
    /// ``Options/conjugatePass`` says. Over the 3 × 3 pixels at the place (on the anterior grid; a posterior place at the
    /// mirrored column), the largest calibrated significance of the anterior, mirrored posterior and conjugate-sum disc
    /// means over the baseline's normal bone of the same structure (``calibratedFocus(_:rows:columns:discPixels:geometry:column:row:)``:
    /// along the structure, off the midline also the mirrored bone; the estimate's own error as the floor, so that the
    /// vertebral levels and the vertex, where the neighbours underestimate normal bone, do not pass for a focus) must
    /// reach the detector's threshold (``Options/conjugateMidlineSignificance`` on the midline, where both views must
    /// show an excess, else ``Options/conjugateLateralSignificance``). Where the detector does not search
    /// (``conjugateSearches(_:column:row:)``: the skull vertex, the skull's midline, the forearms and hands) the baseline has no lesion by
    /// it (a baseline lesion that its hot-spot detector found there is matched before). Returns the significance and
    /// the decision.
    func baselineLesion(_ img: BaselineFocusImages, views: [PlanarViewImage], geometry: [BodyGeometry], view k: Int,
                        column: Double, row: Double) -> (sigma: Double, lesion: Bool) {
        let g = geometry[img.gridView]
        let rows = views[img.gridView].rows, cols = views[img.gridView].columns
        let means = img.conjugate ? img.means : [img.means[k]]
        let onGrid = img.conjugate && geometry[k].posterior != g.posterior ? Double(cols - 1) - column : column
        let gk = img.conjugate ? g : geometry[k]
        let r0 = Int(row.rounded()), c0 = Int(onGrid.rounded())
        var bestScore = -Float.infinity, bestSigma: Float = 0
        for r in (r0 - 1)...(r0 + 1) where r >= 0 && r < rows {
            for c in (c0 - 1)...(c0 + 1) where c >= 0 && c < cols && conjugateSearches(gk, column: c, row: r) {
                guard let z = calibratedFocus(means, rows: rows, columns: cols, discPixels: img.discPixels, geometry: gk, column: c, row: r) else { continue }
                let best = z.images.max() ?? 0
                if best / z.threshold > bestScore { bestScore = best / z.threshold; bestSigma = best }
            }
        }
        return (Double(bestSigma), bestScore >= 1)
    }
}
