import DICOM

/// Errors of the network layer, each with the context needed to find the problem (peer, AE titles, PDU type, offset).
public enum NetworkError: Error, Sendable, CustomStringConvertible {
    /// A PDU could not be decoded.
    case malformedPDU(peer: String, PDUDecodingError)
    /// A PDU longer than the negotiated or configured maximum.
    case pduTooLarge(peer: String, type: UInt8, length: UInt32, limit: Int)
    /// A DIMSE command set could not be decoded.
    case malformedCommand(offset: Int, String)
    /// The peer rejected the association.
    case associationRejected(peer: String, calledAE: String, AssociateReject)
    /// The peer aborted the association.
    case aborted(peer: String, source: UInt8, reason: UInt8)
    /// A PDU or DIMSE message that the state machine did not expect.
    case unexpected(peer: String, String)
    /// No accepted presentation context for an abstract syntax.
    case noPresentationContext(peer: String, sopClass: String)
    /// The connection closed or timed out.
    case connectionClosed(peer: String, String)
    /// A timeout (ARTIM, idle, or response).
    case timeout(peer: String, String)
    /// A local I/O or DICOM encoding problem.
    case dicom(DICOMError)
    /// TLS set-up (certificate files, keys) or handshake.
    case tls(String)
    /// Anything else, with a message.
    case other(String)

    /// One line.
    public var description: String {
        switch self {
        case .malformedPDU(let peer, let e): "\(peer): malformed \(e)"
        case .pduTooLarge(let peer, let type, let length, let limit):
            "\(peer): \(PDUType(rawValue: type)?.description ?? "PDU type \(type)") of \(length) bytes exceeds the limit of \(limit)"
        case .malformedCommand(let offset, let m): "malformed DIMSE command set at byte \(offset): \(m)"
        case .associationRejected(let peer, let called, let r): "\(peer): association to \(called) rejected: \(r)"
        case .aborted(let peer, let s, let r): "\(peer): association aborted (source \(s), reason \(r))"
        case .unexpected(let peer, let m): "\(peer): unexpected \(m)"
        case .noPresentationContext(let peer, let sop): "\(peer): no accepted presentation context for \(UIDDictionary.name(sop))"
        case .connectionClosed(let peer, let m): "\(peer): connection closed: \(m)"
        case .timeout(let peer, let m): "\(peer): timeout: \(m)"
        case .dicom(let e): "\(e)"
        case .tls(let m): "TLS: \(m)"
        case .other(let m): m
        }
    }
}

/// Encoding and decoding of bare data sets (DIMSE data sets: identifiers, stored objects) in a transfer syntax.
public enum DataSetCoding {
    /// Encodes a data set in `syntax` (no preamble or meta header). Identifiers without SOP UIDs are fine: the
    /// writer's meta header takes placeholders that are cut off with it.
    public static func encode(_ ds: Dataset, syntax: TransferSyntax, sourceSyntax: TransferSyntax = .explicitVRLittleEndian) throws(DICOMError) -> [UInt8] {
        var meta = Dataset()
        meta.set(.mediaStorageSOPClassUID, .UI, "1.2")
        meta.set(.mediaStorageSOPInstanceUID, .UI, "1.2")
        let file = DICOMFile(meta: meta, dataset: ds, transferSyntax: sourceSyntax)
        let (bytes, _) = try DICOMWriter.encode(file, options: WriteOptions(transferSyntax: syntax))
        let start = try dataSetOffset(bytes)
        return Array(bytes[start...])
    }

    /// The offset of the data set in Part 10 bytes (after preamble, "DICM" and the meta group).
    public static func dataSetOffset(_ bytes: [UInt8]) throws(DICOMError) -> Int {
        guard bytes.count >= 144, bytes[128] == 0x44, bytes[129] == 0x49, bytes[130] == 0x43, bytes[131] == 0x4D,
              bytes[132] == 2, bytes[133] == 0, bytes[134] == 0, bytes[135] == 0 else {
            throw DICOMError(.malformed, "no Part 10 meta header with a group length")
        }
        let gl = Int(UInt32(bytes[140]) | UInt32(bytes[141]) << 8 | UInt32(bytes[142]) << 16 | UInt32(bytes[143]) << 24)
        guard 144 + gl <= bytes.count else { throw DICOMError(.malformed, "meta group length past the end") }
        return 144 + gl
    }

    /// Decodes a bare data set encoded in `syntax`.
    public static func decode(_ bytes: [UInt8], syntax: TransferSyntax, source: String? = nil) throws(DICOMError) -> Dataset {
        try DICOMFile(parsing: DICOMBytes(part10Wrapper(syntax) + bytes), source: source).dataset
    }

    /// "DICM" and a minimal meta group naming the transfer syntax, so the parser does not have to guess.
    static func part10Wrapper(_ syntax: TransferSyntax) -> [UInt8] {
        var uid = Array(syntax.uid.utf8); if uid.count % 2 == 1 { uid.append(0) }
        var tsElement: [UInt8] = [0x02, 0x00, 0x10, 0x00, 0x55, 0x49]
        tsElement += [UInt8(uid.count & 0xFF), UInt8(uid.count >> 8)] + uid
        var out: [UInt8] = Array("DICM".utf8)
        out += [0x02, 0x00, 0x00, 0x00, 0x55, 0x4C, 0x04, 0x00]
        out += withUnsafeBytes(of: UInt32(tsElement.count).littleEndian, Array.init)
        return out + tsElement
    }
}
