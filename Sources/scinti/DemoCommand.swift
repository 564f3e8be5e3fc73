import ArgumentParser
import Foundation
import Workflows

/// The main job on its embedded defaults: simulate a SPECT/CT study, reconstruct it, write DICOM, figures and a
/// report.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Simulate a SPECT/CT study of the IEC phantom, reconstruct it from its DICOM files, write figures and a report.")
    @Option(help: "Output folder (default: a new folder scinti-demo-YYYYMMDD-HHMMSS).") var out: String?
    @Option(help: "Projection matrix (pixels per side).") var matrix = 128
    @Option(help: "Noise seed.") var seed: UInt64 = 1

    func run() throws {
        let f = DateFormatter(); f.dateFormat = "yyyyMMdd-HHmmss"; f.locale = Locale(identifier: "en_US_POSIX")
        var o = DemoJob.Options(out: out ?? "scinti-demo-\(f.string(from: Date()))")
        o.matrix = matrix; o.seed = seed
        if matrix != 128 { o.pixelMM = 4.7952 * 128 / Double(matrix) }
        do {
            let report = try DemoJob.run(o) { FileHandle.standardError.write(Data("demo: \($0)\n".utf8)) }
            emit(report.text)
            emit("\nReport: \(o.out)/report.md\n")
        } catch { throw failure(error) }
    }
}
