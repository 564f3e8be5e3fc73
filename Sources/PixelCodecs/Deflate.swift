import CZlib

/// Raw deflate (RFC 1951, zlib `windowBits` −15) as DICOM uses it for the Deflated Explicit VR Little Endian
/// transfer syntax and Deflated Image Frame Compression.
public enum Deflate {
    /// Result of ``inflatePrefix(_:maxOutput:)``.
    public struct InflateResult: Sendable, Equatable {
        /// The decompressed bytes.
        public var bytes: [UInt8]
        /// How many input bytes the deflate stream occupied; bytes after it are trailing data.
        public var bytesConsumed: Int
    }

    /// Inflates a complete raw deflate stream. Trailing bytes after the end of the stream are ignored.
    ///
    /// - Parameters:
    ///   - data: the raw deflate stream.
    ///   - maxOutput: the largest output accepted; a stream that inflates to more throws instead of allocating.
    /// - Throws: ``CodecError`` for corrupt or truncated data, or output larger than `maxOutput`.
    public static func inflate(_ data: UnsafeRawBufferPointer, maxOutput: Int) throws(CodecError) -> [UInt8] {
        try inflatePrefix(data, maxOutput: maxOutput).bytes
    }

    /// Inflates a raw deflate stream at the start of `data` and reports how many input bytes it used
    /// (for DICOM deflated datasets, which may be followed by padding).
    ///
    /// - Throws: ``CodecError`` for corrupt or truncated data, or output larger than `maxOutput`.
    public static func inflatePrefix(_ data: UnsafeRawBufferPointer, maxOutput: Int) throws(CodecError) -> InflateResult {
        guard maxOutput >= 0 else { throw CodecError(codec: "deflate", message: "negative maxOutput") }
        guard data.count <= Int(UInt32.max) else { throw CodecError(codec: "deflate", message: "input larger than 4 GiB") }
        var stream = z_stream()
        var rc = inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw CodecError(codec: "deflate", message: "inflateInit2 failed (\(rc))") }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        // Grow geometrically, never past maxOutput (+1 byte to detect overflow).
        var chunk = Swift.min(Swift.max(data.count * 4, 4096), maxOutput + 1)
        var buffer = [UInt8](repeating: 0, count: Swift.max(chunk, 1))
        stream.next_in = UnsafeMutablePointer(mutating: data.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(data.count)
        while true {
            let produced: Int = buffer.withUnsafeMutableBufferPointer { buf in
                stream.next_out = buf.baseAddress
                stream.avail_out = UInt32(buf.count)
                rc = CZlib.inflate(&stream, Z_NO_FLUSH)
                return buf.count - Int(stream.avail_out)
            }
            if output.count + produced > maxOutput {
                throw CodecError(codec: "deflate", message: "inflated size exceeds maxOutput (\(maxOutput) bytes)",
                                 byteOffset: data.count - Int(stream.avail_in))
            }
            output.append(contentsOf: buffer[0..<produced])
            if rc == Z_STREAM_END { break }
            if rc == Z_BUF_ERROR && stream.avail_in == 0 {
                throw CodecError(codec: "deflate", message: "truncated deflate stream", byteOffset: data.count)
            }
            guard rc == Z_OK || rc == Z_BUF_ERROR else {
                let msg = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw CodecError(codec: "deflate", message: "corrupt deflate stream: \(msg)",
                                 byteOffset: data.count - Int(stream.avail_in))
            }
            if produced == buffer.count {
                let grown = Swift.min(chunk * 2, maxOutput + 1, 1 << 26)
                if grown > chunk {
                    chunk = grown
                    buffer = [UInt8](repeating: 0, count: chunk)
                }
            }
        }
        return InflateResult(bytes: output, bytesConsumed: data.count - Int(stream.avail_in))
    }

    /// Compresses `data` as a raw deflate stream.
    ///
    /// - Parameters:
    ///   - data: bytes to compress.
    ///   - level: zlib level 0 (store) to 9 (best); −1 is zlib's default (6).
    public static func deflate(_ data: UnsafeRawBufferPointer, level: Int32 = 6) throws(CodecError) -> [UInt8] {
        guard (-1...9).contains(level) else { throw CodecError(codec: "deflate", message: "level \(level) not in -1...9") }
        guard data.count <= Int(UInt32.max) else { throw CodecError(codec: "deflate", message: "input larger than 4 GiB") }
        var stream = z_stream()
        var rc = deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                               Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw CodecError(codec: "deflate", message: "deflateInit2 failed (\(rc))") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(data.count)))
        var output = [UInt8](repeating: 0, count: bound)
        stream.next_in = UnsafeMutablePointer(mutating: data.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(data.count)
        let written: Int = output.withUnsafeMutableBufferPointer { buf in
            stream.next_out = buf.baseAddress
            stream.avail_out = UInt32(buf.count)
            rc = CZlib.deflate(&stream, Z_FINISH)
            return buf.count - Int(stream.avail_out)
        }
        guard rc == Z_STREAM_END else { throw CodecError(codec: "deflate", message: "deflate failed (\(rc))") }
        output.removeSubrange(written...)
        return output
    }
}
