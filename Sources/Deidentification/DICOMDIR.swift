import DICOM
import Foundation

/// DICOMDIR (PS3.10 media directory) as an export input and output: the files it references, and the directory
/// itself de-identified record by record with the offsets between records recomputed.
public enum DICOMDIR {
    static let mediaStorageDirectory = "1.2.840.10008.1.3.10"
    static let firstRootRecord = Tag(0x0004, 0x1200), lastRootRecord = Tag(0x0004, 0x1202)
    static let recordSequence = Tag(0x0004, 0x1220), nextRecord = Tag(0x0004, 0x1400)
    static let lowerLevel = Tag(0x0004, 0x1420), recordType = Tag(0x0004, 0x1430), fileID = Tag(0x0004, 0x1500)

    /// Whether a file is a DICOMDIR (by its Media Storage SOP Class).
    public static func isDICOMDIR(_ file: DICOMFile) -> Bool {
        file.meta.string(.mediaStorageSOPClassUID) == mediaStorageDirectory
    }

    /// Whether the file at a path is a DICOMDIR (its header is read).
    public static func isDICOMDIR(path: String) -> Bool {
        guard let f = try? DICOMFile.read(path: path, options: ReadOptions(stopBeforePixels: true)) else { return false }
        return isDICOMDIR(f)
    }

    /// The Referenced File IDs of a DICOMDIR as relative paths ("/"-joined components).
    public static func referencedFiles(path: String) throws(DeidentificationError) -> [String] {
        let f: DICOMFile
        do { f = try DICOMFile.read(path: path) } catch { throw DeidentificationError(.invalidInput, file: path, error.description) }
        return f.dataset.sequence(recordSequence).compactMap { r in
            let parts = r.strings(fileID).filter { !$0.isEmpty }
            guard !parts.isEmpty, !parts.contains("..") else { return nil }
            return parts.joined(separator: "/")
        }
    }

    /// The de-identified DICOMDIR, encoded: every record through the table with the patient of the PATIENT record
    /// above it (so pseudonyms, date offsets and UIDs agree with the files), offsets rewritten for the new lengths.
    static func deidentified(_ file: DICOMFile, with deid: Deidentifier, map: inout PseudonymMap) throws -> [UInt8] {
        let records = file.dataset.sequence(recordSequence)
        var indexOfOffset: [Int: Int] = [:]
        for (i, r) in records.enumerated() { if let off = r.elements.first?.offset { indexOfOffset[off - 8] = i } }
        var patientID = ""
        var cleaned: [Dataset] = []
        // A STUDY record's description may name the patient of the PATIENT record: all records' words are scrubbed.
        let words = records.reduce(into: Set<String>()) { $0.formUnion(Run.identifyingWords($1)) }
        for r in records {
            if r.string(recordType) == "PATIENT" { patientID = r.string(.patientID) ?? "" }
            let (out, patient, uids) = deid.deidentify(dataset: r, patientID: patientID, identifyingWords: words)
            var d = out
            // Offsets become record numbers (1-based, 0 = none) until the new positions are known.
            for t in [nextRecord, lowerLevel] { d.set(t, .UL, numbers: [Double(index(r.int(t), indexOfOffset))]) }
            cleaned.append(d)
            if r.string(recordType) == "PATIENT" { map.patients[patient.pseudonym] = patient }
            map.uids.merge(uids) { a, _ in a }
        }
        var top = file.dataset
        top.removeAll { $0.tag.group == 0x0002 }
        for t in [firstRootRecord, lastRootRecord] { top.set(t, .UL, numbers: [Double(index(file.dataset.int(t), indexOfOffset))]) }
        top.set(recordSequence, sequence: cleaned)
        var out = DICOMFile(dataset: top, transferSyntax: .explicitVRLittleEndian, source: file.source)
        out.meta.set(.mediaStorageSOPClassUID, .UI, mediaStorageDirectory)
        let instance = file.meta.string(.mediaStorageSOPInstanceUID) ?? ""
        let newInstance = deid.options.contains(.retainUIDs) ? instance : deid.remappedUID(instance)
        out.meta.set(.mediaStorageSOPInstanceUID, .UI, newInstance)
        if newInstance != instance { map.uids[instance] = newInstance }
        // Encode once to learn where each record starts, then write the real offsets (same lengths: UL stays 4 bytes).
        let first = try DICOMWriter.encode(out).bytes
        let parsed = try DICOMFile(parsing: DICOMBytes(first))
        let starts = parsed.dataset.sequence(recordSequence).map { ($0.elements.first?.offset ?? 8) - 8 }
        func position(_ n: Int?) -> Double { guard let n, n > 0, n <= starts.count else { return 0 }; return Double(starts[n - 1]) }
        var fixed = out.dataset.sequence(recordSequence)
        for i in fixed.indices { for t in [nextRecord, lowerLevel] { fixed[i].set(t, .UL, numbers: [position(fixed[i].int(t))]) } }
        for t in [firstRootRecord, lastRootRecord] { out.dataset.set(t, .UL, numbers: [position(out.dataset.int(t))]) }
        out.dataset.set(recordSequence, sequence: fixed)
        return try DICOMWriter.encode(out).bytes
    }

    static func index(_ offset: Int?, _ indexOfOffset: [Int: Int]) -> Int {
        guard let offset, offset > 0, let i = indexOfOffset[offset] else { return 0 }
        return i + 1
    }
}
