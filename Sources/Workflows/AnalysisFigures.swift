import Analysis
import Foundation
import Imaging
import Rendering

/// PNG figures of the planar analyses: each image in inverse grey (hot = dark, as planar studies are read), upscaled,
/// with the regions the analysis used drawn where it put them, and curves.
public enum AnalysisFigures {
    /// An RGB canvas to draw on.
    struct Canvas {
        var width: Int, height: Int
        var px: [UInt8]
        init(width: Int, height: Int, background: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
            self.width = width; self.height = height
            px = [UInt8](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) { px[3 * i] = background.0; px[3 * i + 1] = background.1; px[3 * i + 2] = background.2 }
        }
        init(_ r: Raster) {
            width = r.width; height = r.height
            if r.channels == 3 { px = r.pixels } else {
                px = [UInt8](repeating: 0, count: r.width * r.height * 3)
                for i in 0..<(r.width * r.height) { for c in 0..<3 { px[3 * i + c] = r.pixels[i * r.channels] } }
            }
        }
        mutating func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            px[3 * (y * width + x)] = c.0; px[3 * (y * width + x) + 1] = c.1; px[3 * (y * width + x) + 2] = c.2
        }
        mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: (UInt8, UInt8, UInt8), thick: Int = 1) {
            var x = x0, y = y0
            let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
            var err = dx + dy
            while true {
                for a in 0..<thick { for b in 0..<thick { set(x + a, y + b, c) } }
                if x == x1 && y == y1 { break }
                let e2 = 2 * err
                if e2 >= dy { err += dy; x += sx }
                if e2 <= dx { err += dx; y += sy }
            }
        }
        mutating func rect(_ x: Int, _ y: Int, _ w: Int, _ h: Int, _ c: (UInt8, UInt8, UInt8)) {
            for yy in y..<(y + h) { for xx in x..<(x + w) { set(xx, yy, c) } }
        }
        var raster: Raster { Raster(width: width, height: height, channels: 3, pixels: px) }
    }

    static let cyan: (UInt8, UInt8, UInt8) = (0, 190, 210), magenta: (UInt8, UInt8, UInt8) = (210, 40, 200)

    /// The image in inverse grey (hot = dark), upscaled by `scale`, with each region's outline drawn in its colour.
    static func imagePanel(_ img: PlanarViewImage, regions: [(PlanarROI, (UInt8, UInt8, UInt8))], scale: Int,
                           markers: [(Double, Double, (UInt8, UInt8, UInt8))] = [], map: ColorMap = .inverseGray) -> Canvas {
        let hi = max(img.counts.max() ?? 1, 1)
        let base = Render.upscale(Render.colour(Plane(width: img.columns, height: img.rows, values: img.counts), low: 0, high: hi, map: map), factor: scale)
        var cv = Canvas(base)
        for (roi, colour) in regions {
            // Outline on the pixel edges between inside and outside.
            for r in 0..<roi.rows { for c in 0..<roi.columns where roi.inside[r * roi.columns + c] {
                let x = c * scale, y = r * scale
                if r == 0 || !roi.inside[(r - 1) * roi.columns + c] { cv.line(x, y, x + scale - 1, y, colour) }
                if r == roi.rows - 1 || !roi.inside[(r + 1) * roi.columns + c] { cv.line(x, y + scale - 1, x + scale - 1, y + scale - 1, colour) }
                if c == 0 || !roi.inside[r * roi.columns + c - 1] { cv.line(x, y, x, y + scale - 1, colour) }
                if c == roi.columns - 1 || !roi.inside[r * roi.columns + c + 1] { cv.line(x + scale - 1, y, x + scale - 1, y + scale - 1, colour) }
            } }
        }
        for (c, r, colour) in markers {
            let x = Int((c + 0.5) * Double(scale)), y = Int((r + 0.5) * Double(scale)), s = max(4, scale * 2)
            cv.line(x - s, y, x + s, y, colour, thick: 2); cv.line(x, y - s, x, y + s, colour, thick: 2)
        }
        return cv
    }

    /// A plot of curves (no text: colours identify the series; frames/time along x, value along y from 0).
    static func plotPanel(_ series: [([Double], (UInt8, UInt8, UInt8))], width: Int, height: Int, marks: [(Int, (UInt8, UInt8, UInt8))] = []) -> Canvas {
        var cv = Canvas(width: width, height: height)
        let m = 16
        let n = series.map { $0.0.count }.max() ?? 1
        let top = max(series.flatMap(\.0).max() ?? 1, 1e-9) * 1.1
        cv.line(m, height - m, width - m, height - m, (0, 0, 0)); cv.line(m, m, m, height - m, (0, 0, 0))
        for k in 0..<n { let x = m + Int(Double(k) / Double(max(1, n - 1)) * Double(width - 2 * m)); cv.line(x, height - m, x, height - m + 4, (0, 0, 0)) }
        func pt(_ k: Int, _ v: Double) -> (Int, Int) {
            (m + Int(Double(k) / Double(max(1, n - 1)) * Double(width - 2 * m)), height - m - Int(max(0, v) / top * Double(height - 2 * m)))
        }
        for (k, colour) in marks { let (x, _) = pt(k, 0); cv.line(x, m, x, height - m, colour) }
        for (ys, colour) in series {
            for k in ys.indices {
                let (x, y) = pt(k, ys[k])
                cv.rect(x - 2, y - 2, 5, 5, colour)
                if k > 0 { let (x0, y0) = pt(k - 1, ys[k - 1]); cv.line(x0, y0, x, y, colour, thick: 2) }
            }
        }
        return cv
    }

    static func save(_ panels: [Canvas], to path: String) throws { try write(panels.map(\.raster), to: path) }

    static func scale(for img: PlanarViewImage) -> Int { max(2, 384 / max(img.rows, img.columns)) }

    /// LVEF figure: the ED frame with the ED LV region (red), the ES frame with the ES LV region (blue) and the
    /// background crescent (green); the background-corrected LV curve (red) with the ED (red) and ES (blue) frames
    /// marked.
    public static func lvef(_ a: GatedBloodPoolLVEF.Analysis, frames: [PlanarViewImage], to path: String) throws {
        let r = a.result
        let s = scale(for: a.summed)
        let ed = imagePanel(frames[r.edFrame], regions: [(a.lvROIs[r.edFrame], red), (a.backgroundROI, green)], scale: s)
        let es = imagePanel(frames[r.esFrame], regions: [(a.lvROIs[r.esFrame], blue), (a.backgroundROI, green)], scale: s)
        let plot = plotPanel([(r.curve, red)], width: ed.width, height: ed.height, marks: [(r.edFrame, red), (r.esFrame, blue)])
        try save([ed, es, plot], to: path)
    }
}

extension AnalysisFigures {
    /// Thyroid-uptake figure: neck (red disc), standard (blue disc), thigh and room (the neck disc, green).
    public static func thyroidUptake(_ a: ThyroidUptake.Analysis, neck: PlanarViewImage, standard: PlanarViewImage, thigh: PlanarViewImage?,
                                     room: PlanarViewImage?, to path: String) throws {
        let s = scale(for: neck)
        var panels = [imagePanel(neck, regions: [(a.neckROI, red)], scale: s), imagePanel(standard, regions: [(a.standardROI, blue)], scale: s)]
        if let thigh { panels.append(imagePanel(thigh, regions: [(a.neckROI, green)], scale: s)) }
        if let room { panels.append(imagePanel(room, regions: [(a.neckROI, green)], scale: s)) }
        try save(panels, to: path)
    }

    /// Parathyroid figure: early (gland region green, thyroid core blue, candidates red crosses), delayed, the
    /// registered thyroid image when given, and the subtraction image with the candidates.
    public static func parathyroid(_ a: Parathyroid.Analysis, early: PlanarViewImage, delayed: PlanarViewImage, to path: String) throws {
        let s = scale(for: early)
        let marks = a.result.candidates.enumerated().map { k, c in (c.column, c.row, k == 0 ? red : orange) }
        var panels = [imagePanel(early, regions: [(a.neckROI, green), (a.thyroidCore, blue)], scale: s, markers: marks),
                      imagePanel(delayed, regions: [(a.neckROI, green)], scale: s, markers: marks)]
        if let t = a.registeredThyroid { panels.append(imagePanel(t, regions: [(a.thyroidCore, blue)], scale: s)) }
        panels.append(imagePanel(a.subtractionImage, regions: [], scale: s, markers: marks))
        try save(panels, to: path)
    }
}

// Figures drawn with marks (circles, squares, crosses): sentinel node, bone scan, Krenning, MIBG.
extension AnalysisFigures {
    /// A shape to draw on a view (pixel units of that view).
    public enum Mark: Sendable {
        /// Circle outline.
        case circle(column: Double, row: Double, radius: Double, rgb: (UInt8, UInt8, UInt8))
        /// Square outline.
        case square(column: Double, row: Double, side: Double, rgb: (UInt8, UInt8, UInt8))
        /// Cross at a point.
        case cross(column: Double, row: Double, rgb: (UInt8, UInt8, UInt8))
    }

    /// Colours: injection/organ (blue), node/lesion (red), reference (green), new lesion (orange).
    public static let blue: (UInt8, UInt8, UInt8) = (30, 90, 230)
    /// Red.
    public static let red: (UInt8, UInt8, UInt8) = (220, 30, 30)
    /// Green.
    public static let green: (UInt8, UInt8, UInt8) = (20, 170, 60)
    /// Orange.
    public static let orange: (UInt8, UInt8, UInt8) = (240, 140, 0)

    /// Renders one view with its marks. The grey window ends at `top` or the 99.5th percentile (`saturate` lowers
    /// it); `squareRoot` shows √counts (faint nodes and the body outline next to an injection site).
    public static func render(_ v: PlanarViewImage, marks: [Mark], scale: Int = 4, saturate: Double = 1, top windowTop: Float? = nil,
                              squareRoot: Bool = false) -> Raster {
        var top = windowTop ?? RegionTools.quantile(v.counts, 0.995) * Float(saturate)
        var values = v.counts
        if squareRoot { values = values.map { $0.squareRoot() }; top = top.squareRoot() }
        let plane = Plane(width: v.columns, height: v.rows, values: values, spacing: (v.columnSpacingMM, v.rowSpacingMM))
        var r = Render.upscale(Render.colour(plane, low: 0, high: max(top, 1), map: .inverseGray), factor: scale)
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < r.width, y < r.height else { return }
            let i = (y * r.width + x) * r.channels
            r.pixels[i] = c.0; r.pixels[i + 1] = c.1; r.pixels[i + 2] = c.2
        }
        // Pixel centre (c, r) sits at ((c + 0.5)·scale, (r + 0.5)·scale) in the upscaled raster.
        func sx(_ c: Double) -> Double { (c + 0.5) * Double(scale) }
        for m in marks {
            switch m {
            case .circle(let c, let row, let rad, let col):
                let R = rad * Double(scale)
                let steps = max(32, Int(2 * Double.pi * R))
                for k in 0..<steps {
                    let a = 2 * Double.pi * Double(k) / Double(steps)
                    for w in [-0.5, 0.5] { put(Int((sx(c) + (R + w) * cos(a)).rounded()), Int((sx(row) + (R + w) * sin(a)).rounded()), col) }
                }
            case .square(let c, let row, let side, let col):
                let h = side / 2 * Double(scale)
                let x0 = Int((sx(c) - h).rounded()), x1 = Int((sx(c) + h).rounded()), y0 = Int((sx(row) - h).rounded()), y1 = Int((sx(row) + h).rounded())
                for x in x0...x1 { put(x, y0, col); put(x, y1, col) }
                for y in y0...y1 { put(x0, y, col); put(x1, y, col) }
            case .cross(let c, let row, let col):
                let x = Int(sx(c).rounded()), y = Int(sx(row).rounded())
                for d in -2 * scale...2 * scale { put(x + d, y, col); put(x, y + d, col) }
            }
        }
        return r
    }

    /// Writes views side by side (same height padded) as a PNG file.
    public static func write(_ rasters: [Raster], to path: String) throws {
        let h = rasters.map(\.height).max() ?? 0
        let padded = rasters.map { r -> Raster in
            guard r.height < h else { return r }
            var px = [UInt8](repeating: 255, count: r.width * h * 3)
            for i in 0..<(r.width * r.height * 3) { px[i] = r.pixels[i] }
            return Raster(width: r.width, height: h, channels: 3, pixels: px)
        }
        let bytes = try PNG.encode(Render.hstack(padded, gap: 6))
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch { throw WorkflowError("cannot write \(path): \(error)") }
    }

    /// Sentinel figure: injection mask (blue circle), nodes (red circles: ≥ reporting rule; orange: below).
    public static func sentinel(_ views: [PlanarViewImage], _ r: SentinelNodeAnalysis.Result, to path: String) throws {
        let rasters = views.enumerated().map { k, v -> Raster in
            var marks: [Mark] = []
            if k < r.injectionSites.count {
                let s = r.injectionSites[k]
                marks.append(.circle(column: s.column, row: s.row, radius: s.maskRadiusMM / v.columnSpacingMM, rgb: blue))
            }
            for n in r.nodes where n.view == v.name {
                marks.append(.circle(column: n.column, row: n.row, radius: r.options.roiRadiusMM / v.columnSpacingMM, rgb: n.meetsReportingRule ? red : orange))
            }
            // Window: up to 1.5 × the hottest node's smoothed peak (the injection site saturates).
            let sm = RegionTools.gaussian(v.counts, rows: v.rows, columns: v.columns, sigma: 1)
            let peaks = r.nodes.filter { $0.view == v.name }.map { n in sm[min(v.rows - 1, max(0, Int(n.row.rounded()))) * v.columns + min(v.columns - 1, max(0, Int(n.column.rounded())))] }
            return render(v, marks: marks, top: peaks.max().map { 1.5 * $0 }, squareRoot: true)
        }
        try write(rasters, to: path)
    }

    /// Bone-scan figure: baseline views (and aligned follow-up views) with lesions (red; new: orange; regressing:
    /// green) and excluded organs (blue crosses).
    public static func boneScan(_ views: [PlanarViewImage], followUp: [PlanarViewImage]?, _ r: BoneScanAnalysis.Result, to path: String) throws {
        func marks(_ v: PlanarViewImage) -> [Mark] {
            var m: [Mark] = r.lesions.filter { $0.view == v.name }.map { l in
                let c = l.status == "new" ? orange : l.status == "regressing" ? green : red
                return .circle(column: l.column, row: l.row, radius: r.options.roiRadiusMM / v.columnSpacingMM, rgb: c)
            }
            m += r.excludedRegions.filter { $0.view == v.name }.map { .cross(column: $0.column, row: $0.row, rgb: blue) }
            return m
        }
        var rasters = views.map { render($0, marks: marks($0), scale: 3) }
        if let fu = followUp, let s = r.registrationShiftPixels {
            for (k, f) in fu.enumerated() {
                let posterior = f.name.lowercased().contains("posterior") && k > 0
                var a = f
                a.counts = RegionTools.shifted(f.counts, rows: f.rows, columns: f.columns, dc: posterior ? -s[0] : s[0], dr: s[1])
                a.name = k < views.count ? views[k].name : f.name
                rasters.append(render(a, marks: marks(a), scale: 3))
            }
        }
        try write(rasters, to: path)
    }

    /// Krenning figure: anterior (and posterior, regions mirrored) with lesion (red), liver and spleen (blue) disks.
    public static func krenning(anterior: PlanarViewImage, posterior: PlanarViewImage?, _ r: KrenningAnalysis.Result, to path: String) throws {
        func marks(_ mirror: Int?) -> [Mark] {
            func col(_ c: Double) -> Double { mirror.map { Double($0 - 1) - c } ?? c }
            var m: [Mark] = [r.liver, r.spleen].map { .circle(column: col($0.column), row: $0.row, radius: $0.radius, rgb: blue) }
            if let b = r.background { m.append(.circle(column: col(b.column), row: b.row, radius: b.radius, rgb: green)) }
            m += r.lesions.map { .circle(column: col($0.region.column), row: $0.region.row, radius: $0.region.radius, rgb: red) }
            return m
        }
        var rasters = [render(anterior, marks: marks(nil))]
        if let p = posterior { rasters.append(render(p, marks: marks(p.columns))) }
        try write(rasters, to: path)
    }

    /// MIBG figure: heart circle (red) and mediastinal square (green).
    public static func mibg(_ v: PlanarViewImage, _ r: MIBGAnalysis.Result, to path: String) throws {
        try write([render(v, marks: [.circle(column: r.heartROI.column, row: r.heartROI.row, radius: r.heartROI.radius, rgb: red),
                                     .square(column: r.mediastinumROI.column, row: r.mediastinumROI.row, side: Double(r.mediastinumROI.side), rgb: green)])],
                  to: path)
    }
}
