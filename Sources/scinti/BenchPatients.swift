import ArgumentParser
import Foundation

/// `scinti bench patients`: the virtual-patient studies of issue 12, timed end to end (phantom reading, sampling,
/// projection, noise, DICOM and truth writing) by running `scinti simulate …` as a user would.
struct BenchPatients: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patients",
        abstract: "Virtual patients: whole-body MDP of the adult male (256 columns, ANT/POST), a 120-view SPECT/CT, a virtual trial.")
    @Option(name: .customLong("trial-patients"), help: "Patients of the trial actually simulated (the 40-patient figure is extrapolated when fewer).") var trialPatients = 10
    @Option(help: "Work folder (default: a temporary one, removed afterwards).") var work: String?

    func run() throws {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let exePath = FileManager.default.isExecutableFile(atPath: exe) ? exe : (Bundle.main.executablePath ?? exe)
        let dir = work ?? NSTemporaryDirectory() + "scinti-bench-patients-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if work == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        emit("scinti bench patients — \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(load) at the start\n")
        func time(_ label: String, _ args: [String]) throws -> Double {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exePath)
            p.arguments = args
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            let t0 = Date()
            do { try p.run() } catch { throw failure(error, "cannot run \(exePath)") }
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let dt = Date().timeIntervalSince(t0)
            let text = String(decoding: out, as: UTF8.self)
            guard p.terminationStatus == 0 else { throw fail("\(label) failed: \(text.split(separator: "\n").last ?? "")") }
            let size = text.split(separator: "\n").first { $0.contains("frames of") }.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            emit(String(format: "%-44@ %8.1f s   %@\n", label as NSString, dt, String(size.prefix(70))))
            return dt
        }
        let icrp = ["--phantom", "icrp-am", "--tracer", "tc99m-mdp"]
        _ = try time("whole-body MDP, 256 columns at 2.4 mm, ANT/POST", ["simulate", "whole-body"] + icrp
            + ["--matrix", "256", "--pixel", "2.4", "--voxel", "4.8", "--lesion", "thoracic-spine:15:5", "--patient-seed", "1", "--out", dir + "/wb"])
        _ = try time("SPECT/CT MDP, 120 views 128² at 4.8 mm", ["simulate", "spect"] + icrp
            + ["--views", "120", "--matrix", "128", "--pixel", "4.8", "--patient-seed", "1", "--out", dir + "/spect"])
        let n = max(1, trialPatients)
        let t = try time("trial, \(n) whole-body MDP patients", ["simulate", "trial", "--tracer", "tc99m-mdp", "--phantom", "icrp-am", "--patients", "\(n)",
                                                            "--matrix", "256", "--pixel", "2.4", "--voxel", "4.8", "--out", dir + "/trial"])
        if n != 40 {
            emit(String(format: "%-44@ %8.1f s   (extrapolated linearly from %d patients)\n", "trial, 40 patients" as NSString, t * 40 / Double(n), n))
        }
    }
}
