/// A DICOM data element tag (group, element).
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Group number.
    public let group: UInt16
    /// Element number.
    public let element: UInt16

    /// Creates a tag from its group and element numbers.
    @inlinable public init(_ group: UInt16, _ element: UInt16) { self.group = group; self.element = element }
    /// Creates a tag from its 32-bit form `0xGGGGEEEE`.
    @inlinable public init(_ value: UInt32) { group = UInt16(value >> 16); element = UInt16(value & 0xFFFF) }
    /// Parses `GGGGEEEE`, `(GGGG,EEEE)` or `GGGG,EEEE`.
    public init?(hex: String) {
        let h = hex.filter { $0.isHexDigit }
        guard h.count == 8, let v = UInt32(h, radix: 16) else { return nil }
        self.init(v)
    }

    /// `0xGGGGEEEE`.
    @inlinable public var value: UInt32 { UInt32(group) << 16 | UInt32(element) }
    /// Odd group numbers (other than 1, 3, 5, 7 and 0xFFFF) are private.
    public var isPrivate: Bool { group & 1 == 1 && group > 8 && group != 0xFFFF }
    /// A private creator element (gggg,0010–00FF).
    public var isPrivateCreator: Bool { isPrivate && element >= 0x10 && element <= 0xFF }
    /// For a private data element (gggg,xxee) with xx ≥ 0x10: the tag of its creator (gggg,00xx).
    public var privateCreatorTag: Tag? {
        guard isPrivate, element >= 0x1000 else { return nil }
        return Tag(group, element >> 8)
    }
    /// Group length element (gggg,0000).
    public var isGroupLength: Bool { element == 0 }
    /// `GGGGEEEE` in upper-case hex (the DICOM JSON key).
    public var hex: String {
        let s = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - s.count) + s
    }
    /// `(GGGG,EEEE)`.
    public var description: String { let h = hex; return "(\(h.prefix(4)),\(h.suffix(4)))" }
    public static func < (a: Tag, b: Tag) -> Bool { a.value < b.value }

    // Item and delimitation tags.
    /// (FFFE,E000) Item.
    public static let item = Tag(0xFFFE, 0xE000)
    /// (FFFE,E00D) Item Delimitation Item.
    public static let itemDelimitation = Tag(0xFFFE, 0xE00D)
    /// (FFFE,E0DD) Sequence Delimitation Item.
    public static let sequenceDelimitation = Tag(0xFFFE, 0xE0DD)
}
