import DICOM
import Foundation
import Testing
@testable import Archive

/// QIDO / C-FIND matching in SQL (Query+SQL.swift) against the in-memory matcher as the independent oracle, on the
/// archive's SQLite index; PostgreSQL gets the same cross-check in `scripts/test-postgres.sh` (`scinti bench query`).
@Suite struct QueryInSQLTests {
    private func archive() throws -> Archive {
        try Archive(directory: NSTemporaryDirectory() + "scinti-qsql-\(UInt32.random(in: 0...UInt32.max))")
    }

    @Test func randomQueriesGiveTheMatchersAnswerWithLimitAndOffsetInSQL() throws {
        let a = try archive()
        let r = try QueryCrossCheck.run(archive: a, seed: 17, instances: 120, queries: 150)
        #expect(r.mismatches.isEmpty, "\(r.mismatches.prefix(5).joined(separator: "\n"))")
        // The check is not vacuous: most queries match something, and most are answered (and paged) wholly in SQL.
        #expect(r.nonEmpty > r.queries / 2)
        #expect(r.exactInSQL > r.queries / 3)
    }

    /// One study, one series per modality, one instance each: index rows only, or real files imported (`files`).
    private func study(_ a: Archive, _ uid: String, name: String, date: String?, modalities: [String], files: Bool = false) throws {
        var rows: [IndexRow] = []
        for (k, m) in modalities.enumerated() {
            var ds = Dataset()
            ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.20")
            ds.set(.sopInstanceUID, .UI, "\(uid).\(k + 1).1")
            ds.set(.studyInstanceUID, .UI, uid)
            ds.set(.seriesInstanceUID, .UI, "\(uid).\(k + 1)")
            ds.set(.patientID, .LO, "P-\(uid)")
            ds.set(.patientName, .PN, name)
            if let date { ds.set(.studyDate, .DA, date) }
            ds.set(.modality, .CS, m)
            if files {
                let path = a.directory + "/src-\(uid).\(k).dcm"
                try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), to: path)
                _ = try a.importFile(path)
                continue
            }
            rows.append(IndexRow(sopInstanceUID: "\(uid).\(k + 1).1", sopClassUID: "1.2.840.10008.5.1.4.1.1.20", seriesUID: "\(uid).\(k + 1)",
                                 studyUID: uid, patientID: "P-\(uid)", path: "/nonexistent", transferSyntax: TransferSyntax.explicitVRLittleEndian.uid,
                                 size: 0, receivedAt: Archive.timestamp(Date()), sourceAE: nil,
                                 header: try Archive.headerBlob(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian))))
        }
        if !rows.isEmpty { _ = try a.index.insert(rows) }
    }

    private func studies(_ a: Archive, offset: Int = 0, limit: Int? = nil, _ keys: (inout Dataset) -> Void) throws -> [String] {
        var q = Dataset()
        q.set(Tag(0x0008, 0x0052), .CS, "STUDY")
        q.set(.studyInstanceUID, .UI, "")
        keys(&q)
        return try a.find(identifier: q, studyRoot: true, offset: offset, limit: limit).compactMap { $0.string(.studyInstanceUID) }
    }

    /// The rules, stated by hand: PN case-insensitive with wildcards; `%` and `_` in the data are literal; open date
    /// ranges; ModalitiesInStudy from any series; limit and offset in index order.
    @Test func theMatchingRulesStatedByHand() throws {
        let a = try archive()
        try study(a, "1.9.1", name: "Smith^John", date: "20200315", modalities: ["NM", "CT"])
        try study(a, "1.9.2", name: "SMITH^JANE", date: "20201231", modalities: ["NM"])
        try study(a, "1.9.3", name: "100%_Test^A", date: "20210101", modalities: ["PT", "CT"])
        try study(a, "1.9.4", name: "Smythe^Jo", date: nil, modalities: ["OT"])
        #expect(try studies(a) { $0.set(.patientName, .PN, "smith^j*") } == ["1.9.1", "1.9.2"])
        #expect(try studies(a) { $0.set(.patientName, .PN, "SM?TH*") } == ["1.9.1", "1.9.2", "1.9.4"])   // SMYTHE too
        #expect(try studies(a) { $0.set(.patientName, .PN, "100%_*") } == ["1.9.3"])
        #expect(try studies(a) { $0.set(.patientName, .PN, "1000*") }.isEmpty)      // `%` is not a wildcard
        #expect(try studies(a) { $0.set(.patientName, .PN, "100_%*") }.isEmpty)     // nor `_`
        #expect(try studies(a) { $0.set(.studyDate, .DA, "20200101-20201231") } == ["1.9.1", "1.9.2"])
        #expect(try studies(a) { $0.set(.studyDate, .DA, "20201231-") } == ["1.9.2", "1.9.3"])
        #expect(try studies(a) { $0.set(.studyDate, .DA, "-20200315") } == ["1.9.1"])   // no date: no match
        #expect(try studies(a) { $0.set(Tag(0x0008, 0x0061), .CS, "CT") } == ["1.9.1", "1.9.3"])
        #expect(try studies(a) { $0.set(Tag(0x0008, 0x0061), .CS, strings: ["PT", "OT"]) } == ["1.9.3", "1.9.4"])
        #expect(try studies(a) { $0.set(.studyInstanceUID, .UI, strings: ["1.9.4", "1.9.2"]) } == ["1.9.2", "1.9.4"])
        #expect(try studies(a, offset: 1, limit: 2) { _ in } == ["1.9.2", "1.9.3"])
        #expect(try studies(a, offset: 1, limit: 1) { $0.set(.patientName, .PN, "S*") } == ["1.9.2"])
    }

    /// Rows indexed before the query columns existed (or by a node that did not fill them) are filled from their
    /// headers when the archive opens, and are never missed meanwhile.
    @Test func rowsWithoutQueryColumnsAreFoundAndFilledOnOpening() throws {
        let a = try archive()
        try study(a, "1.8.1", name: "Old^Row", date: "20190101", modalities: ["NM"], files: true)
        try a.records.write { db in try db.execute("UPDATE instance SET q_filled = 0, q_patient_name = NULL, q_study_date = NULL", []) }
        #expect(try studies(a) { $0.set(.patientName, .PN, "old*") } == ["1.8.1"])   // a candidate while unfilled
        let reopened = try Archive(directory: a.directory)
        #expect(try reopened.records.read { db in try db.rows("SELECT q_patient_name, q_filled FROM instance", []) }.map { "\($0.text("q_patient_name") ?? "nil") \($0.int("q_filled") ?? -1)" } == ["OLD^ROW 1"])
        #expect(try studies(reopened) { $0.set(.studyDate, .DA, "2019-") } == ["1.8.1"])
    }
}
