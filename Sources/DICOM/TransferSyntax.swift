import Foundation

/// The pixel compression a transfer syntax uses.
public enum PixelEncoding: String, Sendable {
    /// Uncompressed (native) pixel data.
    case native
    /// JPEG baseline (process 1) or extended (processes 2 & 4, 8 or 12 bit).
    case jpeg
    /// JPEG lossless (process 14, any predictor).
    case jpegLossless
    /// JPEG-LS lossless or near-lossless.
    case jpegLS
    /// JPEG 2000 (lossless or lossy), Part 1.
    case jpeg2000
    /// High-Throughput JPEG 2000 (not decoded by this build).
    case htj2k
    /// RLE Lossless (PS3.5 Annex G).
    case rle
    /// Deflated Image Frame Compression (raw deflate per frame).
    case deflatedFrames
    /// Video, JPIP, JPEG XL or another encoding this implementation does not decode.
    case unsupported
}

/// A DICOM transfer syntax: how the data set is encoded and how pixel data are compressed.
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
    /// The transfer syntax UID.
    public let uid: String
    /// Explicit VR (false only for Implicit VR Little Endian).
    public let isExplicitVR: Bool
    /// Big endian (only the retired Explicit VR Big Endian).
    public let isBigEndian: Bool
    /// The data set after the meta header is raw-deflated.
    public let isDeflated: Bool
    /// How pixel data are encoded.
    public let pixelEncoding: PixelEncoding

    /// Whether pixel data are encapsulated (fragments).
    public var isEncapsulated: Bool { pixelEncoding != .native }

    /// The name from PS3.6 (e.g. `Explicit VR Little Endian`).
    public var name: String { UIDDictionary.entry(uid)?.name ?? uid }
    /// The keyword-like short name used in messages.
    public var description: String { "\(name) (\(uid))" }

    /// Known transfer syntax with an explicit layout.
    public init(uid: String, explicitVR: Bool, bigEndian: Bool = false, deflated: Bool = false, pixelEncoding: PixelEncoding) {
        self.uid = uid; isExplicitVR = explicitVR; isBigEndian = bigEndian; isDeflated = deflated; self.pixelEncoding = pixelEncoding
    }

    /// Looks a UID up; unknown UIDs are explicit VR little endian with encapsulated pixel data (PS3.5 §10 rule),
    /// marked ``PixelEncoding/unsupported``.
    public init(uid rawUID: String) {
        let uid = rawUID.trimmingCharacters(in: CharacterSet(charactersIn: "\0 "))
        if let known = TransferSyntax.known[uid] { self = known; return }
        self.init(uid: uid, explicitVR: true, pixelEncoding: .unsupported)
    }

    /// Implicit VR Little Endian (the default transfer syntax).
    public static let implicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2", explicitVR: false, pixelEncoding: .native)
    /// Explicit VR Little Endian.
    public static let explicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1", explicitVR: true, pixelEncoding: .native)
    /// Deflated Explicit VR Little Endian.
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.99", explicitVR: true, deflated: true, pixelEncoding: .native)
    /// Explicit VR Big Endian (retired).
    public static let explicitVRBigEndian = TransferSyntax(uid: "1.2.840.10008.1.2.2", explicitVR: true, bigEndian: true, pixelEncoding: .native)
    /// RLE Lossless.
    public static let rleLossless = TransferSyntax(uid: "1.2.840.10008.1.2.5", explicitVR: true, pixelEncoding: .rle)
    /// JPEG Lossless SV1 (process 14, first-order prediction).
    public static let jpegLosslessSV1 = TransferSyntax(uid: "1.2.840.10008.1.2.4.70", explicitVR: true, pixelEncoding: .jpegLossless)

    static let known: [String: TransferSyntax] = {
        var all: [TransferSyntax] = [implicitVRLittleEndian, explicitVRLittleEndian, deflatedExplicitVRLittleEndian,
                                     explicitVRBigEndian, rleLossless, jpegLosslessSV1]
        func add(_ uid: String, _ enc: PixelEncoding) { all.append(TransferSyntax(uid: uid, explicitVR: true, pixelEncoding: enc)) }
        add("1.2.840.10008.1.2.4.50", .jpeg)        // baseline 8-bit
        add("1.2.840.10008.1.2.4.51", .jpeg)        // extended 12-bit
        add("1.2.840.10008.1.2.4.57", .jpegLossless)
        add("1.2.840.10008.1.2.4.80", .jpegLS)
        add("1.2.840.10008.1.2.4.81", .jpegLS)
        add("1.2.840.10008.1.2.4.90", .jpeg2000)
        add("1.2.840.10008.1.2.4.91", .jpeg2000)
        add("1.2.840.10008.1.2.4.92", .jpeg2000)    // Part 2 multi-component lossless
        add("1.2.840.10008.1.2.4.93", .jpeg2000)
        add("1.2.840.10008.1.2.4.201", .htj2k)
        add("1.2.840.10008.1.2.4.202", .htj2k)
        add("1.2.840.10008.1.2.4.203", .htj2k)
        add("1.2.840.10008.1.2.8.1", .deflatedFrames)
        for retired in ["1.2.840.10008.1.2.4.52", "1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.54", "1.2.840.10008.1.2.4.55",
                        "1.2.840.10008.1.2.4.56", "1.2.840.10008.1.2.4.58", "1.2.840.10008.1.2.4.59", "1.2.840.10008.1.2.4.60",
                        "1.2.840.10008.1.2.4.61", "1.2.840.10008.1.2.4.62", "1.2.840.10008.1.2.4.63", "1.2.840.10008.1.2.4.64"] {
            add(retired, .jpeg)
        }
        add("1.2.840.10008.1.2.4.65", .jpegLossless)
        add("1.2.840.10008.1.2.4.66", .jpegLossless)
        return Dictionary(uniqueKeysWithValues: all.map { ($0.uid, $0) })
    }()
}
