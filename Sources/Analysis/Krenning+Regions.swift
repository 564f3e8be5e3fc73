import Foundation
import Imaging

/// Automatic regions of the Krenning score (issue 18): liver, spleen and tumours found on the anatomy of the
/// somatostatin-receptor planar views (In-111 pentetreotide, anterior and posterior), hand-placed regions still
/// taking precedence (``KrenningAnalysis/score(anterior:posterior:lesions:liver:spleen:background:)``).
///
/// On the conjugate-view image √(A·P) (posterior mirrored; the anterior alone without a posterior view):
/// - Body: the 8 mm-smoothed image above 5 % of its 99th percentile; midline per row.
/// - Kidneys and bladder: the receptor-bearing kidneys are the hottest paired organs; a focus with a partner at the
///   mirrored column (within 30 mm in row and column) below the liver's dome is a kidney; the hottest focus in
///   the lower third on the midline is the bladder. Both are physiology, never tumours.
/// - Liver: the largest bright structure on the patient's right: of the organ-sized foci there, each grown to the
///   8-connected pixels between 50 % and 200 % of its value that do not rise (steepest ascent) to a maximum more
///   than 1.2 × brighter (a kidney's slopes), the one of largest area (regions ≤ 40 % of the body); its disc
///   (``Options/liverRadiusMM``) at the liver's deepest interior point away from tumour foci.
/// - Spleen: the hottest compact structure on the patient's left at the liver's height that is no kidney; its
///   disc (``Options/spleenRadiusMM``) at the spleen's deepest interior point.
/// - Tumours: foci of the 1-pixel-smoothed image that stand out of their 20–35 mm annulus by ≥ 25 % and by ≥ 6 σ of
///   the counting noise (3 × 3 sum), outside the kidneys, spleen and bladder; inside the liver they must stand
///   out of the liver the same way. Each gets a disc of ``Options/lesionRadiusMM``.
extension KrenningAnalysis {
    /// Regions found on the anatomy.
    public struct AutomaticRegions: Sendable, Codable, Equatable {
        public var liver: NamedPlanarDisk
        public var spleen: NamedPlanarDisk
        public var lesions: [NamedPlanarDisk]
        /// Physiological foci seen and why they are no tumour (kidneys, bladder).
        public var physiology: [PhysiologicalUptake]
        public var notes: [String]
    }

    /// Finds liver, spleen and tumour regions. Throws when no liver or spleen is found.
    public func automaticRegions(anterior a: PlanarViewImage, posterior p: PlanarViewImage?) throws(PlanarAnalysisError) -> AutomaticRegions {
        try a.validate()
        let rows = a.rows, cols = a.columns
        let px = (a.rowSpacingMM + a.columnSpacingMM) / 2
        var g = a.counts
        if let p {
            guard p.rows == rows, p.columns == cols else { throw PlanarAnalysisError("mismatched matrix sizes: anterior \(cols)×\(rows), posterior \(p.columns)×\(p.rows)") }
            for r in 0..<rows { for c in 0..<cols { g[r * cols + c] = (a.counts[r * cols + c] * p.counts[r * cols + cols - 1 - c]).squareRoot() } }
        }
        let s = RegionTools.gaussian(g, rows: rows, columns: cols, sigma: max(1, 8 / px))
        let p99 = RegionTools.quantile(s, 0.99)
        let body = s.map { $0 > 0.05 * p99 }
        var lo = [Int](repeating: -1, count: rows), hi = [Int](repeating: -1, count: rows)
        for r in 0..<rows { for c in 0..<cols where body[r * cols + c] { if lo[r] < 0 { lo[r] = c }; hi[r] = c } }
        guard lo.contains(where: { $0 >= 0 }) else { throw PlanarAnalysisError("Krenning: no body found in view \(a.name)") }
        func midline(_ r: Int) -> Double { lo[r] < 0 ? Double(cols - 1) / 2 : Double(lo[r] + hi[r]) / 2 }
        func dist(_ i: Int, _ j: Int) -> Double { hypot(Double(i % cols - j % cols), Double(i / cols - j / cols)) * px }
        var notes: [String] = [], physiology: [PhysiologicalUptake] = []
        // Organ-sized foci (maxima of the 8 mm-smoothed image within 30 mm).
        let maxima = RegionTools.localMaxima(s, rows: rows, columns: cols, radius: max(2, Int((30 / px).rounded())), threshold: 0.1 * p99)
            .map { $0.row * cols + $0.column }
        // Liver: the LARGEST bright structure on the patient's right (image left of the midline) — every organ-sized
        // focus there grown to the pixels ≥ 50 % of its value, the one of largest area kept (the kidneys
        // are hotter but smaller).
        // No region spreading over more than 40 % of the body (soft tissue, not an organ).
        let bodyCount = body.filter { $0 }.count
        var seed = -1
        var liver = PlanarROI(rows: rows, columns: cols)
        // Each pixel's hill: the local maximum its steepest ascent on the 8 mm-smoothed image ends on.
        let hill = RegionTools.hills(s, rows: rows, columns: cols)
        for m in maxima where body[m] && Double(m % cols) < midline(m / cols) {
            // Up to 2 × its value: the hotter kidneys behind the liver's lower edge are not the liver. Nor the hill
            // of a maximum more than 1.2 × brighter (a kidney's slopes: without this the liver grew round the
            // right kidney along its skirt, the kidney's focus fell inside the "liver" and lost its pair).
            let region = PlanarROI.component(of: s.indices.map { s[$0] >= 0.5 * s[m] && s[$0] <= 2 * s[m] && s[hill[$0]] <= 1.2 * s[m] },
                                             rows: rows, columns: cols, seed: m)
            if region.count > liver.count && Double(region.count) <= 0.4 * Double(bodyCount) { liver = region; seed = m }
        }
        guard seed >= 0 else { throw PlanarAnalysisError("Krenning: no liver found in view \(a.name); give --liver") }
        let liverTop = liver.indices.map { $0 / cols }.min() ?? 0
        let liverBottom = liver.indices.map { $0 / cols }.max() ?? rows - 1
        // Kidneys: paired foci (mirror column about the midline) below the liver's dome, outside the liver.
        var organ = PlanarROI(rows: rows, columns: cols)
        func grow(_ m: Int, _ frac: Float) -> PlanarROI {
            PlanarROI.component(of: s.indices.map { s[$0] >= frac * s[m] && dist($0, m) <= 80 }, rows: rows, columns: cols, seed: m)
        }
        let candidates = maxima.filter { !liver.inside[$0] && $0 / cols > liverTop }
        var kidneys: [Int] = []
        for m in candidates {
            let r = m / cols, c = Double(m % cols)
            let mirror = 2 * midline(r) - c
            if candidates.contains(where: { $0 != m && abs(Double($0 % cols) - mirror) * px <= 30 && abs(Double($0 / cols - r)) * px <= 30 && s[$0] > 0.4 * s[m] && s[m] > 0.4 * s[$0] }) {
                kidneys.append(m)
            }
        }
        for k in kidneys {
            let m = grow(k, 0.5)
            for i in m.indices { organ.inside[i] = true }
            let side = Double(k % cols) > midline(k / cols) ? "left" : "right"
            physiology.append(PhysiologicalUptake(view: a.name, column: Double(k % cols), row: Double(k / cols), kind: "kidney",
                                                  reason: "paired focus at the mirrored place: \(side) kidney (renal receptor uptake and excretion)"))
        }
        // Bladder: hottest focus in the lower third near the midline.
        if let b = maxima.filter({ $0 / cols > rows * 2 / 3 && abs(Double($0 % cols) - midline($0 / cols)) * px <= 50 && !kidneys.contains($0) }).max(by: { s[$0] < s[$1] }),
           s[b] > 0.3 * p99 {
            for i in grow(b, 0.4).indices { organ.inside[i] = true }
            physiology.append(PhysiologicalUptake(view: a.name, column: Double(b % cols), row: Double(b / cols), kind: "bladder", reason: "urinary excretion"))
        }
        // Spleen: hottest non-kidney focus on the patient's left within the liver's rows.
        let spleenSeed = maxima.filter { !kidneys.contains($0) && !liver.inside[$0] && Double($0 % cols) > midline($0 / cols) + 30 / px
            && $0 / cols >= liverTop - Int(40 / px) && $0 / cols <= (liverTop + liverBottom) / 2 + Int(40 / px) }.max { s[$0] < s[$1] }
        guard let sp = spleenSeed else { throw PlanarAnalysisError("Krenning: no spleen found in view \(a.name) (splenectomy?); give --spleen") }
        let spleen = grow(sp, 0.5)
        for i in spleen.indices { organ.inside[i] = true }
        // Tumour foci.
        let s1 = RegionTools.gaussian(g, rows: rows, columns: cols, sigma: 1)
        let focal = RegionTools.localMaxima(s1, rows: rows, columns: cols, radius: max(2, Int((15 / px).rounded())), threshold: 0)
        var lesions: [NamedPlanarDisk] = []
        let rLesion = options.lesionRadiusMM / px
        let organBand = organ.dilated(2)
        for f in focal.sorted(by: { s1[$0.row * cols + $0.column] > s1[$1.row * cols + $1.column] }) {
            let i = f.row * cols + f.column
            guard body[i], !organBand.inside[i] else { continue }
            var sum = 0.0
            for dr in -1...1 { for dc in -1...1 { let r = f.row + dr, c = f.column + dc
                if r >= 0, c >= 0, r < rows, c < cols { sum += Double(g[r * cols + c]) } } }
            let ring = RegionTools.annulus(g, rows: rows, columns: cols, column: Double(f.column), row: Double(f.row), inner: 20 / px, outer: 35 / px)
            let bg = ring.mean
            guard bg > 0 else { continue }
            let peak = sum / 9
            let sigma = (bg * 9).squareRoot()
            guard peak >= (1 + options.lesionContrast) * bg, (sum - 9 * bg) >= options.lesionSigma * sigma else { continue }
            guard !lesions.contains(where: { hypot($0.roi.column - Double(f.column), $0.roi.row - Double(f.row)) < 2 * rLesion }) else { continue }
            lesions.append(NamedPlanarDisk(name: "lesion \(lesions.count + 1)", roi: PlanarDisk(column: Double(f.column), row: Double(f.row), radius: rLesion)))
        }
        // Organ discs at their deepest interior point away from tumours.
        func deepest(_ m: PlanarROI, radiusMM: Double, avoid: [NamedPlanarDisk]) -> PlanarDisk {
            var best = -1, bestD = -1.0
            let edge = m.boundary
            for i in m.indices {
                let c = Double(i % cols), r = Double(i / cols)
                if avoid.contains(where: { hypot($0.roi.column - c, $0.roi.row - r) <= $0.roi.radius + radiusMM / px }) { continue }
                let d = edge.map { hypot(Double($0 % cols) - c, Double($0 / cols) - r) }.min() ?? 0
                if d > bestD { bestD = d; best = i }
            }
            if best < 0, let c = m.centroid { return PlanarDisk(column: c.column, row: c.row, radius: radiusMM / px) }
            let r = min(radiusMM / px, max(1.5, bestD))
            return PlanarDisk(column: Double(best % cols), row: Double(best / cols), radius: r)
        }
        let liverDisc = deepest(liver, radiusMM: options.liverRadiusMM, avoid: lesions)
        let spleenDisc = deepest(spleen, radiusMM: options.spleenRadiusMM, avoid: lesions)
        notes.append(String(format: "liver, spleen and tumour regions placed automatically on the anatomy (liver disc at column %.0f, row %.0f; spleen at column %.0f, row %.0f; %d tumour foci); check the figure",
                            liverDisc.column, liverDisc.row, spleenDisc.column, spleenDisc.row, lesions.count))
        return AutomaticRegions(liver: NamedPlanarDisk(name: "liver", roi: liverDisc), spleen: NamedPlanarDisk(name: "spleen", roi: spleenDisc),
                                lesions: lesions, physiology: physiology, notes: notes)
    }
}

extension KrenningAnalysis {
    /// The Krenning score with the regions not given (nil) placed automatically on the anatomy
    /// (``automaticRegions(anterior:posterior:)``); hand-placed regions win. With automatic tumour regions and no
    /// tumour focus found the result has no lesions and says so.
    public func score(anterior: PlanarViewImage, posterior: PlanarViewImage?, lesions: [NamedPlanarDisk]?, liver: NamedPlanarDisk?,
                      spleen: NamedPlanarDisk?, background: NamedPlanarDisk? = nil) throws(PlanarAnalysisError) -> Result {
        if let lesions, let liver, let spleen {
            return try score(anterior: anterior, posterior: posterior, lesions: lesions, liver: liver, spleen: spleen, background: background)
        }
        let auto = try automaticRegions(anterior: anterior, posterior: posterior)
        var r = try score(anterior: anterior, posterior: posterior, lesions: lesions ?? auto.lesions, liver: liver ?? auto.liver,
                          spleen: spleen ?? auto.spleen, background: background, allowNoLesions: lesions == nil)
        r.automaticRegions = (liver == nil ? ["liver"] : []) + (spleen == nil ? ["spleen"] : []) + (lesions == nil ? ["lesions"] : [])
        r.physiology = auto.physiology
        r.notes = auto.notes + r.notes
        if lesions == nil && r.lesions.isEmpty {
            r.findings = ["No somatostatin-receptor-positive tumour focus found (a known tumour without visible uptake is Krenning grade 0)."]
        }
        r.quality = auto.notes + r.quality
        return r
    }
}
