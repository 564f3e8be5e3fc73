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

    /// Runs the command line after widening SwiftNIO's pool for blocking work (unless the environment sets
    /// NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT): a durable store holds one of its threads through its fsyncs and
    /// commit, and with the default of one thread per core only two stores would overlap on a 2-core machine, so
    /// concurrent senders could not share a group commit (docs/scale.md).
    static func main() async {
        setenv("NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT", "64", 0)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch { exit(withError: error) }
    }
}

/// Prints a one-line error to standard error and exits with status 1.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("scinti: error: \(message)\n".utf8))
    return ExitCode(1)
}

/// The one place where a command's error becomes its exit: an `ExitCode` passes through unchanged (its command
/// has already reported), any other error is printed as one `scinti: error:` line — its description, after
/// `context` (the file, option or step it concerns) when given — and the command exits with status 1.
func failure(_ error: any Error, _ context: String? = nil) -> ExitCode {
    if let code = error as? ExitCode { return code }
    return fail(context.map { "\($0): \(error)" } ?? "\(error)")
}

/// Prints a warning line to standard error.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("scinti: warning: \(message)\n".utf8))
}

/// Writes text to standard output without Foundation's print buffering surprises.
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
