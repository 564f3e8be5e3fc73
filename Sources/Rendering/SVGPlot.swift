import Foundation

/// Minimal SVG line/marker plots (time–activity curves, profiles, DVHs) with labelled axes.
public struct SVGPlot: Sendable {
    /// One data series.
    public struct Series: Sendable {
        public var label: String
        public var x: [Double]
        public var y: [Double]
        public var colour: String
        public var markers: Bool
        /// Creates a series.
        public init(label: String, x: [Double], y: [Double], colour: String = "#c0392b", markers: Bool = true) {
            self.label = label; self.x = x; self.y = y; self.colour = colour; self.markers = markers
        }
    }
    /// Title.
    public var title: String
    /// X axis label (with units).
    public var xLabel: String
    /// Y axis label (with units).
    public var yLabel: String
    /// Series.
    public var series: [Series]
    /// Creates a plot.
    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The SVG document.
    public func svg(width: Double = 640, height: Double = 400) -> String {
        let (l, r, t, b) = (70.0, 20.0, 40.0, 50.0)
        let xs = series.flatMap(\.x).filter(\.isFinite), ys = series.flatMap(\.y).filter(\.isFinite)
        let x0 = xs.min() ?? 0, x1 = max(xs.max() ?? 1, x0 + 1e-9)
        let y0 = min(ys.min() ?? 0, 0), y1 = max(ys.max() ?? 1, y0 + 1e-9) * 1.05
        func px(_ x: Double) -> Double { l + (x - x0) / (x1 - x0) * (width - l - r) }
        func py(_ y: Double) -> Double { height - b - (y - y0) / (y1 - y0) * (height - t - b) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(Self.esc(title))</text>\n"
        s += "<line x1=\"\(l)\" y1=\"\(height - b)\" x2=\"\(width - r)\" y2=\"\(height - b)\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(l)\" y1=\"\(t)\" x2=\"\(l)\" y2=\"\(height - b)\" stroke=\"black\"/>\n"
        for k in 0...4 {
            let xv = x0 + (x1 - x0) * Double(k) / 4, yv = y0 + (y1 - y0) * Double(k) / 4
            s += "<text x=\"\(px(xv))\" y=\"\(height - b + 16)\" text-anchor=\"middle\">\(String(format: "%.3g", xv))</text>\n"
            s += "<text x=\"\(l - 6)\" y=\"\(py(yv) + 4)\" text-anchor=\"end\">\(String(format: "%.3g", yv))</text>\n"
        }
        s += "<text x=\"\((l + width - r) / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(Self.esc(xLabel))</text>\n"
        s += "<text transform=\"translate(16,\((t + height - b) / 2)) rotate(-90)\" text-anchor=\"middle\">\(Self.esc(yLabel))</text>\n"
        for (n, se) in series.enumerated() {
            let pts = zip(se.x, se.y).filter { $0.0.isFinite && $0.1.isFinite }.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(se.colour)\" stroke-width=\"2\" points=\"\(pts)\"/>\n"
            if se.markers { for (x, y) in zip(se.x, se.y) where x.isFinite && y.isFinite { s += "<circle cx=\"\(px(x))\" cy=\"\(py(y))\" r=\"3\" fill=\"\(se.colour)\"/>\n" } }
            s += "<text x=\"\(width - r - 150)\" y=\"\(t + 16 * Double(n + 1))\" fill=\"\(se.colour)\">\(Self.esc(se.label))</text>\n"
        }
        return s + "</svg>\n"
    }
}
