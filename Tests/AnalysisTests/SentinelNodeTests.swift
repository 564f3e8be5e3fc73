import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Simulation
import Testing
import Workflows
@testable import Analysis

/// Writes a simulated study as the camera would (one multi-frame NM file) and returns its path.
func writeStudyB(_ study: SimulatedStudy, name: String, implicitVR: Bool = false, extras: Bool = false) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scinti-planar-sentinel-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = "\(dir)/\(name).dcm"
    var options = NMWriter.Options(transferSyntax: implicitVR ? .implicitVRLittleEndian : .explicitVRLittleEndian)
    if extras { options.scanVelocityMMPerS = study.extras["scanVelocityMMPerS"]; options.scanLengthMM = study.extras["scanLengthMM"] }
    _ = try NMWriter.write(study.acquisition, study: StudyAttributes(studyDate: study.acquisition.acquisitionDate ?? "20250115", studyTime: study.acquisition.acquisitionTime ?? "100000"), series: SeriesAttributes(seriesDescription: name),
                           to: path, options: options)
    if ProcessInfo.processInfo.environment["SCINTI_ANALYSIS_B_SHOW_FILES"] != nil { print("wrote \(path)") }
    return path
}

/// A sentinel-node case: injection site and nodes (positions and activities are the truth).
struct SentinelCase: Sendable, CustomTestStringConvertible {
    var label: String
    var injection: ClinicalStudies.NamedSource
    var nodes: [ClinicalStudies.NamedSource]
    var seed: UInt64
    var testDescription: String { label }
}

let sentinelCases: [SentinelCase] = [
    SentinelCase(label: "left breast, three axillary nodes",
                 injection: .init(name: "injection", position: Vector3(60, -100, 60), activityMBq: 6),
                 nodes: [.init(name: "level I", position: Vector3(110, -40, 130), activityMBq: 0.5),
                         .init(name: "level II", position: Vector3(95, -15, 175), activityMBq: 0.12),
                         .init(name: "infraclavicular", position: Vector3(35, -70, 185), activityMBq: 0.05)], seed: 11),
    SentinelCase(label: "left breast, axillary and internal mammary node",
                 injection: .init(name: "injection", position: Vector3(70, -95, 40), activityMBq: 8),
                 nodes: [.init(name: "axillary", position: Vector3(125, -20, 120), activityMBq: 1.0),
                         .init(name: "internal mammary", position: Vector3(25, -95, 130), activityMBq: 0.08)], seed: 12),
    SentinelCase(label: "left breast, four nodes down to 4 % of the hottest",
                 injection: .init(name: "injection", position: Vector3(50, -105, 50), activityMBq: 7),
                 nodes: [.init(name: "A", position: Vector3(120, -45, 110), activityMBq: 0.8),
                         .init(name: "B", position: Vector3(130, -10, 150), activityMBq: 0.3),
                         .init(name: "C", position: Vector3(90, -50, 185), activityMBq: 0.06),
                         .init(name: "D", position: Vector3(15, -100, 125), activityMBq: 0.04)], seed: 13),
]

@Suite("Sentinel node lymphoscintigraphy")
struct SentinelNodeTests {
    @Test("every node found within 2 pixels in both views, ≤ 1 false positive per study", arguments: sentinelCases)
    func nodesFound(_ c: SentinelCase) throws {
        let study = ClinicalStudies.sentinel(injection: c.injection, nodes: c.nodes, seed: c.seed)
        // Through DICOM: both views in one multi-frame file; the second case in implicit VR as older cameras write.
        let path = try writeStudyB(study, name: "sentinel", implicitVR: c.seed == 12)
        let input = try PlanarInputs.read(path: path)
        #expect(input.views.map(\.name) == ["Anterior projection", "Left lateral projection"])
        let result = try SentinelNodeAnalysis().analyze(input.views)
        let angles = [0.0, 90.0]
        var falsePositives = 0
        for (k, view) in input.views.enumerated() {
            // Truth: where each source lands (docs/spect-geometry.md), from the set-up only.
            let inj = ClinicalStudies.projectedPixel(c.injection.position, angleDeg: angles[k], columns: 128, rows: 128, pixelMM: 4.7952)
            let site = result.injectionSites[k]
            #expect(hypot(site.column - inj.column, site.row - inj.row) <= 2, "\(c.label) \(view.name): injection site at (\(site.column), \(site.row)), truth \(inj)")
            let found = result.nodes.filter { $0.view == view.name }
            var matched = Set<Int>()
            var truthCounts: [Double] = []
            for n in c.nodes {
                let t = ClinicalStudies.projectedPixel(n.position, angleDeg: angles[k], columns: 128, rows: 128, pixelMM: 4.7952)
                let best = found.enumerated().min { hypot($0.element.column - t.column, $0.element.row - t.row) < hypot($1.element.column - t.column, $1.element.row - t.row) }
                let d = best.map { hypot($0.element.column - t.column, $0.element.row - t.row) } ?? .infinity
                print(String(format: "sentinel %@ %@ node %@: %.2f px from truth, %.1f %% of hottest", c.label, view.name, n.name, d, best?.element.percentOfHottest ?? .nan))
                #expect(d <= 2, "\(c.label) \(view.name): node \(n.name) truth (\(t.column), \(t.row)); nearest found at \(d) px; found \(found.map { ($0.column, $0.row) })")
                if let b = best, d <= 2 { matched.insert(b.offset); truthCounts.append(b.element.counts) }
                // Patient position on the detector plane: the transaxial coordinate along the column axis and z.
                if let b = best, d <= 2, let p = b.element.patientPositionMM {
                    let th = angles[k] * Double.pi / 180
                    let along = p[0] * cos(th) + p[1] * sin(th), truthAlong = n.position.x * cos(th) + n.position.y * sin(th)
                    #expect(abs(along - truthAlong) <= 2 * 4.7952 && abs(p[2] - n.position.z) <= 2 * 4.7952)
                }
            }
            falsePositives += found.count - matched.count
            // The hottest node is 100 %, the others below.
            if let top = found.first { #expect(abs(top.percentOfHottest - 100) < 1e-9) }
        }
        print("sentinel \(c.label): \(falsePositives) false positives")
        #expect(falsePositives <= 1, "\(c.label): \(falsePositives) false positives")
        // Contract keys.
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        for key in ["\"injectionSite\"", "\"nodes\"", "\"view\"", "\"column\"", "\"row\"", "\"counts\"", "\"percentOfHottest\""] {
            #expect(json.contains(key))
        }
    }

    @Test("the 10 % rule follows the node activities (anterior view, nodes of very different activity)")
    func tenPercentRule() throws {
        // One node at 1 MBq and one at 0.05 MBq at the same depth (x = 120, y = −60 mm): the counts ratio follows the
        // activity ratio (5 %), so the weak node fails the 10 % rule and the strong one passes.
        let c = sentinelCases[0]
        let nodes: [ClinicalStudies.NamedSource] = [.init(name: "strong", position: Vector3(120, -60, 130), activityMBq: 1.0),
                                                     .init(name: "weak", position: Vector3(120, -60, 180), activityMBq: 0.05)]
        let study = ClinicalStudies.sentinel(injection: c.injection, nodes: nodes, seed: 21)
        let input = try PlanarInputs.views(study.acquisition, source: "simulated")
        let result = try SentinelNodeAnalysis().analyze([input.views[0]])
        #expect(result.nodes.count >= 2)
        let weak = ClinicalStudies.projectedPixel(nodes[1].position, angleDeg: 0, columns: 128, rows: 128, pixelMM: 4.7952)
        let w = try #require(result.nodes.first { hypot($0.column - weak.column, $0.row - weak.row) <= 2 })
        #expect(abs(w.percentOfHottest - 5) < 2, "weak node at \(w.percentOfHottest) % of the hottest, truth 5 %")
        #expect(!w.meetsReportingRule)
        #expect(result.nodes[0].meetsReportingRule)
    }

    @Test("bad input: wrong image type, zero counts, mismatched counts")
    func badInput() throws {
        var zero = PlanarViewImage(name: "Anterior projection", rows: 16, columns: 16, pixelSpacing: [4, 4], counts: [Float](repeating: 0, count: 256))
        #expect(throws: PlanarAnalysisError.self) { try SentinelNodeAnalysis().analyze([zero]) }
        zero.counts = [1, 2, 3]
        #expect(throws: PlanarAnalysisError.self) { try SentinelNodeAnalysis().analyze([zero]) }
        #expect(throws: PlanarAnalysisError.self) { try SentinelNodeAnalysis().analyze([]) }
        var acq = NMAcquisition(imageType: .tomo, frames: [FrameIndex(frame: 0)], rows: 4, columns: 4, counts: [Float](repeating: 1, count: 16))
        #expect(throws: WorkflowError.self) { try PlanarInputs.views(acq, source: "x.dcm") }
        acq.imageType = .staticImage
        acq.counts = [Float](repeating: 0, count: 16)
        do {
            _ = try PlanarInputs.views(acq, source: "x.dcm")
            Issue.record("zero counts accepted")
        } catch { #expect("\(error)".contains("zero counts")) }
        acq.counts = [1, 2]
        #expect(throws: WorkflowError.self) { try PlanarInputs.views(acq, source: "x.dcm") }
    }
}
