import ArgumentParser
import Foundation

/// `scinti`: the command line of Scinti. Thin: parses arguments, calls the library, prints.
@main
struct Scinti: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scinti",
        abstract: "Open nuclear-medicine imaging: DICOM, simulation, reconstruction, analysis.",
        version: "0.1.0",
        subcommands: [DicomCommand.self, SimulateCommand.self, ReconCommand.self, AnalyzeCommand.self, PetCommand.self, DoseCommand.self, QCCommand.self, ReportCommand.self, PacsCommand.self, ServeCommand.self, WorkerCommand.self, UsersCommand.self, DeidCommand.self, BenchCommand.self, DemoCommand.self]
    )
}

/// Prints a one-line error to standard error and exits with status 1.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("scinti: error: \(message)\n".utf8))
    return ExitCode(1)
}

/// Prints a warning line to standard error.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("scinti: warning: \(message)\n".utf8))
}

/// Writes text to standard output without Foundation's print buffering surprises.
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
