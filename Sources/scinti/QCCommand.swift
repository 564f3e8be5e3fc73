import ArgumentParser
import Foundation
import QC
import Workflows

/// `scinti qc TEST FILE…`: gamma-camera and SPECT quality control (NEMA NU 1 / IAEA NMQC).
struct QCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qc",
        abstract: "Gamma-camera/SPECT quality control: uniformity, cor, resolution, sensitivity, mwsr, tomo, wholebody.",
        discussion: """
        uniformity  STATIC flood (intrinsic or extrinsic): IU/DU in UFOV and CFOV (NEMA NU 1 processing).
        cor         TOMO projections of a point source: centre-of-rotation offset and y deviation per head.
        resolution  STATIC line source(s) or RECON TOMO of a line/point source: FWHM/FWTM from Gaussian fits.
        sensitivity STATIC image of a known source: cps/MBq (needs --activity).
        mwsr        STATIC point sources in several energy windows: largest displacement between windows.
        tomo        RECON TOMO of a Jaszczak/IEC phantom: tomographic uniformity and noise.
        wholebody   WHOLE BODY scan of a uniform source: count profile along the scan.
        Each result is judged against the default tolerance/action limits (docs/qc.md); status pass|tolerance|action.
        """)

    @Argument(help: "The test: uniformity, cor, resolution, sensitivity, mwsr, tomo, wholebody.")
    var test: String
    @Argument(help: "DICOM files.")
    var files: [String]
    @Flag(help: "JSON output (an object, or an array when there are several results).")
    var json = false
    @Option(help: "Sensitivity: source activity (MBq) at --calibration-time.")
    var activity: Double?
    @Option(name: .customLong("calibration-time"), help: "Sensitivity: when the activity was measured (ISO 8601, e.g. 2026-12-06T08:00:00Z); default: the acquisition start.")
    var calibrationTime: String?
    @Option(help: "Sensitivity: radionuclide (default: the file's).")
    var radionuclide: String?
    @Option(help: "Sensitivity: background image without the source.")
    var background: String?
    @Option(name: .customLong("bar-separation"), help: "Resolution: four-bar phantom with bars this far apart (mm): FWHM/FWTM and measured pixel size in x and y.")
    var barSeparation: Double?
    @Option(name: .customLong("quadrant-bars"), help: "Resolution: quadrant-bar phantom with these bar widths (mm), upper left, upper right, lower left, lower right: MTF and FWHM per quadrant (moments method).")
    var quadrantBars: String?
    @Option(name: .customLong("edge-roi"), help: "Resolution: edge method in a square ROI COLUMN,ROW,SIZE (pixels, centre and side) holding one straight edge.")
    var edgeROI: String?
    @Option(name: .customLong("min-counts-per-pixel"), help: "Uniformity: refuse floods with fewer mean counts per binned CFOV pixel (default 4000).")
    var minCountsPerPixel: Double?

    func run() throws {
        guard let t = QCTest(rawValue: test.lowercased()) else {
            throw fail("qc: unknown test \"\(test)\"; allowed: \(QCTest.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var o = QCJob.Options()
        o.activityMBq = activity; o.radionuclide = radionuclide; o.backgroundPath = background; o.barSeparationMM = barSeparation
        if let m = minCountsPerPixel { o.uniformity.minimumCountsPerPixel = m }
        if let e = edgeROI {
            let v = e.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == 3, v[2] >= 12 else { throw fail("qc: --edge-roi \"\(e)\" must be COLUMN,ROW,SIZE in pixels (SIZE ≥ 12)") }
            o.edgeROI = v
        }
        if let q = quadrantBars {
            let w = q.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard w.count == 4, w.allSatisfy({ $0 > 0 }) else {
                throw fail("qc: --quadrant-bars \"\(q)\" must be four positive bar widths in mm, e.g. 4.23,3.18,2.54,2.12")
            }
            o.quadrantBarWidthsMM = w
        }
        if let c = calibrationTime {
            guard let d = ISO8601DateFormatter().date(from: c) else {
                throw fail("qc: --calibration-time \"\(c)\" is not an ISO 8601 date-time such as 2026-12-06T08:00:00Z")
            }
            o.calibrationTime = d
        }
        let reports: [QCJob.Report]
        do { reports = try QCJob.run(t, files: files, options: o) } catch { throw failure(error) }
        if json {
            let objects = reports.map { $0.jsonObject() }
            let any: Any = objects.count == 1 ? objects[0] : objects
            let data = try JSONSerialization.data(withJSONObject: any, options: [.prettyPrinted, .sortedKeys])
            emit(String(decoding: data, as: UTF8.self) + "\n")
            return
        }
        for r in reports {
            var lines = ["\(r.source.file)\(r.source.head.map { " head \($0)" } ?? ""): \(r.test.rawValue) — \(r.status.rawValue.uppercased())"
                         + " (camera \(r.source.camera)\(r.source.collimator.map { ", collimator \($0)" } ?? "")\(r.source.acquired.map { ", \($0)" } ?? ""))"]
            for k in r.metrics.keys.sorted() where !k.hasSuffix("Pixels") || k.hasPrefix("cor") || k.hasPrefix("maximum") {
                lines.append(String(format: "  %@ = %.4g", k, r.metrics[k]!))
            }
            lines += r.exceeded.map { "  exceeded: \($0)" }
            emit(lines.joined(separator: "\n") + "\n")
            for w in r.warnings { warn("\(r.source.file): \(w)") }
        }
    }
}
