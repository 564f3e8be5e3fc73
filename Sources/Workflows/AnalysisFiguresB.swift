import Foundation
import Imaging
import Rendering
import Analysis

/// Figures of the planar analyses of issue 5 part B: each view in inverse grey (hot = dark, as planar studies are
/// read), upscaled, with the regions the analysis used drawn where it put them.
public enum AnalysisFiguresB {
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
        var top = windowTop ?? ROIToolsB.quantile(v.counts, 0.995) * Float(saturate)
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
            let sm = ROIToolsB.gaussian(v.counts, rows: v.rows, columns: v.columns, sigma: 1)
            let peaks = r.nodes.filter { $0.view == v.name }.map { n in sm[min(v.rows - 1, max(0, Int(n.row.rounded()))) * v.columns + min(v.columns - 1, max(0, Int(n.column.rounded())))] }
            return render(v, marks: marks, top: peaks.max().map { 1.5 * $0 }, squareRoot: true)
        }
        try write(rasters, to: path)
    }

    /// Bone-scan figure: baseline views (and aligned follow-up views) with lesions (red; new: orange; decreased:
    /// green) and excluded organs (blue crosses).
    public static func boneScan(_ views: [PlanarViewImage], followUp: [PlanarViewImage]?, _ r: BoneScanAnalysis.Result, to path: String) throws {
        func marks(_ v: PlanarViewImage) -> [Mark] {
            var m: [Mark] = r.lesions.filter { $0.view == v.name }.map { l in
                let c = l.status == "new" ? orange : l.status == "decreased" ? green : red
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
                a.counts = ROIToolsB.shifted(f.counts, rows: f.rows, columns: f.columns, dc: posterior ? -s[0] : s[0], dr: s[1])
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
