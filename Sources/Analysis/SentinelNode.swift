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
        /// Drainage order within the view (1 = first along the lymphatic channel; ``drainageOrder(_:channels:)``).
        public var drainageOrder: Int? = nil
        /// The lymphatic channel traced from the injection site to this node (``Channel``).
        public var channel: Channel? = nil
    }

    /// The result.
    public struct Result: Sendable, Codable, Equatable {
        /// Injection site of the first view (the contract key); all views in ``injectionSites``.
        public var injectionSite: InjectionSite
        /// Injection site of every view.
        public var injectionSites: [InjectionSite]
        /// Nodes, per view in view order, hottest first.
        public var nodes: [Node]
        /// Nodes seen on both an anterior and a lateral view, in drainage order, with position, depth below the
        /// anterior skin and the skin-marker position (``locate(_:order:anterior:lateral:lateralMask:toleranceMM:)``).
        public var located: [LocatedNode]? = nil
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

    /// Regions of one view given from outside (edited by a reader, issue 13/18), replacing the automatic ones.
    public struct GivenRegions: Sendable, Equatable {
        /// The injection-site mask (its centre is the injection site); nil: found automatically.
        public var injectionSite: PlanarDisk?
        /// The node counting disks (centres are the node positions); nil: nodes detected automatically.
        public var nodes: [PlanarDisk]?
        /// Creates given regions.
        public init(injectionSite: PlanarDisk? = nil, nodes: [PlanarDisk]? = nil) { self.injectionSite = injectionSite; self.nodes = nodes }
    }

    /// Runs the analysis on one or more views. `given` (keyed by view name) replaces the automatic injection-site mask
    /// and/or node detection of a view with regions from outside; counts, percentages and distances are computed from
    /// them in the same way.
    public func analyze(_ views: [PlanarViewImage], given: [String: GivenRegions] = [:]) throws(PlanarAnalysisError) -> Result {
        guard !views.isEmpty else { throw PlanarAnalysisError("sentinel node: no views given") }
        for name in given.keys where !views.contains(where: { $0.name == name }) {
            throw PlanarAnalysisError("sentinel node: regions given for view \(name), which is not among the views (\(views.map(\.name).joined(separator: ", ")))")
        }
        var sites: [InjectionSite] = [], nodes: [Node] = [], notes: [String] = []
        for v in views {
            try v.validate()
            let g = given[v.name]
            for d in (g?.nodes ?? []) + (g?.injectionSite.map { [$0] } ?? []) {
                guard d.radius > 0, d.column >= 0, d.row >= 0, d.column <= Double(v.columns - 1), d.row <= Double(v.rows - 1) else {
                    throw PlanarAnalysisError("sentinel node: region given at column \(d.column), row \(d.row), radius \(d.radius) lies outside the \(v.columns)×\(v.rows) view \(v.name)")
                }
            }
            let (site, found) = analyzeView(v, given: g)
            let base = nodes.count
            sites.append(site)
            nodes += found.map { n in
                var n = n
                if let up = n.channel?.upstreamNode { n.channel?.upstreamNode = up + base }
                return n
            }
            if g != nil { notes.append("view \(v.name): regions given from outside (edited)\(g?.injectionSite == nil ? "" : ": injection site")\(g?.nodes == nil ? "" : (g?.injectionSite == nil ? ": " : ", ") + "\(g!.nodes!.count) node(s)")") }
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
        let order = Self.drainageOrder(nodes, channels: nodes.map(\.channel))
        for k in nodes.indices { nodes[k].drainageOrder = order[k] }
        var conv = conventions
        conv["drainageOrder"] = "per view, ascending cost of the lymphatic channel traced from the injection site (1 = first node along the channel; a node reached through another comes after it)"
        conv["channel"] = "minimal-cost 8-connected path on the smoothed view from the injection site's centre to the node; step cost = length × tissue / max(counts, 0.05 × tissue), tissue = median of the body outside the injection mask; costMM in tissue-equivalent mm, lengthMM outside the mask, contrast = mean counts along the path (outside mask and node discs) / tissue, upstreamNode = the node passed through last"
        conv["depth"] = "anterior and lateral node paired by drainage order and height (±20 mm); depth = node y (lateral view) − anterior skin y (lateral view, the row's most anterior pixel at ≥ a quarter of the tissue level); skin marker = (x anterior view, skin y, mean z), LPS mm"
        var r = Result(injectionSite: sites[0], injectionSites: sites, nodes: nodes, conventions: conv, options: o, notes: notes)
        if let a = views.first(where: { $0.name.lowercased().contains("anterior") && !$0.name.lowercased().contains("oblique") && $0.origin != nil }),
           let l = views.first(where: { $0.name.lowercased().contains("lateral") && $0.origin != nil }),
           let ls = sites.first(where: { $0.view == l.name }) {
            let px = (l.rowSpacingMM + l.columnSpacingMM) / 2
            let mask = PlanarDisk(column: ls.column, row: ls.row, radius: ls.maskRadiusMM / px).mask(rows: l.rows, columns: l.columns).inside
            r.located = Self.locate(nodes, order: order, anterior: a, lateral: l, lateralMask: mask)
        } else if views.count > 1 {
            notes.append("no anterior and lateral view pair with geometry: node depth and skin marker not given")
        }
        r.findings = nodes.isEmpty ? ["No lymph node seen outside the injection site."] : nodes.enumerated().map { k, n in
            String(format: "Node %d (%@): drainage order %d, %.0f net counts, %.0f %% of the hottest%@, %.0f mm from the injection site%@.", k + 1, n.view,
                   n.drainageOrder ?? 0, n.counts, n.percentOfHottest, n.meetsReportingRule ? "" : " (below the 10 % rule)", n.distanceFromInjectionMM,
                   n.channel.map { c in c.upstreamNode.map { String(format: ", reached through node %d", $0 + 1) } ?? (c.contrast > 1.2 ? ", channel seen from the injection site" : "") } ?? "")
        }
        for (k, ln) in (r.located ?? []).enumerated() {
            r.findings.append(String(format: "Node %d in drainage order: depth %.0f mm below the anterior skin; skin marker at LPS (%.0f, %.0f, %.0f) mm.",
                                     k + 1, ln.depthMM, ln.skinMarkerMM[0], ln.skinMarkerMM[1], ln.skinMarkerMM[2]))
        }
        r.notes = notes
        r.physiology = sites.map { s in
            PhysiologicalUptake(view: s.view, column: s.column, row: s.row, kind: "injection site",
                                reason: String(format: "injected activity, masked to %.0f mm with its scatter halo as a lead shield would", s.maskRadiusMM))
        }
        r.quality = notes
        return r
    }

    func analyzeView(_ v: PlanarViewImage, given: GivenRegions? = nil) -> (InjectionSite, [Node]) {
        let o = options
        let rows = v.rows, cols = v.columns
        let px = (v.rowSpacingMM + v.columnSpacingMM) / 2
        let s = RegionTools.gaussian(v.counts, rows: rows, columns: cols, sigma: o.smoothingSigmaPixels)
        // Injection site: global maximum of the smoothed view (or the given mask's centre).
        var ic: Int, ir: Int, maskR: Double
        if let g = given?.injectionSite {
            ic = min(cols - 1, max(0, Int(g.column.rounded()))); ir = min(rows - 1, max(0, Int(g.row.rounded()))); maskR = g.radius
        } else {
            var best = 0
            for i in 0..<s.count where s[i] > s[best] { best = i }
            ic = best % cols; ir = best / cols
            let peak = s[best]
            // Mask radius: first ring whose mean falls below the fraction of the peak.
            let maxR = o.maximumInjectionMaskMM / px
            maskR = maxR
            var r = 1.0
            while r <= maxR {
                let ring = RegionTools.annulus(s, rows: rows, columns: cols, column: Double(ic), row: Double(ir), inner: r - 1, outer: r)
                if ring.pixels > 0 && ring.mean < Double(peak) * o.injectionMaskFraction { maskR = r; break }
                r += 1
            }
            maskR = min(maxR, maskR + o.injectionMaskMarginMM / px)
        }
        let siteCentre = given?.injectionSite.map { (column: $0.column, row: $0.row) }
            ?? RegionTools.centroid(v.counts, rows: rows, columns: cols, column: ic, row: ir, radius: 1.5, floor: 0)
        // The mask is centred on the peak pixel (automatic) or the given centre.
        let maskDisk = given?.injectionSite ?? PlanarDisk(column: Double(ic), row: Double(ir), radius: maskR)
        let mask = maskDisk.mask(rows: rows, columns: cols).inside
        let siteCounts = RegionTools.disk(v.counts, rows: rows, columns: cols, maskDisk).counts
        let site = InjectionSite(view: v.name, column: siteCentre.column, row: siteCentre.row, counts: siteCounts, maskRadiusMM: maskR * px,
                                 patientPositionMM: v.patientPosition(column: siteCentre.column, row: siteCentre.row)?.array)
        // Nodes.
        let roiR = max(1.5, o.roiRadiusMM / px)
        if let givenNodes = given?.nodes {
            let measured = givenNodes.map { d -> Measured in
                let m = measure(v, column: d.column, row: d.row, radius: d.radius, mask: mask)
                return Measured(c: d.column, r: d.row, net: m.net, sig: m.sig)
            }
            return (site, withChannels(finish(v, site: site, kept: measured), smoothed: s, view: v, mask: mask, site: site, radius: roiR))
        }
        let candidates = RegionTools.localMaxima(s, rows: rows, columns: cols, radius: 2, threshold: 0, excluded: mask)
        var kept: [Measured] = []
        for cand in candidates {
            let sBgRegion = RegionTools.annulus(s, rows: rows, columns: cols, column: Double(cand.column), row: Double(cand.row),
                                                inner: 1.5 * roiR, outer: 2.5 * roiR, excluded: mask)
            guard sBgRegion.pixels >= 4 else { continue }
            let sBg = sBgRegion.mean
            let peakS = Double(s[cand.row * cols + cand.column])
            guard peakS >= o.minimumContrast * max(sBg, 1e-6) else { continue }
            let m = measure(v, column: Double(cand.column), row: Double(cand.row), radius: roiR, mask: mask)
            guard m.sig >= o.minimumSignificance else { continue }
            let pos = RegionTools.centroid(s, rows: rows, columns: cols, column: cand.column, row: cand.row, radius: 1.5, floor: Float(sBg))
            let sep = o.minimumSeparationMM / px
            if kept.contains(where: { ($0.c - pos.column) * ($0.c - pos.column) + ($0.r - pos.row) * ($0.r - pos.row) < sep * sep }) { continue }
            kept.append(Measured(c: pos.column, r: pos.row, net: m.net, sig: m.sig))
        }
        return (site, withChannels(finish(v, site: site, kept: kept), smoothed: s, view: v, mask: mask, site: site, radius: roiR))
    }

    /// The nodes of one view with their traced channels (``traceChannels(smoothed:rows:columns:mask:site:nodes:nodeRadius:pixelMM:)``;
    /// upstream indices within the view).
    func withChannels(_ nodes: [Node], smoothed s: [Float], view v: PlanarViewImage, mask: [Bool], site: InjectionSite, radius: Double) -> [Node] {
        let ch = Self.traceChannels(smoothed: s, rows: v.rows, columns: v.columns, mask: mask, site: (site.column, site.row),
                                    nodes: nodes.map { ($0.column, $0.row) }, nodeRadius: radius, pixelMM: (v.rowSpacingMM + v.columnSpacingMM) / 2)
        return nodes.enumerated().map { k, n in var n = n; n.channel = ch[k]; return n }
    }

    /// A node position with its net counts and significance.
    struct Measured { var c: Double; var r: Double; var net: Double; var sig: Double }

    /// Net counts (disk minus the annulus mean of 1.5–2.5 radii, the injection mask left out) and their significance.
    func measure(_ v: PlanarViewImage, column: Double, row: Double, radius: Double, mask: [Bool]) -> (net: Double, sig: Double) {
        let rows = v.rows, cols = v.columns
        let bg = RegionTools.annulus(v.counts, rows: rows, columns: cols, column: column, row: row, inner: 1.5 * radius, outer: 2.5 * radius, excluded: mask)
        let d = RegionTools.disk(v.counts, rows: rows, columns: cols, PlanarDisk(column: column, row: row, radius: radius))
        let net = d.counts - bg.mean * Double(d.pixels)
        let variance = d.counts + bg.mean * Double(d.pixels * d.pixels) / Double(max(1, bg.pixels))
        return (net, net / max(variance, 1).squareRoot())
    }

    /// The shared finishing step: nodes hottest first with their percentage of the hottest and distance from the site.
    func finish(_ v: PlanarViewImage, site: InjectionSite, kept: [Measured]) -> [Node] {
        let o = options
        let kept = kept.sorted { $0.net > $1.net }
        let hottest = kept.first.map { max($0.net, 1e-9) } ?? 1
        return kept.map { k -> Node in
            let pct = 100 * k.net / hottest
            let dist = ((k.c - site.column) * (k.c - site.column) * v.columnSpacingMM * v.columnSpacingMM
                        + (k.r - site.row) * (k.r - site.row) * v.rowSpacingMM * v.rowSpacingMM).squareRoot()
            return Node(view: v.name, column: k.c, row: k.r, counts: k.net, percentOfHottest: pct,
                        meetsReportingRule: pct >= o.reportingPercent, significance: k.sig,
                        patientPositionMM: v.patientPosition(column: k.c, row: k.r)?.array, distanceFromInjectionMM: dist)
        }
    }
}
