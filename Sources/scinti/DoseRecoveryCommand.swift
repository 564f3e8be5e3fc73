import ArgumentParser
import Foundation
import Physics
import Workflows

/// `scinti dose recovery`: recovery coefficients of the camera simulation + reconstruction, for `--recovery`.
struct DoseRecoveryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recovery",
        abstract: "Measure recovery coefficients (sphere phantoms through the camera simulation and OSEM reconstruction) and write recovery.json.")

    /// `--isotope` and `--out` (required here) are the `scinti dose` options.
    @ParentCommand var dose: DoseCommand
    @Option(help: "Sphere volumes in mL (comma-separated, up to 4).") var volumes = "4,12,35,100"

    func run() throws {
        let v = volumes.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !v.isEmpty, v.count == volumes.split(separator: ",").count else { throw fail("--volumes \(volumes): comma-separated numbers (mL)") }
        guard let out = dose.out else { throw fail("scinti dose recovery needs --out DIR") }
        guard let nuclide = Radionuclide.named(dose.isotope) else { throw fail("--isotope \(dose.isotope): unknown radionuclide") }
        do {
            let r = try DoseJob.measureRecovery(volumesML: v, nuclide: nuclide, to: out)
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            let path = (out as NSString).appendingPathComponent("recovery.json")
            try enc.encode(r.curve).write(to: URL(fileURLWithPath: path))
            for m in r.measured { emit(String(format: "%.3g mL: RC %.3f (%.2f of %.2f MBq)\n", m.volumeML, m.rc, m.measuredMBq, m.trueMBq)) }
            emit("wrote \(path)\n")
        } catch { throw failure(error) }
    }
}
