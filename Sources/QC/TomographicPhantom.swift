import Foundation
import Imaging

/// Reconstructed SPECT phantom (Jaszczak, IEC): tomographic uniformity and noise (IAEA NMQC 4.3.5; pylinac's
/// `TomographicUniformity`).
///
/// Conventions: the phantom's slices are those whose mean reaches 50 % of the largest slice mean (or the range
/// given); their mean image is processed as a flood (``FloodUniformity``: rebinning, nine-point smoothing, 75 %
/// edge rule) with UFOV = 80 % of the phantom's diameter and CFOV = 75 % of the UFOV; no count requirement
/// (reconstructed values are not counts). Noise: the mean over the slices of the coefficient of variation (%) of
/// the unsmoothed voxels inside the CFOV. Cold rods/spheres: 6-connected voxels inside the UFOV disc below 75 % of
/// the background (the median voxel of the disc), with their volume, equivalent diameter and contrast.
public enum TomographicPhantom {
    public struct Result: Sendable, Codable, Equatable {
        public var test = "tomo"
        public var ufov: FloodUniformity.Field
        public var cfov: FloodUniformity.Field
        /// Slices averaged (0-based, inclusive).
        public var firstSlice: Int
        public var lastSlice: Int
        /// Mean CoV (%) of the voxels inside the CFOV, slice by slice.
        public var noiseCoefficientOfVariationPercent: Double
        /// Background level: the median voxel inside the UFOV disc over the slices (volume units).
        public var backgroundLevel: Double
        /// Cold rods/spheres, largest first (at most 12).
        public var coldObjects: [ColdObject]
        public var units: String?
        public var warnings: [String]
    }

    /// A cold object: 6-connected voxels inside the UFOV disc below `coldThreshold` of the background.
    public struct ColdObject: Sendable, Codable, Equatable {
        /// Centroid (x, y, z) in voxel indices.
        public var centreVoxel: [Double]
        public var volumeML: Double
        /// Diameter (mm) of the sphere of the same volume.
        public var equivalentDiameterMM: Double
        /// 100 (1 − mean/background) of the object's voxels, and with its coldest voxel.
        public var contrastPercent: Double
        public var maximumContrastPercent: Double
        public var voxels: Int
    }

    public static func analyze(_ v: Volume, slices: ClosedRange<Int>? = nil) throws(QCError) -> Result {
        let nx = v.size.x, ny = v.size.y, nz = v.size.z
        guard nz >= 3 else { throw .wrongImageType(test: "tomo", found: "\(nz) slice(s)", allowed: "a reconstructed volume of at least 3 slices") }
        let means = (0..<nz).map { z in v.slice(z).reduce(0.0) { $0 + Double($1) } / Double(nx * ny) }
        let top = means.max() ?? 0
        guard top > 0 else { throw .notAQCImage(test: "tomo", reason: "the volume is empty") }
        let range: ClosedRange<Int>
        if let s = slices {
            guard s.lowerBound >= 0, s.upperBound < nz else { throw .invalidInput("slices \(s) are outside 0…\(nz - 1)") }
            range = s
        } else {
            let hot = (0..<nz).filter { means[$0] >= 0.5 * top }
            range = hot.first!...hot.last!
        }
        var mean = [Float](repeating: 0, count: nx * ny)
        for z in range { for (k, x) in v.slice(z).enumerated() { mean[k] += x / Float(range.count) } }
        let px = abs(v.geometry.spacing.x)
        let planar = PlanarImage(rows: ny, columns: nx, pixelSpacing: [abs(v.geometry.spacing.y), px], counts: mean,
                                 index: FrameIndex(frame: 0))
        var cv = FloodUniformity.Conventions()
        cv.ufovFraction = 0.8
        cv.minimumCountsPerPixel = 0
        cv.nemaCountsPerPixel = 0
        cv.poissonRealisations = 0
        cv.minimumFieldCoverage = 0.02
        let flood: FloodUniformity.Result
        do { flood = try FloodUniformity.analyze(planar, conventions: cv) }
        catch let e { throw e.description.contains("not a flood") ? .notAQCImage(test: "tomo", reason: "no uniform phantom section found: \(e)") : e }
        // Noise inside the CFOV, in the unbinned grid: a circle of the CFOV's size around the phantom's centre.
        var s = 0.0, sx = 0.0, sy = 0.0
        for (k, x) in mean.enumerated() where Double(x) >= 0.5 * Double(mean.max() ?? 0) { s += Double(x); sx += Double(x) * Double(k % nx); sy += Double(x) * Double(k / nx) }
        let cx = sx / s, cy = sy / s
        let radius = flood.cfov.sizeMM / 2 / px
        var covs = [Double]()
        for z in range {
            var n = 0.0, m = 0.0, m2 = 0.0
            for y in 0..<ny { for x in 0..<nx where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) <= radius * radius {
                let val = Double(v[x, y, z]); n += 1; m += val; m2 += val * val
            } }
            guard n > 1, m > 0 else { continue }
            let mu = m / n
            covs.append(((m2 / n - mu * mu).squareRoot() / mu) * 100)
        }
        let (background, cold) = coldObjects(v, range: range, cx: cx, cy: cy, radius: flood.ufov.sizeMM / 2 / px)
        var f = flood
        f.ufov.poissonExpectedIntegralUniformityPercent = .nan
        f.cfov.poissonExpectedIntegralUniformityPercent = .nan
        return Result(ufov: f.ufov, cfov: f.cfov, firstSlice: range.lowerBound, lastSlice: range.upperBound,
                      noiseCoefficientOfVariationPercent: covs.isEmpty ? .nan : covs.reduce(0, +) / Double(covs.count),
                      backgroundLevel: background, coldObjects: cold, units: v.units, warnings: flood.warnings)
    }

    /// Cold objects: voxels inside the disc (radius in pixels around cx, cy) of the slices in `range` below
    /// `coldThreshold` × the median voxel of the disc, grouped 6-connected, objects of at least 4 voxels.
    static func coldObjects(_ v: Volume, range: ClosedRange<Int>, cx: Double, cy: Double, radius: Double,
                            coldThreshold: Double = 0.75) -> (Double, [ColdObject]) {
        let nx = v.size.x, ny = v.size.y
        var inside = [Int]()
        for z in range { for y in 0..<ny { for x in 0..<nx
            where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) <= radius * radius { inside.append(v.index(x, y, z)) } } }
        guard !inside.isEmpty else { return (.nan, []) }
        let sorted = inside.map { Double(v.voxels[$0]) }.sorted()
        let background = sorted[sorted.count / 2]
        guard background > 0 else { return (background, []) }
        var cold = Set(inside.filter { Double(v.voxels[$0]) < coldThreshold * background })
        var objects = [ColdObject]()
        let dx = abs(v.geometry.spacing.x), dy = abs(v.geometry.spacing.y), dz = abs(v.geometry.spacing.z)
        while let seed = cold.first {
            cold.remove(seed)
            var stack = [seed], members = [Int]()
            while let p = stack.popLast() {
                members.append(p)
                let x = p % nx, y = (p / nx) % ny, z = p / (nx * ny)
                for (xx, yy, zz) in [(x - 1, y, z), (x + 1, y, z), (x, y - 1, z), (x, y + 1, z), (x, y, z - 1), (x, y, z + 1)]
                where xx >= 0 && xx < nx && yy >= 0 && yy < ny && zz >= 0 && zz < v.size.z {
                    let q = v.index(xx, yy, zz)
                    if cold.remove(q) != nil { stack.append(q) }
                }
            }
            guard members.count >= 4 else { continue }
            var sx = 0.0, sy = 0.0, sz = 0.0, sum = 0.0, minV = Double.infinity
            for p in members {
                sx += Double(p % nx); sy += Double((p / nx) % ny); sz += Double(p / (nx * ny))
                let val = Double(v.voxels[p]); sum += val; minV = min(minV, val)
            }
            let n = Double(members.count)
            let volumeMM3 = n * dx * dy * dz
            objects.append(ColdObject(centreVoxel: [sx / n, sy / n, sz / n], volumeML: volumeMM3 / 1000,
                                      equivalentDiameterMM: pow(6 * volumeMM3 / .pi, 1.0 / 3),
                                      contrastPercent: 100 * (1 - sum / n / background),
                                      maximumContrastPercent: 100 * (1 - minV / background), voxels: members.count))
        }
        objects.sort { $0.voxels > $1.voxels }
        return (background, Array(objects.prefix(12)))
    }
}
