/// An error with the context needed to find the problem: file, tag and byte offset.
public struct DICOMError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem.
    public enum Kind: String, Sendable, Equatable {
        case io, malformed, truncated, unsupportedTransferSyntax, unsupported, missingAttribute, invalidValue, codec, limit
    }
    /// Kind of problem.
    public var kind: Kind
    /// File (or other source) where it happened, when known.
    public var file: String?
    /// Tag being read or written, when known.
    public var tag: Tag?
    /// Byte offset in the source (in the decoded stream for deflated data sets), when known.
    public var offset: Int?
    /// Human explanation.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, file: String? = nil, tag: Tag? = nil, offset: Int? = nil, _ message: String) {
        self.kind = kind; self.file = file; self.tag = tag; self.offset = offset; self.message = message
    }

    /// Returns a copy with the file name filled in where it was missing.
    public func inFile(_ name: String?) -> DICOMError {
        var e = self; if e.file == nil { e.file = name }; return e
    }

    /// One line: `file: tag (GGGG,EEEE) at byte N: message`.
    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        var loc: [String] = []
        if let tag { loc.append("tag \(tag)\(DataDictionary.keyword(for: tag).map { " \($0)" } ?? "")") }
        if let offset { loc.append("at byte \(offset)") }
        if !loc.isEmpty { parts.append(loc.joined(separator: " ")) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}
