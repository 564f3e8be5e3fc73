import Foundation
import Imaging
import Rendering

/// Turns a finished job's result JSON (analysis, dose or QC) into the content of its reports: a
/// ``Imaging/MeasurementReport`` plus the figures and charts of the PDF and result screen.
///
/// The result JSON is read generically (contract with the analyses, dosimetry and QC): the payload is `result`
/// (analysis), `report` (dose) or the object itself (QC); every numeric leaf whose unit is known (from the result's
/// `units` entry for the key, or from the unit in the key's name: `…Percent`, `…Gy`, `…MBqh`, `…ML`, …) becomes a
/// measurement; arrays of objects (`vois`, `nodes`, `lesions`, …) give one measurement group per element, named by its
/// `name`/`label`; `findings`, `quality`, `conventions`, `warnings` (and `display.conventions`/`warnings`/`summary`)
/// are carried as text. Numbers without a known unit stay out of the measurements (they remain in the summary rows).
public enum ResultReport {
    /// The report content and what the PDF/result screen draw.
    public struct Content: Sendable {
        /// The report.
        public var report: MeasurementReport
        /// The viewer's display of the result, when the result has one.
        public var display: ResultDisplay?
        /// Charts (from the display).
        public var charts: [SVGPlot]
    }

    /// Reads a job record (`{"id","type","state","result"}` as `GET /api/jobs/{id}` serves it), a job result
    /// (`{"analysis","result","display"}`, `{"report","display",…}`) or a QC result (`scinti qc --json`). Throws one
    /// clear line for malformed JSON, a failed or unfinished job, or a result with nothing to report.
    public static func content(json data: Data, source: String, sources: [MeasurementReport.ImageReference] = [],
                               segments: [String: MeasurementReport.SegmentReference] = [:],
                               software: String = "Scinti 0.1.0") throws(WorkflowError) -> Content {
        guard let any = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw WorkflowError("\(source): not valid JSON (a job record, a job result or a QC result expected)")
        }
        var object: [String: Any]
        var resultID = (source as NSString).lastPathComponent
        if let array = any as? [[String: Any]], array.count == 1 { object = array[0] }
        else if let o = any as? [String: Any] { object = o }
        else { throw WorkflowError("\(source): a JSON object expected (a job record, a job result or a QC result)") }
        // A job record: the result is a JSON string inside.
        if let state = object["state"] as? String, object["request"] != nil {
            let id = object["id"] as? String ?? "?"
            guard state == "done" else {
                throw WorkflowError("job \(id) is \(state)\(state == "failed" ? ": \(object["message"] as? String ?? "")" : ""): no report for a job that has not finished successfully")
            }
            guard let r = object["result"] as? String, let inner = try? JSONSerialization.jsonObject(with: Data(r.utf8)) as? [String: Any] else {
                throw WorkflowError("job \(id): its result is not a JSON object")
            }
            resultID = "job \(id)"
            object = inner
        }
        let display: ResultDisplay? = (object["display"] as? [String: Any]).flatMap {
            (try? JSONSerialization.data(withJSONObject: $0)).flatMap { try? JSONDecoder().decode(ResultDisplay.self, from: $0) }
        }
        let kind: String, payload: [String: Any], title: String
        var root = ""
        if let r = object["result"] as? [String: Any], let a = object["analysis"] as? String {
            kind = "analysis"; payload = r; title = display?.title ?? a; root = "result"
        } else if let r = object["report"] as? [String: Any] {
            kind = "dose"; payload = r; title = display?.title ?? "Dosimetry (\(r["isotope"] as? String ?? "?"))"; root = "report"
        } else if let test = object["test"] as? String, object["status"] != nil {
            kind = "qc"; payload = object; title = "Quality control: \(test) (\(object["camera"] as? String ?? "camera"))"
        } else if object["vois"] is [[String: Any]], let iso = object["isotope"] as? String {
            kind = "dose"; payload = object; title = "Dosimetry (\(iso))"          // `scinti dose --json`
        } else {
            kind = "analysis"; payload = object                                   // `scinti analyze … --json`
            title = (object["analysis"] as? String) ?? (object["method"] as? String).map { "Analysis: \($0)" } ?? "Analysis result"
        }
        let units = payload["units"] as? [String: String] ?? [:]
        var groups: [MeasurementReport.Group] = []
        var studyLevel: [MeasurementReport.Measurement] = []
        collect(payload, path: root, units: units, into: &studyLevel, groups: &groups, segments: segments)
        if !studyLevel.isEmpty {
            groups.insert(MeasurementReport.Group(trackingIdentifier: kind == "qc" ? "QC test" : "study", trackingUID: stableUID(resultID + "/study"),
                                                  finding: .init("RESULT", "99SCINTI", String(title.prefix(64))), measurements: studyLevel), at: 0)
        }
        for k in groups.indices where groups[k].trackingUID.isEmpty { groups[k].trackingUID = stableUID(resultID + "/" + groups[k].trackingIdentifier) }
        // Planar regions drawn on the analysed images: TID 1410 groups (region geometry, no further value).
        if let d = display, let image = sources.first(where: { $0.seriesUID == d.series }) ?? sources.first {
            for r in d.regions {
                guard let c = r.column, let row = r.row, let radius = r.radius, r.shape != "mask" else { continue }
                let (x, y) = (c + 0.5, row + 0.5)   // pixel centres at integers → SCOORD's pixel-corner origin
                let points = r.shape == "circle" ? [x, y, x + radius, y]
                    : [x - radius, y - radius, x + radius, y - radius, x + radius, y + radius, x - radius, y + radius, x - radius, y - radius]
                var ref = image
                ref.frames = r.frames.prefix(1).map { $0 + 1 }
                groups.append(.init(trackingIdentifier: r.label, trackingUID: stableUID(resultID + "/region/" + r.label),
                                    finding: .init("REGION", "99SCINTI", "Region of interest"), measurements: [],
                                    region: .init(shape: r.shape == "circle" ? "CIRCLE" : "POLYLINE", points: points, image: ref)))
            }
        }
        var conventions = display?.conventions ?? [:]
        for (k, v) in payload["conventions"] as? [String: String] ?? [:] { conventions[k] = v }
        for (k, v) in units where conventions["unit of " + k] == nil { conventions["unit of " + k] = v }
        if let m = payload["method"] as? String, conventions["method"] == nil { conventions["method"] = m }
        var warnings: [String] = []
        for w in (payload["warnings"] as? [String] ?? []) + (display?.warnings ?? []) + (payload["notes"] as? [String] ?? []) where !warnings.contains(w) {
            warnings.append(w)
        }
        var summary = display?.summary ?? []
        if summary.isEmpty {
            summary = groups.flatMap { g in g.measurements.map { ["\(g.trackingIdentifier): \($0.concept.meaning)", "\(MeasurementReport.format($0.value)) \($0.unit)"] } }
        }
        if kind == "qc", let s = object["status"] as? String {
            summary.insert(["status", s + ((object["exceeded"] as? [String]).map { $0.isEmpty ? "" : " (exceeded: \($0.joined(separator: ", ")))" } ?? "")], at: 0)
        }
        var report = MeasurementReport(title: title, kind: kind, summary: summary, groups: groups,
                                       findings: strings(payload["findings"]), quality: strings(payload["quality"]),
                                       conventions: conventions, warnings: warnings, sourceImages: sources, software: software, resultID: resultID)
        if kind == "dose" {
            report.administration = .init(radionuclide: payload["isotope"] as? String ?? "?", activityMBq: nil, dateTime: nil, route: nil,
                                          eventUID: stableUID(resultID + "/administration"),
                                          organDoses: (payload["vois"] as? [[String: Any]] ?? []).compactMap { v in
                                              guard let n = v["name"] as? String, let d = v["meanDoseGy"] as? Double else { return nil }
                                              return .init(name: n, meanGy: d, massG: v["massG"] as? Double)
                                          })
        }
        guard !report.allMeasurements.isEmpty || !summary.isEmpty else {
            throw WorkflowError("\(source): the result holds no measurement with a known unit and no summary: nothing to report")
        }
        let charts = (display?.charts ?? []).map { c in
            SVGPlot(title: c.title, xLabel: c.xLabel, yLabel: c.yLabel,
                    series: c.curves.map { .init(label: $0.label, x: $0.x, y: $0.y, colour: $0.colour, markers: $0.style == "points") })
        }
        return Content(report: report, display: display, charts: charts)
    }

    static func strings(_ v: Any?) -> [String] {
        if let s = v as? [String] { return s }
        if let s = v as? String { return [s] }
        if let d = v as? [String: Any] { return d.keys.sorted().map { "\($0): \(d[$0].map { "\($0)" } ?? "")" } }
        return []
    }

    /// Keys never reported as measurements (indices, bookkeeping).
    static let skipped: Set<String> = ["units", "conventions", "warnings", "notes", "findings", "quality", "outputs", "options", "display"]

    static func collect(_ o: [String: Any], path: String, prefix: String = "", units: [String: String],
                        into measurements: inout [MeasurementReport.Measurement], groups: inout [MeasurementReport.Group],
                        segments: [String: MeasurementReport.SegmentReference]) {
        for key in o.keys.sorted() where !skipped.contains(key) {
            let p = path.isEmpty ? key : path + "." + key
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch o[key] {
            case is Bool: continue
            case let n as NSNumber:
                let v = n.doubleValue
                guard v.isFinite, let unit = unit(for: key, units: units) else { continue }
                measurements.append(.init(concept: concept(name), value: v, unit: unit, source: p))
            case let d as [String: Any]:
                collect(d, path: p, prefix: name, units: units, into: &measurements, groups: &groups, segments: segments)
            case let a as [[String: Any]] where !a.isEmpty:
                for (i, element) in a.enumerated() {
                    var ms: [MeasurementReport.Measurement] = []
                    var sub: [MeasurementReport.Group] = []
                    collect(element, path: "\(p)[\(i)]", units: units, into: &ms, groups: &sub, segments: segments)
                    let label = (element["name"] as? String) ?? (element["label"] as? String)
                        ?? "\(singular(key)) \(i + 1)\((element["view"] as? String).map { ", \($0)" } ?? "")"
                    if !ms.isEmpty {
                        groups.append(.init(trackingIdentifier: label, trackingUID: "", finding: .init("RESULT", "99SCINTI", String(singular(key).prefix(64))),
                                            measurements: ms, segment: segments[label]))
                    }
                    groups += sub
                }
            default: continue
            }
        }
    }

    static func singular(_ key: String) -> String { key.hasSuffix("s") ? String(key.dropLast()) : key }

    /// Concept of a result key: LOINC/SCT for the few quantities that have a well-known code, else the key in the
    /// private scheme `99SCINTI` with a readable meaning.
    static func concept(_ name: String) -> MeasurementReport.Code {
        let key = name.split(separator: ".").last.map(String.init) ?? name
        switch key {
        case "lvef": return .init("10230-1", "LN", "Left ventricular Ejection fraction")
        case "volumeML": return .init("118565006", "SCT", "Volume")
        default:
            var words = ""
            for ch in name {
                if ch.isUppercase, let last = words.last, last.isLowercase { words += " " }
                words.append(ch == "." ? " " : ch)
            }
            return .init(name, "99SCINTI", String(words.prefix(64)))
        }
    }

    /// The UCUM unit of a result key: the result's `units` entry for it (or a `*SUFFIX` pattern), else the unit in
    /// the key's name. Nil when unknown.
    public static func unit(for key: String, units: [String: String]) -> String? {
        let described = units[key] ?? units.first(where: { $0.key.hasPrefix("*") && key.hasSuffix($0.key.dropFirst()) })?.value
        if let d = described?.lowercased() {
            if d.hasPrefix("percent") || d.hasPrefix("%") { return "%" }
            if d.hasPrefix("counts per second") || d.hasPrefix("cps") { return "/s" }
            if d.hasPrefix("counts per frame") || d.hasPrefix("counts") { return "{counts}" }
            if d.hasPrefix("gy") { return "Gy" }
            if d.hasPrefix("mbq·h") || d.hasPrefix("mbq h") || d.hasPrefix("mbq.h") || d.hasPrefix("mbqh") || d.hasPrefix("mbq*h") { return "MBq.h" }
            if d.hasPrefix("mbq") { return "MBq" }
            if d.hasPrefix("mm") { return "mm" }
            if d.hasPrefix("ms") { return "ms" }
        }
        let suffixes: [(String, String)] = [
            ("MGyPerMBqS", "mGy/MBq/s"), ("CPSPerMBq", "/s/MBq"), ("CpsPerMBq", "/s/MBq"), ("EDVPerS", "{EDV}/s"), ("Percent", "%"),
            ("MBqh", "MBq.h"), ("MBq", "MBq"), ("KBq", "kBq"), ("Gy", "Gy"), ("CM2", "cm2"), ("MM", "mm"), ("Mm", "mm"), ("ML", "mL"), ("Ms", "ms"),
            ("Hours", "h"), ("Seconds", "s"), ("Deg", "deg"), ("KeV", "keV"), ("CPS", "/s"), ("Cps", "/s"), ("Pixels", "{pixels}"),
            ("Ratio", "{ratio}"), ("massG", "g"), ("heartToMediastinum", "{ratio}"), ("Counts", "{counts}"),
        ]
        for (s, u) in suffixes where key.hasSuffix(s) || key == s { return u }
        if key == "lvef" { return "%" }
        return nil
    }

    /// A UID derived from a text (`2.25.` form of two FNV-1a hashes), so that the same result
    /// keeps its tracking UIDs when re-reported.
    public static func stableUID(_ text: String) -> String {
        var h1: UInt64 = 0xcbf29ce484222325, h2: UInt64 = 0x84222325cbf29ce4
        for b in text.utf8 { h1 = (h1 ^ UInt64(b)) &* 0x100000001b3; h2 = (h2 ^ UInt64(b)) &* 0x100000001b3 &+ 1 }
        return "2.25.\(h1 >> 1)\(String(h2 >> 8).prefix(16))"
    }
}
