import Archive
import DICOM
import Foundation
@testable import DICOMNetwork

func tempDir(_ name: String) -> String {
    let d = NSTemporaryDirectory() + "scinti-net-\(name)-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// Writes a small CT image (uint16 ramp) and returns its path.
func makeCT(dir: String, patient: String, name: String, study: String, series: String, sop: String, date: String, pixels: Int = 64,
            syntax: TransferSyntax = .explicitVRLittleEndian, time: String? = nil) throws -> String {
    var ds = Dataset()
    if let time { ds.set(.studyTime, .TM, time) }
    ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.2")
    ds.set(.sopInstanceUID, .UI, sop)
    ds.set(.studyDate, .DA, date)
    ds.set(.modality, .CS, "CT")
    ds.set(.patientName, .PN, name)
    ds.set(.patientID, .LO, patient)
    ds.set(.studyInstanceUID, .UI, study)
    ds.set(.seriesInstanceUID, .UI, series)
    ds.set(.samplesPerPixel, .US, numbers: [1])
    ds.set(.photometricInterpretation, .CS, "MONOCHROME2")
    ds.set(.rows, .US, numbers: [Double(pixels)])
    ds.set(.columns, .US, numbers: [Double(pixels)])
    ds.set(.bitsAllocated, .US, numbers: [16])
    ds.set(.bitsStored, .US, numbers: [16])
    ds.set(.highBit, .US, numbers: [15])
    ds.set(.pixelRepresentation, .US, numbers: [0])
    var px: [UInt8] = []
    for i in 0..<(pixels * pixels) { px.append(UInt8(i & 0xFF)); px.append(UInt8((i >> 8) & 0xFF)) }
    ds.set(Element(tag: .pixelData, vr: .OW, bytes: px))
    let path = dir + "/\(sop).dcm"
    try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), to: path, options: WriteOptions(transferSyntax: syntax))
    return path
}

/// Runs an SCP over a fresh archive on a random port for the duration of `body`.
func withServer<R: Sendable>(aet: String = "TESTSCP", allowed: [AllowedPeer]? = nil, moveDestinations: [MoveDestination] = [],
                             idle: Int? = nil, configure: (inout ServerConfiguration) -> Void = { _ in },
                             _ body: @Sendable (Int, Archive) async throws -> R) async throws -> R {
    Log.setLevel(0)
    let dir = tempDir("scp")
    let archive = try Archive(directory: dir)
    var c = ServerConfiguration(aeTitle: aet, port: 0, storage: dir, allowedPeers: allowed, moveDestinations: moveDestinations)
    c.bindAddress = "127.0.0.1"
    c.idleTimeoutSeconds = idle
    configure(&c)
    let server = DICOMServer(configuration: c, storage: ArchiveStorage(archive: archive), queryRetrieve: ArchiveQueryRetrieve(archive: archive))
    let (stream, cont) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run(onBound: { cont.yield($0) }) }
    var it = stream.makeAsyncIterator()
    guard let port = await it.next() else { throw NetworkError.other("server did not bind") }
    do {
        let r = try await body(port, archive)
        server.shutdown(); _ = try? await task.value
        return r
    } catch {
        server.shutdown(); task.cancel()
        throw error
    }
}

func params(_ port: Int, called: String = "TESTSCP", calling: String = "TESTSCU") -> AssociationParameters {
    AssociationParameters(host: "127.0.0.1", port: port, callingAE: calling, calledAE: called)
}
