import Foundation

/// How well the body outline of an emission image lies on the body of a CT on the same grid: the check every
/// SPECT/CT reconstruction runs so that a misplaced grid (a vendor geometry read wrongly) is never silent.
public struct OutlineAgreement: Sendable, Hashable, Codable {
    /// Dice overlap of the emission outline and the CT body, as placed.
    public var dice: Double
    /// The shift (voxels, x/y/z) of the emission image, searched along each axis within ±``searchVoxels``, that
    /// overlaps the CT body best.
    public var bestShiftVoxels: [Int]
    /// Dice at that shift.
    public var bestDice: Double
    /// The search range (voxels) along each axis.
    public var searchVoxels: Int
    /// Fraction of the emission (sum of voxel values) that lies inside the CT body.
    public var fractionInBody: Double
    /// False when the emission image has no body outline to compare (focal uptake only, e.g. a line source).
    public var applicable: Bool
    /// True when the outline lies on the CT within one voxel (or the check is not applicable).
    public var agrees: Bool { fractionInBody >= 0.8 && (!applicable || bestShiftVoxels.allSatisfy { abs($0) <= 1 }) }
    /// One line for the user.
    public var summary: String {
        if fractionInBody < 0.8 {
            return String(format: "only %.0f %% of the emission lies inside the CT body: the image is NOT where the CT is — check the geometry (docs/vendor-geometry.md)", 100 * fractionInBody)
        }
        guard applicable else { return String(format: "body outline check not applicable (emission outline overlaps the CT body with Dice %.2f only: focal uptake)", dice) }
        let s = bestShiftVoxels.map(String.init).joined(separator: ", ")
        return agrees
            ? String(format: "body outline on the CT: Dice %.2f, best fit within one voxel (%@)", dice, s)
            : String(format: "body outline does NOT lie on the CT: Dice %.2f as placed, %.2f when shifted by (%@) voxels — check the geometry (docs/vendor-geometry.md)", dice, bestDice, s)
    }

    /// Compares `emission` with the body of `ctHU` (HU > −500), both on the same grid. The emission outline is the
    /// emission smoothed by a 3×3×3 box and thresholded at `fraction` of its 99th percentile within the CT's body
    /// slices (the GE acceptance test's method). Shifts are searched along each axis separately.
    public static func measure(emission: Volume, ctHU: Volume, fraction: Double = 0.02, searchVoxels: Int = 3) -> OutlineAgreement? {
        guard emission.size == ctHU.size else { return nil }
        let (nx, ny, nz) = (emission.size.x, emission.size.y, emission.size.z)
        guard nx > 2 * searchVoxels, ny > 2 * searchVoxels, nz > 2 * searchVoxels else { return nil }
        let n = nx * ny
        let body = ctHU.voxels.map { $0 > -500 }
        let slices = (0..<nz).filter { z in (0..<n).reduce(0) { $0 + (body[z * n + $1] ? 1 : 0) } > 50 }
        guard !slices.isEmpty else { return nil }
        // 3×3×3 box smoothing.
        var smooth = [Float](repeating: 0, count: emission.voxels.count)
        emission.voxels.withUnsafeBufferPointer { v in
            for z in 0..<nz { for y in 0..<ny { for x in 0..<nx {
                var s: Float = 0, c: Float = 0
                for dz in -1...1 where z + dz >= 0 && z + dz < nz {
                    for dy in -1...1 where y + dy >= 0 && y + dy < ny {
                        for dx in -1...1 where x + dx >= 0 && x + dx < nx { s += v[(z + dz) * n + (y + dy) * nx + x + dx]; c += 1 }
                    }
                }
                smooth[z * n + y * nx + x] = s / c
            } } }
        }
        var inSlices = slices.flatMap { z in smooth[(z * n)..<((z + 1) * n)] }
        inSlices.sort()
        let p99 = inSlices[Int(Double(inSlices.count - 1) * 0.99)]
        guard p99 > 0 else { return nil }
        let threshold = Float(fraction) * p99
        let outline = smooth.map { $0 > threshold }
        func dice(_ sx: Int, _ sy: Int, _ sz: Int) -> Double {
            var inter = 0, a = 0, b = 0
            for z in slices {
                for y in 0..<ny { for x in 0..<nx {
                    let c = body[z * n + y * nx + x]
                    let (ex, ey, ez) = (x - sx, y - sy, z - sz)
                    let e = ex >= 0 && ex < nx && ey >= 0 && ey < ny && ez >= 0 && ez < nz && outline[ez * n + ey * nx + ex]
                    if c { a += 1 }
                    if e { b += 1 }
                    if c && e { inter += 1 }
                } }
            }
            return a + b == 0 ? 0 : 2 * Double(inter) / Double(a + b)
        }
        var inBody = 0.0, total = 0.0
        for i in emission.voxels.indices { let v = Double(max(0, emission.voxels[i])); total += v; if body[i] { inBody += v } }
        let fraction = total > 0 ? inBody / total : 1
        let d0 = dice(0, 0, 0)
        var best = [0, 0, 0]
        var bestValue = d0
        for axis in 0..<3 {
            var axisBest = 0, axisValue = d0
            for s in -searchVoxels...searchVoxels where s != 0 {
                let v = axis == 0 ? dice(s, 0, 0) : axis == 1 ? dice(0, s, 0) : dice(0, 0, s)
                if v > axisValue + 0.005 { axisValue = v; axisBest = s }
            }
            best[axis] = axisBest
        }
        if best != [0, 0, 0] { bestValue = dice(best[0], best[1], best[2]) }
        return OutlineAgreement(dice: d0, bestShiftVoxels: best, bestDice: bestValue, searchVoxels: searchVoxels, fractionInBody: fraction, applicable: d0 >= 0.4 || bestValue >= 0.5)
    }
}
