import DICOM

/// DIMSE command field values (PS3.7 Annex E).
public enum CommandField: UInt16, Sendable, CustomStringConvertible {
    case cStoreRQ = 0x0001, cStoreRSP = 0x8001
    case cGetRQ = 0x0010, cGetRSP = 0x8010
    case cFindRQ = 0x0020, cFindRSP = 0x8020
    case cMoveRQ = 0x0021, cMoveRSP = 0x8021
    case cEchoRQ = 0x0030, cEchoRSP = 0x8030
    case cCancelRQ = 0x0FFF
    case nEventReportRQ = 0x0100, nEventReportRSP = 0x8100
    case nActionRQ = 0x0130, nActionRSP = 0x8130
    /// Whether this is a response.
    public var isResponse: Bool { rawValue & 0x8000 != 0 }
    /// The PS3.7 name.
    public var description: String {
        switch self {
        case .cStoreRQ: "C-STORE-RQ"
        case .cStoreRSP: "C-STORE-RSP"
        case .cGetRQ: "C-GET-RQ"
        case .cGetRSP: "C-GET-RSP"
        case .cFindRQ: "C-FIND-RQ"
        case .cFindRSP: "C-FIND-RSP"
        case .cMoveRQ: "C-MOVE-RQ"
        case .cMoveRSP: "C-MOVE-RSP"
        case .cEchoRQ: "C-ECHO-RQ"
        case .cEchoRSP: "C-ECHO-RSP"
        case .cCancelRQ: "C-CANCEL-RQ"
        case .nEventReportRQ: "N-EVENT-REPORT-RQ"
        case .nEventReportRSP: "N-EVENT-REPORT-RSP"
        case .nActionRQ: "N-ACTION-RQ"
        case .nActionRSP: "N-ACTION-RSP"
        }
    }
}

/// DIMSE status codes (PS3.7 Annex C and PS3.4 service definitions).
public enum Status {
    public static let success: UInt16 = 0x0000
    public static let pending: UInt16 = 0xFF00
    public static let pendingWarning: UInt16 = 0xFF01
    public static let cancel: UInt16 = 0xFE00
    /// C-STORE: coercion of data elements.
    public static let coercion: UInt16 = 0xB000
    /// C-MOVE/C-GET: sub-operations complete, one or more failures or warnings.
    public static let subOperationsWarning: UInt16 = 0xB000
    /// C-STORE: data set does not match SOP class (warning).
    public static let dataSetDoesNotMatchWarning: UInt16 = 0xB007
    public static let outOfResources: UInt16 = 0xA700
    public static let outOfResourcesMatches: UInt16 = 0xA701
    public static let outOfResourcesSubOperations: UInt16 = 0xA702
    public static let moveDestinationUnknown: UInt16 = 0xA801
    public static let identifierDoesNotMatchSOPClass: UInt16 = 0xA900
    public static let unableToProcess: UInt16 = 0xC000
    public static let processingFailure: UInt16 = 0x0110
    public static let sopClassNotSupported: UInt16 = 0x0122
    public static let unrecognizedOperation: UInt16 = 0x0211
    /// The status category.
    public static func category(_ s: UInt16) -> String {
        switch s {
        case 0x0000: "success"
        case 0xFF00, 0xFF01: "pending"
        case 0xFE00: "cancel"
        case 0x0001, 0x0107, 0x0116, 0xB000...0xBFFF: "warning"
        default: "failure"
        }
    }
    /// Whether the status is Pending.
    public static func isPending(_ s: UInt16) -> Bool { s == pending || s == pendingWarning }
}

/// A DIMSE command set (group 0000), always encoded in Implicit VR Little Endian (PS3.7 §6.3.1).
public struct DIMSECommand: Sendable, Equatable, CustomStringConvertible {
    /// Command Field (0000,0100).
    public var field: CommandField
    /// Affected SOP Class UID (0000,0002).
    public var affectedSOPClassUID: String?
    /// Requested SOP Class UID (0000,0003).
    public var requestedSOPClassUID: String?
    /// Message ID (0000,0110).
    public var messageID: UInt16?
    /// Message ID Being Responded To (0000,0120).
    public var messageIDBeingRespondedTo: UInt16?
    /// Move Destination (0000,0600).
    public var moveDestination: String?
    /// Priority (0000,0700): 0 medium, 1 high, 2 low.
    public var priority: UInt16?
    /// Whether a data set follows (Command Data Set Type (0000,0800) ≠ 0x0101).
    public var hasDataSet: Bool
    /// Status (0000,0900).
    public var status: UInt16?
    /// Offending Element (0000,0901).
    public var offendingElements: [Tag] = []
    /// Error Comment (0000,0902).
    public var errorComment: String?
    /// Affected SOP Instance UID (0000,1000).
    public var affectedSOPInstanceUID: String?
    /// Requested SOP Instance UID (0000,1001) (DIMSE-N requests).
    public var requestedSOPInstanceUID: String?
    /// Event Type ID (0000,1002) (N-EVENT-REPORT).
    public var eventTypeID: UInt16?
    /// Action Type ID (0000,1008) (N-ACTION).
    public var actionTypeID: UInt16?
    /// Remaining/completed/failed/warning sub-operations (0000,1020–1023).
    public var remaining: UInt16?, completed: UInt16?, failed: UInt16?, warning: UInt16?
    /// Move Originator AE Title (0000,1030).
    public var moveOriginatorAE: String?
    /// Move Originator Message ID (0000,1031).
    public var moveOriginatorMessageID: UInt16?

    /// Creates a command.
    public init(field: CommandField, hasDataSet: Bool) { self.field = field; self.hasDataSet = hasDataSet }

    /// One line for logs.
    public var description: String {
        var s = "\(field)"
        if let m = messageID { s += " id=\(m)" }
        if let m = messageIDBeingRespondedTo { s += " re=\(m)" }
        if let st = status { s += " status=0x\(String(st, radix: 16, uppercase: true))" }
        if let c = errorComment { s += " \"\(c)\"" }
        return s
    }

    // MARK: Encoding

    /// Encodes the command set with its group length.
    public func encode() -> [UInt8] {
        var body: [UInt8] = []
        func header(_ e: UInt16, _ len: Int) {
            body += [0, 0, UInt8(e & 0xFF), UInt8(e >> 8)]
            body += withUnsafeBytes(of: UInt32(len).littleEndian, Array.init)
        }
        func uid(_ e: UInt16, _ v: String?) {
            guard let v else { return }
            var b = Array(v.utf8); if b.count % 2 == 1 { b.append(0) }
            header(e, b.count); body += b
        }
        func text(_ e: UInt16, _ v: String?) {
            guard let v else { return }
            var b = Array(v.utf8); if b.count % 2 == 1 { b.append(0x20) }
            header(e, b.count); body += b
        }
        func us(_ e: UInt16, _ v: UInt16?) {
            guard let v else { return }
            header(e, 2); body += withUnsafeBytes(of: v.littleEndian, Array.init)
        }
        uid(0x0002, affectedSOPClassUID)
        uid(0x0003, requestedSOPClassUID)
        us(0x0100, field.rawValue)
        us(0x0110, messageID)
        us(0x0120, messageIDBeingRespondedTo)
        text(0x0600, moveDestination)
        us(0x0700, priority)
        us(0x0800, hasDataSet ? 0x0000 : 0x0101)
        us(0x0900, status)
        if !offendingElements.isEmpty {
            header(0x0901, offendingElements.count * 4)
            for t in offendingElements { body += withUnsafeBytes(of: t.group.littleEndian, Array.init) + withUnsafeBytes(of: t.element.littleEndian, Array.init) }
        }
        text(0x0902, errorComment.map { String($0.prefix(64)) })
        uid(0x1000, affectedSOPInstanceUID)
        uid(0x1001, requestedSOPInstanceUID)
        us(0x1002, eventTypeID)
        us(0x1008, actionTypeID)
        us(0x1020, remaining); us(0x1021, completed); us(0x1022, failed); us(0x1023, warning)
        text(0x1030, moveOriginatorAE)
        us(0x1031, moveOriginatorMessageID)
        var out: [UInt8] = [0, 0, 0, 0, 4, 0, 0, 0]
        out += withUnsafeBytes(of: UInt32(body.count).littleEndian, Array.init)
        return out + body
    }

    // MARK: Decoding

    /// Decodes a command set (Implicit VR Little Endian, group 0000 only).
    public static func decode(_ bytes: [UInt8]) throws(NetworkError) -> DIMSECommand {
        var values: [UInt16: ArraySlice<UInt8>] = [:]
        var p = 0
        while p < bytes.count {
            guard p + 8 <= bytes.count else { throw NetworkError.malformedCommand(offset: p, "truncated element header") }
            let group = UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
            let element = UInt16(bytes[p + 2]) | UInt16(bytes[p + 3]) << 8
            let len = Int(UInt32(bytes[p + 4]) | UInt32(bytes[p + 5]) << 8 | UInt32(bytes[p + 6]) << 16 | UInt32(bytes[p + 7]) << 24)
            guard group == 0x0000 else { throw NetworkError.malformedCommand(offset: p, "element (\(String(format: "%04X", group)),\(String(format: "%04X", element))) is not in group 0000") }
            guard len <= bytes.count - p - 8 else { throw NetworkError.malformedCommand(offset: p, "value length \(len) runs past the end of the command set") }
            values[element] = bytes[(p + 8)..<(p + 8 + len)]
            p += 8 + len
        }
        func us(_ e: UInt16) -> UInt16? {
            guard let v = values[e], v.count >= 2 else { return nil }
            return UInt16(v[v.startIndex]) | UInt16(v[v.startIndex + 1]) << 8
        }
        func str(_ e: UInt16) -> String? {
            guard let v = values[e] else { return nil }
            let s = uidString(Array(v)).trimmedAE()
            return s
        }
        guard let raw = us(0x0100) else { throw NetworkError.malformedCommand(offset: 0, "no Command Field (0000,0100)") }
        guard let field = CommandField(rawValue: raw) else {
            throw NetworkError.malformedCommand(offset: 0, "unknown Command Field 0x\(String(raw, radix: 16))")
        }
        var c = DIMSECommand(field: field, hasDataSet: (us(0x0800) ?? 0x0101) != 0x0101)
        c.affectedSOPClassUID = str(0x0002)
        c.requestedSOPClassUID = str(0x0003)
        c.messageID = us(0x0110)
        c.messageIDBeingRespondedTo = us(0x0120)
        c.moveDestination = str(0x0600)
        c.priority = us(0x0700)
        c.status = us(0x0900)
        if let v = values[0x0901] {
            let a = Array(v)
            var i = 0
            while i + 4 <= a.count { c.offendingElements.append(Tag(UInt16(a[i]) | UInt16(a[i + 1]) << 8, UInt16(a[i + 2]) | UInt16(a[i + 3]) << 8)); i += 4 }
        }
        c.errorComment = str(0x0902)
        c.affectedSOPInstanceUID = str(0x1000)
        c.requestedSOPInstanceUID = str(0x1001)
        c.eventTypeID = us(0x1002)
        c.actionTypeID = us(0x1008)
        c.remaining = us(0x1020); c.completed = us(0x1021); c.failed = us(0x1022); c.warning = us(0x1023)
        c.moveOriginatorAE = str(0x1030)
        c.moveOriginatorMessageID = us(0x1031)
        return c
    }

    // MARK: Builders

    /// A response to `request` with a status.
    public static func response(to request: DIMSECommand, field: CommandField, status: UInt16, hasDataSet: Bool = false) -> DIMSECommand {
        var r = DIMSECommand(field: field, hasDataSet: hasDataSet)
        r.affectedSOPClassUID = request.affectedSOPClassUID
        r.messageIDBeingRespondedTo = request.messageID
        r.status = status
        if field == .cStoreRSP { r.affectedSOPInstanceUID = request.affectedSOPInstanceUID }
        return r
    }
}
