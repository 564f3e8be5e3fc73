import ArgumentParser
import Foundation
import Simulation
import Workflows

/// `scinti dose phantom`: Monte Carlo S values of an ICRP-110 adult phantom from one source organ.
struct DosePhantomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "S values (mGy/(MBq·s)) from a source organ to every ICRP-110 organ ID by Monte Carlo transport of the ICRP-107 spectrum.")

    /// `--isotope`, `--decays` and `--json` are the `scinti dose` options (ArgumentParser shares a parent's options).
    @ParentCommand var dose: DoseCommand
    @Option(help: "icrp-am | icrp-af") var phantom = "icrp-am"
    @Option(help: "Source organ: a named group (liver, spleen, kidney-left, kidney-right, …) or organ IDs (89,90,91).") var source: String
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "ICRP-110 phantom folder (default $SCINTI_ICRP110 or ../shared/phantoms/icrp110).") var folder: String?

    func run() throws {
        let kind: ICRPPhantomKind
        do { kind = try ICRPPhantomKind.parse(phantom) } catch { throw failure(error, "--phantom") }
        let decays = dose.decays, isotope = dose.isotope, json = dose.json
        guard decays > 0, decays <= 10_000_000_000 else { throw fail("--decays must be 1…1e10 (got \(decays))") }
        do {
            let r = try PhantomSValueJob.run(phantom: kind, source: source, isotope: isotope, decays: decays, seed: seed,
                                             folder: folder ?? ICRPPhantom.defaultFolder)
            if json {
                let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                emit(String(decoding: try enc.encode(r), as: UTF8.self) + "\n")
            } else {
                emit(String(format: "%@ %@ source %@ (%.1f g), %d decays in %.1f s (%.0f decays/s per thread)\n", r.isotope, r.phantom, r.source,
                            r.sourceMassG, r.decays, r.seconds, r.decaysPerSecondPerThread))
                for t in r.targets.sorted(by: { $0.sValue > $1.sValue }).prefix(15) {
                    emit(String(format: "%4d %-40@ %10.1f g  S = %.4e mGy/(MBq·s) ± %.1f %%\n", t.id, t.name as NSString, t.massG, t.sValue, 100 * t.relativeUncertainty))
                }
            }
        } catch { throw failure(error) }
    }
}
