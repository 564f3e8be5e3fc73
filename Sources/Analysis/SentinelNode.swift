import Foundation
import Imaging

/// Sentinel lymph node lymphoscintigraphy: on each planar view (typically anterior and lateral) the injection
/// site is found and masked, the remaining hot spots are detected and listed as nodes with their counts, their
/// percentage of the hottest node (the 10 % rule), and their positions in pixels and on the detector plane in
/// patient coordinates.
///
/// Conventions (also written into every result):
/// - Smoothing: Gaussian, σ = ``Options/smoothingSigmaPixels`` (detection only; counts come from the raw image).
/// - Injection site: the hottest pixel of the smoothed view; masked out to the radius where the smoothed radial
///   profile first falls below ``Options/injectionMaskFraction`` of its peak, plus ``Options/injectionMaskMarginMM``.
/// - Nodes: local maxima (±2 pixels) outside the mask whose net counts are at least
///   ``Options/minimumSignificance`` standard deviations above the local background.
/// - Node counts: counts in a disk of ``Options/roiRadiusMM`` minus the mean of an annulus (1.5–2.5 × the radius)
///   times the disk's pixels (local background subtraction).
/// - Percent of the hottest: node net counts ÷ the hottest node's net counts of the same view × 100; nodes at or
///   above 10 % pass the 10 % rule.
public struct SentinelNodeAnalysis: Sendable {
    /// Tunable conventions.
    public struct Options: Sendable, Codable, Equatable {
        /// Gaussian σ of the detection smoothing (pixels).
        public var smoothingSigmaPixels: Double = 1
        /// The injection mask ends where the smoothed radial profile falls below this fraction of its peak.
        public var injectionMaskFraction: Double = 0.01
        /// Margin added to the injection mask radius (mm).
        public var injectionMaskMarginMM: Double = 10
        /// Largest injection mask radius (mm).
        public var maximumInjectionMaskMM: Double = 120
        /// Radius of the node counting disk (mm).
        public var roiRadiusMM: Double = 12
        /// Minimum net counts in units of their Poisson standard deviation.
        public var minimumSignificance: Double = 6
        /// Minimum smoothed peak-to-local-background ratio of a node.
        public var minimumContrast: Double = 1.3
        /// Two maxima closer than this (mm) are one node (the brighter kept).
        public var minimumSeparationMM: Double = 15
        /// The reporting rule (percent of the hottest node).
        public var reportingPercent: Double = 10
        /// Creates the default options.
        public init() {}
    }

    /// The injection site of one view.
    public struct InjectionSite: Sendable, Codable, Equatable {
        /// View name.
        public var view: String
        /// Column of the peak (0-based pixel centre, background-subtracted centroid).
        public var column: Double
        /// Row of the peak.
        public var row: Double
        /// Counts within the mask (raw).
        public var counts: Double
        /// Radius of the mask (mm).
        public var maskRadiusMM: Double
        /// Patient position on the detector plane (LPS mm), when the view has geometry.
        public var patientPositionMM: [Double]?
    }

    /// One node.
    public struct Node: Sendable, Codable, Equatable {
        /// View name.
        public var view: String
        /// Column (0-based pixel centre, background-subtracted centroid).
        public var column: Double
        /// Row.
        public var row: Double
        /// Net counts (disk minus local background).
        public var counts: Double
        /// Net counts ÷ hottest node of the same view × 100.
        public var percentOfHottest: Double
        /// Whether the node passes the reporting rule (≥ ``Options/reportingPercent``).
        public var meetsReportingRule: Bool
        /// Net counts ÷ their Poisson standard deviation.
        public var significance: Double
        /// Patient position on the detector plane (LPS mm), when the view has geometry.
        public var patientPositionMM: [Double]?
        /// Distance from the injection site (mm).
        public var distanceFromInjectionMM: Double
    }

    /// The result.
    public struct Result: Sendable, Codable, Equatable {
        /// Injection site of the first view (the contract key); all views in ``injectionSites``.
        public var injectionSite: InjectionSite
        /// Injection site of every view.
        public var injectionSites: [InjectionSite]
        /// Nodes, per view in view order, hottest first.
        public var nodes: [Node]
        /// Conventions used.
        public var conventions: [String: String]
        /// Options used.
        public var options: Options
        /// Notes (assumptions, views without geometry).
        public var notes: [String]
        /// What a physician reads (issue 18), one sentence each.
        public var findings: [String] = []
        /// Uptake seen and why it is not a finding.
        public var physiology: [PhysiologicalUptake] = []
        /// What limits the result (counts, view, phase, assumptions).
        public var quality: [String] = []
    }

    /// The options.
    public var options: Options
    /// Creates an analysis.
    public init(options: Options = Options()) { self.options = options }

    /// Runs the analysis on one or more views.
    public func analyze(_ views: [PlanarViewImage]) throws(PlanarAnalysisError) -> Result {
        guard !views.isEmpty else { throw PlanarAnalysisError("sentinel node: no views given") }
        var sites: [InjectionSite] = [], nodes: [Node] = [], notes: [String] = []
        for v in views {
            try v.validate()
            let (site, found) = analyzeView(v)
            sites.append(site); nodes += found
            if v.origin == nil { notes.append("view \(v.name): no detector geometry, patient positions not given") }
        }
        let o = options
        let conventions = [
            "units": "counts (raw detector counts, photopeak window); positions 0-based pixel centres; patient positions LPS mm on the detector plane",
            "injectionSite": String(format: "hottest pixel of the smoothed view, masked to where the radial profile falls below %.3g of its peak + %.0f mm", o.injectionMaskFraction, o.injectionMaskMarginMM),
            "nodeDetection": String(format: "local maxima (±2 px) of the Gaussian-smoothed view (σ %.2g px) outside the mask, net counts ≥ %.3g σ and contrast ≥ %.3g", o.smoothingSigmaPixels, o.minimumSignificance, o.minimumContrast),
            "nodeCounts": String(format: "disk of %.0f mm minus the mean of an annulus of 1.5–2.5 radii (local background)", o.roiRadiusMM),
            "percentOfHottest": String(format: "net counts / hottest node of the same view x 100; %.0f %% rule", o.reportingPercent),
        ]
        var r = Result(injectionSite: sites[0], injectionSites: sites, nodes: nodes, conventions: conventions, options: o, notes: notes)
        r.findings = nodes.isEmpty ? ["No lymph node seen outside the injection site."] : nodes.enumerated().map { k, n in
            String(format: "Node %d (%@): %.0f net counts, %.0f %% of the hottest%@, %.0f mm from the injection site.", k + 1, n.view, n.counts,
                   n.percentOfHottest, n.meetsReportingRule ? "" : " (below the reporting rule)", n.distanceFromInjectionMM)
        }
        r.physiology = sites.map { s in
            PhysiologicalUptake(view: s.view, column: s.column, row: s.row, kind: "injection site",
                                reason: String(format: "injected activity, masked to %.0f mm with its scatter halo as a lead shield would", s.maskRadiusMM))
        }
        r.quality = notes
        return r
    }

    func analyzeView(_ v: PlanarViewImage) -> (InjectionSite, [Node]) {
        let o = options
        let rows = v.rows, cols = v.columns
        let px = (v.rowSpacingMM + v.columnSpacingMM) / 2
        let s = RegionTools.gaussian(v.counts, rows: rows, columns: cols, sigma: o.smoothingSigmaPixels)
        // Injection site: global maximum of the smoothed view.
        var best = 0
        for i in 0..<s.count where s[i] > s[best] { best = i }
        let ic = best % cols, ir = best / cols
        let peak = s[best]
        // Mask radius: first ring whose mean falls below the fraction of the peak.
        let maxR = o.maximumInjectionMaskMM / px
        var maskR = maxR
        var r = 1.0
        while r <= maxR {
            let ring = RegionTools.annulus(s, rows: rows, columns: cols, column: Double(ic), row: Double(ir), inner: r - 1, outer: r)
            if ring.pixels > 0 && ring.mean < Double(peak) * o.injectionMaskFraction { maskR = r; break }
            r += 1
        }
        maskR = min(maxR, maskR + o.injectionMaskMarginMM / px)
        var mask = [Bool](repeating: false, count: rows * cols)
        for rr in 0..<rows { for cc in 0..<cols {
            let dr = Double(rr - ir), dc = Double(cc - ic)
            if dr * dr + dc * dc <= maskR * maskR { mask[rr * cols + cc] = true }
        } }
        let siteCounts = RegionTools.disk(v.counts, rows: rows, columns: cols, PlanarDisk(column: Double(ic), row: Double(ir), radius: maskR)).counts
        let sc = RegionTools.centroid(v.counts, rows: rows, columns: cols, column: ic, row: ir, radius: 1.5, floor: 0)
        let site = InjectionSite(view: v.name, column: sc.column, row: sc.row, counts: siteCounts, maskRadiusMM: maskR * px,
                                 patientPositionMM: v.patientPosition(column: sc.column, row: sc.row)?.array)
        // Nodes.
        let roiR = max(1.5, o.roiRadiusMM / px)
        let candidates = RegionTools.localMaxima(s, rows: rows, columns: cols, radius: 2, threshold: 0, excluded: mask)
        var kept: [(c: Double, r: Double, net: Double, sig: Double)] = []
        for cand in candidates {
            let bg = RegionTools.annulus(v.counts, rows: rows, columns: cols, column: Double(cand.column), row: Double(cand.row),
                                       inner: 1.5 * roiR, outer: 2.5 * roiR, excluded: mask)
            guard bg.pixels >= 4 else { continue }
            let sBg = RegionTools.annulus(s, rows: rows, columns: cols, column: Double(cand.column), row: Double(cand.row),
                                        inner: 1.5 * roiR, outer: 2.5 * roiR, excluded: mask).mean
            let peakS = Double(s[cand.row * cols + cand.column])
            guard peakS >= o.minimumContrast * max(sBg, 1e-6) else { continue }
            let d = RegionTools.disk(v.counts, rows: rows, columns: cols, PlanarDisk(column: Double(cand.column), row: Double(cand.row), radius: roiR))
            let net = d.counts - bg.mean * Double(d.pixels)
            let variance = d.counts + bg.mean * Double(d.pixels * d.pixels) / Double(bg.pixels)
            let sig = net / max(variance, 1).squareRoot()
            guard sig >= o.minimumSignificance else { continue }
            let pos = RegionTools.centroid(s, rows: rows, columns: cols, column: cand.column, row: cand.row, radius: 1.5, floor: Float(sBg))
            let sep = o.minimumSeparationMM / px
            if kept.contains(where: { ($0.c - pos.column) * ($0.c - pos.column) + ($0.r - pos.row) * ($0.r - pos.row) < sep * sep }) { continue }
            kept.append((pos.column, pos.row, net, sig))
        }
        kept.sort { $0.net > $1.net }
        let hottest = kept.first?.net ?? 1
        let nodes = kept.map { k -> Node in
            let pct = 100 * k.net / hottest
            let dist = ((k.c - sc.column) * (k.c - sc.column) * v.columnSpacingMM * v.columnSpacingMM
                        + (k.r - sc.row) * (k.r - sc.row) * v.rowSpacingMM * v.rowSpacingMM).squareRoot()
            return Node(view: v.name, column: k.c, row: k.r, counts: k.net, percentOfHottest: pct,
                        meetsReportingRule: pct >= o.reportingPercent, significance: k.sig,
                        patientPositionMM: v.patientPosition(column: k.c, row: k.r)?.array, distanceFromInjectionMM: dist)
        }
        return (site, nodes)
    }
}
