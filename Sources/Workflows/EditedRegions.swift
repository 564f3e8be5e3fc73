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
    public var takesEditedRegions: Bool { self == .lvef }
}

extension AnalysisJob {
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
