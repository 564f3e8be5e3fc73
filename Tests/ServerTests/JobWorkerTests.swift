import Archive
import DICOM
import Foundation
import Testing
@testable import Server

@Suite struct JobWorkerTests {
    /// A job's output UIDs depend only on the job id and the object's role: a second run of the same job (its first
    /// worker died) writes the same UIDs, another job other ones; all valid UIDs under Scinti's root.
    @Test func jobOutputUIDsAreDeterministicPerJob() {
        let a = "7c9e6679-7425-40de-944b-e07fc1f90ae7", b = "7c9e6679-7425-40de-944b-e07fc1f90ae8"
        #expect(JobManager.jobUID(a, "series") == JobManager.jobUID(a, "series"))
        let all = [JobManager.jobUID(a, "series"), JobManager.jobUID(a, "instance"), JobManager.jobUID(b, "series"), JobManager.jobUID(b, "instance")]
        #expect(Set(all).count == 4)
        for u in all {
            #expect(UIDGenerator.isValid(u), "\(u)")
            #expect(u.hasPrefix(UIDGenerator.root + "."))
        }
    }

    /// Stamping rewrites the Series and SOP Instance UIDs (and the meta header's) of a written object.
    @Test func stampingGivesTheJobsUIDs() throws {
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
        ds.set(.sopInstanceUID, .UI, UIDGenerator.newUID())
        ds.set(.seriesInstanceUID, .UI, UIDGenerator.newUID())
        let path = NSTemporaryDirectory() + "scinti-stamp-\(UUID().uuidString).dcm"
        defer { unlink(path) }
        try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), to: path)
        try JobManager.stampJobUIDs(path, jobID: "job-1")
        let f = try DICOMFile.read(path: path)
        #expect(f.dataset.string(.sopInstanceUID) == JobManager.jobUID("job-1", "instance"))
        #expect(f.dataset.string(.seriesInstanceUID) == JobManager.jobUID("job-1", "series"))
        #expect(f.meta.string(Tag(0x0002, 0x0003)) == JobManager.jobUID("job-1", "instance"))
    }
}
