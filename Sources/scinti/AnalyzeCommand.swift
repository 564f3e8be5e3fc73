import Analysis
import ArgumentParser
import Foundation
import Workflows

/// `scinti analyze`: the clinical analyses (one subcommand each).
struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Clinical analyses of planar, whole-body, gated and serial studies.",
        subcommands: [
            AnalyzeLVEF.self, AnalyzeThyroidUptake.self, AnalyzeParathyroid.self,
            SentinelCommand.self, BoneScanCommand.self, KrenningCommand.self, MIBGCommand.self,
        ]
    )
}

/// Pretty, key-sorted JSON of an analysis result.
func analysisJSON<T: Encodable>(_ value: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try enc.encode(value), as: UTF8.self) + "\n"
}

/// Parses `column,row,radius` (anterior-view pixels, 0-based centres).
func parseDisk(_ text: String, _ what: String) throws -> PlanarDisk {
    let v = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard v.count == 3, v[2] > 0 else { throw fail("\(what) must be COLUMN,ROW,RADIUS in pixels (0-based), got '\(text)'") }
    return PlanarDisk(column: v[0], row: v[1], radius: v[2])
}

/// Prints the reader's notes as warnings.
func warnAll(_ notes: [String]) { for n in notes { warn(n) } }

/// When a file is a quality-control acquisition (``PlanarInputs/notAPatient(path:)``), prints the statement (JSON:
/// `findings`, `quality`, `notAPatient`) and returns true: the analysis is not run (issue 18).
func reportedNotAPatient(_ files: [String], analysis: String, json: Bool) throws -> Bool {
    for f in files {
        guard let why = PlanarInputs.notAPatient(path: f) else { continue }
        struct Statement: Encodable { var notAPatient = true; var findings: [String]; var quality: [String]; var physiology: [String] = [] }
        if json { emit(try jsonText(Statement(findings: ["Not a patient study: not analysed (\(why))."], quality: ["not a patient: \(f): \(why)"]))) }
        else { emit("\(analysis): not analysed — \(f): \(why).\n") }
        return true
    }
    return false
}
