import Archive
import ArgumentParser
import DICOM
import Deidentification
import Foundation

/// `scinti deid`: PS3.15 Annex E de-identification of files, folders, DICOMDIRs or archive studies into a folder.
struct DeidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deid",
        abstract: "De-identify DICOM (PS3.15 Basic Application Level Confidentiality Profile and options) into a folder.",
        discussion: """
        Without options the Basic Profile alone (PS3.15 \(ConfidentialityProfileTable.edition) Table E.1-1). For quantitative \
        research export use --modified-dates --retain-patient-characteristics --retain-safe-private: every date of a patient \
        moves by one offset (from a keyed hash of the Patient ID and the secret), weight/height/sex/age and the vendor SUV \
        and decay factors are kept. Secondary captures, result screens and images with Burned In Annotation YES are not \
        exported (Scinti does not clean pixels); they are listed.
        """
    )

    @Argument(help: "Files, folders or DICOMDIRs.") var inputs: [String] = []
    @Option(help: "Archive folder (of `scinti serve`/`pacs listen`) to export studies from, with --study.") var archive: String?
    @Option(parsing: .upToNextOption, help: "Study Instance UIDs in --archive.") var study: [String] = []
    @Option(help: "Output folder (keeps the input's folder layout), or a .zip file (stored entries, same layout).") var out: String?
    @Option(help: "Re-identification: decrypt this pseudonym map with --secret-file and print it as JSON (nothing is exported).") var readMapping: String?
    @Flag(help: "Retain Longitudinal Temporal Information with Modified Dates (one offset per patient).") var modifiedDates = false
    @Flag(help: "Retain Longitudinal Temporal Information with Full Dates.") var fullDates = false
    @Flag(help: "Retain Patient Characteristics (weight, height, sex, age…).") var retainPatientCharacteristics = false
    @Flag(help: "Retain Device Identity.") var retainDevice = false
    @Flag(help: "Retain Institution Identity.") var retainInstitution = false
    @Flag(help: "Retain UIDs (otherwise every UID is remapped consistently).") var retainUids = false
    @Flag(help: "Retain Safe Private: the allow-list of vendor SUV, activity and decay elements; every other private element is removed.") var retainSafePrivate = false
    @Flag(help: "Clean Descriptors: keep descriptions without the object's identifying words.") var cleanDescriptors = false
    @Flag(help: "Clean Structured Content.") var cleanStructuredContent = false
    @Flag(help: "Clean Graphics.") var cleanGraphics = false
    @Option(help: "File holding the secret (at least 16 bytes) that keys pseudonyms, date offsets and UIDs. Without it a random secret is used for this run only.") var secretFile: String?
    @Option(help: "Write the encrypted pseudonym map (original → pseudonym, date offset, UIDs) here; merged with the map already there. Needs --secret-file.") var mapping: String?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        if let readMapping {
            guard let secretFile, let secret = FileManager.default.contents(atPath: secretFile) else {
                throw fail("--read-mapping needs a readable --secret-file")
            }
            guard let sealed = FileManager.default.contents(atPath: readMapping) else { throw fail("\(readMapping): cannot read") }
            do {
                let map = try PseudonymMap.open(Array(sealed), secret: DeidCommand.trimmed(Array(secret)), file: readMapping)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                emit(String(decoding: try encoder.encode(map), as: UTF8.self) + "\n")
                return
            } catch { throw failure(error) }
        }
        guard let out else { throw fail("--out DIR (or FILE.zip) is needed") }
        var options: Set<DeidentificationOption> = []
        let flags: [(Bool, DeidentificationOption)] = [
            (modifiedDates, .retainLongitudinalModifiedDates), (fullDates, .retainLongitudinalFullDates),
            (retainPatientCharacteristics, .retainPatientCharacteristics), (retainDevice, .retainDeviceIdentity),
            (retainInstitution, .retainInstitutionIdentity), (retainUids, .retainUIDs), (retainSafePrivate, .retainSafePrivate),
            (cleanDescriptors, .cleanDescriptors), (cleanStructuredContent, .cleanStructuredContent), (cleanGraphics, .cleanGraphics),
        ]
        for (on, o) in flags where on { options.insert(o) }
        if modifiedDates && fullDates { throw fail("--modified-dates and --full-dates exclude each other") }
        if inputs.isEmpty && study.isEmpty { throw fail("give input files, folders or DICOMDIRs, or --archive DIR --study UID") }
        if !study.isEmpty && archive == nil { throw fail("--study needs --archive DIR") }
        if mapping != nil && secretFile == nil { throw fail("--mapping needs --secret-file: the map is encrypted with the secret") }
        do {
            let secret: [UInt8]
            if let secretFile {
                guard let data = FileManager.default.contents(atPath: secretFile) else { throw fail("\(secretFile): cannot read the secret file") }
                secret = DeidCommand.trimmed(Array(data))
            } else {
                secret = (0..<32).map { _ in UInt8.random(in: 0...255) }
            }
            let deid = try Deidentifier(profile: DeidentificationProfile(options: options), secret: secret)
            var export = try DeidentificationExport(inputs: inputs)
            if let archive, !study.isEmpty {
                let store = try Archive(directory: archive)
                let instances = try store.instances(studyUIDs: study)
                if instances.isEmpty { throw fail("\(archive): no instance of study \(study.joined(separator: ", ")) in the archive") }
                export.items += instances.map {
                    .init(source: $0.path, relativePath: deid.exportPath(seriesUID: $0.seriesUID, sopInstanceUID: $0.sopInstanceUID))
                }
            }
            let report: DeidentificationExport.Report
            if out.hasSuffix(".zip") {
                var zip = StoredZip()
                report = try export.run(deid) { (path, bytes) throws(DeidentificationError) in try zip.add(path: path, bytes: bytes) }
                try AtomicFile.write(zip.bytes, to: out)
            } else {
                report = try export.run(deid, outputDirectory: out)
            }
            if let mapping {
                var map = report.map
                if FileManager.default.fileExists(atPath: mapping), let old = FileManager.default.contents(atPath: mapping) {
                    map.merge(try PseudonymMap.open(Array(old), secret: secret, file: mapping))
                }
                try AtomicFile.write(map.sealed(secret: secret), to: mapping)
            }
            for s in report.skipped { warn("\(s.file): \(s.reason)") }
            if json {
                let object: [String: Any] = [
                    "profile": [basicProfileCode] + options.sorted().map(\.code),
                    "written": report.written, "skipped": report.skipped.map { ["file": $0.file, "reason": $0.reason] },
                    "patients": report.map.patients.count, "uidsRemapped": report.map.uids.count,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                emit(String(decoding: data, as: UTF8.self) + "\n")
            } else {
                emit("de-identified \(report.written.count) file(s) into \(out) with the PS3.15 \(ConfidentialityProfileTable.edition) Basic Profile"
                     + (options.isEmpty ? "" : " + " + options.sorted().map(\.meaning).joined(separator: ", ")) + "\n")
                emit("\(report.map.patients.count) patient(s), \(report.map.uids.count) UID(s) remapped, \(report.skipped.count) file(s) not exported\n")
            }
        } catch {
            throw failure(error)
        }
    }

    /// The secret file's bytes without a trailing line break.
    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        while let last = b.last, last == 0x0A || last == 0x0D { b.removeLast() }
        return b
    }
}
