import Foundation

/// How well the body outline of an emission image lies on the body of a CT on the same grid: the check every
/// SPECT/CT reconstruction runs so that a misplaced grid (a vendor geometry read wrongly) is never silent.
public struct OutlineAgreement: Sendable, Hashable, Codable {
    /// Dice overlap of the emission outline and the CT body, as placed.
    public var dice: Double
    /// The translation (x, y, voxels) of the emission outline against the CT body: per slice the offsets of the four
    /// edges of the two bounding boxes, median over slices; along an axis, the smaller of its two edges' offsets when
    /// both move the same way (a translation), else 0 (a blur, an arm, a hot organ's halo move one edge or both apart).
    public var offsetVoxels: [Double]
    /// Fraction of the emission (sum of voxel values) that lies inside the CT body.
    public var fractionInBody: Double
    /// False when the emission image has no body outline to compare (focal uptake only, e.g. a line source).
    public var applicable: Bool
    /// True when the outline lies on the CT within one voxel (or the check is not applicable) and the emission is in
    /// the body.
    public var agrees: Bool {
        fractionInBody >= 0.8 && (!applicable || offsetVoxels.allSatisfy { abs($0) <= 1 })
    }
    /// One line for the user.
    public var summary: String {
        let offset = offsetVoxels.map { String(format: "%.1f", $0) }.joined(separator: ", ")
        if fractionInBody < 0.8 {
            return String(format: "only %.0f %% of the emission lies inside the CT body: the image is NOT where the CT is — check the geometry (docs/vendor-geometry.md)", 100 * fractionInBody)
        }
        guard applicable else {
            return String(format: "body outline check not applicable (emission outline overlaps the CT body with Dice %.2f only: focal uptake); %.0f %% of the emission inside the CT body", dice, 100 * fractionInBody)
        }
        return agrees
            ? String(format: "body outline on the CT: Dice %.2f, outline centre offset (%@) voxels", dice, offset)
            : String(format: "body outline does NOT lie on the CT: outline centre offset (%@) voxels, Dice %.2f — check the geometry (docs/vendor-geometry.md)", offset, dice)
    }

    /// The patient's body in a CT: HU > −500, opened slice by slice with a 3×3 square (so that thin structures such as
    /// the table top and blankets go) and reduced to the largest connected region of each slice (the table, which
    /// lies under the patient in every slice and would otherwise move the body's posterior and lateral edges).
    static func patientBody(_ ct: Volume) -> [Bool] {
        let (nx, ny, nz) = (ct.size.x, ct.size.y, ct.size.z)
        let n = nx * ny
        var out = [Bool](repeating: false, count: ct.voxels.count)
        for z in 0..<nz {
            var m = [Bool](repeating: false, count: n)
            for i in 0..<n { m[i] = ct.voxels[z * n + i] > -500 }
            func morph(_ src: [Bool], erode: Bool) -> [Bool] {
                var dst = src
                for y in 0..<ny { for x in 0..<nx {
                    var v = erode
                    for dy in -1...1 { for dx in -1...1 {
                        let (xx, yy) = (x + dx, y + dy)
                        let s = xx >= 0 && xx < nx && yy >= 0 && yy < ny ? src[yy * nx + xx] : false
                        if erode { v = v && s } else { v = v || s }
                    } }
                    dst[y * nx + x] = v
                } }
                return dst
            }
            m = morph(morph(m, erode: true), erode: false)
            // Largest 4-connected region.
            var label = [Int32](repeating: -1, count: n)
            var best = -1, bestSize = 0, next: Int32 = 0
            for start in 0..<n where m[start] && label[start] < 0 {
                var stack = [start]; label[start] = next
                var size = 0
                while let i = stack.popLast() {
                    size += 1
                    let (x, y) = (i % nx, i / nx)
                    for (xx, yy) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where xx >= 0 && xx < nx && yy >= 0 && yy < ny {
                        let j = yy * nx + xx
                        if m[j] && label[j] < 0 { label[j] = next; stack.append(j) }
                    }
                }
                if size > bestSize { bestSize = size; best = Int(next) }
                next += 1
            }
            if best >= 0 { for i in 0..<n where label[i] == Int32(best) { out[z * n + i] = true } }
        }
        return out
    }

    /// Compares `emission` with the patient's body in `ctHU` (``patientBody(_:)``), both on the same grid. The emission outline is the
    /// emission smoothed by a 3×3×3 box and thresholded at `fraction` of its median over the CT body (the body's
    /// background level). Returns nil only when the grids differ in size; a CT that does not reach the grid at all is
    /// reported as disagreement (no emission inside its body).
    public static func measure(emission: Volume, ctHU: Volume, fraction: Double = 0.5) -> OutlineAgreement? {
        guard emission.size == ctHU.size else { return nil }
        let (nx, ny, nz) = (emission.size.x, emission.size.y, emission.size.z)
        let n = nx * ny
        let body = patientBody(ctHU)
        var inBody = 0.0, total = 0.0
        for i in emission.voxels.indices { let v = Double(max(0, emission.voxels[i])); total += v; if body[i] { inBody += v } }
        let fractionIn = total > 0 ? inBody / total : 1
        let slices = (0..<nz).filter { z in (0..<n).reduce(0) { $0 + (body[z * n + $1] ? 1 : 0) } > 50 }
        guard !slices.isEmpty, total > 0 else {
            return OutlineAgreement(dice: 0, offsetVoxels: [0, 0], fractionInBody: slices.isEmpty ? 0 : fractionIn, applicable: false)
        }
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
        // The body's own level: the median of the smoothed emission over the CT body. Half of it marks the edge of
        // a blurred step; hot organs or spheres, which would drag a threshold taken from the maximum outwards on
        // their side, do not move it.
        var inBodyValues: [Float] = []
        for z in slices { for i in (z * n)..<((z + 1) * n) where body[i] { inBodyValues.append(smooth[i]) } }
        inBodyValues.sort()
        let level = inBodyValues.isEmpty ? 0 : inBodyValues[inBodyValues.count / 2]
        guard level > 0 else {
            return OutlineAgreement(dice: 0, offsetVoxels: [0, 0], fractionInBody: fractionIn, applicable: false)
        }
        let threshold = Float(fraction) * level
        var inter = 0, a = 0, b = 0
        var lefts: [Double] = [], rights: [Double] = [], fronts: [Double] = [], backs: [Double] = []
        for z in slices {
            // Bounding boxes of the two masks in this slice: a translation moves both edges of a box alike, a blur
            // moves them apart, and the uptake inside (hot organs) does not enter at all.
            var c0 = (nx, ny), c1 = (-1, -1), e0 = (nx, ny), e1 = (-1, -1)
            var cn = 0, en = 0
            for y in 0..<ny { for x in 0..<nx {
                let i = z * n + y * nx + x
                let c = body[i], e = smooth[i] > threshold
                if c { a += 1; cn += 1; c0 = (min(c0.0, x), min(c0.1, y)); c1 = (max(c1.0, x), max(c1.1, y)) }
                if e { b += 1; en += 1; e0 = (min(e0.0, x), min(e0.1, y)); e1 = (max(e1.0, x), max(e1.1, y)) }
                if c && e { inter += 1 }
            } }
            if cn > 50 && en > 50 {
                lefts.append(Double(e0.0 - c0.0)); rights.append(Double(e1.0 - c1.0))
                fronts.append(Double(e0.1 - c0.1)); backs.append(Double(e1.1 - c1.1))
            }
        }
        func median(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.sorted()[v.count / 2] }
        // A translation moves both edges of an axis the same way; blur moves them apart, and an arm, a hot organ's
        // halo or a cold region moves one only. So the shift along an axis is the smaller of the two edges' median
        // offsets when they agree in sign, else none.
        func shift(_ a: [Double], _ b: [Double]) -> Double {
            let (ma, mb) = (median(a), median(b))
            guard ma * mb > 0 else { return 0 }
            return ma > 0 ? min(ma, mb) : max(ma, mb)
        }
        let dxs = [shift(lefts, rights)], dys = [shift(fronts, backs)]
        let dice = a + b == 0 ? 0 : 2 * Double(inter) / Double(a + b)
        return OutlineAgreement(dice: dice, offsetVoxels: [dxs[0], dys[0]], fractionInBody: fractionIn,
                                applicable: dice >= 0.4 && !lefts.isEmpty)
    }
}
