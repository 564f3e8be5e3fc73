import DICOMImaging
import Foundation
import Imaging
import Rendering

/// The result screen of a finished result as the viewer shows it (IHE NMI result-screen export): the analysed frame
/// with the regions drawn in their colours (or the dose map's coronal MIP), beside the result's curves.
public enum ResultScreen {
    /// The rendered image with its regions, nil when no image can be read.
    public static func image(display: ResultDisplay?, nmPath: String?, rtDosePath: String?) -> Raster? {
        if let nmPath, let acq = try? NMReader.read(path: nmPath), acq.numberOfFrames > 0 {
            let regions = display?.regions ?? []
            let frame = regions.first(where: { !$0.frames.isEmpty }).flatMap { $0.frames.first }.map { min(max($0, 0), acq.numberOfFrames - 1) } ?? 0
            guard let img = try? acq.planarImage(frame: frame) else { return nil }
            let scale = max(1, 384 / max(img.columns, img.rows))
            let top = img.counts.max() ?? 1
            var r = Render.upscale(Render.colour(Plane(width: img.columns, height: img.rows, values: img.counts), low: 0, high: max(top, 1), map: .inverseGray), factor: scale)
            let s = Double(scale)
            for region in regions where region.frames.isEmpty || region.frames.contains(frame) {
                switch region.shape {
                case "circle":
                    if let c = region.column, let y = region.row, let rad = region.radius {
                        r.circle((c + 0.5) * s, (y + 0.5) * s, radius: rad * s, colour: region.colour)
                    }
                case "square":
                    if let c = region.column, let y = region.row, let h = region.radius {
                        let (x0, y0, x1, y1) = ((c + 0.5 - h) * s, (y + 0.5 - h) * s, (c + 0.5 + h) * s, (y + 0.5 + h) * s)
                        for (a, b, c2, d) in [(x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)] {
                            r.line(a, b, c2, d, colour: region.colour, thickness: 2)
                        }
                    }
                default:
                    if let runs = region.runs {
                        r.outline(ResultDisplay.mask(runs: runs, count: img.columns * img.rows), columns: img.columns, rows: img.rows, scale: scale, colour: region.colour)
                    }
                }
            }
            return r
        }
        if let rtDosePath, let dose = try? RTDoseReader.read(path: rtDosePath) {
            let mip = Render.mip(dose.volume, .coronal)
            let scale = max(1, 384 / max(mip.width, mip.height))
            return Render.upscale(Render.colour(mip, low: 0, high: mip.values.max() ?? 1, map: .hot), factor: scale)
        }
        return nil
    }

    /// The whole screen: the image (when any) and each chart side by side, on a white background. Nil when there is
    /// neither an image nor a chart.
    public static func compose(image: Raster?, charts: [SVGPlot]) -> Raster? {
        var parts: [Raster] = image.map { [$0] } ?? []
        let h = image?.height ?? 384
        for c in charts { parts.append(Raster.chart(c, width: h * 4 / 3, height: h)) }
        guard !parts.isEmpty else { return nil }
        let padded = parts.map { p -> Raster in
            guard p.height < h else { return p }
            var q = Raster.blank(width: p.width, height: h)
            for y in 0..<p.height { for x in 0..<p.width { for c in 0..<3 { q.pixels[(y * p.width + x) * 3 + c] = p.pixels[(y * p.width + x) * p.channels + (p.channels == 1 ? 0 : c)] } } }
            return q
        }
        return Render.hstack(padded, gap: 8)
    }
}
