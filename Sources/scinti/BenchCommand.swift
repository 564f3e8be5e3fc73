import ArgumentParser
import DICOM
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks (print figures; record them in docs/benchmarks.md).", subcommands: [BenchDICOM.self, BenchRecon.self, BenchPacs.self, BenchDose.self, BenchDoseMonteCarlo.self, BenchPatients.self, BenchIngest.self, BenchQuery.self])
}

/// Parse + decode the GE NM file and the GE CT series, next to DCMTK's dcmdump and pydicom on the same machine.
struct BenchDICOM: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dicom", abstract: "Parse + decode the 11.8 MB GE NM file and the GE CT series (194 slices); compare with dcmdump and pydicom.")
    @Option(help: "Corpus folder.") var corpus = "../shared/corpus"
    @Option(help: "Repetitions (best time is reported).") var repeats = 5
    @Option(help: "Python with pydicom 3 and numpy (skipped when it cannot import them).") var python = "python3"

    func run() throws {
        let nm = corpus + "/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm"
        let ctDir = corpus + "/ct/GE_D670_CTAC"
        guard FileManager.default.fileExists(atPath: nm) else { throw fail("\(nm) not found (--corpus)") }
        let ctFiles = ((try? FileManager.default.contentsOfDirectory(atPath: ctDir)) ?? []).filter { $0.hasSuffix(".dcm") }.sorted().map { ctDir + "/" + $0 }
        let nmBytes = (try? FileManager.default.attributesOfItem(atPath: nm)[.size] as? Int) ?? 0
        emit("scinti bench dicom — best of \(repeats); \(ProcessInfo.processInfo.activeProcessorCount) cores\n")
        emit("NM: \(nm) (\(nmBytes) bytes, 360 frames 128×128 uint16)\nCT: \(ctDir) (\(ctFiles.count) slices 512×512 int16)\n\n")
        var rows: [(String, String, Double?)] = []

        func best(_ body: () throws -> Void) rethrows -> Double {
            var b = Double.infinity
            for _ in 0..<repeats { let t = DispatchTime.now().uptimeNanoseconds; try body(); b = min(b, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6) }
            return b
        }
        do {
            var checksum = 0.0
            let nmHeader = try best { _ = try DICOMFile.read(path: nm, options: ReadOptions(stopBeforePixels: true)) }
            let nmFull = try best {
                let f = try DICOMFile.read(path: nm)
                let p = try PixelData.decode(f)
                checksum = Double(p.data.count)
            }
            let ctFull = try best {
                for path in ctFiles { let f = try DICOMFile.read(path: path); _ = try PixelData.decode(f) }
            }
            _ = checksum
            rows.append(("scinti", "NM parse header", nmHeader))
            rows.append(("scinti", "NM parse + decode", nmFull))
            rows.append(("scinti", "CT series parse + decode", ctFull))
        } catch { throw failure(error) }

        // External peers, best wall time of `repeats` runs each (process start-up included, as a user meets it).
        func external(_ args: [String]) -> Double? {
            var b = Double.infinity
            for _ in 0..<repeats {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = args
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                let t = DispatchTime.now().uptimeNanoseconds
                do { try p.run() } catch { return nil }
                p.waitUntilExit()
                guard p.terminationStatus == 0 else { return nil }
                b = min(b, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
            }
            return b
        }
        // The same as processes, like for like with dcmdump (start-up and printing included).
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        rows.append(("scinti", "NM parse (scinti dicom dump, one process)", external([me, "dicom", "dump", nm])))
        rows.append(("scinti", "CT series parse (scinti dicom dump, one process)", external([me, "dicom", "dump"] + ctFiles)))
        rows.append(("dcmdump", "NM parse (dcmdump -q)", external(["dcmdump", "-q", nm])))
        rows.append(("dcmdump", "CT series parse (dcmdump -q, one process)", external(["dcmdump", "-q"] + ctFiles)))
        let py = """
        import sys, time, pydicom
        fs = sys.argv[2:]
        t = time.perf_counter()
        for f in fs:
            a = pydicom.dcmread(f).pixel_array
        print((time.perf_counter() - t) * 1000)
        """
        func pydicomInProcess(_ files: [String]) -> Double? {
            var b = Double.infinity
            for _ in 0..<repeats {
                let p = Process(); let pipe = Pipe()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = [python, "-c", py, "x"] + files
                p.standardOutput = pipe; p.standardError = FileHandle.nullDevice
                do { try p.run() } catch { return nil }
                let d = pipe.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                guard p.terminationStatus == 0, let v = Double(String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
                b = min(b, v)
            }
            return b
        }
        rows.append(("pydicom", "NM parse + decode (in-process, after import)", pydicomInProcess([nm])))
        rows.append(("pydicom", "CT series parse + decode (in-process, after import)", pydicomInProcess(ctFiles)))
        emit("| tool | task | best ms |\n|---|---|---|\n")
        for (tool, task, ms) in rows { emit("| \(tool) | \(task) | \(ms.map { String(format: "%.1f", $0) } ?? "n/a") |\n") }
    }
}
