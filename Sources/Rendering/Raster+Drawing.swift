import Foundation

extension Raster {
    /// A white RGB raster.
    public static func blank(width: Int, height: Int) -> Raster {
        Raster(width: width, height: height, channels: 3, pixels: [UInt8](repeating: 255, count: width * height * 3))
    }

    /// Sets one pixel (RGB rasters; outside the raster: ignored).
    public mutating func plot(_ x: Int, _ y: Int, _ c: (Double, Double, Double)) {
        guard channels == 3, x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = UInt8(c.0 * 255); pixels[i + 1] = UInt8(c.1 * 255); pixels[i + 2] = UInt8(c.2 * 255)
    }

    /// A straight line `thickness` pixels wide in a CSS colour.
    public mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, colour: String, thickness: Int = 1) {
        let c = PDFDocument.rgb(colour)
        let steps = max(1, Int(max(abs(x1 - x0), abs(y1 - y0)).rounded(.up)))
        for s in 0...steps {
            let t = Double(s) / Double(steps)
            let (x, y) = (Int((x0 + (x1 - x0) * t).rounded()), Int((y0 + (y1 - y0) * t).rounded()))
            for dy in 0..<thickness { for dx in 0..<thickness { plot(x + dx - thickness / 2, y + dy - thickness / 2, c) } }
        }
    }

    /// A circle outline centred on (cx, cy).
    public mutating func circle(_ cx: Double, _ cy: Double, radius: Double, colour: String, thickness: Int = 2) {
        let n = max(16, Int(radius * 6))
        for k in 0..<n {
            let a0 = 2 * Double.pi * Double(k) / Double(n), a1 = 2 * Double.pi * Double(k + 1) / Double(n)
            line(cx + radius * cos(a0), cy + radius * sin(a0), cx + radius * cos(a1), cy + radius * sin(a1), colour: colour, thickness: thickness)
        }
    }

    /// Outlines the boundary of a mask (`inside` over this raster's pixels divided by `scale`).
    public mutating func outline(_ inside: [Bool], columns: Int, rows: Int, scale: Int, colour: String) {
        let c = PDFDocument.rgb(colour)
        guard inside.count == columns * rows else { return }
        func at(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < columns && y < rows && inside[y * columns + x] }
        for y in 0..<(rows * scale) { for x in 0..<(columns * scale) {
            let (px, py) = (x / scale, y / scale)
            guard at(px, py) else { continue }
            let edge = !at((x - 1) / scale, py) || !at((x + 1) / scale, py) || !at(px, (y - 1) / scale) || !at(px, (y + 1) / scale)
                || x == 0 || y == 0
            if edge { plot(x, y, c) }
        } }
    }

    /// A line chart without text: axes and the curves (lines, or markers for `markers` series), for result screens.
    public static func chart(_ p: SVGPlot, width: Int, height: Int) -> Raster {
        var r = Raster.blank(width: width, height: height)
        let (l, rt, t, b) = (30.0, 10.0, 10.0, 24.0)
        let xs = p.series.flatMap(\.x).filter(\.isFinite), ys = p.series.flatMap(\.y).filter(\.isFinite)
        let x0 = xs.min() ?? 0, x1 = max(xs.max() ?? 1, x0 + 1e-9)
        let y0 = min(ys.min() ?? 0, 0), y1 = max(ys.max() ?? 1, y0 + 1e-9) * 1.05
        func px(_ v: Double) -> Double { l + (v - x0) / (x1 - x0) * (Double(width) - l - rt) }
        func py(_ v: Double) -> Double { Double(height) - b - (v - y0) / (y1 - y0) * (Double(height) - t - b) }
        r.line(l, Double(height) - b, Double(width) - rt, Double(height) - b, colour: "#000000")
        r.line(l, t, l, Double(height) - b, colour: "#000000")
        for k in 0...4 {
            let xv = px(x0 + (x1 - x0) * Double(k) / 4), yv = py(y0 + (y1 - y0) * Double(k) / 4)
            r.line(xv, Double(height) - b, xv, Double(height) - b + 4, colour: "#000000")
            r.line(l - 4, yv, l, yv, colour: "#000000")
        }
        for s in p.series {
            let pts = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }
            for (a, c) in zip(pts, pts.dropFirst()) { r.line(px(a.0), py(a.1), px(c.0), py(c.1), colour: s.colour, thickness: 2) }
            if s.markers { for q in pts { r.circle(px(q.0), py(q.1), radius: 2.5, colour: s.colour, thickness: 2) } }
        }
        return r
    }
}
