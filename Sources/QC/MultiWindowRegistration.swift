import Foundation
import Imaging

/// Multiple-window spatial registration (NEMA NU 1 §2.5): the images of point sources in several energy windows
/// (Ga-67 at 93, 185 and 300 keV, or one source in several windows) must coincide.
///
/// Conventions: sources are the 4-connected regions of the summed image at or above 20 % of its maximum; in each
/// window a source's position is the intensity-weighted centroid of the pixels of its region (grown by 3 pixels)
/// weighted by their counts above 5 % of the window's local maximum (the 5 % subtracted, so that the
/// weights fall to zero continuously at the threshold); the displacement of a source is the largest distance between
/// its centroids in any two windows, in mm; the result is the largest over the sources.
public enum MultiWindowRegistration {
    public struct Window: Sendable, Codable, Equatable {
        public var energyWindow: Int
        public var centreKeV: Double?
        public var centroidColumn: Double
        public var centroidRow: Double
    }
    public struct Source: Sendable, Codable, Equatable {
        public var windows: [Window]
        public var maximumDisplacementMM: Double
    }
    public struct Result: Sendable, Codable, Equatable {
        public var test = "mwsr"
        public var sources: [Source]
        public var maximumDisplacementMM: Double
        public var pixelSizeMM: Double
    }

    /// - Parameter images: one planar image per energy window (same matrix), with the window number and centre.
    public static func analyze(_ images: [(window: Int, centreKeV: Double?, image: PlanarImage)]) throws(QCError) -> Result {
        guard images.count >= 2 else {
            throw .wrongImageType(test: "mwsr", found: "\(images.count) energy window(s)", allowed: "images in at least two energy windows")
        }
        let r = images[0].image.rows, c = images[0].image.columns
        guard images.allSatisfy({ $0.image.rows == r && $0.image.columns == c }) else { throw .invalidInput("the window images differ in size") }
        guard let px = images[0].image.pixelSpacing.last, px > 0 else { throw .invalidInput("no Pixel Spacing; displacements in mm need it") }
        var sum = [Double](repeating: 0, count: r * c)
        for im in images { for k in 0..<(r * c) { sum[k] += Double(im.image.counts[k]) } }
        let mx = sum.max() ?? 0
        guard mx > 0 else { throw .notAQCImage(test: "mwsr", reason: "the images are empty") }
        let mask = sum.map { $0 >= 0.2 * mx }
        let (labels, sizes) = Grid.label(mask, rows: r, columns: c)
        guard sizes.count - 1 <= 20, mask.filter({ $0 }).count < r * c / 10 else {
            throw .notAQCImage(test: "mwsr", reason: "the image is not a few point sources (\(sizes.count - 1) regions above 20 % of the maximum)")
        }
        var sources = [Source]()
        for l in sizes.indices.dropFirst() {
            var r0 = r, r1 = -1, c0 = c, c1 = -1
            for k in 0..<labels.count where labels[k] == l { r0 = min(r0, k / c); r1 = max(r1, k / c); c0 = min(c0, k % c); c1 = max(c1, k % c) }
            r0 = max(0, r0 - 3); r1 = min(r - 1, r1 + 3); c0 = max(0, c0 - 3); c1 = min(c - 1, c1 + 3)
            var ws = [Window]()
            for im in images {
                var local: Float = 0
                for i in r0...r1 { for j in c0...c1 { local = max(local, im.image.counts[i * c + j]) } }
                var s = 0.0, sx = 0.0, sy = 0.0
                for i in r0...r1 { for j in c0...c1 {
                    let v = im.image.counts[i * c + j]
                    let w = Double(v) - 0.05 * Double(local)
                    guard w > 0 else { continue }
                    s += w; sx += w * Double(j); sy += w * Double(i)
                } }
                guard s >= 100 else {
                    throw .insufficientCounts(what: "the source near column \(c0 + 3), row \(r0 + 3) in window \(im.window)", have: s, need: 100, unit: "counts")
                }
                ws.append(Window(energyWindow: im.window, centreKeV: im.centreKeV, centroidColumn: sx / s, centroidRow: sy / s))
            }
            var d = 0.0
            for a in ws { for b in ws {
                d = max(d, ((a.centroidColumn - b.centroidColumn) * (a.centroidColumn - b.centroidColumn)
                            + (a.centroidRow - b.centroidRow) * (a.centroidRow - b.centroidRow)).squareRoot() * px)
            } }
            sources.append(Source(windows: ws, maximumDisplacementMM: d))
        }
        return Result(sources: sources, maximumDisplacementMM: sources.map(\.maximumDisplacementMM).max() ?? 0, pixelSizeMM: px)
    }
}
