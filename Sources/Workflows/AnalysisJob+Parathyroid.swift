import Analysis
import Foundation
import Physics

extension AnalysisJob {
    /// Parathyroid dual-phase (and dual-tracer) analysis as a job: the analysed series is the early sestamibi image,
    /// input `delayed` (required) and `thyroid` (optional), as `scinti analyze parathyroid`. The display draws, on the
    /// early image's frame, the neck region, the thyroid core and the 2-pixel retention disc of each candidate adenoma.
    /// `regions` (edited): `candidate k` circles (the retention discs; the other automatic candidates kept) and the
    /// `thyroid core` replace the automatic ones.
    static func parathyroid(path: String, series: String, inputs: [String: String], regions edited: [ResultDisplay.Region] = []) throws(WorkflowError) -> Output {
        let e = try PlanarInputs.planar(path: path, role: "early")
        let d = try PlanarInputs.planar(path: inputs["delayed"]!, role: "delayed")
        let t = try inputs["thyroid"].map { p throws(WorkflowError) in try PlanarInputs.planar(path: p, role: "thyroid") }
        var warnings = e.warnings + d.warnings + (t?.warnings ?? [])
        let nuclide = e.nuclide ?? d.nuclide ?? {
            warnings.append("\(path): no radionuclide in the Radiopharmaceutical Information Sequence: Tc-99m assumed for the decay correction")
            return Radionuclide.named("Tc-99m")!
        }()
        // Separately written phases that record different injection times: put on the early image's clock.
        func onEarlyClock(_ p: PlanarInputs.PlanarStudy) -> Date? {
            guard let s = p.acquisitionStart, let a = p.administration, let a0 = e.administration, abs(a.timeIntervalSince(a0)) > 1 else { return p.acquisitionStart }
            return a0.addingTimeInterval(s.timeIntervalSince(a))
        }
        func analyze(_ candidates: [PlanarDisk]?, _ core: PlanarROI?) throws(WorkflowError) -> Parathyroid.Analysis {
            do {
                return try Parathyroid(nuclide: nuclide).analyze(
                    early: .init(image: e.image, start: e.acquisitionStart, durationSeconds: e.durationSeconds),
                    delayed: .init(image: d.image, start: onEarlyClock(d), durationSeconds: d.durationSeconds),
                    thyroid: t.map { .init(image: $0.image, start: onEarlyClock($0), durationSeconds: $0.durationSeconds) },
                    pixelToPatient: PlanarInputs.pixelToPatient(e), candidateRegions: candidates, thyroidRegion: core)
            } catch { throw WorkflowError("\(path): \(edited.isEmpty ? "" : "with the edited regions: ")\(error.message)") }
        }
        var a = try analyze(nil, nil)
        if !edited.isEmpty {
            let given = byLabel(edited)
            try refuse(given, taking: { $0.hasPrefix("candidate ") || $0 == "thyroid core" }, analysis: "the parathyroid analysis",
                       takes: "the candidate k circles and the thyroid core")
            let candidates = try a.result.candidates.enumerated().map { (k, c) throws(WorkflowError) -> PlanarDisk in
                try given["candidate \(k + 1)"].map { r throws(WorkflowError) in try disk(r, analysis: "the parathyroid analysis") }
                    ?? PlanarDisk(column: c.column, row: c.row, radius: 2)
            }
            let core = given["thyroid core"].map { roi($0, rows: e.image.rows, columns: e.image.columns) }
            a = try analyze(given.keys.contains { $0.hasPrefix("candidate ") } ? candidates : nil, core)
        }
        let r = a.result, palette = ResultDisplay.palette, frame = [e.frameIndex]
        var regions: [ResultDisplay.Region] = [
            .mask("neck region", colour: palette[1], frames: frame, inside: a.neckROI.inside),
            .mask("thyroid core", colour: palette[2], frames: frame, inside: a.thyroidCore.inside),
        ]
        var summary: [[String]] = [["candidates", "\(r.candidates.count) (\(r.subtraction))"]]
        for (k, c) in r.candidates.enumerated() {
            // The 2-pixel retention disc of the analysis (Parathyroid.Candidate).
            regions.append(.circle("candidate \(k + 1)", colour: palette[0], frames: frame, column: c.column, row: c.row, radius: 2))
            summary.append(["candidate \(k + 1)", "retention index \(fmt(c.retentionIndexPercent, 0)) %, washout \(fmt(c.washoutPercent, 0)) %, \(fmt(c.significance, 1)) σ"])
        }
        for g in r.regions.prefix(2) {
            summary.append([g.name, "retention index \(fmt(g.retentionIndexPercent, 0)) %, washout \(fmt(g.washoutPercent, 0)) % (\(g.pixels) px)"])
        }
        if let g = r.delayedRegistration {
            summary.append(["delayed → early registration", g.used ? "\(g.transform) (\(fmt(g.shiftPixels[0], 2)), \(fmt(g.shiftPixels[1], 2))) px, correlation \(fmt(g.correlation, 3))" : g.note])
        }
        if let h = r.hoursBetweenPhases { summary.append(["early → delayed", "\(fmt(h, 2)) h, delayed counts × \(fmt(r.delayedDecayCorrection, 3)) for decay"]) }
        var conv = r.units
        conv["method"] = r.method
        return Output(resultJSON: try json(r),
                      display: ResultDisplay(title: "Parathyroid (dual phase)", summary: summary, series: series, regions: regions,
                                             conventions: conv, warnings: warnings + e.notes + r.warnings))
    }
}
