import Foundation
import Imaging

/// Quantitative analysis of a reconstructed IEC/NEMA body phantom against its known truth.
public enum PhantomAnalysis {
    /// One sphere.
    public struct Sphere: Sendable, Codable {
        public var name: String
        public var diameterMM: Double
        /// True centre (LPS mm).
        public var truePosition: [Double]
        /// Centroid of the activity above background around the true centre (LPS mm).
        public var foundPosition: [Double]
        /// Distance between the two, in voxels (largest voxel edge).
        public var offsetVoxels: Double
        /// Mean over the voxels whose centre lies inside the true sphere.
        public var meanValue: Double
        /// True concentration.
        public var trueValue: Double
        /// Recovery coefficient: mean / true.
        public var recovery: Double
    }

    /// The whole phantom.
    public struct Result: Sendable, Codable {
        public var spheres: [Sphere]
        /// Mean of the background VOI (an annulus 95–125 mm from the axis in the anterior half, z −60…+40 mm:
        /// at least 19 mm from every sphere and from the lung insert).
        public var backgroundMean: Double
        public var backgroundTrue: Double
        public var backgroundErrorPercent: Double
        /// Coefficient of variation of the background VOI voxels, %.
        public var backgroundCVPercent: Double
        public var units: String
        public var conventions: String
    }

    /// Spheres given as (name, centre, diameter); true concentrations in the volume's units.
    public static func iec(_ v: Volume, spheres: [(name: String, centre: Vector3, diameterMM: Double)], sphereTrue: Double,
                           backgroundTrue: Double, axisCentre: Vector3 = .zero) -> Result {
        let g = v.geometry
        let voxel = max(g.spacing.x, g.spacing.y, g.spacing.z)
        // Background VOI.
        var bg: [Double] = []
        for k in 0..<v.size.z { for j in 0..<v.size.y { for i in 0..<v.size.x {
            let p = g.patientPosition(i, j, k) - axisCentre
            let r = (p.x * p.x + p.y * p.y).squareRoot()
            if r >= 95 && r <= 125 && p.y < 0 && p.z >= -60 && p.z <= 40 { bg.append(Double(v[i, j, k])) }
        } } }
        let bgMean = bg.isEmpty ? 0 : bg.reduce(0, +) / Double(bg.count)
        let bgSD = bg.isEmpty ? 0 : (bg.map { ($0 - bgMean) * ($0 - bgMean) }.reduce(0, +) / Double(max(1, bg.count - 1))).squareRoot()
        var out: [Sphere] = []
        for s in spheres {
            let rIn = s.diameterMM / 2
            let rSearch = rIn + voxel
            var sum = 0.0, n = 0
            var wsum = 0.0, c = Vector3.zero
            for k in 0..<v.size.z { for j in 0..<v.size.y { for i in 0..<v.size.x {
                let p = g.patientPosition(i, j, k)
                let d = (p - s.centre).length
                guard d <= rSearch else { continue }
                let value = Double(v[i, j, k])
                if d <= rIn { sum += value; n += 1 }
                let w = max(0, value - bgMean)
                wsum += w; c = c + p * w
            } } }
            if n == 0, let (i, j, k) = try? g.nearestIndex(of: s.centre) { sum = Double(v[i, j, k]); n = 1 }
            let found = wsum > 0 ? c * (1 / wsum) : s.centre
            let mean = n > 0 ? sum / Double(n) : 0
            out.append(Sphere(name: s.name, diameterMM: s.diameterMM, truePosition: s.centre.array, foundPosition: found.array,
                              offsetVoxels: (found - s.centre).length / voxel, meanValue: mean, trueValue: sphereTrue,
                              recovery: sphereTrue > 0 ? mean / sphereTrue : 0))
        }
        return Result(spheres: out, backgroundMean: bgMean, backgroundTrue: backgroundTrue,
                      backgroundErrorPercent: backgroundTrue > 0 ? (bgMean / backgroundTrue - 1) * 100 : 0,
                      backgroundCVPercent: bgMean != 0 ? bgSD / bgMean * 100 : 0, units: v.units ?? "",
                      conventions: "sphere position: centroid of (value − background mean)⁺ within d/2 + 1 voxel of the true centre; sphere mean: voxels whose centre is inside the true sphere; background: annulus 95–125 mm from the phantom axis, anterior half, z −60…+40 mm")
    }
}
