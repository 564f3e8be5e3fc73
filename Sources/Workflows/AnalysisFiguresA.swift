import Analysis
import Foundation
import Rendering

/// PNG figures of the part-A analyses: the images with the regions the analysis used drawn over them, and curves.
public enum AnalysisFiguresA {
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

    static let red: (UInt8, UInt8, UInt8) = (230, 40, 40), green: (UInt8, UInt8, UInt8) = (40, 180, 60)
    static let blue: (UInt8, UInt8, UInt8) = (40, 90, 230), orange: (UInt8, UInt8, UInt8) = (240, 150, 20)
    static let cyan: (UInt8, UInt8, UInt8) = (0, 190, 210), magenta: (UInt8, UInt8, UInt8) = (210, 40, 200)

    /// The image in inverse grey (hot = dark), upscaled by `scale`, with each region's outline drawn in its colour.
    static func imagePanel(_ img: PlanarCounts, regions: [(PlanarROI, (UInt8, UInt8, UInt8))], scale: Int,
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

    static func save(_ panels: [Canvas], to path: String) throws {
        let h = panels.map(\.height).max() ?? 0
        let padded = panels.map { p -> Raster in
            var c = Canvas(width: p.width, height: h)
            for y in 0..<p.height { for x in 0..<p.width { let i = 3 * (y * p.width + x); c.set(x, y, (p.px[i], p.px[i + 1], p.px[i + 2])) } }
            return c.raster
        }
        let r = Render.hstack(padded, gap: 6)
        do { try Data(PNG.encode(r)).write(to: URL(fileURLWithPath: path)) }
        catch { throw WorkflowError("cannot write the figure \(path): \(error)") }
    }

    static func scale(for img: PlanarCounts) -> Int { max(2, 384 / max(img.rows, img.columns)) }

    /// LVEF figure: the ED frame with the ED LV region (red), the ES frame with the ES LV region (blue) and the
    /// background crescent (green); the background-corrected LV curve (red) with the ED (red) and ES (blue) frames
    /// marked.
    public static func lvef(_ a: GatedBloodPoolLVEF.Analysis, frames: [PlanarCounts], to path: String) throws {
        let r = a.result
        let s = scale(for: a.summed)
        let ed = imagePanel(frames[r.edFrame], regions: [(a.lvROIs[r.edFrame], red), (a.backgroundROI, green)], scale: s)
        let es = imagePanel(frames[r.esFrame], regions: [(a.lvROIs[r.esFrame], blue), (a.backgroundROI, green)], scale: s)
        let plot = plotPanel([(r.curve, red)], width: ed.width, height: ed.height, marks: [(r.edFrame, red), (r.esFrame, blue)])
        try save([ed, es, plot], to: path)
    }
}

extension AnalysisFiguresA {
    /// Thyroid-uptake figure: neck (red disc), standard (blue disc), thigh and room (the neck disc, green).
    public static func thyroidUptake(_ a: ThyroidUptake.Analysis, neck: PlanarCounts, standard: PlanarCounts, thigh: PlanarCounts?,
                                     room: PlanarCounts?, to path: String) throws {
        let s = scale(for: neck)
        var panels = [imagePanel(neck, regions: [(a.neckROI, red)], scale: s), imagePanel(standard, regions: [(a.standardROI, blue)], scale: s)]
        if let thigh { panels.append(imagePanel(thigh, regions: [(a.neckROI, green)], scale: s)) }
        if let room { panels.append(imagePanel(room, regions: [(a.neckROI, green)], scale: s)) }
        try save(panels, to: path)
    }

    /// Parathyroid figure: early (gland region green, thyroid core blue, candidates red crosses), delayed, the
    /// registered thyroid image when given, and the subtraction image with the candidates.
    public static func parathyroid(_ a: Parathyroid.Analysis, early: PlanarCounts, delayed: PlanarCounts, to path: String) throws {
        let s = scale(for: early)
        let marks = a.result.candidates.enumerated().map { k, c in (c.column, c.row, k == 0 ? red : orange) }
        var panels = [imagePanel(early, regions: [(a.neckROI, green), (a.thyroidCore, blue)], scale: s, markers: marks),
                      imagePanel(delayed, regions: [(a.neckROI, green)], scale: s, markers: marks)]
        if let t = a.registeredThyroid { panels.append(imagePanel(t, regions: [(a.thyroidCore, blue)], scale: s)) }
        panels.append(imagePanel(a.subtractionImage, regions: [], scale: s, markers: marks))
        try save(panels, to: path)
    }
}
