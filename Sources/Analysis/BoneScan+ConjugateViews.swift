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
        /// The level along the structure (``alongStructure``'s rule) at the mirrored place's brightest disc; nil on the
        /// midline.
        var mirroredAlongStructure: Float?
        /// Whether the mirrored place is itself a focus: its disc mean over its own ``mirroredAlongStructure`` exceeds
        /// the ratio given to ``normalBoneLevel(_:rows:columns:column:row:midline:mirrorRows:mirrorHotRatio:)``; then
        /// the mirror is not normal bone (a lesion or a hot site on the other side) and is not used.
        var mirroredHot: Bool = false
        /// The level the place is read against: the larger of the two (a lesion must stand above both its own
        /// structure and the other side's bone); the level along the structure alone when the mirror is hot.
        var level: Float { max(alongStructure, mirroredHot ? 0 : (mirrored ?? 0), 0.5) }
    }

    /// ``NormalBoneLevel`` at (column, row) of a disc-mean image `m`; `midline` nil on the midline. With
    /// `mirrorHotRatio`, the mirror is ``NormalBoneLevel/mirroredHot`` (not used) when its disc mean exceeds that ratio
    /// times its own level along the structure (both femora with lesions read each against the other).
    static func normalBoneLevel(_ m: [Float], rows: Int, columns: Int, column c: Int, row r: Int, midline: Double?,
                                mirrorRows: Int, mirrorHotRatio: Float? = nil) -> NormalBoneLevel {
        func at(_ rr: Int, _ cc: Int) -> Float { rr >= 0 && rr < rows && cc >= 0 && cc < columns ? m[rr * columns + cc] : 0 }
        /// Off the midline (`bothSides` false) the largest over the eight half-directions of the median at 3–8 px;
        /// on it the largest over four directions of the median at 3–8 px on both sides.
        func along(_ r: Int, _ c: Int, bothSides: Bool) -> Float {
            var level: Float = 0
            if bothSides {
                var values = [Float](repeating: 0, count: 12)
                for (dr, dc) in [(1, 0), (0, 1), (1, 1), (1, -1)] {
                    var k = 0
                    for d in 3...8 { for s in [-1, 1] { values[k] = at(r + s * d * dr, c + s * d * dc); k += 1 } }
                    values.sort()
                    level = max(level, (values[5] + values[6]) / 2)
                }
            } else {
                var values = [Float](repeating: 0, count: 6)
                for (dr, dc) in [(1, 0), (0, 1), (1, 1), (1, -1), (-1, 0), (0, -1), (-1, -1), (-1, 1)] {
                    for d in 3...8 { values[d - 3] = at(r + d * dr, c + d * dc) }
                    values.sort()
                    level = max(level, (values[2] + values[3]) / 2)
                }
            }
            return level
        }
        let own = along(r, c, bothSides: midline == nil)
        guard let mid = midline else { return NormalBoneLevel(alongStructure: own, mirrored: nil) }
        let mc = Int((2 * mid - Double(c)).rounded())
        var mirrored: Float = 0, mr = r, mcc = mc
        for dr in -mirrorRows...mirrorRows {
            for dc in -3...3 where at(r + dr, mc + dc) > mirrored { mirrored = at(r + dr, mc + dc); mr = r + dr; mcc = mc + dc }
        }
        var level = NormalBoneLevel(alongStructure: own, mirrored: mirrored)
        if let ratio = mirrorHotRatio {
            let mirrorAlong = along(mr, mcc, bothSides: false)
            level.mirroredAlongStructure = mirrorAlong
            level.mirroredHot = mirrored > ratio * max(mirrorAlong, 0.5)
        }
        return level
    }

    /// Focal significance of a disc mean `m` over a normal level `b` (counts per pixel, disc of `n` pixels) with a
    /// relative error floor `floor` of the level: (m − b) ÷ √(b ÷ n + (floor · b)²). The first term is the Poisson
    /// variance of the disc mean, the second the error of the normal-bone estimate itself (measured on the tuning
    /// seeds: the level of the same structure is right to about `floor` of itself, not to the Poisson noise).
    static func calibratedSignificance(mean m: Float, level b: Float, pixels n: Float, floor: Float) -> Float {
        let b = max(b, 0.5)
        return (m - b) / (b / n + floor * floor * b * b).squareRoot()
    }

    /// The calibrated significance of one place (column, row) of the anterior grid in each of the disc-mean images
    /// `means` (the conjugate-view pass: anterior, mirrored posterior, their sum; one image when a scan has one view):
    /// per image ``calibratedSignificance(mean:level:pixels:floor:)`` over its ``NormalBoneLevel`` with the floor and
    /// the threshold of the place (``Options/conjugateMidlineFloor`` and ``Options/conjugateMidlineSignificance`` within
    /// ``Options/structureMidlineMM`` of the midline, else the lateral ones). Nil on the midline when an image shows no
    /// excess over its own level at all (a focus in the body is seen from both sides). With the three conjugate images,
    /// the anterior one is not read (−∞) on the midline within ``sternumBand``.
    func calibratedFocus(_ means: [[Float]], rows: Int, columns: Int, discPixels n: Float, geometry g: BodyGeometry,
                         column c: Int, row r: Int) -> (images: [Float], threshold: Float, onMidline: Bool)? {
        let o = options
        let i = r * columns + c
        let onMidline = g.lateralMM(column: Double(c)) <= o.structureMidlineMM
        let floor = Float(onMidline ? o.conjugateMidlineFloor : o.conjugateLateralFloor)
        let threshold = Float(onMidline ? o.conjugateMidlineSignificance : o.conjugateLateralSignificance)
        var z = [Float](repeating: 0, count: means.count)
        for k in means.indices.reversed() {
            let b = Self.normalBoneLevel(means[k], rows: rows, columns: columns, column: c, row: r,
                                         midline: onMidline ? nil : g.midlineColumn, mirrorRows: max(0, o.conjugateMirrorRows),
                                         mirrorHotRatio: o.conjugateMirrorHotRatio.map { Float($0) }).level
            if onMidline && means[k][i] < b { return nil }
            z[k] = Self.calibratedSignificance(mean: means[k][i], level: b, pixels: n, floor: floor)
        }
        // At the sternum's level on the midline the anterior image's level along the column is not one structure's
        // (the sternum lies over the spine): it is not read there; the posterior view and the sum are (tuning seeds
        // 1101–1140: 7 of the pass's 12 false positives were anterior foci there).
        if means.count == 3 && onMidline && Self.sternumBand.contains(g.fraction(row: Double(r))) { z[0] = -.infinity }
        return (z, threshold, onMidline)
    }

    /// Where the conjugate-view detector looks for foci: from ``Options/structureTopFraction`` of the body height
    /// (not the skull vertex, whose curvature makes a peak against its neighbours) to the soles, not in the forearms
    /// and hands (atlas band): their many small joints lie differently on the two sides (measured on the tuning seeds:
    /// the pass's false positives there), so neither the mirror nor the bone's own neighbours give their normal level;
    /// foci there are left to the top-hat detector.
    ///
    /// Nor on the midline of the skull (atlas band: the skull base over the upper cervical spine, the face): on the
    /// tuning seeds 1101–1140 2 of the pass's 12 false positives were there and no lesion; skull lesions off the midline
    /// are searched.
    func conjugateSearches(_ g: BodyGeometry, column c: Int, row r: Int) -> Bool {
        let f = g.fraction(row: Double(r))
        guard f >= options.structureTopFraction, f <= 1 else { return false }
        let d = g.lateralMM(column: Double(c))
        let region = SkeletalAtlas.region(fraction: f, lateralMM: d, heightMM: g.heightMM)
        return region != "forearms and hands" && !(region == "skull" && d <= options.structureMidlineMM)
    }

    /// Height fractions of the sternum in projection (where ``finish(_:views:geometry:)`` tells it from the thoracic
    /// spine): on the midline there the anterior view sees the sternum over the spine, two structures in one column.
    static let sternumBand = 0.175..<0.275

    /// The disc means (disc of ``Options/newLesionDiscMM``) of the conjugate views of a scan on the anterior grid:
    /// anterior, posterior mirrored onto it, and their sum; nil unless the scan has one anterior and one posterior view
    /// on the same grid. `anterior` is the index of the anterior view.
    func conjugateMeans(_ views: [PlanarViewImage], geometry: [BodyGeometry]) -> (means: [[Float]], anterior: Int, discPixels: Float)? {
        guard views.count == 2, geometry.count == 2, geometry[0].posterior != geometry[1].posterior else { return nil }
        let ka = geometry[0].posterior ? 1 : 0, kp = 1 - ka
        let rows = views[ka].rows, cols = views[ka].columns
        guard views[kp].rows == rows, views[kp].columns == cols else { return nil }
        let radius = max(1, options.newLesionDiscMM / 2 / geometry[ka].pixelMM)
        let post = views[kp].mirroredColumns().counts
        let sum = zip(views[ka].counts, post).map { $0 + $1 }
        let means = [views[ka].counts, post, sum].map { Self.discMean($0, rows: rows, columns: cols, radius: radius) }
        return (means, ka, Float(Self.discOffsets(radius: radius).count))
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
        guard o.conjugatePass, let cm = conjugateMeans(views, geometry: geometry) else { return }
        let means = cm.means, n = cm.discPixels, ka = cm.anterior, kp = 1 - ka
        let rows = views[ka].rows, cols = views[ka].columns
        let g = geometry[ka]
        let bodyA = dets[ka].body, bodyP = dets[kp].body
        var score = [Float](repeating: 0, count: rows * cols)
        var onPosterior = [Bool](repeating: false, count: rows * cols)
        let mirrorRows = max(0, o.conjugateMirrorRows)
        for r in 0..<rows {
            let f = g.fraction(row: Double(r))
            guard f >= o.structureTopFraction, f <= 1 else { continue }
            for c in 0..<cols {
                let i = r * cols + c
                guard bodyA[i] || bodyP[r * cols + (cols - 1 - c)], conjugateSearches(g, column: c, row: r) else { continue }
                guard let z = calibratedFocus(means, rows: rows, columns: cols, discPixels: n, geometry: g, column: c, row: r) else { continue }
                let best = z.images.max() ?? 0
                guard best >= z.threshold else { continue }
                score[i] = best / z.threshold
                onPosterior[i] = z.images[1] > z.images[0]
            }
        }
        let maxArea = o.maximumLesionAreaCM2 / (views[ka].rowSpacingMM * views[ka].columnSpacingMM / 100)
        let topHats = dets.map(\.topHat)   // per view, once (the candidates below change lesions, not the images)
        for cand in RegionTools.localMaxima(score, rows: rows, columns: cols, radius: 2, threshold: 1) {
            let k = onPosterior[cand.row * cols + cand.column] ? kp : ka
            let c0 = k == ka ? cand.column : cols - 1 - cand.column
            let s = dets[k].smoothed
            let pos = RegionTools.centroid(topHats[k], rows: rows, columns: cols, column: c0, row: cand.row, radius: 1.5, floor: 0)
            let i = cand.row * cols + c0
            // Half-maximum region of the excess over the view's own normal-bone level (not over the surrounding soft
            // tissue: a faint focus on a long bone would flood along the bone).
            let onMidline = g.lateralMM(column: Double(cand.column)) <= o.structureMidlineMM
            let level = Self.normalBoneLevel(means[k == ka ? 0 : 1], rows: rows, columns: cols, column: cand.column, row: cand.row,
                                             midline: onMidline ? nil : g.midlineColumn, mirrorRows: mirrorRows,
                                             mirrorHotRatio: o.conjugateMirrorHotRatio.map { Float($0) }).level
            guard s[i] > level else { continue }
            let region = RegionTools.region(s, rows: rows, columns: cols, column: c0, row: cand.row, threshold: (s[i] + level) / 2,
                                            maxRadius: (2 * maxArea / Double.pi).squareRoot() + 2)
            let sigma = Double(score[cand.row * cols + cand.column]) * (onMidline ? o.conjugateMidlineSignificance : o.conjugateLateralSignificance)
            admit(&dets, view: k, views: views, geometry: geometry, position: pos, peak: i, region: region,
                  rules: Admission(spineException: true, significanceCheck: true, capArea: true)) { $0.sigmaOverSameStructure = sigma }
        }
    }
}
