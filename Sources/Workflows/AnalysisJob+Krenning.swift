import Analysis
import Foundation

extension AnalysisJob {
    /// Labels of the regions a Krenning job takes (circles on the anterior view, pixels): `liver`, `spleen`,
    /// `lesion …` (one or more), optional `background`; each missing one is placed automatically on the anatomy.
    public static let krenningLabels = "circles labelled liver, spleen, lesion 1 (…), optionally background (missing ones placed automatically)"

    /// Krenning score of lesions against liver and spleen (In-111 octreotide) as a job: the analysed series is one
    /// STATIC or WHOLE BODY file with the anterior (and posterior) view; the regions are the job's `regions` (circles
    /// on the anterior view), as `scinti analyze krenning`'s `--lesion/--liver/--spleen/--background`.
    static func krenning(path: String, series: String, regions given: [ResultDisplay.Region]) throws(WorkflowError) -> Output {
        if let why = PlanarInputs.notAPatient(path: path) { throw WorkflowError("\(path): not analysed: \(why)") }
        let v = try PlanarInputs.read(path: path, sumPhotopeaks: true)
        let ap = try PlanarInputs.anteriorPosterior(v, source: path)
        func disk(_ r: ResultDisplay.Region) throws(WorkflowError) -> NamedPlanarDisk {
            guard r.shape == "circle", let c = r.column, let rw = r.row, let rad = r.radius else {
                throw WorkflowError("regions: '\(r.label)' must be a circle (column, row, radius in pixels) for the Krenning score")
            }
            return NamedPlanarDisk(name: r.label, roi: PlanarDisk(column: c, row: rw, radius: rad))
        }
        let liver = try given.first { $0.label == "liver" }.map { r throws(WorkflowError) in try disk(r) }
        let spleen = try given.first { $0.label == "spleen" }.map { r throws(WorkflowError) in try disk(r) }
        let lesions = try given.filter { $0.label.hasPrefix("lesion") }.map { r throws(WorkflowError) in try disk(r) }
        let bg = try given.first { $0.label == "background" }.map { r throws(WorkflowError) in try disk(r) }
        let r: KrenningAnalysis.Result
        do { r = try KrenningAnalysis().score(anterior: ap.anterior, posterior: ap.posterior, lesions: lesions.isEmpty ? nil : lesions, liver: liver,
                                              spleen: spleen, background: bg) } catch { throw WorkflowError("\(path): \(error)") }
        let palette = ResultDisplay.palette, frames = v.frames(ofView: ap.anterior.name)
        var regions: [ResultDisplay.Region] = []
        for (name, value, colour) in [("liver", r.liver, palette[1]), ("spleen", r.spleen, palette[2])] + (r.background.map { [("background", $0, palette[6])] } ?? []) {
            regions.append(.circle(name, colour: colour, frames: frames, column: value.column, row: value.row, radius: value.radius))
        }
        var summary: [[String]] = [["liver / spleen", "\(fmt(r.liver.intensity)) / \(fmt(r.spleen.intensity)) counts/pixel"]]
        for l in r.lesions {
            regions.append(.circle(l.region.name, colour: palette[0], frames: frames, column: l.region.column, row: l.region.row, radius: l.region.radius))
            summary.append([l.region.name, "Krenning \(l.krenningScore.map(String.init) ?? "withheld (\(l.withheld ?? "reference organ not told apart"))"): \(fmt(l.region.intensity)) counts/pixel, × \(fmt(l.ratioToLiver, 2)) liver, × \(fmt(l.ratioToSpleen, 2)) spleen"])
        }
        var conv = r.conventions
        conv["method"] = r.method
        return Output(resultJSON: try json(r),
                      display: ResultDisplay(title: "Krenning score", summary: summary, series: series, regions: regions,
                                             conventions: conv, warnings: v.notes + ap.notes + r.notes))
    }
}
