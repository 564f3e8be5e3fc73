/// A decoded image frame.
///
/// Samples are interleaved per pixel (like DICOM Planar Configuration 0) and stored little-endian with
/// `bytesPerSample` bytes each (1, 2, or 4 where a codec yields more than 16 bits). Signed values are in two's
/// complement.
public struct DecodedFrame: Sendable, Equatable {
    /// Number of columns.
    public var width: Int
    /// Number of rows.
    public var height: Int
    /// Samples per pixel (1 to 4).
    public var components: Int
    /// Sample precision stored in the codestream (for example 12).
    public var bitsPerSample: Int
    /// Whether samples are signed. Only JPEG 2000 codestreams can say so; JPEG and JPEG-LS are unsigned.
    public var isSigned: Bool
    /// Bytes per stored sample: 1, 2, or 4.
    public var bytesPerSample: Int
    /// The samples, `width * height * components * bytesPerSample` bytes.
    public var bytes: [UInt8]

    /// Creates a frame from its parts. No validation is done.
    public init(width: Int, height: Int, components: Int, bitsPerSample: Int, isSigned: Bool,
                bytesPerSample: Int, bytes: [UInt8]) {
        self.width = width
        self.height = height
        self.components = components
        self.bitsPerSample = bitsPerSample
        self.isSigned = isSigned
        self.bytesPerSample = bytesPerSample
        self.bytes = bytes
    }
}

/// An error from a pixel codec, with the codec's name, a message and, where known, the byte offset in the input.
public struct CodecError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The codec that failed, for example `"JPEG"`, `"RLE"`, `"deflate"`.
    public var codec: String
    /// What went wrong.
    public var message: String
    /// Offset in the compressed input where the problem was found, when known.
    public var byteOffset: Int?

    /// Creates an error.
    public init(codec: String, message: String, byteOffset: Int? = nil) {
        self.codec = codec
        self.message = message
        self.byteOffset = byteOffset
    }

    /// A one-line human-readable description.
    public var description: String {
        if let byteOffset { return "\(codec): \(message) (at byte \(byteOffset))" }
        return "\(codec): \(message)"
    }
}

/// Limits shared by the decoders to refuse hostile inputs before allocating.
public enum CodecLimits {
    /// The largest decoded output any decoder will allocate: 2^31 bytes.
    public static let maxOutputBytes: Int = 1 << 31
}

/// Returns `a * b * ...` or nil when the product overflows or exceeds `limit`.
@inline(__always)
func checkedProduct(_ factors: [Int], limit: Int = CodecLimits.maxOutputBytes) -> Int? {
    var p = 1
    for f in factors {
        guard f >= 0 else { return nil }
        let (r, o) = p.multipliedReportingOverflow(by: f)
        if o || r > limit { return nil }
        p = r
    }
    return p
}
