import DICOM
import Foundation

/// An export: the objects to de-identify, each with the path it gets under the output folder, written with one
/// ``Deidentifier`` so that every file agrees (pseudonyms, dates, UIDs). Used by `scinti deid` and the server's
/// export route.
public struct DeidentificationExport: Sendable {
    /// One input file and its path relative to the output folder.
    public struct Item: Sendable, Equatable {
        /// The input file.
        public var source: String
        /// Where it goes, relative to the output folder (the input's folder layout).
        public var relativePath: String
        /// Creates an item.
        public init(source: String, relativePath: String) { self.source = source; self.relativePath = relativePath }
    }

    /// What an export did.
    public struct Report: Sendable {
        /// Files written, relative to the output folder.
        public var written: [String] = []
        /// Inputs not exported, with the reason (pixels that may show identity, not DICOM).
        public var skipped: [(file: String, reason: String)] = []
        /// The pseudonym map of the export.
        public var map = PseudonymMap()
    }

    /// The items.
    public var items: [Item]

    /// Creates an export of explicit items.
    public init(items: [Item]) { self.items = items }

    /// The items of files, folders (every file below, sorted, with its path under the folder) and DICOMDIRs (the
    /// files they reference and the DICOMDIR itself, with their paths under the DICOMDIR's folder). With several
    /// inputs each one's paths start with its own name, so that two inputs never write the same output file.
    public init(inputs: [String]) throws(DeidentificationError) {
        var items: [Item] = []
        let fm = FileManager.default
        for input in inputs {
            let before = items.count
            defer {
                if inputs.count > 1 {
                    var isDir: ObjCBool = false
                    let url = URL(fileURLWithPath: input).standardizedFileURL
                    let isFolder = fm.fileExists(atPath: input, isDirectory: &isDir) && isDir.boolValue
                    let folderLike = isFolder || items.count - before > 1 // a folder, or a DICOMDIR and its files
                    let prefix = isFolder ? url.lastPathComponent : url.deletingLastPathComponent().lastPathComponent
                    if folderLike { for i in before..<items.count { items[i].relativePath = prefix + "/" + items[i].relativePath } }
                }
            }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: input, isDirectory: &isDir) else {
                throw DeidentificationError(.invalidInput, file: input, "no such file or folder")
            }
            if isDir.boolValue {
                let root = URL(fileURLWithPath: input).standardizedFileURL.path
                let files = (fm.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted()
                for rel in files {
                    var sub: ObjCBool = false
                    if fm.fileExists(atPath: root + "/" + rel, isDirectory: &sub), !sub.boolValue {
                        items.append(Item(source: root + "/" + rel, relativePath: rel))
                    }
                }
            } else if DICOMDIR.isDICOMDIR(path: input) {
                let base = URL(fileURLWithPath: input).deletingLastPathComponent().path
                items.append(Item(source: input, relativePath: URL(fileURLWithPath: input).lastPathComponent))
                for rel in try DICOMDIR.referencedFiles(path: input) {
                    items.append(Item(source: base + "/" + rel, relativePath: rel))
                }
            } else {
                items.append(Item(source: input, relativePath: URL(fileURLWithPath: input).lastPathComponent))
            }
        }
        var seen: [String: String] = [:]
        var unique: [Item] = []
        for item in items {
            if let other = seen[item.relativePath] {
                if other == item.source { continue } // a DICOMDIR's file also given in its folder
                throw DeidentificationError(.invalidInput, file: item.source,
                                            "would be written to \(item.relativePath) like \(other); give the inputs in different folders")
            }
            seen[item.relativePath] = item.source
            unique.append(item)
        }
        self.items = unique
    }

    /// Whether a file starts with the 128-byte preamble and `DICM`.
    static func hasPart10Preamble(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let head = h.readData(ofLength: 132)
        return head.count == 132 && Array(head.suffix(4)) == Array("DICM".utf8)
    }

    /// De-identifies every item into `outputDirectory` (created if needed). Objects refused for their pixels and
    /// files that are not DICOM are listed in the report, not written.
    public func run(_ deidentifier: Deidentifier, outputDirectory: String) throws(DeidentificationError) -> Report {
        try run(deidentifier) { (relativePath, bytes) throws(DeidentificationError) in
            let target = outputDirectory + "/" + relativePath
            do {
                try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: target).deletingLastPathComponent().path,
                                                        withIntermediateDirectories: true)
                try AtomicFile.write(bytes, to: target)
            } catch {
                throw DeidentificationError(.invalidInput, file: target, "cannot write: \(error)")
            }
        }
    }

    /// De-identifies every item and hands each encoded file to `sink` with its relative path (a folder, a zip).
    public func run(_ deidentifier: Deidentifier,
                    sink: (String, [UInt8]) throws(DeidentificationError) -> Void) throws(DeidentificationError) -> Report {
        var report = Report()
        for item in items {
            let file: DICOMFile
            do { file = try DICOMFile.read(path: item.source) } catch {
                // A Part 10 file that does not parse is an error (it may hold identity we cannot see); anything else
                // in a folder (a README, a thumbnail) is listed and left behind.
                if DeidentificationExport.hasPart10Preamble(item.source) {
                    throw DeidentificationError(.invalidInput, error.file == nil ? "\(item.source): \(error.description)" : error.description)
                }
                report.skipped.append((item.source, "not DICOM (\(error.message))")); continue
            }
            if !DICOMDIR.isDICOMDIR(file) && (file.sopClassUID == nil || file.dataset.string(.sopInstanceUID) == nil) {
                report.skipped.append((item.source, "not a DICOM object (no SOP Class or SOP Instance UID)")); continue
            }
            let written: [UInt8]
            do {
                if DICOMDIR.isDICOMDIR(file) {
                    written = try DICOMDIR.deidentified(file, with: deidentifier, map: &report.map)
                } else {
                    let object = try deidentifier.deidentify(file)
                    report.map.record(object)
                    written = try DICOMWriter.encode(object.file).bytes
                }
            } catch let e as DeidentificationError where e.kind == .notExported {
                report.skipped.append((item.source, e.message)); continue
            } catch let e as DeidentificationError {
                throw e
            } catch let e as DICOMError {
                throw DeidentificationError(.invalidInput, e.file == nil ? "\(item.source): \(e.description)" : e.description)
            } catch {
                throw DeidentificationError(.invalidInput, file: item.source, "\(error)")
            }
            try sink(item.relativePath, written)
            report.written.append(item.relativePath)
        }
        return report
    }
}
