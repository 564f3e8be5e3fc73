import Foundation

/// One part of a `multipart/related` body (RFC 2387): its headers (lower-cased names) and its bytes.
public struct MultipartPart: Sendable {
    /// Header fields of the part, names lower-cased.
    public var headers: [String: String]
    /// The part's body.
    public var body: [UInt8]
    /// The part's Content-Type, when given.
    public var contentType: String? { headers["content-type"] }
}

/// Why a multipart body could not be split.
public struct MultipartError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, with the byte offset when it helps.
    public var message: String
    /// The message.
    public var description: String { message }
    init(_ m: String) { message = m }
}

/// Parsing and writing of `multipart/related` bodies (RFC 2046 §5.1, RFC 2387), as DICOMweb uses them.
public enum Multipart {
    /// The parameters of a media type such as `multipart/related; type="application/dicom"; boundary=abc`:
    /// the type (lower-cased) and its parameters (names lower-cased, quotes removed).
    public static func parseMediaType(_ s: String) -> (type: String, parameters: [String: String]) {
        var parts: [String] = []
        var cur = "", quoted = false
        for ch in s {
            if ch == "\"" { quoted.toggle(); cur.append(ch); continue }
            if ch == ";" && !quoted { parts.append(cur); cur = ""; continue }
            cur.append(ch)
        }
        parts.append(cur)
        let type = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        var params: [String: String] = [:]
        for p in parts.dropFirst() {
            guard let eq = p.firstIndex(of: "=") else { continue }
            let k = p[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var v = p[p.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") { v = String(v.dropFirst().dropLast()) }
            params[k] = v
        }
        return (type, params)
    }

    /// Splits an Accept header into its media ranges (commas outside quoted strings).
    public static func splitAccept(_ s: String) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        for ch in s {
            if ch == "\"" { quoted.toggle() }
            if ch == "," && !quoted { out.append(cur); cur = ""; continue }
            cur.append(ch)
        }
        out.append(cur)
        return out.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Splits a body on `--boundary` delimiters. Throws when the boundary never occurs, a part has no header
    /// terminator, or the closing delimiter is missing (a truncated upload).
    public static func parse(_ body: [UInt8], boundary: String) throws(MultipartError) -> [MultipartPart] {
        guard !boundary.isEmpty, boundary.utf8.count <= 70 else { throw MultipartError("boundary missing or longer than 70 characters") }
        let delim = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var i = 0
        // Delimiters start the body or follow CRLF.
        while let p = find(delim, in: body, from: i) {
            if p == 0 || (p >= 2 && body[p - 2] == 0x0D && body[p - 1] == 0x0A) { positions.append(p) }
            i = p + delim.count
        }
        guard !positions.isEmpty else { throw MultipartError("no delimiter --\(boundary) in the body") }
        var parts: [MultipartPart] = []
        var closed = false
        for (n, start) in positions.enumerated() {
            var p = start + delim.count
            if p + 1 < body.count, body[p] == 0x2D, body[p + 1] == 0x2D { closed = true; break }  // "--": close delimiter
            // Transport padding (spaces/tabs) then CRLF.
            while p < body.count, body[p] == 0x20 || body[p] == 0x09 { p += 1 }
            guard p + 1 < body.count, body[p] == 0x0D, body[p + 1] == 0x0A else { throw MultipartError("delimiter at byte \(start) not followed by CRLF") }
            p += 2
            guard n + 1 < positions.count else { throw MultipartError("part at byte \(start) has no closing delimiter (truncated body)") }
            let end = positions[n + 1] - 2  // CRLF before the next delimiter belongs to it
            var headers: [String: String] = [:]
            let bodyStart: Int
            if p + 1 < body.count, body[p] == 0x0D, body[p + 1] == 0x0A {
                bodyStart = p + 2  // no headers
            } else {
                guard let headerEnd = find([0x0D, 0x0A, 0x0D, 0x0A], in: body, from: p), headerEnd + 4 <= end else {
                    throw MultipartError("part at byte \(start) has no header terminator")
                }
                for line in String(decoding: body[p..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n") where !line.isEmpty {
                    guard let c = line.firstIndex(of: ":") else { throw MultipartError("malformed header line in part at byte \(start): \(line.prefix(80))") }
                    headers[line[..<c].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
                }
                bodyStart = headerEnd + 4
            }
            guard bodyStart <= end else { throw MultipartError("part at byte \(start) is truncated") }
            parts.append(MultipartPart(headers: headers, body: Array(body[bodyStart..<end])))
        }
        guard closed else { throw MultipartError("no closing delimiter --\(boundary)-- (truncated body)") }
        return parts
    }

    /// Writes parts with a boundary: `--b CRLF headers CRLF CRLF body CRLF ... --b--`.
    public static func encode(_ parts: [(contentType: String, body: [UInt8])], boundary: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.body.count + 128 })
        for p in parts {
            out += Array("--\(boundary)\r\nContent-Type: \(p.contentType)\r\n\r\n".utf8)
            out += p.body
            out += [0x0D, 0x0A]
        }
        out += Array("--\(boundary)--\r\n".utf8)
        return out
    }

    /// A random boundary.
    public static func newBoundary() -> String { "scinti-" + UUID().uuidString.lowercased() }

    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, from >= 0, from <= hay.count - needle.count else { return nil }
        return hay.withUnsafeBytes { h -> Int? in
            needle.withUnsafeBytes { n -> Int? in
                // memchr for the first byte, memcmp for the rest (fast in debug builds too).
                let base = h.baseAddress!, first = Int32(n[0])
                var i = from
                let last = h.count - n.count
                while i <= last {
                    guard let p = memchr(base + i, first, last - i + 1) else { return nil }
                    let at = base.distance(to: UnsafeRawPointer(p))
                    if memcmp(base + at, n.baseAddress!, n.count) == 0 { return at }
                    i = at + 1
                }
                return nil
            }
        }
    }
}
