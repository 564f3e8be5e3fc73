import NIOCore

// The DICOM upper layer protocol data units (PS3.8 §9.3): encoding and decoding. Pure functions on ByteBuffer,
// shared by the channel handlers, the tests and the fuzz target.

/// The DICOM Application Context Name (PS3.7 Annex A.2.1).
public let dicomApplicationContextName = "1.2.840.10008.3.1.1.1"

/// Well-known UIDs used by the network layer.
public enum NetworkUID {
    /// Verification SOP Class (C-ECHO).
    public static let verification = "1.2.840.10008.1.1"
    /// Patient Root Query/Retrieve Information Model – FIND.
    public static let patientRootFind = "1.2.840.10008.5.1.4.1.2.1.1"
    /// Patient Root Query/Retrieve Information Model – MOVE.
    public static let patientRootMove = "1.2.840.10008.5.1.4.1.2.1.2"
    /// Patient Root Query/Retrieve Information Model – GET.
    public static let patientRootGet = "1.2.840.10008.5.1.4.1.2.1.3"
    /// Study Root Query/Retrieve Information Model – FIND.
    public static let studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1"
    /// Study Root Query/Retrieve Information Model – MOVE.
    public static let studyRootMove = "1.2.840.10008.5.1.4.1.2.2.2"
    /// Study Root Query/Retrieve Information Model – GET.
    public static let studyRootGet = "1.2.840.10008.5.1.4.1.2.2.3"
    /// All query/retrieve SOP classes this implementation serves.
    public static let queryRetrieve: Set<String> = [patientRootFind, patientRootMove, patientRootGet,
                                                    studyRootFind, studyRootMove, studyRootGet]
    /// The C-FIND SOP classes.
    public static let findClasses: Set<String> = [patientRootFind, studyRootFind]
}

/// PDU type codes (PS3.8 Table 9-11 and following).
public enum PDUType: UInt8, Sendable, CustomStringConvertible {
    case associateRQ = 0x01, associateAC = 0x02, associateRJ = 0x03, dataTF = 0x04
    case releaseRQ = 0x05, releaseRP = 0x06, abort = 0x07
    /// The PS3.8 name.
    public var description: String {
        switch self {
        case .associateRQ: "A-ASSOCIATE-RQ"
        case .associateAC: "A-ASSOCIATE-AC"
        case .associateRJ: "A-ASSOCIATE-RJ"
        case .dataTF: "P-DATA-TF"
        case .releaseRQ: "A-RELEASE-RQ"
        case .releaseRP: "A-RELEASE-RP"
        case .abort: "A-ABORT"
        }
    }
}

/// A presentation context as proposed in an A-ASSOCIATE-RQ (item type 0x20).
public struct ProposedContext: Sendable, Equatable {
    /// Presentation context ID (odd, 1–255).
    public var id: UInt8
    /// Abstract syntax (SOP class) UID.
    public var abstractSyntax: String
    /// Transfer syntax UIDs, in the proposer's order of preference.
    public var transferSyntaxes: [String]
    /// Creates a proposed context.
    public init(id: UInt8, abstractSyntax: String, transferSyntaxes: [String]) {
        self.id = id; self.abstractSyntax = abstractSyntax; self.transferSyntaxes = transferSyntaxes
    }
}

/// The result of one presentation context (PS3.8 Table 9-18).
public enum ContextResult: UInt8, Sendable, Equatable {
    case acceptance = 0, userRejection = 1, noReason = 2, abstractSyntaxNotSupported = 3, transferSyntaxesNotSupported = 4
}

/// A presentation context as answered in an A-ASSOCIATE-AC (item type 0x21).
public struct AcceptedContext: Sendable, Equatable {
    /// Presentation context ID.
    public var id: UInt8
    /// Result/reason.
    public var result: ContextResult
    /// The transfer syntax chosen (meaningful only when accepted).
    public var transferSyntax: String
    /// Creates an answer.
    public init(id: UInt8, result: ContextResult, transferSyntax: String) {
        self.id = id; self.result = result; self.transferSyntax = transferSyntax
    }
}

/// SCP/SCU Role Selection sub-item (PS3.7 D.3.3.4), needed for C-GET.
public struct RoleSelection: Sendable, Equatable {
    /// SOP class UID the roles apply to.
    public var sopClass: String
    /// Whether the association requester may act as SCU.
    public var scuRole: Bool
    /// Whether the association requester may act as SCP.
    public var scpRole: Bool
    /// Creates a role selection.
    public init(sopClass: String, scuRole: Bool, scpRole: Bool) { self.sopClass = sopClass; self.scuRole = scuRole; self.scpRole = scpRole }
}

/// User Identity negotiation request sub-item (PS3.7 D.3.3.7).
public struct UserIdentity: Sendable, Equatable {
    /// 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT.
    public var type: UInt8
    /// Whether a positive server response is requested.
    public var positiveResponseRequested: Bool
    /// Primary field (e.g. user name).
    public var primary: [UInt8]
    /// Secondary field (e.g. passcode; only for type 2).
    public var secondary: [UInt8]
    /// Creates a user identity item.
    public init(type: UInt8, positiveResponseRequested: Bool, primary: [UInt8], secondary: [UInt8] = []) {
        self.type = type; self.positiveResponseRequested = positiveResponseRequested; self.primary = primary; self.secondary = secondary
    }
}

/// The User Information item (0x50) and its sub-items.
public struct UserInformation: Sendable, Equatable {
    /// Maximum length of P-DATA-TF PDUs the sender can receive (0 = unlimited).
    public var maxPDULength: UInt32 = 0
    /// Implementation Class UID.
    public var implementationClassUID: String = ""
    /// Implementation Version Name (up to 16 characters).
    public var implementationVersionName: String?
    /// Asynchronous Operations Window (invoked, performed), when negotiated.
    public var asyncOperations: (invoked: UInt16, performed: UInt16)?
    /// SCP/SCU role selection items.
    public var roles: [RoleSelection] = []
    /// User identity request (RQ only).
    public var userIdentity: UserIdentity?
    /// User identity server response (AC only).
    public var userIdentityResponse: [UInt8]?
    /// Sub-items kept as they are (extended negotiation 0x56/0x57 and unknown types): (type, value).
    public var otherItems: [(type: UInt8, value: [UInt8])] = []
    /// Creates user information.
    public init(maxPDULength: UInt32 = 0, implementationClassUID: String = "", implementationVersionName: String? = nil) {
        self.maxPDULength = maxPDULength; self.implementationClassUID = implementationClassUID
        self.implementationVersionName = implementationVersionName
    }
    /// Equality over all fields (tuples are compared element-wise).
    public static func == (a: UserInformation, b: UserInformation) -> Bool {
        a.maxPDULength == b.maxPDULength && a.implementationClassUID == b.implementationClassUID
            && a.implementationVersionName == b.implementationVersionName
            && a.asyncOperations?.invoked == b.asyncOperations?.invoked && a.asyncOperations?.performed == b.asyncOperations?.performed
            && a.roles == b.roles && a.userIdentity == b.userIdentity && a.userIdentityResponse == b.userIdentityResponse
            && a.otherItems.count == b.otherItems.count
            && zip(a.otherItems, b.otherItems).allSatisfy { $0.type == $1.type && $0.value == $1.value }
    }
}

/// An A-ASSOCIATE-RQ or A-ASSOCIATE-AC (they share a layout, PS3.8 §9.3.2–9.3.3).
public struct AssociatePDU: Sendable, Equatable {
    /// Protocol version (bit 0 = version 1).
    public var protocolVersion: UInt16 = 1
    /// Called AE title (trimmed).
    public var calledAE: String
    /// Calling AE title (trimmed).
    public var callingAE: String
    /// Application context name.
    public var applicationContext: String = dicomApplicationContextName
    /// Proposed contexts (RQ).
    public var proposed: [ProposedContext] = []
    /// Answered contexts (AC).
    public var accepted: [AcceptedContext] = []
    /// User information.
    public var userInfo: UserInformation = UserInformation()
    /// Creates an associate PDU body.
    public init(calledAE: String, callingAE: String) { self.calledAE = calledAE; self.callingAE = callingAE }
}

/// A-ASSOCIATE-RJ parameters (PS3.8 Table 9-21).
public struct AssociateReject: Sendable, Equatable, CustomStringConvertible {
    /// 1 rejected-permanent, 2 rejected-transient.
    public var result: UInt8
    /// 1 service user, 2 service provider (ACSE), 3 service provider (presentation).
    public var source: UInt8
    /// Reason, meaning depends on the source.
    public var reason: UInt8
    /// Creates a reject.
    public init(result: UInt8, source: UInt8, reason: UInt8) { self.result = result; self.source = source; self.reason = reason }
    /// Rejected by the service user: no reason given.
    public static let noReason = AssociateReject(result: 1, source: 1, reason: 1)
    /// Rejected by the service user: application context name not supported.
    public static let applicationContextNotSupported = AssociateReject(result: 1, source: 1, reason: 2)
    /// Rejected by the service user: calling AE title not recognized.
    public static let callingAENotRecognized = AssociateReject(result: 1, source: 1, reason: 3)
    /// Rejected by the service user: called AE title not recognized.
    public static let calledAENotRecognized = AssociateReject(result: 1, source: 1, reason: 7)
    /// Rejected by the ACSE provider: protocol version not supported.
    public static let protocolVersionNotSupported = AssociateReject(result: 1, source: 2, reason: 2)
    /// Rejected (transient) by the presentation provider: local limit exceeded.
    public static let localLimitExceeded = AssociateReject(result: 2, source: 3, reason: 2)
    /// Human-readable reason.
    public var description: String {
        let r: String
        switch (source, reason) {
        case (1, 1): r = "no reason given"
        case (1, 2): r = "application context name not supported"
        case (1, 3): r = "calling AE title not recognized"
        case (1, 7): r = "called AE title not recognized"
        case (2, 1): r = "no reason given (ACSE)"
        case (2, 2): r = "protocol version not supported"
        case (3, 1): r = "temporary congestion"
        case (3, 2): r = "local limit exceeded"
        default: r = "reason \(reason)"
        }
        return "\(result == 1 ? "permanent" : "transient") reject by \(source == 1 ? "service user" : "service provider"): \(r)"
    }
}

/// One presentation data value item of a P-DATA-TF PDU.
public struct PDV: Sendable, Equatable {
    /// Presentation context ID.
    public var contextID: UInt8
    /// Message control header bit 0: command (true) or data set (false).
    public var isCommand: Bool
    /// Message control header bit 1: last fragment.
    public var isLast: Bool
    /// The fragment bytes.
    public var data: ByteBuffer
    /// Creates a PDV.
    public init(contextID: UInt8, isCommand: Bool, isLast: Bool, data: ByteBuffer) {
        self.contextID = contextID; self.isCommand = isCommand; self.isLast = isLast; self.data = data
    }
}

/// An upper-layer PDU.
public enum PDU: Sendable, Equatable {
    case associateRQ(AssociatePDU)
    case associateAC(AssociatePDU)
    case associateRJ(AssociateReject)
    case data([PDV])
    case releaseRQ
    case releaseRP
    /// A-ABORT: source (0 service user, 2 service provider) and reason (PS3.8 Table 9-26).
    case abort(source: UInt8, reason: UInt8)

    /// The PDU type.
    public var type: PDUType {
        switch self {
        case .associateRQ: .associateRQ
        case .associateAC: .associateAC
        case .associateRJ: .associateRJ
        case .data: .dataTF
        case .releaseRQ: .releaseRQ
        case .releaseRP: .releaseRP
        case .abort: .abort
        }
    }
}

/// A-ABORT reasons when the source is the service provider (PS3.8 Table 9-26).
public enum AbortReason {
    public static let notSpecified: UInt8 = 0
    public static let unrecognizedPDU: UInt8 = 1
    public static let unexpectedPDU: UInt8 = 2
    public static let unrecognizedPDUParameter: UInt8 = 4
    public static let unexpectedPDUParameter: UInt8 = 5
    public static let invalidPDUParameterValue: UInt8 = 6
}

// MARK: - Encoding

extension PDU {
    /// Encodes the PDU (header included) into `out`.
    public func encode(into out: inout ByteBuffer) {
        switch self {
        case .associateRQ(let a): encodeAssociate(a, type: 0x01, request: true, into: &out)
        case .associateAC(let a): encodeAssociate(a, type: 0x02, request: false, into: &out)
        case .associateRJ(let r):
            out.writeInteger(UInt8(0x03)); out.writeInteger(UInt8(0)); out.writeInteger(UInt32(4))
            out.writeInteger(UInt8(0)); out.writeInteger(r.result); out.writeInteger(r.source); out.writeInteger(r.reason)
        case .data(let pdvs):
            let length = pdvs.reduce(0) { $0 + 6 + $1.data.readableBytes }
            out.writeInteger(UInt8(0x04)); out.writeInteger(UInt8(0)); out.writeInteger(UInt32(length))
            for var p in pdvs {
                out.writeInteger(UInt32(p.data.readableBytes + 2))
                out.writeInteger(p.contextID)
                out.writeInteger(UInt8((p.isCommand ? 1 : 0) | (p.isLast ? 2 : 0)))
                out.writeBuffer(&p.data)
            }
        case .releaseRQ, .releaseRP:
            out.writeInteger(self.type.rawValue); out.writeInteger(UInt8(0)); out.writeInteger(UInt32(4)); out.writeInteger(UInt32(0))
        case .abort(let source, let reason):
            out.writeInteger(UInt8(0x07)); out.writeInteger(UInt8(0)); out.writeInteger(UInt32(4))
            out.writeInteger(UInt8(0)); out.writeInteger(UInt8(0)); out.writeInteger(source); out.writeInteger(reason)
        }
    }

    /// The encoded bytes (convenience for tests and tools).
    public var bytes: [UInt8] {
        var b = ByteBufferAllocator().buffer(capacity: 256)
        encode(into: &b)
        return b.readBytes(length: b.readableBytes) ?? []
    }

    private func encodeAssociate(_ a: AssociatePDU, type: UInt8, request: Bool, into out: inout ByteBuffer) {
        out.writeInteger(type); out.writeInteger(UInt8(0))
        let lengthIndex = out.writerIndex
        out.writeInteger(UInt32(0))
        let start = out.writerIndex
        out.writeInteger(a.protocolVersion); out.writeInteger(UInt16(0))
        out.writeBytes(aeField(a.calledAE)); out.writeBytes(aeField(a.callingAE))
        out.writeRepeatingByte(0, count: 32)
        item(0x10, Array(a.applicationContext.utf8), into: &out)
        if request {
            for c in a.proposed {
                var body: [UInt8] = [c.id, 0, 0, 0]
                appendItem(0x30, Array(c.abstractSyntax.utf8), to: &body)
                for ts in c.transferSyntaxes { appendItem(0x40, Array(ts.utf8), to: &body) }
                item(0x20, body, into: &out)
            }
        } else {
            for c in a.accepted {
                var body: [UInt8] = [c.id, 0, c.result.rawValue, 0]
                appendItem(0x40, Array(c.transferSyntax.utf8), to: &body)
                item(0x21, body, into: &out)
            }
        }
        var ui: [UInt8] = []
        appendItem(0x51, be32(a.userInfo.maxPDULength), to: &ui)
        appendItem(0x52, Array(a.userInfo.implementationClassUID.utf8), to: &ui)
        if let w = a.userInfo.asyncOperations { appendItem(0x53, be16(w.invoked) + be16(w.performed), to: &ui) }
        for r in a.userInfo.roles {
            let uid = Array(r.sopClass.utf8)
            appendItem(0x54, be16(UInt16(uid.count)) + uid + [r.scuRole ? 1 : 0, r.scpRole ? 1 : 0], to: &ui)
        }
        if let v = a.userInfo.implementationVersionName { appendItem(0x55, Array(v.utf8.prefix(16)), to: &ui) }
        for o in a.userInfo.otherItems { appendItem(o.type, o.value, to: &ui) }
        if let u = a.userInfo.userIdentity {
            appendItem(0x58, [u.type, u.positiveResponseRequested ? 1 : 0] + be16(UInt16(u.primary.count)) + u.primary
                       + be16(UInt16(u.secondary.count)) + u.secondary, to: &ui)
        }
        if let r = a.userInfo.userIdentityResponse { appendItem(0x59, be16(UInt16(r.count)) + r, to: &ui) }
        item(0x50, ui, into: &out)
        out.setInteger(UInt32(out.writerIndex - start), at: lengthIndex)
    }
}

private func aeField(_ ae: String) -> [UInt8] {
    var b = Array(ae.utf8.prefix(16))
    while b.count < 16 { b.append(0x20) }
    return b
}
private func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
private func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
private func appendItem(_ type: UInt8, _ value: [UInt8], to body: inout [UInt8]) {
    body.append(type); body.append(0); body += be16(UInt16(value.count)); body += value
}
private func item(_ type: UInt8, _ value: [UInt8], into out: inout ByteBuffer) {
    out.writeInteger(type); out.writeInteger(UInt8(0)); out.writeInteger(UInt16(value.count)); out.writeBytes(value)
}

// MARK: - Decoding

/// A malformed PDU: what, which PDU type, at which byte offset from the start of the PDU.
public struct PDUDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The PDU type byte, when it had been read.
    public var pduType: UInt8?
    /// Byte offset from the start of the PDU.
    public var offset: Int
    /// What was wrong.
    public var message: String
    /// The A-ABORT reason to send for it.
    public var abortReason: UInt8
    /// Creates an error.
    public init(pduType: UInt8?, offset: Int, _ message: String, abortReason: UInt8 = AbortReason.invalidPDUParameterValue) {
        self.pduType = pduType; self.offset = offset; self.message = message; self.abortReason = abortReason
    }
    /// One line.
    public var description: String {
        let t = pduType.map { PDUType(rawValue: $0)?.description ?? String(format: "type 0x%02X", $0) } ?? "PDU"
        return "\(t) at byte \(offset): \(message)"
    }
}

extension PDU {
    /// Decodes one complete PDU (header included) from `bytes`. P-DATA values are slices of the buffer (no copy).
    public static func decode(_ whole: ByteBuffer) throws(PDUDecodingError) -> PDU {
        var r = PDUReader(buffer: whole, type: nil)
        guard let type = r.u8(), let _ = r.u8(), let length = r.u32() else {
            throw PDUDecodingError(pduType: nil, offset: 0, "shorter than the 6-byte PDU header", abortReason: AbortReason.invalidPDUParameterValue)
        }
        r.type = type
        guard Int(length) == whole.readableBytes - 6 else {
            throw PDUDecodingError(pduType: type, offset: 2, "PDU length \(length) does not match the \(whole.readableBytes - 6) bytes that follow the header")
        }
        switch type {
        case 0x01, 0x02:
            let a = try decodeAssociate(&r, request: type == 0x01)
            return type == 0x01 ? .associateRQ(a) : .associateAC(a)
        case 0x03:
            guard length == 4, let _ = r.u8(), let result = r.u8(), let source = r.u8(), let reason = r.u8() else {
                throw r.error("A-ASSOCIATE-RJ must have length 4")
            }
            return .associateRJ(AssociateReject(result: result, source: source, reason: reason))
        case 0x04:
            var pdvs: [PDV] = []
            while r.remaining > 0 {
                let at = r.offset
                guard let itemLength = r.u32() else { throw r.error("truncated PDV item header") }
                guard itemLength >= 2 else { throw PDUDecodingError(pduType: type, offset: at, "PDV item length \(itemLength) is less than 2") }
                guard Int(itemLength) <= r.remaining else {
                    throw PDUDecodingError(pduType: type, offset: at, "PDV item length \(itemLength) runs past the end of the PDU")
                }
                let ctx = r.u8()!, mch = r.u8()!
                guard mch & 0xFC == 0 else { throw PDUDecodingError(pduType: type, offset: at + 5, "reserved message control header bits set (0x\(String(mch, radix: 16)))") }
                guard ctx & 1 == 1 else { throw PDUDecodingError(pduType: type, offset: at + 4, "presentation context ID \(ctx) is even") }
                let data = r.slice(Int(itemLength) - 2)!
                pdvs.append(PDV(contextID: ctx, isCommand: mch & 1 == 1, isLast: mch & 2 == 2, data: data))
            }
            guard !pdvs.isEmpty else { throw r.error("P-DATA-TF without PDV items") }
            return .data(pdvs)
        case 0x05, 0x06:
            guard length == 4 else { throw r.error("A-RELEASE PDU must have length 4, got \(length)") }
            return type == 0x05 ? .releaseRQ : .releaseRP
        case 0x07:
            guard length == 4, let _ = r.u8(), let _ = r.u8(), let source = r.u8(), let reason = r.u8() else {
                throw r.error("A-ABORT must have length 4")
            }
            return .abort(source: source, reason: reason)
        default:
            throw PDUDecodingError(pduType: type, offset: 0, "unrecognized PDU type 0x\(String(type, radix: 16))", abortReason: AbortReason.unrecognizedPDU)
        }
    }

    /// Decodes from plain bytes.
    public static func decode(bytes: [UInt8]) throws(PDUDecodingError) -> PDU {
        var b = ByteBufferAllocator().buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        return try decode(b)
    }

    private static func decodeAssociate(_ r: inout PDUReader, request: Bool) throws(PDUDecodingError) -> AssociatePDU {
        guard let version = r.u16(), let _ = r.u16(), let called = r.bytes(16), let calling = r.bytes(16), let _ = r.bytes(32) else {
            throw r.error("truncated A-ASSOCIATE fixed fields")
        }
        var a = AssociatePDU(calledAE: trimAE(called), callingAE: trimAE(calling))
        a.protocolVersion = version
        var sawContext = false, sawUserInfo = false
        a.applicationContext = ""
        while r.remaining > 0 {
            let at = r.offset
            guard let t = r.u8(), let _ = r.u8(), let len = r.u16() else { throw r.error("truncated item header") }
            guard Int(len) <= r.remaining, var sub = r.subReader(Int(len), base: at + 4) else {
                throw PDUDecodingError(pduType: r.type, offset: at, "item 0x\(String(t, radix: 16)) length \(len) runs past the end of the PDU")
            }
            switch t {
            case 0x10:
                a.applicationContext = uidString(sub.rest()); sawContext = true
            case 0x20 where request:
                guard let id = sub.u8(), let _ = sub.bytes(3) else { throw sub.error("truncated presentation context item") }
                var c = ProposedContext(id: id, abstractSyntax: "", transferSyntaxes: [])
                while sub.remaining > 0 {
                    let sat = sub.offset
                    guard let st = sub.u8(), let _ = sub.u8(), let sl = sub.u16(), let v = sub.bytes(Int(sl)) else {
                        throw PDUDecodingError(pduType: r.type, offset: sat, "truncated presentation context sub-item")
                    }
                    switch st {
                    case 0x30: c.abstractSyntax = uidString(v)
                    case 0x40: c.transferSyntaxes.append(uidString(v))
                    default: throw PDUDecodingError(pduType: r.type, offset: sat, "unexpected sub-item 0x\(String(st, radix: 16)) in presentation context", abortReason: AbortReason.unrecognizedPDUParameter)
                    }
                }
                a.proposed.append(c)
            case 0x21 where !request:
                guard let id = sub.u8(), let _ = sub.u8(), let res = sub.u8(), let _ = sub.u8() else { throw sub.error("truncated presentation context item") }
                var ts = ""
                while sub.remaining > 0 {
                    let sat = sub.offset
                    guard let st = sub.u8(), let _ = sub.u8(), let sl = sub.u16(), let v = sub.bytes(Int(sl)) else {
                        throw PDUDecodingError(pduType: r.type, offset: sat, "truncated presentation context sub-item")
                    }
                    if st == 0x40 { ts = uidString(v) }
                }
                a.accepted.append(AcceptedContext(id: id, result: ContextResult(rawValue: res) ?? .noReason, transferSyntax: ts))
            case 0x50:
                a.userInfo = try decodeUserInfo(&sub); sawUserInfo = true
            default:
                throw PDUDecodingError(pduType: r.type, offset: at, "unexpected item type 0x\(String(t, radix: 16))", abortReason: AbortReason.unrecognizedPDUParameter)
            }
        }
        guard sawContext else { throw r.error("no application context item") }
        guard sawUserInfo else { throw r.error("no user information item") }
        return a
    }

    private static func decodeUserInfo(_ r: inout PDUReader) throws(PDUDecodingError) -> UserInformation {
        var u = UserInformation()
        while r.remaining > 0 {
            let at = r.offset
            guard let t = r.u8(), let _ = r.u8(), let len = r.u16(), var s = r.subReader(Int(len), base: at + 4) else {
                throw PDUDecodingError(pduType: r.type, offset: at, "truncated user information sub-item")
            }
            switch t {
            case 0x51:
                guard let v = s.u32() else { throw s.error("maximum length sub-item shorter than 4 bytes") }
                u.maxPDULength = v
            case 0x52: u.implementationClassUID = uidString(s.rest())
            case 0x53:
                guard let i = s.u16(), let p = s.u16() else { throw s.error("asynchronous operations window shorter than 4 bytes") }
                u.asyncOperations = (i, p)
            case 0x54:
                guard let n = s.u16(), let uid = s.bytes(Int(n)), let scu = s.u8(), let scp = s.u8() else { throw s.error("truncated role selection") }
                u.roles.append(RoleSelection(sopClass: uidString(uid), scuRole: scu == 1, scpRole: scp == 1))
            case 0x55: u.implementationVersionName = trimAE(s.rest())
            case 0x58:
                guard let type = s.u8(), let pr = s.u8(), let n1 = s.u16(), let p1 = s.bytes(Int(n1)), let n2 = s.u16(), let p2 = s.bytes(Int(n2)) else {
                    throw s.error("truncated user identity")
                }
                u.userIdentity = UserIdentity(type: type, positiveResponseRequested: pr == 1, primary: p1, secondary: p2)
            case 0x59:
                guard let n = s.u16(), let v = s.bytes(Int(n)) else { throw s.error("truncated user identity response") }
                u.userIdentityResponse = v
            default: u.otherItems.append((t, s.rest()))
            }
        }
        return u
    }
}

/// Bounds-checked big-endian reader that tracks the byte offset from the start of the PDU.
struct PDUReader {
    var buffer: ByteBuffer
    var type: UInt8?
    var base = 0
    let start: Int
    init(buffer: ByteBuffer, type: UInt8?, base: Int = 0) { self.buffer = buffer; self.type = type; self.base = base; start = buffer.readerIndex }
    var offset: Int { base + buffer.readerIndex - start }
    var remaining: Int { buffer.readableBytes }
    mutating func u8() -> UInt8? { buffer.readInteger() }
    mutating func u16() -> UInt16? { buffer.readInteger(endianness: .big) }
    mutating func u32() -> UInt32? { buffer.readInteger(endianness: .big) }
    mutating func bytes(_ n: Int) -> [UInt8]? { n < 0 ? nil : buffer.readBytes(length: n) }
    mutating func slice(_ n: Int) -> ByteBuffer? { buffer.readSlice(length: n) }
    mutating func rest() -> [UInt8] { buffer.readBytes(length: buffer.readableBytes) ?? [] }
    mutating func subReader(_ n: Int, base: Int) -> PDUReader? {
        guard let s = buffer.readSlice(length: n) else { return nil }
        return PDUReader(buffer: s, type: type, base: base)
    }
    func error(_ message: String) -> PDUDecodingError { PDUDecodingError(pduType: type, offset: offset, message) }
}

/// UID bytes to a string without trailing NUL/space padding.
func uidString(_ b: [UInt8]) -> String {
    var e = b.count
    while e > 0 && (b[e - 1] == 0 || b[e - 1] == 0x20) { e -= 1 }
    return String(decoding: b[0..<e], as: UTF8.self)
}

/// AE title bytes to a string without leading/trailing spaces (PS3.5: leading and trailing spaces are not significant).
func trimAE(_ b: [UInt8]) -> String {
    String(decoding: b, as: UTF8.self).trimmedAE()
}

extension String {
    /// Without leading/trailing spaces and NULs.
    func trimmedAE() -> String {
        let chars: Set<Character> = [" ", "\0"]
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// SOP Class Extended Negotiation sub-items (type 0x56, PS3.7 D.3.3.5): SOP Class UID and service-class
/// application information.
public enum ExtendedNegotiation {
    /// The items of a user information field.
    public static func items(_ u: UserInformation) -> [(sopClass: String, info: [UInt8])] {
        u.otherItems.compactMap { item in
            guard item.type == 0x56, item.value.count >= 2 else { return nil }
            let n = Int(item.value[0]) << 8 | Int(item.value[1])
            guard 2 + n <= item.value.count else { return nil }
            return (uidString(Array(item.value[2..<(2 + n)])), Array(item.value[(2 + n)...]))
        }
    }
    /// An item for `sopClass` with `info`.
    public static func item(sopClass: String, info: [UInt8]) -> (type: UInt8, value: [UInt8]) {
        let uid = Array(sopClass.utf8)
        return (0x56, [UInt8(uid.count >> 8), UInt8(uid.count & 0xFF)] + uid + info)
    }
}
