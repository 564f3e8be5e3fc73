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
    public var takesEditedRegions: Bool { [.lvef, .mibgHM, .krenning].contains(self) }
}

extension AnalysisJob {
    /// The edited regions by label.
    static func byLabel(_ regions: [ResultDisplay.Region]) -> [String: ResultDisplay.Region] {
        Dictionary(regions.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The MIBG H/M with the automatic `heart` circle and/or `mediastinum` square replaced (the labels of the
    /// automatic result's display); a region not given keeps its automatic place.
    static func editedMIBG(_ v: PlanarViewImage, automatic a: MIBGAnalysis.Result, collimator: String?, path: String,
                           regions: [ResultDisplay.Region]) throws(WorkflowError) -> MIBGAnalysis.Result {
        let given = byLabel(regions)
        var heart = a.heartROI, med = a.mediastinumROI
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
