import ArgumentParser
import DICOM
import DICOMImaging
import Foundation
import Imaging

/// The main job on its embedded defaults. Today: the DICOM core end to end on a real camera file —
/// read the GE Discovery 670 Lu-177 SPECT projections, show their frame layout, decode them, write them back in
/// every transfer syntax and check that nothing changed.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run the demonstration on the embedded defaults.")
    @Option(help: "Output folder.") var out = "demo-out"
    @Option(help: "Input NM file (default: the GE Discovery 670 projections in ../shared/corpus, else a test fixture).")
    var input: String?

    func run() throws {
        let candidates = [input, "../shared/corpus/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm", "Tests/DICOMTests/Fixtures/CT_small.dcm"].compactMap { $0 }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw fail("no input found (tried \(candidates.joined(separator: ", ")))")
        }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let t0 = Date()
            let file = try DICOMFile.read(path: path)
            let pixels = try PixelData.decode(file)
            let dt = Date().timeIntervalSince(t0)
            emit("Scinti demo — DICOM core on \(path)\n")
            emit("Read and decoded \(pixels.frames) frames of \(pixels.rows)×\(pixels.columns) \(pixels.type.rawValue) in \(String(format: "%.1f", dt * 1000)) ms\n\n")
            emit(try SeriesSummary.describe(path: path).text)
            if file.dataset.string(.modality) == "NM", let acq = try? NMReader.read(path: path) {
                for w in acq.energyWindows.indices.prefix(2) {
                    if let ps = try? acq.projectionSet(energyWindow: w + 1) {
                        let total = ps.counts.reduce(0, +)
                        emit("  Window \(w + 1) (\(ps.energyWindow.name ?? "")) projections: \(ps.views) views, \(Int(total)) counts in total\n")
                    }
                }
            }
            let npy = out + "/pixels.npy"
            try AtomicFile.write(pixels.npy(), to: npy)
            emit("\nStored values → \(npy)\n")
            for (name, ts) in [("explicit", TransferSyntax.explicitVRLittleEndian), ("implicit", .implicitVRLittleEndian),
                               ("deflated", .deflatedExplicitVRLittleEndian), ("rle", .rleLossless)] {
                let target = "\(out)/converted_\(name).dcm"
                try DICOMWriter.write(file, to: target, options: WriteOptions(transferSyntax: ts))
                let back = try DICOMFile.read(path: target)
                let same = try PixelData.decode(back) == pixels
                let size = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
                emit("  \(ts.name): \(size) bytes, \(back.dataset.count) elements, pixels \(same ? "identical" : "DIFFER")\n")
                if !same { throw ExitCode(1) }
            }
        } catch let e as ExitCode { throw e } catch { throw fail("\(error)") }
    }
}
