import Foundation
import Imaging

extension BoneScanAnalysis {
    /// The normal-bone level of one place read from the same image: the bone of the same structure around it
    /// (``alongStructure``) and, off the midline, the same bone of the other side (``mirrored``).
    struct NormalBoneLevel: Equatable {
        /// On the midline, the largest over four directions (vertical, horizontal, two diagonals) of the median of the
        /// disc means at 3–8 px on both sides (the candidate's own disc left out): along a bone its own level, across it
        /// soft tissue. Off the midline, the largest over the eight half-directions of the median at 3–8 px on one side:
        /// at the end of a bone (a joint, a bone running into a brighter one) the side that continues the structure.
        var alongStructure: Float
        /// The largest disc mean within ±``Options/conjugateMirrorRows`` rows and ±3 columns of the place mirrored about
        /// the body midline; nil on the midline.
        var mirrored: Float?
        /// The level the place is read against: the larger of the two (a lesion must stand above both its own
        /// structure and the other side's bone).
        var level: Float { max(alongStructure, mirrored ?? 0, 0.5) }
    }

    /// ``NormalBoneLevel`` at (column, row) of a disc-mean image `m`; `midline` nil on the midline.
    static func normalBoneLevel(_ m: [Float], rows: Int, columns: Int, column c: Int, row r: Int, midline: Double?,
                                mirrorRows: Int) -> NormalBoneLevel {
        func at(_ rr: Int, _ cc: Int) -> Float { rr >= 0 && rr < rows && cc >= 0 && cc < columns ? m[rr * columns + cc] : 0 }
        var along: Float = 0
        if midline == nil {
            var values = [Float](repeating: 0, count: 12)
            for (dr, dc) in [(1, 0), (0, 1), (1, 1), (1, -1)] {
                var k = 0
                for d in 3...8 { for s in [-1, 1] { values[k] = at(r + s * d * dr, c + s * d * dc); k += 1 } }
                values.sort()
                along = max(along, (values[5] + values[6]) / 2)
            }
        } else {
            var values = [Float](repeating: 0, count: 6)
            for (dr, dc) in [(1, 0), (0, 1), (1, 1), (1, -1), (-1, 0), (0, -1), (-1, -1), (-1, 1)] {
                for d in 3...8 { values[d - 3] = at(r + d * dr, c + d * dc) }
                values.sort()
                along = max(along, (values[2] + values[3]) / 2)
            }
        }
        guard let mid = midline else { return NormalBoneLevel(alongStructure: along, mirrored: nil) }
        let mc = Int((2 * mid - Double(c)).rounded())
        var mirrored: Float = 0
        for dr in -mirrorRows...mirrorRows { for dc in -3...3 { mirrored = max(mirrored, at(r + dr, mc + dc)) } }
        return NormalBoneLevel(alongStructure: along, mirrored: mirrored)
    }

    /// Focal significance of a disc mean `m` over a normal level `b` (counts per pixel, disc of `n` pixels) with a
    /// relative error floor `floor` of the level: (m − b) ÷ √(b ÷ n + (floor · b)²). The first term is the Poisson
    /// variance of the disc mean, the second the error of the normal-bone estimate itself (measured on the tuning
    /// seeds: the level of the same structure is right to about `floor` of itself, not to the Poisson noise).
    static func calibratedSignificance(mean m: Float, level b: Float, pixels n: Float, floor: Float) -> Float {
        let b = max(b, 0.5)
        return (m - b) / (b / n + floor * floor * b * b).squareRoot()
    }

    /// Conjugate-view pass of the single-scan detection (``Options/conjugatePass``): the anterior view, the posterior
    /// view mirrored onto the anterior grid and their sum (twice the counts; a lesion in either view's line of sight
    /// adds to both) are each read against the normal bone of the same structure.
    ///
    /// Convention: M = mean counts over a disc of ``Options/newLesionDiscMM`` (n pixels) of each image; B its
    /// ``NormalBoneLevel`` (along the structure; off the midline the larger of that and the mirrored bone); per image
    /// z = ``calibratedSignificance(mean:level:pixels:floor:)`` with the floor ``Options/conjugateMidlineFloor``
    /// within ``Options/structureMidlineMM`` of the midline (spine, sternum, sacrum), else
    /// ``Options/conjugateLateralFloor``. A place is a candidate when the largest z of the three images reaches
    /// ``Options/conjugateMidlineSignificance`` (midline) or ``Options/conjugateLateralSignificance`` (elsewhere); on
    /// the midline both views must also show an excess (disc mean ≥ B on the anterior and on the posterior: a focus in
    /// the body is seen from both sides); local maxima (±2 px) of z ÷ its threshold, below
    /// ``Options/structureTopFraction`` of the height (not the skull vertex), outside the atlas band of the forearms
    /// and hands. Each candidate
    /// goes on the view with the larger own z, through the same organ-size and separation steps as the atlas pass,
    /// then through the physiology separation like every other focus.
    func conjugateLesions(_ dets: inout [Detection], views: [PlanarViewImage], geometry: [BodyGeometry]) {
        let o = options
        guard o.conjugatePass, views.count == 2, geometry[0].posterior != geometry[1].posterior else { return }
        let ka = geometry[0].posterior ? 1 : 0, kp = 1 - ka
        let rows = views[ka].rows, cols = views[ka].columns
        guard views[kp].rows == rows, views[kp].columns == cols else { return }
        let g = geometry[ka]
        let px = g.pixelMM
        let radius = max(1, o.newLesionDiscMM / 2 / px)
        let n = Float(Self.discOffsets(radius: radius).count)
        // Posterior counts mirrored onto the anterior grid, and the conjugate sum.
        let post = views[kp].mirroredColumns().counts
        let sum = zip(views[ka].counts, post).map { $0 + $1 }
        let means = [views[ka].counts, post, sum].map { Self.discMean($0, rows: rows, columns: cols, radius: radius) }
        let bodyA = dets[ka].body, bodyP = dets[kp].body
        var score = [Float](repeating: 0, count: rows * cols)
        var onPosterior = [Bool](repeating: false, count: rows * cols)
        let mirrorRows = max(0, o.conjugateMirrorRows)
        for r in 0..<rows {
            let f = g.fraction(row: Double(r))
            guard f >= o.structureTopFraction, f <= 1 else { continue }
            for c in 0..<cols {
                let i = r * cols + c
                guard bodyA[i] || bodyP[r * cols + (cols - 1 - c)] else { continue }
                let onMidline = g.lateralMM(column: Double(c)) <= o.structureMidlineMM
                // Not in the forearms and hands: their many small joints lie differently on the two sides (measured on
                // the tuning seeds: the pass's false positives there), so neither the mirror nor the bone's own
                // neighbours give their normal level; foci there are left to the top-hat detector.
                if SkeletalAtlas.region(fraction: f, lateralMM: g.lateralMM(column: Double(c)), heightMM: g.heightMM) == "forearms and hands" { continue }
                let floor = Float(onMidline ? o.conjugateMidlineFloor : o.conjugateLateralFloor)
                let threshold = Float(onMidline ? o.conjugateMidlineSignificance : o.conjugateLateralSignificance)
                var z: [Float] = [0, 0, 0], excess = true
                for k in [2, 0, 1] {
                    let b = Self.normalBoneLevel(means[k], rows: rows, columns: cols, column: c, row: r,
                                                 midline: onMidline ? nil : g.midlineColumn, mirrorRows: mirrorRows).level
                    // On the midline both views (and so their sum) must show an excess over their own level at all.
                    if onMidline && means[k][i] < b { excess = false; break }
                    z[k] = Self.calibratedSignificance(mean: means[k][i], level: b, pixels: n, floor: floor)
                }
                guard excess else { continue }
                let best = max(z[0], z[1], z[2])
                guard best >= threshold else { continue }
                score[i] = best / threshold
                onPosterior[i] = z[1] > z[0]
            }
        }
        let maxArea = o.maximumLesionAreaCM2 / (views[ka].rowSpacingMM * views[ka].columnSpacingMM / 100)
        let roiR = max(1.5, o.roiRadiusMM / px)
        let topHats = dets.map(\.topHat)   // per view, once (the candidates below change lesions, not the images)
        for cand in RegionTools.localMaxima(score, rows: rows, columns: cols, radius: 2, threshold: 1) {
            let k = onPosterior[cand.row * cols + cand.column] ? kp : ka
            let v = views[k]
            let c0 = k == ka ? cand.column : cols - 1 - cand.column
            let s = dets[k].smoothed
            let pos = RegionTools.centroid(topHats[k], rows: rows, columns: cols, column: c0, row: cand.row, radius: 1.5, floor: 0)
            let i = cand.row * cols + c0
            // Half-maximum region of the excess over the view's own normal-bone level (not over the surrounding soft
            // tissue: a faint focus on a long bone would flood along the bone).
            let onMidline = g.lateralMM(column: Double(cand.column)) <= o.structureMidlineMM
            let level = Self.normalBoneLevel(means[k == ka ? 0 : 1], rows: rows, columns: cols, column: cand.column, row: cand.row,
                                             midline: onMidline ? nil : g.midlineColumn, mirrorRows: mirrorRows).level
            guard s[i] > level else { continue }
            let region = RegionTools.region(s, rows: rows, columns: cols, column: c0, row: cand.row, threshold: (s[i] + level) / 2,
                                            maxRadius: (2 * maxArea / Double.pi).squareRoot() + 2)
            let pixelCM2 = v.rowSpacingMM * v.columnSpacingMM / 100
            let mirrored = Double(cols - 1) - pos.column
            if Double(region.count) > maxArea && !geometry[k].onSpineAboveBladder(column: pos.column, row: pos.row) {
                if !dets[k].excluded.contains(where: { hypot($0.column - pos.column, $0.row - pos.row) * px < 60 }) {
                    dets[k].excluded.append(ExcludedRegion(view: v.name, column: pos.column, row: pos.row, areaCM2: Double(region.count) * pixelCM2))
                }
                continue
            }
            if dets[k].lesions.contains(where: { hypot($0.column - pos.column, $0.row - pos.row) * px < o.minimumSeparationMM })
                || dets[1 - k].lesions.contains(where: { hypot($0.column - mirrored, $0.row - pos.row) * px < o.minimumSeparationMM }) { continue }
            if dets[k].excluded.contains(where: { hypot($0.column - pos.column, $0.row - pos.row) * px < 40 })
                || dets[1 - k].excluded.contains(where: { hypot($0.column - mirrored, $0.row - pos.row) * px < 40 }) { continue }
            let (net, sig) = netCounts(v.counts, rows: rows, columns: cols, column: pos.column, row: pos.row, radius: roiR)
            guard sig >= o.minimumSignificance else { continue }
            for p in region { dets[k].lesionMask[p] = true }
            dets[k].lesionPixels += region.count
            var l = Lesion(view: v.name, column: pos.column, row: pos.row, counts: net,
                           uptakeRatio: Double(s[i]) / max(Double(dets[k].normal[i]), 1e-6),
                           areaCM2: min(Double(region.count), maxArea) * pixelCM2,
                           patientPositionMM: v.patientPosition(column: pos.column, row: pos.row)?.array)
            l.sigmaOverSameStructure = Double(score[cand.row * cols + cand.column]) * (onMidline ? o.conjugateMidlineSignificance : o.conjugateLateralSignificance)
            dets[k].lesions.append(l)
        }
    }
}
