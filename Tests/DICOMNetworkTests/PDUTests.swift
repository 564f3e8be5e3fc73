import DICOM
import NIOCore
import Testing
@testable import DICOMNetwork

// Byte layouts written out by hand from PS3.8 §9.3 (tables 9-11 to 9-26) and PS3.7 Annex D.

private func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }
private func ae(_ s: String) -> [UInt8] { ascii(s) + [UInt8](repeating: 0x20, count: 16 - s.utf8.count) }
private func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
private func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
private func item(_ type: UInt8, _ value: [UInt8]) -> [UInt8] { [type, 0] + be16(value.count) + value }

/// A-ASSOCIATE-RQ: ECHOSCU → ANY-SCP, one context (Verification, Implicit VR LE), max PDU 16384,
/// implementation class UID 1.2.3.4 and version name "V1", role selection for CT storage (SCP role).
private let associateRQBytes: [UInt8] = {
    var body: [UInt8] = [0x00, 0x01, 0x00, 0x00] + ae("ANY-SCP") + ae("ECHOSCU") + [UInt8](repeating: 0, count: 32)
    body += item(0x10, ascii("1.2.840.10008.3.1.1.1"))
    body += item(0x20, [0x01, 0, 0, 0] + item(0x30, ascii("1.2.840.10008.1.1")) + item(0x40, ascii("1.2.840.10008.1.2")))
    let role = be16(25) + ascii("1.2.840.10008.5.1.4.1.1.2") + [0x00, 0x01]
    body += item(0x50, item(0x51, be32(16384)) + item(0x52, ascii("1.2.3.4")) + item(0x54, role) + item(0x55, ascii("V1")))
    return [0x01, 0x00] + be32(body.count) + body
}()

@Test func decodesHandWrittenAssociateRQ() throws {
    guard case .associateRQ(let a) = try PDU.decode(bytes: associateRQBytes) else { Issue.record("not an A-ASSOCIATE-RQ"); return }
    #expect(a.protocolVersion == 1)
    #expect(a.calledAE == "ANY-SCP")
    #expect(a.callingAE == "ECHOSCU")
    #expect(a.applicationContext == "1.2.840.10008.3.1.1.1")
    #expect(a.proposed == [ProposedContext(id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"])])
    #expect(a.userInfo.maxPDULength == 16384)
    #expect(a.userInfo.implementationClassUID == "1.2.3.4")
    #expect(a.userInfo.implementationVersionName == "V1")
    #expect(a.userInfo.roles == [RoleSelection(sopClass: "1.2.840.10008.5.1.4.1.1.2", scuRole: false, scpRole: true)])
}

@Test func encodesAssociateRQToTheHandWrittenBytes() throws {
    var a = AssociatePDU(calledAE: "ANY-SCP", callingAE: "ECHOSCU")
    a.proposed = [ProposedContext(id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"])]
    a.userInfo = UserInformation(maxPDULength: 16384, implementationClassUID: "1.2.3.4", implementationVersionName: "V1")
    a.userInfo.roles = [RoleSelection(sopClass: "1.2.840.10008.5.1.4.1.1.2", scuRole: false, scpRole: true)]
    #expect(PDU.associateRQ(a).bytes == associateRQBytes)
}

@Test func associateACLayout() throws {
    // Context 1 accepted with Explicit VR LE, context 3 rejected (abstract syntax not supported, reason 3).
    var body: [UInt8] = [0x00, 0x01, 0x00, 0x00] + ae("ANY-SCP") + ae("ECHOSCU") + [UInt8](repeating: 0, count: 32)
    body += item(0x10, ascii("1.2.840.10008.3.1.1.1"))
    body += item(0x21, [0x01, 0, 0x00, 0] + item(0x40, ascii("1.2.840.10008.1.2.1")))
    body += item(0x21, [0x03, 0, 0x03, 0] + item(0x40, ascii("1.2.840.10008.1.2")))
    body += item(0x50, item(0x51, be32(0)) + item(0x52, ascii("1.2.3")))
    let bytes: [UInt8] = [0x02, 0x00] + be32(body.count) + body
    guard case .associateAC(let a) = try PDU.decode(bytes: bytes) else { Issue.record("not an A-ASSOCIATE-AC"); return }
    #expect(a.accepted == [AcceptedContext(id: 1, result: .acceptance, transferSyntax: "1.2.840.10008.1.2.1"),
                           AcceptedContext(id: 3, result: .abstractSyntaxNotSupported, transferSyntax: "1.2.840.10008.1.2")])
    #expect(PDU.associateAC(a).bytes == bytes)
}

@Test func fixedLengthPDUs() throws {
    let rj: [UInt8] = [0x03, 0x00, 0, 0, 0, 4, 0x00, 0x01, 0x01, 0x07]
    #expect(try PDU.decode(bytes: rj) == .associateRJ(.calledAENotRecognized))
    #expect(PDU.associateRJ(.callingAENotRecognized).bytes == [0x03, 0x00, 0, 0, 0, 4, 0x00, 0x01, 0x01, 0x03])
    #expect(try PDU.decode(bytes: [0x05, 0x00, 0, 0, 0, 4, 0, 0, 0, 0]) == .releaseRQ)
    #expect(PDU.releaseRP.bytes == [0x06, 0x00, 0, 0, 0, 4, 0, 0, 0, 0])
    #expect(try PDU.decode(bytes: [0x07, 0x00, 0, 0, 0, 4, 0, 0, 0x02, 0x06]) == .abort(source: 2, reason: 6))
}

@Test func pDataLayout() throws {
    // Two PDVs: command, last fragment (MCH 0x03) on context 1; data, not last (MCH 0x00) on context 1.
    let bytes: [UInt8] = [0x04, 0x00, 0, 0, 0, 0x0F] + [0, 0, 0, 4, 0x01, 0x03, 0xAA, 0xBB] + [0, 0, 0, 3, 0x01, 0x00, 0xCC]
    guard case .data(let pdvs) = try PDU.decode(bytes: bytes) else { Issue.record("not P-DATA-TF"); return }
    #expect(pdvs.count == 2)
    #expect(pdvs[0].isCommand && pdvs[0].isLast && pdvs[0].contextID == 1)
    #expect(Array(pdvs[0].data.readableBytesView) == [0xAA, 0xBB])
    #expect(!pdvs[1].isCommand && !pdvs[1].isLast)
    #expect(PDU.data(pdvs).bytes == bytes)
}

@Test func malformedPDUsAreErrorsWithOffsets() {
    // PDV item length runs past the PDU.
    #expect(throws: PDUDecodingError.self) { try PDU.decode(bytes: [0x04, 0x00, 0, 0, 0, 6, 0, 0, 0, 9, 0x01, 0x03]) }
    do { _ = try PDU.decode(bytes: [0x04, 0x00, 0, 0, 0, 6, 0, 0, 0, 9, 0x01, 0x03]); Issue.record("accepted") } catch {
        #expect(error.offset == 6)
        #expect(error.pduType == 0x04)
    }
    // Unknown PDU type.
    do { _ = try PDU.decode(bytes: [0x09, 0x00, 0, 0, 0, 0]); Issue.record("accepted") } catch { #expect(error.abortReason == AbortReason.unrecognizedPDU) }
    // Length field disagrees with the bytes.
    #expect(throws: PDUDecodingError.self) { try PDU.decode(bytes: [0x05, 0x00, 0, 0, 0, 4, 0, 0]) }
    // Truncated A-ASSOCIATE-RQ.
    #expect(throws: PDUDecodingError.self) { try PDU.decode(bytes: Array(associateRQBytes.prefix(40))) }
}

@Test func commandSetLayout() throws {
    // C-ECHO-RQ per PS3.7 Annex E, Implicit VR LE: (0000,0000) UL, (0000,0002) UI, (0000,0100) US 0x0030,
    // (0000,0110) US 7, (0000,0800) US 0x0101.
    var body: [UInt8] = [0x00, 0x00, 0x02, 0x00, 18, 0, 0, 0] + ascii("1.2.840.10008.1.1") + [0]
    body += [0x00, 0x00, 0x00, 0x01, 2, 0, 0, 0, 0x30, 0x00]
    body += [0x00, 0x00, 0x10, 0x01, 2, 0, 0, 0, 0x07, 0x00]
    body += [0x00, 0x00, 0x00, 0x08, 2, 0, 0, 0, 0x01, 0x01]
    let bytes: [UInt8] = [0, 0, 0, 0, 4, 0, 0, 0, UInt8(body.count), 0, 0, 0] + body
    let c = try DIMSECommand.decode(bytes)
    #expect(c.field == .cEchoRQ && c.messageID == 7 && !c.hasDataSet && c.affectedSOPClassUID == "1.2.840.10008.1.1")
    var e = DIMSECommand(field: .cEchoRQ, hasDataSet: false)
    e.affectedSOPClassUID = "1.2.840.10008.1.1"; e.messageID = 7
    #expect(e.encode() == bytes)
}
