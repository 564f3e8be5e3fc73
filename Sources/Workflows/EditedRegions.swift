import Analysis
import Foundation

extension ResultDisplay.Region {
    /// The pixels of the region on a `rows` × `columns` frame: a mask's runs, or the pixels whose centre lies in the
    /// circle (the rule of `PlanarROI.disc`) or square.
    public func inside(rows: Int, columns: Int) -> [Bool] {
        if shape == "mask" { return ResultDisplay.mask(runs: runs ?? [], count: rows * columns) }
        guard let c = column, let r = row, let rad = radius else { return [Bool](repeating: false, count: rows * columns) }
        if shape == "circle" { return PlanarROI.disc(rows: rows, columns: columns, column: c, row: r, radius: rad).inside }
        var m = [Bool](repeating: false, count: rows * columns)
        for y in 0..<rows { for x in 0..<columns where abs(Double(x) - c) <= rad && abs(Double(y) - r) <= rad { m[y * columns + x] = true } }
        return m
    }
}

extension AnalysisJob.Kind {
    /// Whether the analysis can be re-run with edited regions (the job field `regions`, docs/review.md).
    public var takesEditedRegions: Bool { true }
}

extension AnalysisJob {
    /// The edited regions by label.
    static func byLabel(_ regions: [ResultDisplay.Region]) -> [String: ResultDisplay.Region] {
        Dictionary(regions.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The pixels of an edited region on a `rows` × `columns` view.
    static func roi(_ r: ResultDisplay.Region, rows: Int, columns: Int) -> PlanarROI {
        var m = PlanarROI(rows: rows, columns: columns)
        m.inside = r.inside(rows: rows, columns: columns)
        return m
    }

    /// A circle of an edited region (regions the analysis takes as discs).
    static func disk(_ r: ResultDisplay.Region, analysis: String) throws(WorkflowError) -> PlanarDisk {
        guard r.shape == "circle", let c = r.column, let rw = r.row, let rad = r.radius else {
            throw WorkflowError("regions: '\(r.label)' must be a circle (column, row, radius) for \(analysis), not a \(r.shape)")
        }
        return PlanarDisk(column: c, row: rw, radius: rad)
    }

    /// Edited labels the analysis does not take: fails naming them and the labels it takes.
    static func refuse(_ given: [String: ResultDisplay.Region], taking: (String) -> Bool, analysis: String, takes: String) throws(WorkflowError) {
        let other = given.keys.filter { !taking($0) }.sorted()
        guard other.isEmpty else {
            throw WorkflowError("regions: \(other.map { "'\($0)'" }.joined(separator: ", ")) cannot be edited in \(analysis) (it takes \(takes))")
        }
    }

    /// The sentinel-node analysis with edited regions: `injection site …` circles (the mask of the view it is drawn on)
    /// and `node k …` circles (the counting disks; a view with an edited node keeps its other automatic nodes).
    static func editedSentinel(_ v: PlanarInputs.Views, automatic a: SentinelNodeAnalysis.Result, path: String,
                               regions: [ResultDisplay.Region]) throws(WorkflowError) -> SentinelNodeAnalysis.Result {
        let given = byLabel(regions)
        try refuse(given, taking: { $0.hasPrefix("injection site") || $0.hasPrefix("node ") }, analysis: "the sentinel-node analysis",
                   takes: "the injection site and node k circles")
        var out: [String: SentinelNodeAnalysis.GivenRegions] = [:]
        for r in regions where r.label.hasPrefix("injection site") {
            // The view whose frames the region is drawn on.
            guard let view = v.views.first(where: { !v.frames(ofView: $0.name).isEmpty && v.frames(ofView: $0.name) == r.frames })?.name
                    ?? a.injectionSites.first(where: { v.frames(ofView: $0.view) == r.frames })?.view else {
                throw WorkflowError("regions: '\(r.label)' is not on the frame of one view (frames \(r.frames))")
            }
            out[view, default: .init()].injectionSite = try disk(r, analysis: "the sentinel-node analysis")
        }
        // Node k of the automatic result (labels `node k (p %)`).
        var nodes: [String: [PlanarDisk]] = [:]
        for (k, n) in a.nodes.enumerated() {
            let auto = PlanarDisk(column: n.column, row: n.row, radius: a.options.roiRadiusMM / v.columnSpacingMM(ofView: n.view))
            let edited = regions.first { $0.label.hasPrefix("node \(k + 1) ") || $0.label == "node \(k + 1)" }
            nodes[n.view, default: []].append(try edited.map { r throws(WorkflowError) in try disk(r, analysis: "the sentinel-node analysis") } ?? auto)
        }
        for (view, list) in nodes where regions.contains(where: { r in a.nodes.enumerated().contains { $0.element.view == view && (r.label.hasPrefix("node \($0.offset + 1) ") || r.label == "node \($0.offset + 1)") } }) {
            out[view, default: .init()].nodes = list
        }
        do { return try SentinelNodeAnalysis().analyze(v.views, given: out) } catch { throw WorkflowError("\(path): with the edited regions: \(error.message)") }
    }

    /// The bone scan with edited `lesion k` regions (any shape): the lesion list given to the analysis is the
    /// automatic one with the edited lesions replaced; an automatic lesion not edited is given as its drawn circle.
    static func editedBoneScan(_ v: PlanarInputs.Views, automatic a: BoneScanAnalysis.Result, path: String,
                               regions: [ResultDisplay.Region]) throws(WorkflowError) -> BoneScanAnalysis.Result {
        let given = byLabel(regions)
        try refuse(given, taking: { $0.hasPrefix("lesion ") }, analysis: "the bone scan", takes: "the lesion k regions")
        var lesions: [BoneScanAnalysis.GivenLesion] = []
        for (k, l) in a.lesions.enumerated() {
            guard let view = v.views.first(where: { $0.name == l.view }) else { continue }
            let auto = ResultDisplay.Region.circle("lesion \(k + 1)", colour: "", frames: [], column: l.column, row: l.row,
                                                   radius: a.options.roiRadiusMM / v.columnSpacingMM(ofView: l.view))
            lesions.append(.init(view: l.view, roi: roi(given["lesion \(k + 1)"] ?? auto, rows: view.rows, columns: view.columns)))
        }
        do { return try BoneScanAnalysis().analyze(v.views, minutesAfterInjection: v.minutesAfterInjection, lesions: lesions) } catch {
            throw WorkflowError("\(path): with the edited regions: \(error.message)")
        }
    }

    /// The edited `neck region …` of a thyroid uptake (on the neck image; also used on the thigh and room images).
    static func editedNeckRegion(path: String, regions: [ResultDisplay.Region]) throws(WorkflowError) -> PlanarROI? {
        let given = byLabel(regions)
        try refuse(given, taking: { $0.hasPrefix("neck region") }, analysis: "the thyroid uptake", takes: "the neck region")
        guard let r = regions.first(where: { $0.label.hasPrefix("neck region") }) else { return nil }
        let neck = try PlanarInputs.planar(path: path, role: "neck")
        return roi(r, rows: neck.image.rows, columns: neck.image.columns)
    }

    /// The MIBG H/M with the automatic `heart` circle and/or `mediastinum` square replaced (the labels of the
    /// automatic result's display); a region not given keeps its automatic place.
    static func editedMIBG(_ v: PlanarViewImage, automatic a: MIBGAnalysis.Result, collimator: String?, path: String,
                           regions: [ResultDisplay.Region]) throws(WorkflowError) -> MIBGAnalysis.Result {
        let given = byLabel(regions)
        // A heart not given keeps the automatic outline (recomputed: `heartROI` is only its equal-area circle).
        var heart: PlanarDisk? = nil, med = a.mediastinumROI
        if let h = given["heart"] {
            guard h.shape == "circle", let c = h.column, let r = h.row, let rad = h.radius else {
                throw WorkflowError("regions: 'heart' must be a circle (column, row, radius) for the MIBG analysis, not a \(h.shape)")
            }
            heart = PlanarDisk(column: c, row: r, radius: rad)
        }
        if let m = given["mediastinum"] {
            guard m.shape == "square", let c = m.column, let r = m.row, let rad = m.radius else {
                throw WorkflowError("regions: 'mediastinum' must be a square (column, row, radius = half the side) for the MIBG analysis, not a \(m.shape)")
            }
            med = MIBGAnalysis.SquareROI(column: c, row: r, side: max(1, Int((2 * rad).rounded())))
        }
        do { return try MIBGAnalysis().analyze(v, heart: heart, mediastinum: med, collimator: collimator) } catch {
            throw WorkflowError("\(path): with the edited regions: \(error.message)")
        }
    }

    /// The LVEF analysis with the automatic regions replaced, by label, by `regions` (the labels of the automatic
    /// result's display: `LV slot k[ (ED)| (ES)]`, `background`).
    static func editedLVEF(_ input: PlanarInputs.GatedFrames, path: String, regions: [ResultDisplay.Region]) throws(WorkflowError) -> GatedBloodPoolLVEF.Analysis {
        let lvef = GatedBloodPoolLVEF()
        let auto: GatedBloodPoolLVEF.Analysis
        do { auto = try lvef.analyze(frames: input.frames, frameDurationMs: input.frameDurationMs) } catch { throw WorkflowError("\(path): \(error.message)") }
        guard let first = input.frames.first else { throw WorkflowError("\(path): no frames") }
        let (rows, cols) = (first.rows, first.columns)
        let given = Dictionary(regions.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        func roi(_ r: ResultDisplay.Region) -> PlanarROI {
            var m = PlanarROI(rows: rows, columns: cols); m.inside = r.inside(rows: rows, columns: cols); return m
        }
        var lv = auto.lvROIs
        for k in lv.indices {
            let tag = k == auto.result.edFrame ? " (ED)" : k == auto.result.esFrame ? " (ES)" : ""
            if let r = given["LV slot \(k + 1)\(tag)"] { lv[k] = roi(r) }
        }
        let bg = given["background"].map(roi) ?? auto.backgroundROI
        do { return try lvef.analyze(frames: input.frames, frameDurationMs: input.frameDurationMs, lvROIs: lv, backgroundROI: bg) } catch {
            throw WorkflowError("\(path): with the edited regions: \(error.message)")
        }
    }
}
