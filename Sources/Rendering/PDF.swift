import CZlib
import Foundation

/// A small PDF 1.4 writer: A4 pages with text in the standard Helvetica fonts (WinAnsi encoding), lines, filled
/// rectangles, line charts (``SVGPlot``) and RGB/grey images compressed with Flate (zlib). Coordinates are PDF
/// points (1/72 inch) from the top-left corner of the page (y grows downwards, converted on output).
public struct PDFDocument: Sendable {
    /// Page width and height in points (A4).
    public static let pageWidth = 595.0, pageHeight = 842.0

    struct Image: Sendable { var width: Int, height: Int, channels: Int, data: [UInt8] }
    var pages: [String] = []
    var images: [Image] = []
    var imagePages: [[Int]] = []
    /// Document title (Info dictionary).
    public var title: String

    /// Creates a document with one empty page.
    public init(title: String) {
        self.title = title
        newPage()
    }

    /// Starts a new page; drawing goes to it.
    public mutating func newPage() { pages.append(""); imagePages.append([]) }

    /// Number of pages.
    public var pageCount: Int { pages.count }

    static func y(_ top: Double) -> Double { pageHeight - top }
    static func n(_ v: Double) -> String { String(format: "%.2f", v) }

    /// RGB components 0…1 of a CSS `#rrggbb` colour (black when unreadable).
    public static func rgb(_ css: String) -> (Double, Double, Double) {
        let h = css.hasPrefix("#") ? String(css.dropFirst()) : css
        guard h.count == 6, let v = UInt32(h, radix: 16) else { return (0, 0, 0) }
        return (Double((v >> 16) & 0xFF) / 255, Double((v >> 8) & 0xFF) / 255, Double(v & 0xFF) / 255)
    }

    /// Text in WinAnsi: characters outside it become `?`; `(`, `)` and `\` escaped.
    static func literal(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            let mapped: UInt32
            switch ch.value {
            case 0x2014: mapped = 0x97
            case 0x2013: mapped = 0x96
            case 0x2022: mapped = 0x95
            case 0x2026: mapped = 0x85
            case 0x2018, 0x2019: mapped = 0x27
            case 0x201C, 0x201D: mapped = 0x22
            case 0x03BC: mapped = 0xB5
            case 0x2265: out += ">="; continue
            case 0x2264: out += "<="; continue
            case 0x2192: out += "->"; continue
            case 0x20...0x7E, 0xA0...0xFF: mapped = ch.value
            default: mapped = 0x3F
            }
            switch mapped {
            case 0x28, 0x29, 0x5C: out += "\\" + String(UnicodeScalar(UInt8(mapped)))
            case 0x20...0x7E: out += String(UnicodeScalar(UInt8(mapped)))
            default: out += String(format: "\\%03o", mapped)
            }
        }
        return out
    }

    /// Approximate width of `s` in points (Helvetica's mean advance ≈ 0.52 em), for wrapping.
    public static func width(_ s: String, size: Double) -> Double { Double(s.count) * size * 0.52 }

    /// Draws text with its baseline at `top` (points from the page top).
    public mutating func text(_ s: String, x: Double, top: Double, size: Double = 10, bold: Bool = false, colour: String = "#000000") {
        let (r, g, b) = Self.rgb(colour)
        pages[pages.count - 1] += "BT /\(bold ? "F2" : "F1") \(Self.n(size)) Tf \(Self.n(r)) \(Self.n(g)) \(Self.n(b)) rg \(Self.n(x)) \(Self.n(Self.y(top))) Td (\(Self.literal(s))) Tj ET\n"
    }

    /// Splits `s` into lines no wider than `width` points.
    public static func wrap(_ s: String, width: Double, size: Double) -> [String] {
        var lines: [String] = [], line = ""
        for word in s.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = line.isEmpty ? String(word) : line + " " + word
            if Self.width(candidate, size: size) > width && !line.isEmpty { lines.append(line); line = String(word) } else { line = candidate }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// A straight line.
    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, width: Double = 0.5, colour: String = "#000000") {
        let (r, g, b) = Self.rgb(colour)
        pages[pages.count - 1] += "\(Self.n(width)) w \(Self.n(r)) \(Self.n(g)) \(Self.n(b)) RG \(Self.n(x1)) \(Self.n(Self.y(y1))) m \(Self.n(x2)) \(Self.n(Self.y(y2))) l S\n"
    }

    /// A filled rectangle with its top-left corner at (x, top).
    public mutating func fill(x: Double, top: Double, width: Double, height: Double, colour: String) {
        let (r, g, b) = Self.rgb(colour)
        pages[pages.count - 1] += "\(Self.n(r)) \(Self.n(g)) \(Self.n(b)) rg \(Self.n(x)) \(Self.n(Self.y(top + height))) \(Self.n(width)) \(Self.n(height)) re f\n"
    }

    /// Places a raster (1 or 3 channels) scaled into the box with its top-left corner at (x, top).
    public mutating func image(_ r: Raster, x: Double, top: Double, width: Double, height: Double) throws(RenderingError) {
        guard r.channels == 1 || r.channels == 3, r.pixels.count == r.width * r.height * r.channels, r.width > 0, r.height > 0 else {
            throw RenderingError(message: "PDF image: \(r.width)×\(r.height)×\(r.channels) with \(r.pixels.count) bytes (1 or 3 channels expected)")
        }
        images.append(Image(width: r.width, height: r.height, channels: r.channels, data: try Self.zlib(r.pixels)))
        imagePages[pages.count - 1].append(images.count - 1)
        pages[pages.count - 1] += "q \(Self.n(width)) 0 0 \(Self.n(height)) \(Self.n(x)) \(Self.n(Self.y(top + height))) cm /Im\(images.count - 1) Do Q\n"
    }

    /// Draws a line chart with axes, five ticks per axis, axis titles and a legend in the box at (x, top).
    public mutating func chart(_ p: SVGPlot, x: Double, top: Double, width: Double, height: Double) {
        let (l, r, t, b) = (48.0, 8.0, 18.0, 30.0)
        let xs = p.series.flatMap(\.x).filter(\.isFinite), ys = p.series.flatMap(\.y).filter(\.isFinite)
        let x0 = xs.min() ?? 0, x1 = max(xs.max() ?? 1, x0 + 1e-9)
        let y0 = min(ys.min() ?? 0, 0), y1 = max(ys.max() ?? 1, y0 + 1e-9) * 1.05
        func px(_ v: Double) -> Double { x + l + (v - x0) / (x1 - x0) * (width - l - r) }
        func py(_ v: Double) -> Double { top + height - b - (v - y0) / (y1 - y0) * (height - t - b) }
        text(p.title, x: x + l, top: top + 11, size: 9, bold: true)
        line(x + l, top + height - b, x + width - r, top + height - b)
        line(x + l, top + t, x + l, top + height - b)
        for k in 0...4 {
            let xv = x0 + (x1 - x0) * Double(k) / 4, yv = y0 + (y1 - y0) * Double(k) / 4
            text(String(format: "%.3g", xv), x: px(xv) - 8, top: top + height - b + 10, size: 7)
            text(String(format: "%.3g", yv), x: x + 4, top: py(yv) + 3, size: 7)
        }
        text(p.xLabel, x: x + l, top: top + height - 4, size: 7.5)
        text(p.yLabel, x: x + l + 4, top: top + t + 8, size: 7.5, colour: "#555555")
        for (k, s) in p.series.enumerated() {
            let pts = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }
            for (a, c) in zip(pts, pts.dropFirst()) { line(px(a.0), py(a.1), px(c.0), py(c.1), width: 1.2, colour: s.colour) }
            if s.markers { for q in pts { fill(x: px(q.0) - 1.6, top: py(q.1) - 1.6, width: 3.2, height: 3.2, colour: s.colour) } }
            text(s.label, x: x + width - r - 120, top: top + t + 10 + 9 * Double(k), size: 7, colour: s.colour)
        }
    }

    /// zlib (RFC 1950) compression, as the FlateDecode filter expects.
    static func zlib(_ bytes: [UInt8]) throws(RenderingError) -> [UInt8] {
        var size = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let rc = out.withUnsafeMutableBufferPointer { o in bytes.withUnsafeBufferPointer { i in compress2(o.baseAddress, &size, i.baseAddress, uLong(i.count), 6) } }
        guard rc == Z_OK else { throw RenderingError(message: "PDF: zlib compress2 failed (\(rc))") }
        return Array(out.prefix(Int(size)))
    }

    /// The PDF file.
    public func data() throws(RenderingError) -> [UInt8] {
        var out: [UInt8] = Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        var offsets: [Int] = []
        func object(_ body: [UInt8]) { offsets.append(out.count); out += Array("\(offsets.count) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8) }
        func object(_ body: String) { object(Array(body.utf8)) }
        // 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info, then images, then per page (page, content).
        let firstImage = 6, firstPage = firstImage + images.count
        let kids = pages.indices.map { "\(firstPage + 2 * $0) 0 R" }.joined(separator: " ")
        object("<< /Type /Catalog /Pages 2 0 R >>")
        object("<< /Type /Pages /Kids [\(kids)] /Count \(pages.count) >>")
        object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
        object("<< /Title (\(Self.literal(title))) /Producer (Scinti) >>")
        for im in images {
            object(Array("<< /Type /XObject /Subtype /Image /Width \(im.width) /Height \(im.height) /ColorSpace /\(im.channels == 3 ? "DeviceRGB" : "DeviceGray") /BitsPerComponent 8 /Filter /FlateDecode /Length \(im.data.count) >>\nstream\n".utf8)
                   + im.data + Array("\nendstream".utf8))
        }
        for (k, content) in pages.enumerated() {
            let xobjects = imagePages[k].map { "/Im\($0) \(firstImage + $0) 0 R" }.joined(separator: " ")
            object("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(Int(Self.pageWidth)) \(Int(Self.pageHeight))] /Contents \(firstPage + 2 * k + 1) 0 R "
                   + "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << \(xobjects) >> >> >>")
            let z = try Self.zlib(Array(content.utf8))
            object(Array("<< /Length \(z.count) /Filter /FlateDecode >>\nstream\n".utf8) + z + Array("\nendstream".utf8))
        }
        let xref = out.count
        var table = "xref\n0 \(offsets.count + 1)\n0000000000 65535 f \n"
        for o in offsets { table += String(format: "%010d 00000 n \n", o) }
        table += "trailer\n<< /Size \(offsets.count + 1) /Root 1 0 R /Info 5 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        out += Array(table.utf8)
        return out
    }
}
